/**
 * Access (issue 6): users with a role and a region scope, server-side sessions, the audit log,
 * household verification visits and application settings. The audit log is append-only like the journal (triggers refuse UPDATE and
 * DELETE), so nobody — the administrator included — can edit what was done.
 */
import { sql } from 'kysely';
import type { Db, MigrationFactory } from './types.ts';
import { columnTypes, notNull } from './types.ts';

export const access: MigrationFactory = (dialect) => {
  const t = columnTypes(dialect);
  return {
    async up(db: Db) {
      await t
        .id(db.schema.createTable('users'))
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', notNull)
        .addColumn('password_hash', 'text', notNull)
        .addColumn('role', 'text', notNull)
        // The department a submitter speaks for (民政, 乡村振兴…): which lists it may see and upload.
        .addColumn('department', 'text')
        // Everything the user sees is limited to this region (county, township or village code).
        .addColumn('region_code', 'text', notNull)
        .addColumn('county_code', 'text', notNull)
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', t.timestamp)
        .addColumn('disabled', t.flag, (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', t.timestamp, notNull)
        .addColumn('updated_at', t.timestamp, notNull)
        .execute();
      await db.schema
        .createTable('sessions')
        // SHA-256 of the cookie token: a stolen database does not yield live sessions.
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', t.bigint, (c) => c.notNull().references('users.id'))
        .addColumn('csrf_token', 'text', notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .addColumn('last_seen_at', t.timestamp, notNull)
        .addColumn('expires_at', t.timestamp, notNull)
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id']).execute();
      await t
        .id(db.schema.createTable('audit_log'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('at', t.timestamp, notNull)
        .addColumn('user_id', t.bigint)
        .addColumn('actor', 'text', notNull)
        .addColumn('role', 'text', notNull)
        .addColumn('action', 'text', notNull)
        .addColumn('object_type', 'text', notNull)
        .addColumn('object_id', 'text')
        .addColumn('region_code', 'text')
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').columns(['county_code', 'at']).execute();
      // 入户核实: a village clerk's visit — does the household enroll, by withholding or not.
      await t
        .id(db.schema.createTable('household_verifications'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('household_id', t.bigint, (c) => c.notNull().references('households.id'))
        .addColumn('village_code', 'text')
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('decision', 'text', notNull)
        .addColumn('withhold', t.flag, notNull)
        .addColumn('members_json', 'text', notNull)
        .addColumn('note', 'text')
        .addColumn('visited_on', t.date, notNull)
        .addColumn('recorded_by', 'text', notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .execute();
      await db.schema
        .createIndex('household_verifications_household')
        .on('household_verifications')
        .columns(['county_code', 'household_id'])
        .execute();
      await db.schema
        .createTable('app_settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', notNull)
        .execute();

      if (dialect === 'postgres') {
        // canbao_append_only() comes from 0002-journal.
        await sql`create trigger audit_log_append_only before update or delete on audit_log
          for each row execute function canbao_append_only()`.execute(db);
      } else {
        for (const op of ['update', 'delete'] as const) {
          await sql`create trigger ${sql.id(`audit_log_no_${op}`)} before ${sql.raw(op)} on audit_log
            begin select raise(abort, ${sql.lit(`canbao audit log is append-only: ${op} refused`)}); end`.execute(
            db,
          );
        }
      }
    },
    async down(db: Db) {
      await db.schema.dropTable('app_settings').execute();
      await db.schema.dropTable('household_verifications').execute();
      await db.schema.dropTable('audit_log').execute();
      await db.schema.dropTable('sessions').execute();
      await db.schema.dropTable('users').execute();
    },
  };
};
