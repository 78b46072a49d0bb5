/**
 * Migrations: ordered by name, run under the migrator's lock (an advisory lock on PostgreSQL; the
 * single exclusive connection on SQLite), and checked at start-up: a database that has migrations
 * this program does not know, or lacks ones it needs, is refused with a clear message.
 */
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationsFor } from './migrations/index.ts';
import type { DatabaseHandle } from './open.ts';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

function migrator(handle: DatabaseHandle): Migrator {
  const migrations = migrationsFor(handle.dialect);
  return new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations } });
}

export interface MigrationState {
  readonly name: string;
  readonly executedAt: string | null;
}

export async function migrationStatus(handle: DatabaseHandle): Promise<MigrationState[]> {
  const all = await migrator(handle).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ? m.executedAt.toISOString() : null }));
}

export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const known = Object.keys(migrationsFor(handle.dialect));
  const unknown = (await executedMigrations(handle)).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new MigrationError(`数据库包含本程序不认识的迁移 ${unknown.join('、')}：请使用更新版本的 canbao`);
  }
  const { error, results } = await migrator(handle).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(
      `数据库迁移失败${failed ? `（${failed}）` : ''}：${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migration names recorded in the database, including ones this program does not know. */
async function executedMigrations(handle: DatabaseHandle): Promise<string[]> {
  const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration')) return [];
  const rows = await (handle.db as unknown as Kysely<{ kysely_migration: { name: string } }>)
    .selectFrom('kysely_migration')
    .select('name')
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

/** Refuses a database whose migrations do not match this program's. */
export async function checkMigrations(handle: DatabaseHandle): Promise<void> {
  const known = Object.keys(migrationsFor(handle.dialect));
  let executed: string[];
  try {
    executed = await executedMigrations(handle);
  } catch (error) {
    throw new MigrationError(`无法读取数据库迁移状态（${handle.location}）：${(error as Error).message}`);
  }
  const unknown = executed.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new MigrationError(`数据库包含本程序不认识的迁移 ${unknown.join('、')}：请使用更新版本的 canbao`);
  }
  const pending = known.filter((name) => !executed.includes(name));
  if (pending.length > 0) {
    throw new MigrationError(`数据库有待执行的迁移 ${pending.join('、')}：请先运行 canbao db migrate`);
  }
}
