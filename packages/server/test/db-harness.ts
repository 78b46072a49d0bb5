/**
 * Every suite that touches the database runs on both engines: `describeEachEngine(title, fn)`
 * runs fn once for SQLite (a fresh data folder per `open()`) and once for PostgreSQL (a fresh
 * database per `open()` in the run's throwaway cluster).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, inject } from 'vitest';
import { type DatabaseHandle, type OpenOptions, openDatabase } from '../src/db/open.ts';

export interface Engine {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, migrated, seeded database. */
  open(options?: Omit<OpenOptions, 'url' | 'dataDir'>): Promise<DatabaseHandle>;
  /** The options that open the same database again (for a second connection or process). */
  lastLocation(): { dataDir?: string; url?: string };
}

const pgUrl = inject('pgUrl');

function sqliteEngine(): Engine {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    name: 'sqlite',
    async open(options) {
      const dir = mkdtempSync(join(tmpdir(), 'canbao-sqlite-'));
      dirs.push(dir);
      return openDatabase({ ...options, dataDir: dir });
    },
    lastLocation: () => ({ dataDir: dirs.at(-1) as string }),
  };
}

let databaseCounter = 0;

function postgresEngine(baseUrl: string): Engine {
  const urls: string[] = [];
  return {
    name: 'postgres',
    async open(options) {
      const name = `canbao_test_${process.pid}_${Date.now()}_${databaseCounter++}`;
      const admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const url = baseUrl.replace(/\/[^/]*$/, `/${name}`);
      urls.push(url);
      return openDatabase({ migrate: 'auto', ...options, url });
    },
    lastLocation: () => ({ url: urls.at(-1) as string }),
  };
}

export function describeEachEngine(title: string, fn: (engine: Engine) => void): void {
  describe(`${title} [sqlite]`, () => fn(sqliteEngine()));
  if (pgUrl) describe(`${title} [postgres]`, () => fn(postgresEngine(pgUrl)));
}

/**
 * Fresh databases for the tests of a suite, each closed after its test: call inside the function
 * given to describeEachEngine.
 */
export function useFreshDatabases(engine: Engine): () => Promise<DatabaseHandle> {
  const open: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const handle of open.splice(0)) await handle.close();
  });
  return async () => {
    const handle = await engine.open();
    open.push(handle);
    return handle;
  };
}
