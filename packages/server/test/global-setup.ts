/**
 * Starts one throwaway PostgreSQL cluster for the whole test run (src/db/throwaway-postgres.ts),
 * and removes it afterwards. Test files get its URL through `inject('pgUrl')` and create their
 * own databases in it.
 *
 * Without PostgreSQL's binaries the database suites run on SQLite only and say so; with
 * CANBAO_REQUIRE_PG=1 (set by .ci/run) that is an error instead.
 */
import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres } from '../src/db/throwaway-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const cluster = await startThrowawayPostgres();
  if (!cluster) {
    if (process.env.CANBAO_REQUIRE_PG === '1')
      throw new Error('CANBAO_REQUIRE_PG=1 but PostgreSQL binaries were not found');
    console.warn('[canbao tests] PostgreSQL binaries not found: database suites run on SQLite only');
    project.provide('pgUrl', null);
    return;
  }
  project.provide('pgUrl', cluster.url);
  return () => cluster.stop();
}
