/** Every migration, in order. Names sort in the order they must run; never rename or remove one. */
import type { Migration } from 'kysely/migration';
import { registry } from './0001-registry.ts';
import { journal } from './0002-journal.ts';
import { collection } from './0003-collection.ts';
import { access } from './0004-access.ts';
import { reportSummaries } from './0005-report-summaries.ts';
import type { DialectName, MigrationFactory } from './types.ts';

const MIGRATIONS: readonly [string, MigrationFactory][] = [
  ['0001-registry', registry],
  ['0002-journal', journal],
  ['0003-collection', collection],
  ['0004-access', access],
  ['0005-report-summaries', reportSummaries],
];

export function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return Object.fromEntries(MIGRATIONS.map(([name, factory]) => [name, factory(dialect)]));
}
