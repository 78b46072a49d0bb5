/**
 * Finding and creating people by document number, shared by every import kind: one person per
 * document number in a county; importing the same person again updates, never duplicates.
 */
import { parseDate } from '@canbao/core';
import { CompiledQuery, type Kysely } from 'kysely';
import type { DialectName } from '../db/migrations/types.ts';
import type { Database, DocType, NewPerson, Person } from '../db/schema.ts';
import type { PersonDocument } from './fields.ts';
import type { ImportContext, ParsedRow } from './kind.ts';

/** How many values one statement may carry, well inside SQLite's and PostgreSQL's limits. */
export const CHUNK = 400;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const key = (docType: DocType, number: string) => `${docType}:${number}`;

/** A column's PostgreSQL type, as migrations/types.ts creates it (SQLite needs none). */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'smallint' | 'date' | 'timestamptz';

/** A table as insertRows writes it: its columns in the order the row arrays give values. */
export interface BulkTable<C extends string = string> {
  readonly name: keyof Database & string;
  readonly columns: readonly (readonly [C, ColumnType])[];
}

/** How many rows one bulk statement carries (one import batch). */
export const BULK_ROWS = 1000;

const bulkStatements = new Map<string, string>();

export interface InsertRowsOptions {
  /** Columns to return of each row written, as SQL (`id, number`). */
  readonly returning?: string;
  /**
   * A unique key's columns: rows whose key the table already has are skipped (and not returned)
   * instead of failing the statement.
   */
  readonly skipExisting?: readonly string[];
  /**
   * Columns with the same value in every row (the county, the import, its timestamps): sent once
   * per statement as parameters instead of in every row. The row arrays then hold only the other
   * columns, in the table's order.
   */
  readonly fixed?: Readonly<Record<string, unknown>>;
}

/**
 * Inserts rows (arrays of values in `table.columns` order, less the `fixed` columns: strings,
 * numbers or null) with one statement per BULK_ROWS rows, and returns the `returning` columns of
 * the rows written, in no particular order (SQLite does not promise RETURNING's order: match rows
 * by a key).
 *
 * The rows travel as one JSON parameter that the database unpacks (jsonb_each on SQLite,
 * jsonb_array_elements on PostgreSQL). Kysely's insertInto().values() would build and compile a
 * node per value and send a statement with a placeholder per value (17,000 for 1,000 people),
 * which the database then parses anew every batch: in a 1,000,000-person roster that was most of
 * the import's time and garbage. This statement's text is fixed per table and short.
 */
