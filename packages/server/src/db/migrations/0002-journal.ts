/**
 * The journal: append-only double-entry transfers. Triggers refuse UPDATE and DELETE on both
 * engines, so the books cannot be edited, only added to (a correction is a new transfer).
 */
import { sql } from 'kysely';
import type { Db, MigrationFactory } from './types.ts';
import { columnTypes, notNull } from './types.ts';

const TABLES = ['journal_transfers', 'journal_lines'] as const;

export const journal: MigrationFactory = (dialect) => {
  const t = columnTypes(dialect);
  return {
    async up(db: Db) {
      await t
        .id(db.schema.createTable('journal_transfers'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('business_type', 'text', notNull)
        .addColumn('business_id', 'text', notNull)
        .addColumn('idempotency_key', 'text', notNull)
        .addColumn('lines_digest', 'text', notNull)
        .addColumn('occurred_on', t.date, notNull)
        .addColumn('recorded_at', t.timestamp, notNull)
        .addColumn('actor', 'text', notNull)
        .addColumn('memo', 'text')
        .addUniqueConstraint('journal_transfers_idempotency', ['county_code', 'idempotency_key'])
        .execute();
      await db.schema
        .createIndex('journal_transfers_business')
        .on('journal_transfers')
        .columns(['county_code', 'business_type', 'business_id'])
        .execute();
      await t
        .id(db.schema.createTable('journal_lines'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('transfer_id', t.bigint, (c) => c.notNull().references('journal_transfers.id'))
        .addColumn('account', 'text', notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .execute();
      await db.schema
        .createIndex('journal_lines_account')
        .on('journal_lines')
        .columns(['county_code', 'account'])
        .execute();
      await db.schema
        .createIndex('journal_lines_transfer')
        .on('journal_lines')
        .columns(['transfer_id'])
        .execute();

      if (dialect === 'postgres') {
        await sql`create function canbao_append_only() returns trigger language plpgsql as $$
          begin raise exception 'canbao journal is append-only: % on % refused', tg_op, tg_table_name; end $$`.execute(
          db,
        );
        for (const table of TABLES) {
          await sql`create trigger ${sql.id(`${table}_append_only`)} before update or delete on ${sql.table(table)}
            for each row execute function canbao_append_only()`.execute(db);
        }
      } else {
        for (const table of TABLES) {
          for (const op of ['update', 'delete'] as const) {
            await sql`create trigger ${sql.id(`${table}_no_${op}`)} before ${sql.raw(op)} on ${sql.table(table)}
              begin select raise(abort, ${sql.lit(`canbao journal is append-only: ${op} on ${table} refused`)}); end`.execute(
              db,
            );
          }
        }
      }
    },
    async down(db: Db) {
      await db.schema.dropTable('journal_lines').execute();
      await db.schema.dropTable('journal_transfers').execute();
      if (dialect === 'postgres') await sql`drop function canbao_append_only()`.execute(db);
    },
  };
};
