/**
 * The registry's answer to "what does the policy engine need to know about this person?": the
 * facts JSON that `assess` takes, built from the person's document, certified groups, external
 * coverage and enrollment history as of a date. This is how the engine refuses duplicate
 * enrollment (employee insurance, insured elsewhere) and finds newly certified groups.
 */
import { type Facts, type GroupCode, isGroupCode } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export class PersonNotFoundError extends Error {
  override name = 'PersonNotFoundError';
}

export async function personFacts(
  db: Kysely<Database>,
  countyCode: string,
  personId: number,
  asOf: string,
): Promise<Facts> {
  const person = await db
    .selectFrom('people')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!person) throw new PersonNotFoundError(`人员 #${personId} 不在县级区划 ${countyCode} 的登记中`);

  const groupRows = await db
    .selectFrom('person_groups')
    .select(['group_code', 'certified_on', 'valid_from'])
    .where('county_code', '=', countyCode)
    .where('person_id', '=', personId)
    .where('valid_from', '<=', asOf)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', asOf)]))
    .orderBy('valid_from')
    .execute();
  const groups: GroupCode[] = [];
  const groupsSince: Record<string, string> = {};
  for (const g of groupRows) {
    if (!isGroupCode(g.group_code)) continue;
    if (!groups.includes(g.group_code)) groups.push(g.group_code);
    // The certification date where the department gave one, else when the list first had them.
    groupsSince[g.group_code] ??= g.certified_on ?? g.valid_from;
  }
  if (person.is_student === 1 && !groups.includes('student')) groups.push('student');

  const coverage = await db
    .selectFrom('external_coverage')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('person_id', '=', personId)
    .execute();
  const current = (c: { valid_from: string | null; stopped_on: string | null }) =>
    (c.valid_from === null || c.valid_from <= asOf) && (c.stopped_on === null || c.stopped_on > asOf);
  const employee = coverage.find((c) => c.kind === 'employee_insurance');
  const elsewhere = coverage.find((c) => c.kind === 'other_region');

  const last = await db
    .selectFrom('enrollment_history')
    .select((eb) => eb.fn.max('benefit_year').as('year'))
    .where('county_code', '=', countyCode)
    .where('person_id', '=', personId)
    .executeTakeFirst();

  const facts: Facts = {
    ...(person.doc_type === 'passport' || person.doc_type === 'other'
      ? person.birth_date
        ? { birthDate: person.birth_date }
        : {}
      : { idNumber: person.doc_number }),
    groups,
    ...(Object.keys(groupsSince).length > 0 ? { groupsSince } : {}),
    // A person the roster places in a village of this county has local hukou; one known only from
    // a department list is assumed local, as department lists are of local residents.
    hukouLocal: person.hukou_region_code === null || person.hukou_region_code.startsWith(countyCode),
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
    ...(last?.year ? { lastCoveredYear: Number(last.year) } : {}),
  };
  return facts;
}