export async function insertRows<R = Record<string, never>>(
  db: Kysely<Database>,
  dialect: DialectName,
  table: BulkTable,
  rows: readonly (readonly unknown[])[],
  options: InsertRowsOptions = {},
): Promise<R[]> {
  if (rows.length === 0) return [];
  const { returning, skipExisting } = options;
  const fixed = options.fixed ?? {};
  const fixedColumns = table.columns.filter(([name]) => Object.hasOwn(fixed, name));
  const cacheKey = [dialect, table.name, returning, skipExisting, ...fixedColumns.map(([name]) => name)].join(
    ' ',
  );
  let text = bulkStatements.get(cacheKey);
  if (text === undefined) {
    const postgres = dialect === 'postgres';
    let inRow = 0;
    let parameter = 1; // PostgreSQL: $1 is the rows, then the fixed values in column order.
    // PostgreSQL needs each value cast from text to the column's type; SQLite's ->> already gives
    // integers for JSON numbers and text for strings, and its columns take either.
    const values = table.columns.map(([name, type]) => {
      const value = Object.hasOwn(fixed, name)
        ? postgres
          ? `$${++parameter}::${type}`
          : '?'
        : postgres
          ? `(e ->> ${inRow++})::${type}`
          : `value ->> ${inRow++}`;
      return `${value} as "${name}"`;
    });
    // jsonb_each, not json_each: it hands each row over as binary JSON, which ->> reads directly,
    // where json_each writes each row out as JSON text for ->> to parse again (a third slower).
    const source = postgres ? 'jsonb_array_elements($1::jsonb) as e' : 'jsonb_each(?)';
    // Skipping rows whose key exists: SQLite's ON CONFLICT DO NOTHING does it with the insert's own
    // search of the unique index. On PostgreSQL that would draw an id from the sequence for every
    // skipped row, so a monthly re-import would leave a county-sized gap in the ids: NOT EXISTS
    // there, with `offset 0` to keep it a per-row probe of the unique index (as an anti-join it was
    // planned, without statistics for the rows this transaction added, as a hash of all the
    // county's rows, every batch).
    let skip = '';
    if (skipExisting && postgres) {
      const same = skipExisting.map((c) => `x."${c}" = v."${c}"`).join(' and ');
      skip = ` where not exists (select 1 from "${table.name}" as x where ${same} offset 0)`;
    } else if (skipExisting) {
      // `where true`: SQLite would otherwise read ON CONFLICT as a join's ON clause.
      skip = ` where true on conflict (${skipExisting.map((c) => `"${c}"`).join(', ')}) do nothing`;
    }
    text =
      `insert into "${table.name}" (${table.columns.map(([name]) => `"${name}"`).join(', ')}) ` +
      `select * from (select ${values.join(', ')} from ${source}) as v${skip}` +
      (returning ? ` returning ${returning}` : '');
    bulkStatements.set(cacheKey, text);
  }
  const fixedValues = fixedColumns.map(([name]) => fixed[name] ?? null);
  const out: R[] = [];
  for (let i = 0; i < rows.length; i += BULK_ROWS) {
    const json = JSON.stringify(i === 0 && rows.length <= BULK_ROWS ? rows : rows.slice(i, i + BULK_ROWS));
    // SQLite numbers its ? in the order they appear: the fixed values (select list), then the rows.
    const parameters = dialect === 'postgres' ? [json, ...fixedValues] : [...fixedValues, json];
    const result = await db.executeQuery<R>(CompiledQuery.raw(text, parameters));
    if (returning) for (const row of result.rows) out.push(row);
  }
  return out;
}

