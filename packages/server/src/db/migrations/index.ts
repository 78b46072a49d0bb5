/** Every migration, in order. Names sort in the order they must run; never rename or remove one. */
import type { Migration } from 'kysely/migration';
import { registry } from './0001-registry.ts';
import type { DialectName, MigrationFactory } from './types.ts';

const MIGRATIONS: readonly [string, MigrationFactory][] = [['0001-registry', registry]];

export function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return Object.fromEntries(MIGRATIONS.map(([name, factory]) => [name, factory(dialect)]));
}
