/**
 * Fresh planner statistics after a bulk write, on PostgreSQL.
 *
 * PostgreSQL plans from column statistics that autovacuum gathers only after a commit, and a
 * minute or more later. Until then a table that has just grown by thousands of rows is planned as
 * if nearly empty: nested loops that scan it once per outer row. Seen here: a lookup by document
 * number after a 1,000,000-person roster took 42 s for a 47,000-row list instead of 2 s; a
 * withholding export right after 5,000 agreements were imported visited 25 million index entries
 * (7.7 s; at a county's scale it would not finish). ANALYZE inside the writer's own transaction
 * counts its new rows, and commits or rolls back with them; it samples a fixed number of rows, so
 * it costs well under a second even on a large table.
 *
 * SQLite needs nothing here: its planner does well on these queries without statistics, and
 * `PRAGMA optimize` keeps them when a database is closed (db/open.ts).
 */
import { CompiledQuery, type Kysely, PostgresAdapter } from 'kysely';
import type { Database } from './schema.ts';

/** Rows written by one operation after which its tables' statistics are refreshed. */
export const ANALYZE_AFTER_ROWS = 1_000;

/** ANALYZE `tables` on PostgreSQL when `rows` new or changed rows reach ANALYZE_AFTER_ROWS. */
export async function refreshStatistics(
  db: Kysely<Database>,
  tables: readonly (keyof Database)[],
  rows: number,
): Promise<void> {
  if (rows < ANALYZE_AFTER_ROWS || tables.length === 0) return;
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await db.executeQuery(CompiledQuery.raw(`analyze ${tables.map((t) => `"${t}"`).join(', ')}`));
}
