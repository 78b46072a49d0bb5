/**
 * Column types that differ between the two engines, so one migration serves both. The runtime
 * types are the same on both (see ../schema.ts): PostgreSQL's date, timestamptz and bigint come back
 * as strings and numbers through the type parsers in ../open.ts.
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export type DialectName = 'sqlite' | 'postgres';

export interface ColumnTypes {
  readonly date: 'date' | 'text';
  readonly timestamp: 'timestamptz' | 'text';
  /** Money in fen and other counts that can pass 2^31. */
  readonly bigint: 'bigint' | 'integer';
  readonly flag: 'smallint' | 'integer';
  /** Adds the surrogate key: an identity column on PostgreSQL, the rowid alias on SQLite. */
  id<T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'>;
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  const pg = dialect === 'postgres';
  return {
    date: pg ? 'date' : 'text',
    timestamp: pg ? 'timestamptz' : 'text',
    bigint: pg ? 'bigint' : 'integer',
    flag: pg ? 'smallint' : 'integer',
    id: (table) =>
      pg
        ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : table.addColumn('id', 'integer', (c) => c.primaryKey()),
  };
}

export type MigrationFactory = (dialect: DialectName) => Migration;

// biome-ignore lint/suspicious/noExplicitAny: migrations run on Kysely<any> by design
export type Db = Kysely<any>;

export const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
