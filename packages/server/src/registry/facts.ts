/**
 * The registry's answer to "what does the policy engine need to know about this person?": the
 * facts JSON that `assess` takes, built from the person's document, certified groups, external
 * coverage and enrollment history as of a date. This is how the engine refuses duplicate
 * enrollment (employee insurance, insured elsewhere) and finds newly certified groups.
 *
 * `personFactsBatch` reads many people with four set queries (the payment batches of a bank
 * result file); `personFacts` is the same for one person.
 */
import { type Facts, type GroupCode, isGroupCode } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { Database, Person } from '../db/schema.ts';
import { chunks } from './people.ts';

export class PersonNotFoundError extends Error {
  override name = 'PersonNotFoundError';
}

export interface FactsRequest {
  readonly personId: number;
  /** The date the facts are taken at (YYYY-MM-DD). */
  readonly asOf: string;
}

interface GroupRow {
  readonly person_id: number;
  readonly group_code: string;
  readonly certified_on: string | null;
  readonly valid_from: string;
  readonly valid_to: string | null;
}

interface CoverageRow {
  readonly person_id: number;
  readonly kind: 'employee_insurance' | 'other_region';
  readonly consecutive_years: number | null;
  readonly valid_from: string | null;
  readonly stopped_on: string | null;
}

export async function personFacts(
  db: Kysely<Database>,
  countyCode: string,
  personId: number,
  asOf: string,
): Promise<Facts> {
  return (await personFactsBatch(db, countyCode, [{ personId, asOf }]))[0] as Facts;
}

/** Facts for each request, in order. Throws PersonNotFoundError naming the first unknown person. */
export async function personFactsBatch(
  db: Kysely<Database>,
  countyCode: string,
  requests: readonly FactsRequest[],
): Promise<Facts[]> {
  const ids = [...new Set(requests.map((r) => r.personId))];
  const people = new Map<number, Person>();
  const groups = new Map<number, GroupRow[]>();
  const coverage = new Map<number, CoverageRow[]>();
  const lastYear = new Map<number, number>();
  const push = <T>(map: Map<number, T[]>, id: number, row: T) => {
    const list = map.get(id);
    if (list) list.push(row);
    else map.set(id, [row]);
  };
  for (const part of chunks(ids)) {
    // By id alone, the county checked here: with `county_code = ?` beside `id in (…)` SQLite may
    // choose an index on the county and read every person in it.
    for (const p of await db.selectFrom('people').selectAll().where('id', 'in', part).execute()) {
      if (p.county_code === countyCode) people.set(p.id, p);
    }
    for (const g of await db
      .selectFrom('person_groups')
      .select(['person_id', 'group_code', 'certified_on', 'valid_from', 'valid_to'])
      .where('county_code', '=', countyCode)
      .where('person_id', 'in', part)
      .orderBy('valid_from')
      .orderBy('id')
      .execute()) {
      push(groups, g.person_id, g);
    }
    for (const c of await db
      .selectFrom('external_coverage')
      .select(['person_id', 'kind', 'consecutive_years', 'valid_from', 'stopped_on'])
      .where('county_code', '=', countyCode)
      .where('person_id', 'in', part)
      .orderBy('id')
      .execute()) {
      push(coverage, c.person_id, c);
    }
    for (const h of await db
      .selectFrom('enrollment_history')
      .select((eb) => ['person_id', eb.fn.max('benefit_year').as('year')])
      .where('county_code', '=', countyCode)
      .where('person_id', 'in', part)
      .groupBy('person_id')
      .execute()) {
      if (h.year !== null) lastYear.set(h.person_id, Number(h.year));
    }
  }
  return requests.map(({ personId, asOf }) => {
    const person = people.get(personId);
    if (!person) throw new PersonNotFoundError(`人员 #${personId} 不在县级区划 ${countyCode} 的登记中`);
    return factsOf(
      person,
      groups.get(personId) ?? [],
      coverage.get(personId) ?? [],
      lastYear.get(personId),
      asOf,
    );
  });
}

function factsOf(
  person: Person,
  groupRows: readonly GroupRow[],
  coverage: readonly CoverageRow[],
  lastCoveredYear: number | undefined,
  asOf: string,
): Facts {
  const groups: GroupCode[] = [];
  const groupsSince: Record<string, string> = {};
  for (const g of groupRows) {
    if (g.valid_from > asOf || (g.valid_to !== null && g.valid_to < asOf)) continue;
    if (!isGroupCode(g.group_code)) continue;
    if (!groups.includes(g.group_code)) groups.push(g.group_code);
    // The certification date where the department gave one, else when the list first had them.
    groupsSince[g.group_code] ??= g.certified_on ?? g.valid_from;
  }
  if (person.is_student === 1 && !groups.includes('student')) groups.push('student');

  const current = (c: CoverageRow) =>
    (c.valid_from === null || c.valid_from <= asOf) && (c.stopped_on === null || c.stopped_on > asOf);
  const employee = coverage.find((c) => c.kind === 'employee_insurance');
  const elsewhere = coverage.find((c) => c.kind === 'other_region');

  return {
    ...(person.doc_type === 'passport' || person.doc_type === 'other'
      ? person.birth_date
        ? { birthDate: person.birth_date }
        : {}
      : { idNumber: person.doc_number }),
    groups,
    ...(Object.keys(groupsSince).length > 0 ? { groupsSince } : {}),
    // A person the roster places in a village of this county has local hukou; one known only from
    // a department list is assumed local, as department lists are of local residents.
    hukouLocal: person.hukou_region_code === null || person.hukou_region_code.startsWith(person.county_code),
    inEmployeeInsurance: employee !== undefined && current(employee),
    insuredElsewhere: elsewhere !== undefined && current(elsewhere),
    ...(employee?.stopped_on && employee.stopped_on <= asOf
      ? {
          employeeInsurance: {
            consecutiveYears: employee.consecutive_years ?? 0,
            stoppedOn: employee.stopped_on,
          },
        }
      : {}),
    ...(lastCoveredYear ? { lastCoveredYear } : {}),
  };
}
