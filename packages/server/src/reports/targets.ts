/**
 * 任务分解表 (issue 5): the target of each village — eligible people and the amount to collect —
 * as the task table gives it (task_targets, from the policy's `taskTable` at seeding or from the
 * `targets` import), or, for a village the table does not name, derived:
 *
 * - `last_year`: the people enrolled in the previous benefit year and what they paid — from the
 *   previous campaign's enrollments when canbao ran it, else from the imported roster
 *   (enrollment_history, by its insured village);
 * - `population`: the people registered in the village and alive on the date, with no money
 *   target (a money target is only ever the table's or last year's actual amount, never
 *   people × standard).
 *
 * Each target says which basis it has, and the progress report names it in its notes.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { num } from './subsidies.ts';

export type TargetBasis = 'table' | 'last_year' | 'population';

export const BASIS_LABELS: Readonly<Record<TargetBasis, string>> = {
  table: '任务分解表',
  last_year: '上年度参保人数和缴费金额',
  population: '户籍人口（无金额任务）',
};

export interface VillageTarget {
  readonly eligiblePeople: number;
  /** Null when there is no money target (derived from the population). */
  readonly amountFen: number | null;
  readonly basis: TargetBasis;
  /** Where a table target came from (the policy's annex, an import). */
  readonly source: string;
}

/** What targets are derived from: the task table's rows and last year's enrollment per village. */
export interface TargetSources {
  readonly table: ReadonlyMap<string, { eligiblePeople: number; amountFen: number; source: string }>;
  readonly lastYear: ReadonlyMap<string, { people: number; amountFen: number | null; source: string }>;
}

export async function loadTargetSources(
  db: Kysely<Database>,
  countyCode: string,
  benefitYear: number,
  /** The villages targets are wanted for: last year's enrollment is read only if one lacks a row. */
  villages?: readonly string[],
): Promise<TargetSources> {
  const rows = await db
    .selectFrom('task_targets')
    .select(['region_code', 'eligible_people', 'amount_fen', 'source'])
    .where('county_code', '=', countyCode)
    .where('benefit_year', '=', benefitYear)
    .execute();
  const table = new Map(
    rows.map((t) => [
      t.region_code,
      { eligiblePeople: t.eligible_people, amountFen: t.amount_fen, source: t.source },
    ]),
  );
  // Counting last year's enrollments of a large county takes seconds: not when the table covers all.
  const needed = villages === undefined || villages.some((v) => !table.has(v));
  return { table, lastYear: needed ? await lastYearEnrollment(db, countyCode, benefitYear - 1) : new Map() };
}

/**
 * The targets of `villages`: the table's row, else last year's enrollment, else `population`
 * (each village's registered living people on the report date).
 */
export function villageTargets(
  sources: TargetSources,
  villages: readonly string[],
  population: ReadonlyMap<string, number>,
): Map<string, VillageTarget> {
  const result = new Map<string, VillageTarget>();
  for (const v of villages) {
    const row = sources.table.get(v);
    const last = sources.lastYear.get(v);
    if (row) result.set(v, { ...row, basis: 'table' });
    else if (last && last.people > 0) {
      result.set(v, {
        eligiblePeople: last.people,
        amountFen: last.amountFen,
        basis: 'last_year',
        source: last.source,
      });
    } else {
      result.set(v, {
        eligiblePeople: population.get(v) ?? 0,
        amountFen: null,
        basis: 'population',
        source: '',
      });
    }
  }
  return result;
}

/** People enrolled per village in `year` and what they paid: the campaign's, else the roster's. */
async function lastYearEnrollment(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
): Promise<Map<string, { people: number; amountFen: number | null; source: string }>> {
  const campaign = await db
    .selectFrom('enrollments')
    .select([
      'village_code',
      (eb) => eb.fn.countAll<number>().as('people'),
      (eb) => eb.fn.sum<number>('paid_fen').as('fen'),
    ])
    .where('county_code', '=', countyCode)
    .where('benefit_year', '=', year)
    .where('status', 'in', ['paid', 'confirmed'])
    .where('village_code', 'is not', null)
    .groupBy('village_code')
    .execute();
  if (campaign.length > 0) {
    return new Map(
      campaign.map((r) => [
        r.village_code as string,
        { people: num(r.people), amountFen: num(r.fen), source: `${year} 年度征缴` },
      ]),
    );
  }
  const roster = await db
    .selectFrom('enrollment_history')
    .select([
      'insured_region_code',
      (eb) => eb.fn.countAll<number>().as('people'),
      (eb) => eb.fn.sum<number>('amount_fen').as('fen'),
      (eb) => eb.fn.count<number>('amount_fen').as('with_amount'),
    ])
    .where('county_code', '=', countyCode)
    .where('benefit_year', '=', year)
    .where('insured_region_code', 'is not', null)
    .groupBy('insured_region_code')
    .execute();
  return new Map(
    roster.map((r) => [
      r.insured_region_code as string,
      {
        people: num(r.people),
        // A roster without amounts gives no money target rather than a guessed one.
        amountFen: num(r.with_amount) === num(r.people) ? num(r.fen) : null,
        source: `${year} 年度参保名单`,
      },
    ]),
  );
}
