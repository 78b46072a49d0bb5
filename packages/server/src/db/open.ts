/**
 * Opening canbao's database: SQLite in a data folder by default (one process holds it), or
 * PostgreSQL when DATABASE_URL is set. Both come back as the same Kysely<Database> with the same
 * runtime types, migrated (or checked) and seeded.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { checkMigrations, migrateToLatest } from './migrate.ts';
import type { DialectName } from './migrations/types.ts';
import type { Database } from './schema.ts';
import { seedReferenceData } from './seed.ts';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Where the data is, for messages: a file path, or the PostgreSQL URL without its password. */
  readonly location: string;
  /**
   * A consistent copy of the whole database while it is open (SQLite's online backup). On
   * PostgreSQL backups are the operator's (pg_dump, base backups): this refuses with that advice.
   */
  backup(target: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL connection string; defaults to DATABASE_URL. */
  readonly url?: string;
  /** SQLite data folder; defaults to CANBAO_DATA, then ./data. */
  readonly dataDir?: string;
  /**
   * 'auto' applies pending migrations (the default for the embedded database), 'check' refuses to
   * run with pending ones (the default for PostgreSQL, where an operator migrates deliberately),
   * 'none' opens without looking (for `canbao db status` and `db migrate`).
   */
  readonly migrate?: 'auto' | 'check' | 'none';
}

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

export const SQLITE_FILE = 'canbao.sqlite';

/** Prepared statements kept per SQL text; more distinct texts than this evict the oldest. */
const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely's SQLite driver prepares every query afresh; preparing costs as much as running a small
 * statement. Services issue the same few dozen SQL texts over and over (a payment is a dozen
 * statements), so statements are kept and reused. Safe because Kysely runs one query at a time on
 * the single SQLite connection.
 */
function withStatementCache(sqlite: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      // Keep the planner's statistics current (SQLite's advice for every connection it closes):
      // without them it may read a whole county through an index on county_code when a handful
      // of ids are asked for. Cheap: only tables changed enough are analysed, each on a sample.
      sqlite.pragma('analysis_limit = 1000');
      sqlite.pragma('optimize');
      sqlite.close();
    },
    prepare(sql: string): BetterSqlite3.Statement {
      let statement = cache.get(sql);
      if (statement) {
        // Move to the end: the map's order is the eviction order.
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

export async function openDatabase(options: OpenOptions = {}): Promise<DatabaseHandle> {
  const url = options.url ?? process.env.DATABASE_URL;
  const handle = url ? openPostgres(url) : openSqlite(options.dataDir ?? process.env.CANBAO_DATA ?? './data');
  const mode = options.migrate ?? (handle.dialect === 'sqlite' ? 'auto' : 'check');
  try {
    if (mode === 'auto') await migrateToLatest(handle);
    if (mode === 'check') await checkMigrations(handle);
    if (mode !== 'none') await seedReferenceData(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

function openSqlite(dataDir: string): DatabaseHandle {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, SQLITE_FILE);
  const sqlite = new BetterSqlite3(file, { timeout: 0 });
  try {
    // Exclusive locking before WAL: the WAL index then lives in this process's memory and no other
    // process can open the file while we hold it — a second canbao fails at once, not later.
    sqlite.pragma('locking_mode = EXCLUSIVE');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // 64 MiB of page cache (the default is 2 MiB): a county's hot indexes stay in memory, and a
    // transaction recording hundreds of payments does not spill dirty pages to the WAL mid-way.
    sqlite.pragma('cache_size = -65536');
    // Savepoints (one per payment in a group commit) keep the pages they change in a sub-journal;
    // in memory rather than a temporary file, or every first change of a page costs a file write.
    sqlite.pragma('temp_store = MEMORY');
    sqlite.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (error) {
    sqlite.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DatabaseOpenError(
        `数据库 ${file} 正被另一个 canbao 进程使用；同一数据目录只能由一个进程打开`,
      );
    }
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    location: file,
    backup: async (target) => {
      if (existsSync(target)) throw new DatabaseOpenError(`备份文件 ${target} 已存在，不会覆盖`);
      await sqlite.backup(target);
    },
    close: () => db.destroy(),
  };
}

const { types } = pg;

/** PostgreSQL values as canbao's runtime types: bigint and numeric as numbers, dates as strings. */
function parseType(oid: number, format?: string): (value: string) => unknown {
  switch (oid) {
    case types.builtins.INT8:
    case types.builtins.NUMERIC:
      return (value) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n)) throw new RangeError(`数值超出安全整数范围：${value}`);
        return n;
      };
    case types.builtins.DATE:
      return (value) => value;
    case types.builtins.TIMESTAMPTZ:
    case types.builtins.TIMESTAMP:
      return (value) => new Date(value).toISOString();
    default:
      return types.getTypeParser(oid, format as 'text') as (value: string) => unknown;
  }
}

function openPostgres(url: string): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max: 10, types: { getTypeParser: parseType as never } });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    location: url.replace(/:[^:@/]*@/, ':***@'),
    backup: async () => {
      throw new DatabaseOpenError('PostgreSQL 数据库请使用 pg_dump 或基础备份（见 docs/OPERATIONS.md）');
    },
    close: () => db.destroy(),
  };
}
