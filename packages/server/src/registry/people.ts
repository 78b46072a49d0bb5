/**
 * Finding and creating people by document number, shared by every import kind: one person per
 * document number in a county; importing the same person again updates, never duplicates.
 */
import { parseDate } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { Database, DocType, NewPerson, Person } from '../db/schema.ts';
import type { PersonDocument } from './fields.ts';
import type { ImportContext } from './kind.ts';

/** How many values one statement may carry, well inside SQLite's and PostgreSQL's limits. */
export const CHUNK = 400;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const key = (docType: DocType, number: string) => `${docType}:${number}`;

/** The people of `countyCode` with these documents, keyed by `docType:number`. */
export async function findPeople(
  db: Kysely<Database>,
  countyCode: string,
  docs: readonly { docType: DocType; number: string }[],
): Promise<Map<string, Person>> {
  const found = new Map<string, Person>();
  const numbers = [...new Set(docs.map((d) => d.number))];
  for (const part of chunks(numbers)) {
    const rows = await db
      .selectFrom('people')
      .selectAll()
      .where('county_code', '=', countyCode)
      .where('doc_number', 'in', part)
      .execute();
    for (const p of rows) found.set(key(p.doc_type, p.doc_number), p);
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
  const missing = new Map<string, NewPerson>();
  for (const p of people) {
    const k = key(p.doc.docType, p.doc.number);
    if (existing.has(k) || missing.has(k)) continue;
    missing.set(k, newPerson(ctx, p));
  }
  for (const part of chunks([...missing.values()])) {
    const inserted = await ctx.db.insertInto('people').values(part).returningAll().execute();
    for (const p of inserted) existing.set(key(p.doc_type, p.doc_number), p);
  }
  ctx.counts.peopleAdded = (ctx.counts.peopleAdded ?? 0) + missing.size;
  return existing;
}

export function newPerson(ctx: ImportContext, p: MinimalPerson): NewPerson {
  return {
    county_code: ctx.countyCode,
    doc_type: p.doc.docType,
    doc_number: p.doc.number,
    name: p.name,
    sex: p.doc.sex,
    birth_date: p.doc.birthDate,
    hukou_region_code: null,
    residence_region_code: null,
    address: null,
    household_id: null,
    phone: null,
    deceased_on: null,
    is_student: 0,
    school: null,
    created_at: ctx.now,
    updated_at: ctx.now,
    source_import_id: ctx.importId,
  };
}

export function personKey(doc: { docType: DocType; number: string }): string {
  return key(doc.docType, doc.number);
}

/** The day before a date (history rows close the day before the change takes effect). */
export function dayBefore(date: string): string {
  return parseDate(date).subtract({ days: 1 }).toString();
}