const PEOPLE_TABLE: BulkTable<keyof NewPerson & string> = {
  name: 'people',
  columns: [
    ['county_code', 'text'],
    ['doc_type', 'text'],
    ['doc_number', 'text'],
    ['name', 'text'],
    ['sex', 'text'],
    ['birth_date', 'date'],
    ['hukou_region_code', 'text'],
    ['residence_region_code', 'text'],
    ['address', 'text'],
    ['household_id', 'bigint'],
    ['phone', 'text'],
    ['deceased_on', 'date'],
    ['is_student', 'smallint'],
    ['school', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
    ['source_import_id', 'bigint'],
  ],
};

/** A person an import creates, as far as the file tells. */
export interface NewPersonFields {
  readonly doc: PersonDocument;
  readonly name: string;
  readonly sex: 'male' | 'female' | null;
  readonly birthDate: string | null;
  readonly hukouRegionCode: string | null;
  readonly address: string | null;
  readonly householdId: number | null;
  readonly phone: string | null;
  readonly deceasedOn: string | null;
  readonly school: string | null;
}

/**
 * Creates people in the import's county, stamped with the import, and returns the `returning`
 * columns of those created. With `skipExisting`, a person whose document the county already has
 * is skipped (and not returned) instead of failing the import.
 */
export function insertPeople<R>(
  ctx: ImportContext,
  people: readonly NewPersonFields[],
  options: { readonly returning: string; readonly skipExisting?: boolean },
): Promise<R[]> {
  return insertRows<R>(
    ctx.db,
    ctx.dialect,
    PEOPLE_TABLE,
    // PEOPLE_TABLE's columns less the fixed ones, in its order.
    people.map((p) => [
      p.doc.docType,
      p.doc.number,
      p.name,
      p.sex,
      p.birthDate,
      p.hukouRegionCode,
      p.address,
      p.householdId,
      p.phone,
      p.deceasedOn,
      p.school,
    ]),
    {
      returning: options.returning,
      ...(options.skipExisting ? { skipExisting: ['county_code', 'doc_type', 'doc_number'] } : {}),
      fixed: {
        county_code: ctx.countyCode,
        residence_region_code: null,
        is_student: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
        source_import_id: ctx.importId,
      },
    },
  );
}

/** The people of `countyCode` with these documents, keyed by `docType:number`. */
export async function findPeople(
  db: Kysely<Database>,
  countyCode: string,
  docs: readonly { docType: DocType; number: string }[],
): Promise<Map<string, Person>> {
  const found = new Map<string, Person>();
  // Grouped by document type so that every lookup is a seek in the unique index
  // (county_code, doc_type, doc_number): without doc_type the index narrows only to the county,
  // and each chunk scanned all of its people (a 1,000,000-person roster took minutes per 100,000).
  const byType = new Map<DocType, Set<string>>();
  for (const d of docs) {
    const numbers = byType.get(d.docType);
    if (numbers) numbers.add(d.number);
    else byType.set(d.docType, new Set([d.number]));
  }
  for (const [docType, numbers] of byType) {
    for (const part of chunks([...numbers])) {
      const rows = await db
        .selectFrom('people')
        .selectAll()
        .where('county_code', '=', countyCode)
        .where('doc_type', '=', docType)
        .where('doc_number', 'in', part)
        .execute();
      for (const p of rows) found.set(key(p.doc_type, p.doc_number), p);
    }
  }
  return found;
}

export interface MinimalPerson {
  readonly doc: PersonDocument;
  readonly name: string;
}

/**
 * The ids of these people, creating the ones the registry does not have yet from what a list
 * gives (name, document; birth date and sex from an ID number). Counts `peopleAdded`.
 */
export async function ensurePeople(
  ctx: ImportContext,
  people: readonly MinimalPerson[],
): Promise<Map<string, Person>> {
  const existing = await findPeople(
    ctx.db,
    ctx.countyCode,
    people.map((p) => p.doc),
  );
  const missing = new Map<string, NewPersonFields>();
  for (const p of people) {
    const k = key(p.doc.docType, p.doc.number);
    if (existing.has(k) || missing.has(k)) continue;
    missing.set(k, {
      doc: p.doc,
      name: p.name,
      sex: p.doc.sex,
      birthDate: p.doc.birthDate,
      hukouRegionCode: null,
      address: null,
      householdId: null,
      phone: null,
      deceasedOn: null,
      school: null,
    });
  }
  const inserted = await insertPeople<Person>(ctx, [...missing.values()], { returning: '*' });
  for (const p of inserted) existing.set(key(p.doc_type, p.doc_number), p);
  ctx.counts.peopleAdded = (ctx.counts.peopleAdded ?? 0) + missing.size;
  return existing;
}

export function personKey(doc: { docType: DocType; number: string }): string {
  return key(doc.docType, doc.number);
}

/** The day before a date (history rows close the day before the change takes effect). */
export function dayBefore(date: string): string {
  return parseDate(date).subtract({ days: 1 }).toString();
}

/**
 * The rows of a batch, each with its person (created when the registry lacks them): what every
 * list that names people by document writes from.
 */
export async function rowsWithPeople<T extends MinimalPerson>(
  ctx: ImportContext,
  rows: readonly ParsedRow<T>[],
): Promise<{ readonly row: T; readonly line: number; readonly person: Person }[]> {
  const people = await ensurePeople(
    ctx,
    rows.map((r) => r.row),
  );
  return rows.flatMap(({ row, line }) => {
    const person = people.get(personKey(row.doc));
    return person ? [{ row, line, person }] : [];
  });
}
