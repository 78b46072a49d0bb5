/**
 * Report summaries (issue 5): the progress report's per-village changes per day, kept in the
 * database so that the first report of a fresh process (a clerk's `canbao report progress`, the web
 * app's first dashboard after a restart) reads a few thousand summary rows and the enrollments
 * changed since, not a million enrollments.
 *
 * A checkpoint says which enrollment event, payment and e-certificate activation the summary
 * reflects (the largest ids) and which state of the registry its population and group counts do;
 * the report brings it up to date from the rows recorded after those and writes the new changes
 * back. It is a cache: deleting both tables loses nothing but time.
 */
import type { Db, MigrationFactory } from './types.ts';
import { columnTypes, notNull } from './types.ts';

export const reportSummaries: MigrationFactory = (dialect) => {
  const t = columnTypes(dialect);
  return {
    async up(db: Db) {
      await db.schema
        .createTable('progress_checkpoints')
        .addColumn('county_code', 'text', notNull)
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('event_id', t.bigint, notNull)
        .addColumn('payment_id', t.bigint, notNull)
        .addColumn('ecert_id', t.bigint, notNull)
        // The registry's state the population and group counts reflect (imports, people, targets).
        .addColumn('registry_stamp', 'text')
        .addColumn('written_at', t.timestamp, notNull)
        .addPrimaryKeyConstraint('progress_checkpoints_pk', ['county_code', 'benefit_year'])
        .execute();
      // The change of a measure (enrolled, paid, collected fen, e-certificates) in a village on a
      // day: a count as of a date is the sum of the changes up to it.
      await db.schema
        .createTable('progress_day_changes')
        .addColumn('county_code', 'text', notNull)
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('village_code', 'text', notNull)
        .addColumn('measure', 'text', notNull)
        .addColumn('day', t.date, notNull)
        .addColumn('amount', t.bigint, notNull)
        .addPrimaryKeyConstraint('progress_day_changes_pk', [
          'county_code',
          'benefit_year',
          'village_code',
          'measure',
          'day',
        ])
        .execute();
    },
    async down(db: Db) {
      await db.schema.dropTable('progress_day_changes').execute();
      await db.schema.dropTable('progress_checkpoints').execute();
    },
  };
};
