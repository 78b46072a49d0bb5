/**
 * 征缴进度 (issue 5): for a region and every level below it (county → townships → villages; a
 * village → itself), as of a date: people enrolled and people who paid, the personal payments
 * collected, each against the task table (targets.ts), the coverage of the registered population
 * and of each subsidised group, the e-certificate activation rate, and the change since the day
 * before.
 *
 * "As of" a date is reconstructed from dates, not from the current status alone:
 * - an enrollment counts as enrolled from the earlier of its first payment's `paid_on` and the day
 *   (Asia/Shanghai) of its first event into paid or confirmed (a full-subsidy confirmation has no
 *   payment), until the day of its event into refunded (a refund approved ends the enrollment);
 * - paid people are the enrolled with a payment dated on or before the date;
 * - the amount collected is the personal payments dated on or before the date, less the refunds
 *   paid out (`refunds.paid_on`) on or before it;
 * - the population is the people whose household is in the village and who were alive on the date
 *   (`deceased_on` after it or none); group members are those whose group was valid on the date;
 *   e-certificates count when activated on or before the date.
 * So a bank file recorded on the 3rd with payments made on the 1st changes the figures of the 1st.
 *
 * The money target is the task table's amount as given (never people × standard).
 *
 * Speed (docs/BENCHMARKS.md, "Progress"): on SQLite the dated facts are kept between reports and
 * brought up to date from the enrollment events recorded since, and counted as changes per village
 * and day, so a report for a million-person county adds up days rather than enrollments.
 */
import { type Fen, formatYuan, groupLabel, isGroupCode, type Policy } from '@canbao/core';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { findCampaign } from '../collection/campaign.ts';
import type { CollectionContext } from '../collection/context.ts';
import { dialectOf } from '../collection/payment-batch.ts';
import type { Database } from '../db/schema.ts';
import type { CellValue } from '../files/write-xlsx.ts';
import { reportMeta } from './meta.ts';
import type { ReportDefinition, ReportTable } from './report.ts';
import { money, num } from './subsidies.ts';
import {
  BASIS_LABELS,
  loadTargetSources,
  type TargetBasis,
  type TargetSources,
  villageTargets,
} from './targets.ts';

export interface Figures {
  readonly enrolled: number;
  readonly paid: number;
  readonly collectedFen: number;
  readonly population: number;
  readonly ecertActivated: number;
}

export interface GroupCoverage {
  readonly group: string;
  readonly label: string;
  readonly members: number;
  readonly enrolled: number;
  /** Percent, two decimals; null when the group has no members here. */
  readonly percent: number | null;
}

export interface ProgressRow {
  readonly regionCode: string;
  readonly regionName: string;
  readonly level: 'county' | 'township' | 'village';
  readonly targetPeople: number;
  /** Null when no village below has a money target. */
  readonly targetFen: number | null;
  readonly targetBasis: readonly TargetBasis[];
  readonly today: Figures;
  readonly previousDay: Figures;
  readonly change: { readonly enrolled: number; readonly paid: number; readonly collectedFen: number };
  readonly percentOfTargetPeople: number | null;
  readonly percentOfTargetAmount: number | null;
  /** Enrolled / registered living population, percent. */
  readonly coverage: number | null;
  readonly ecertRate: number | null;
  readonly groups: readonly GroupCoverage[];
}

export interface ProgressReport {
  readonly benefitYear: number;
  readonly asOf: string;
  readonly previousDay: string;
  /** The region first, then its townships, then its villages. */
  readonly rows: readonly ProgressRow[];
  readonly ecertTargetPercent: number | null;
  readonly coverageTargetPercent: number | null;
  readonly groupTargetPercent: number;
}

const percent = (part: number, whole: number | null): number | null =>
  whole === null || whole === 0 ? null : Math.round((part * 10000) / whole) / 100;

/** The Asia/Shanghai day of an instant (no daylight saving: a fixed +08:00). */
const shanghaiDay = (at: string): string =>
  new Date(Date.parse(at) + 8 * 3600_000).toISOString().slice(0, 10);

const maxDate = (a: string, b: string) => (b > a ? b : a);

const minDate = (a: string | null, b: string | null) => (a === null ? b : b === null || a < b ? a : b);

function previousDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** One enrollment's dated facts: when it entered and left the enrolled, and its payments. */
interface Entry {
  /** The village, as an index into Facts.villages (counted in arrays, not maps). */
  readonly vi: number;
  readonly personId: number;
  readonly enteredOn: string | null;
  readonly leftOn: string | null;
  readonly firstPaidOn: string | null;
  readonly payments: readonly { readonly paidOn: string; readonly fen: number }[];
}

const enrolledOn = (e: Entry | undefined, day: string): boolean =>
  e !== undefined && e.enteredOn !== null && e.enteredOn <= day && (e.leftOn === null || e.leftOn > day);

/** The registry side (population, e-certificates, group members, regions, targets), all dates kept. */
interface RegistryFacts {
  readonly stamp: string;
  readonly regions: readonly { code: string; name: string; level: string; valid_to: string | null }[];
  readonly targets: TargetSources;
  readonly population: readonly { village: string; deceasedOn: string | null; n: number }[];
  readonly activatedOn: ReadonlyMap<number, string>;
  readonly members: readonly {
    personId: number;
    group: string;
    validFrom: string;
    validTo: string | null;
    deceasedOn: string | null;
    village: string;
  }[];
}

/** Everything the report counts, for one county and year, with every date kept. */
interface Facts {
  /** Enrollments that were ever enrolled (paid or confirmed), by id. */
  readonly entries: Map<number, Entry>;
  /** The same, by person (a person has one enrollment a year). */
  readonly byPerson: Map<number, Entry>;
  readonly villages: string[];
  readonly villageIndex: Map<string, number>;
  /** The last enrollment event the entries reflect. */
  lastEventId: number;
  registry: RegistryFacts | null;
  /**
   * Per measure and village (index): the change on each day — a count as of a date is the sum
   * of its changes up to that day. Kept up to date as entries change, so a report adds up a few
   * hundred days per village instead of going through every enrollment.
   */
  readonly changes: Record<Measure, Map<string, number>[]>;
}

const MEASURES = ['enrolled', 'paid', 'collected', 'ecert'] as const;
type Measure = (typeof MEASURES)[number];

function change(facts: Facts, measure: Measure, vi: number, day: string, n: number): void {
  const perVillage = facts.changes[measure];
  while (perVillage.length <= vi) perVillage.push(new Map());
  const m = perVillage[vi] as Map<string, number>;
  const v = (m.get(day) ?? 0) + n;
  if (v === 0) m.delete(day);
  else m.set(day, v);
}

/** Counts an interval [from, to) of days (to null: open) as +n on `from` and −n on `to`. */
function interval(facts: Facts, measure: Measure, vi: number, from: string, to: string | null, n: number) {
  if (to !== null && to <= from) return;
  change(facts, measure, vi, from, n);
  if (to !== null) change(facts, measure, vi, to, -n);
}

/** Adds (sign 1) or takes away (sign −1) what an entry counts; e-certificates only with `ecert`. */
function apply(facts: Facts, e: Entry, sign: 1 | -1, measures: 'all' | 'ecert' = 'all'): void {
  const activated = facts.registry?.activatedOn.get(e.personId);
  if (activated !== undefined && e.enteredOn !== null) {
    interval(facts, 'ecert', e.vi, maxDate(activated, e.enteredOn), e.leftOn, sign);
  }
  if (measures === 'ecert') return;
  if (e.enteredOn !== null) interval(facts, 'enrolled', e.vi, e.enteredOn, e.leftOn, sign);
  if (e.firstPaidOn !== null) interval(facts, 'paid', e.vi, e.firstPaidOn, e.leftOn, sign);
  for (const p of e.payments) change(facts, 'collected', e.vi, p.paidOn, sign * p.fen);
}

/** A measure of village `vi` as of each of `days`. */
function countsAsOf(facts: Facts, measure: Measure, vi: number, days: readonly string[]): number[] {
  const out = days.map(() => 0);
  const m = facts.changes[measure][vi];
  if (!m) return out;
  for (const [day, n] of m) {
    days.forEach((d, i) => {
      if (day <= d) out[i] = (out[i] as number) + n;
    });
  }
  return out;
}

function villageIndexOf(facts: Facts, village: string): number {
  let vi = facts.villageIndex.get(village);
  if (vi === undefined) {
    vi = facts.villages.length;
    facts.villages.push(village);
    facts.villageIndex.set(village, vi);
  }
  return vi;
}

const ENROLLED = ['paid', 'confirmed'] as const;
const isEnrolled = (status: string | null) => status === 'paid' || status === 'confirmed';
const CHUNK = 2000;

/**
 * Builds the entries of the given enrollments (all of the county's year when `ids` is null):
 * entered on the earlier of the first payment's date and the day of the first event into paid or
 * confirmed; left on the day of the first event out of them.
 */
async function loadEntries(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  ids: readonly number[] | null,
  facts: Facts,
): Promise<void> {
  const into = facts.entries;
  const parts = ids === null ? [null] : chunk(ids, CHUNK);
  const leaving = (eb: ExpressionBuilder<Database, 'enrollment_events'>) =>
    eb.or([
      eb('enrollment_events.to_status', 'in', ENROLLED),
      eb('enrollment_events.from_status', 'in', ENROLLED),
    ]);
  for (const part of parts) {
    // A few ids are read by id alone, the county and year checked here: with them in the query
    // SQLite may read the whole county through the status index instead (docs/BENCHMARKS.md).
    const rows = await db
      .selectFrom('enrollment_events')
      .innerJoin('enrollments as e', 'e.id', 'enrollment_events.enrollment_id')
      .select([
        'enrollment_events.enrollment_id',
        'enrollment_events.from_status',
        'enrollment_events.to_status',
        'enrollment_events.at',
        'e.village_code',
        'e.person_id',
        'e.county_code',
        'e.benefit_year',
      ])
      .$if(part === null, (q) => q.where('e.county_code', '=', countyCode).where('e.benefit_year', '=', year))
      .$if(part !== null, (q) => q.where('enrollment_events.enrollment_id', 'in', part as number[]))
      .where(leaving)
      .execute();
    const events = rows.filter((r) => r.county_code === countyCode && r.benefit_year === year);
    const mine = part === null ? null : [...new Set(events.map((r) => r.enrollment_id))];
    const payments =
      mine?.length === 0
        ? []
        : await db
            .selectFrom('payments as p')
            .select(['p.enrollment_id', 'p.paid_on', 'p.amount_fen'])
            .$if(mine === null, (q) =>
              q
                .innerJoin('enrollments as e', 'e.id', 'p.enrollment_id')
                .where('e.county_code', '=', countyCode)
                .where('e.benefit_year', '=', year),
            )
            .$if(mine !== null, (q) => q.where('p.enrollment_id', 'in', mine as number[]))
            .execute();
    const built = new Map<
      number,
      { village: string | null; personId: number; entered: string | null; left: string | null }
    >();
    for (const ev of events) {
      const b = built.get(ev.enrollment_id) ?? {
        village: ev.village_code,
        personId: ev.person_id,
        entered: null,
        left: null,
      };
      const day = shanghaiDay(ev.at);
      if (isEnrolled(ev.to_status)) b.entered = minDate(b.entered, day);
      else if (isEnrolled(ev.from_status)) b.left = minDate(b.left, day);
      built.set(ev.enrollment_id, b);
    }
    const paid = new Map<number, { paidOn: string; fen: number }[]>();
    for (const p of payments) {
      const list = paid.get(p.enrollment_id) ?? [];
      list.push({ paidOn: p.paid_on, fen: p.amount_fen });
      paid.set(p.enrollment_id, list);
    }
    for (const id of part ?? []) {
      const gone = into.get(id);
      if (!gone) continue;
      apply(facts, gone, -1);
      if (facts.byPerson.get(gone.personId) === gone) facts.byPerson.delete(gone.personId);
      into.delete(id);
    }
    for (const [id, b] of built) {
      if (b.village === null || b.entered === null) continue;
      const list = paid.get(id) ?? [];
      const firstPaidOn = list.reduce<string | null>((m, x) => minDate(m, x.paidOn), null);
      const entry: Entry = {
        vi: villageIndexOf(facts, b.village),
        personId: b.personId,
        enteredOn: minDate(b.entered, firstPaidOn),
        leftOn: b.left,
        firstPaidOn,
        payments: list,
      };
      into.set(id, entry);
      facts.byPerson.set(b.personId, entry);
      apply(facts, entry, 1);
    }
  }
}

function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

async function loadRegistry(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  groupCodes: readonly string[],
  stamp: string,
): Promise<RegistryFacts> {
  const regions = await db
    .selectFrom('regions')
    .select(['code', 'name', 'level', 'valid_to'])
    .where('county_code', '=', countyCode)
    .where('level', 'in', ['county', 'township', 'village'])
    .orderBy('code')
    .execute();
  const population = await db
    .selectFrom('people as p')
    .innerJoin('households as h', 'h.id', 'p.household_id')
    .select(['h.village_code', 'p.deceased_on', (eb) => eb.fn.countAll<number>().as('n')])
    .where('p.county_code', '=', countyCode)
    .where('h.village_code', 'is not', null)
    .groupBy(['h.village_code', 'p.deceased_on'])
    .execute();
  const ecert = await db
    .selectFrom('ecert_activations')
    .select(['person_id', 'activated_on'])
    .where('county_code', '=', countyCode)
    .execute();
  const members =
    groupCodes.length === 0
      ? []
      : await db
          .selectFrom('person_groups as g')
          .innerJoin('people as p', 'p.id', 'g.person_id')
          .innerJoin('households as h', 'h.id', 'p.household_id')
          .select([
            'g.person_id',
            'g.group_code',
            'g.valid_from',
            'g.valid_to',
            'p.deceased_on',
            'h.village_code',
          ])
          .where('g.county_code', '=', countyCode)
          .where('g.group_code', 'in', groupCodes)
          .where('h.village_code', 'is not', null)
          .execute();
  return {
    stamp,
    regions,
    targets: await loadTargetSources(db, countyCode, year),
    population: population.map((p) => ({
      village: p.village_code as string,
      deceasedOn: p.deceased_on,
      n: num(p.n),
    })),
    activatedOn: new Map(ecert.map((a) => [a.person_id, a.activated_on])),
    members: members.map((g) => ({
      personId: g.person_id,
      group: g.group_code,
      validFrom: g.valid_from,
      validTo: g.valid_to,
      deceasedOn: g.deceased_on,
      village: g.village_code as string,
    })),
  };
}

/**
 * The facts are kept between reports on SQLite and brought up to date from the enrollment events
 * recorded since (every change of an enrollment's status writes one, in the transaction that
 * makes it, and SQLite commits events in id order): the progress of a 1,000,000-person county is
 * then counted in memory while payments are being recorded. The registry side is reloaded when
 * an import or a new person has been recorded since. On PostgreSQL, where transactions commit out
 * of id order, the facts are read afresh for each report.
 */
const cache = new WeakMap<Kysely<Database>, Map<string, Facts>>();

async function currentFacts(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  groupCodes: readonly string[],
): Promise<Facts> {
  const cacheable = dialectOf(db) === 'sqlite';
  const key = `${countyCode}:${year}`;
  let perDb = cache.get(db);
  if (!perDb) {
    perDb = new Map();
    if (cacheable) cache.set(db, perDb);
  }
  let facts = cacheable ? perDb.get(key) : undefined;
  const cold = !facts;
  if (!facts) {
    const lastEvent = await db
      .selectFrom('enrollment_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    facts = {
      entries: new Map(),
      byPerson: new Map(),
      villages: [],
      villageIndex: new Map(),
      lastEventId: num(lastEvent?.id),
      registry: null,
      changes: { enrolled: [], paid: [], collected: [], ecert: [] },
    };
    perDb.set(key, facts);
  }
  // Imports (regions, registers, groups, e-certificates, task tables) and new people change the
  // registry side; the count of task targets catches the policy's table seeded at start. It is
  // read before the entries, whose e-certificate counts depend on it.
  const stampRow = await db
    .selectFrom('imports')
    .select((eb) => [
      eb.fn.max('imports.id').as('imports'),
      eb
        .selectFrom('people')
        .select((x) => x.fn.max('people.id').as('m'))
        .as('people'),
      eb
        .selectFrom('task_targets')
        .select((x) => x.fn.countAll().as('n'))
        .as('targets'),
    ])
    .executeTakeFirst();
  const stamp = [stampRow?.imports, stampRow?.people, stampRow?.targets, ...groupCodes].map(String).join(':');
  if (facts.registry?.stamp !== stamp) {
    const stale = facts.registry;
    for (const e of stale ? facts.entries.values() : []) apply(facts, e, -1, 'ecert');
    facts.registry = await loadRegistry(db, countyCode, year, groupCodes, stamp);
    for (const e of stale ? facts.entries.values() : []) apply(facts, e, 1, 'ecert');
  }
  if (cold) {
    await loadEntries(db, countyCode, year, null, facts);
  } else {
    // Events since: their enrollments are read again (an event read twice is harmless).
    const changed = await db
      .selectFrom('enrollment_events')
      .select(['id', 'enrollment_id'])
      .where('id', '>', facts.lastEventId)
      .where('county_code', '=', countyCode)
      .execute();
    if (changed.length > 0) {
      const ids = [...new Set(changed.map((c) => c.enrollment_id))];
      await loadEntries(db, countyCode, year, ids, facts);
      facts.lastEventId = changed.reduce((m, c) => Math.max(m, c.id), facts.lastEventId);
    }
  }
  return facts;
}

interface Counter {
  enrolled: number;
  paid: number;
  collectedFen: number;
  population: number;
  ecertActivated: number;
  groups: Map<string, { members: number; enrolled: number }>;
}

const counter = (): Counter => ({
  enrolled: 0,
  paid: 0,
  collectedFen: 0,
  population: 0,
  ecertActivated: 0,
  groups: new Map(),
});

/** The groups some subsidy rule of the policy covers: their coverage target is 100%. */
function subsidisedGroups(policy: Policy): string[] {
  return [...new Set(policy.subsidies.rules.flatMap((r) => r.groups as readonly string[]))].sort();
}

export async function progressReport(
  ctx: CollectionContext,
  regionCode: string,
  asOf: string,
  benefitYear?: number,
): Promise<ProgressReport> {
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const db = ctx.db;
  const year = campaign.benefit_year;
  const before = previousDate(asOf);
  const days = [asOf, before] as const;
  const inRegion = (village: string) => village.startsWith(regionCode);

  const groupCodes = subsidisedGroups(policy);
  const facts = await currentFacts(db, ctx.countyCode, year, groupCodes);
  const registry = facts.registry as RegistryFacts;
  const regions = registry.regions.filter((r) => inRegion(r.code));
  const villages = regions
    .filter((r) => r.level === 'village' && (r.valid_to === null || r.valid_to > asOf))
    .map((r) => r.code);
  // Refunds paid out lower the amount collected on their payout date (few rows: read each time);
  // the refunded enrollment is among the entries (it was enrolled), which gives its village.
  const refundsPaid = await db
    .selectFrom('refunds')
    .select(['enrollment_id', 'paid_on', 'amount_fen'])
    .where('county_code', '=', ctx.countyCode)
    .where('status', '=', 'paid')
    .where('paid_on', '<=', asOf)
    .execute();

  const counts = days.map(() => new Map<string, Counter>());
  const at = (d: number, village: string): Counter => {
    const m = counts[d] as Map<string, Counter>;
    let c = m.get(village);
    if (!c) {
      c = counter();
      m.set(village, c);
    }
    return c;
  };
  // Count per village, for the date and the day before, from the changes per day.
  villages.forEach((village) => {
    const vi = facts.villageIndex.get(village);
    if (vi === undefined) return;
    const [enrolled, paid, collected, ecert] = MEASURES.map((m) => countsAsOf(facts, m, vi, days));
    days.forEach((_, d) => {
      const c = at(d, village);
      c.enrolled = enrolled?.[d] ?? 0;
      c.paid = paid?.[d] ?? 0;
      c.collectedFen = collected?.[d] ?? 0;
      c.ecertActivated = ecert?.[d] ?? 0;
    });
  });
  for (const r of refundsPaid) {
    const entry = facts.entries.get(r.enrollment_id);
    if (!entry) continue;
    const village = facts.villages[entry.vi] as string;
    if (!inRegion(village)) continue;
    days.forEach((day, d) => {
      if ((r.paid_on as string) <= day) at(d, village).collectedFen -= r.amount_fen;
    });
  }
  const populationOf = days.map(() => new Map<string, number>());
  for (const p of registry.population) {
    if (!inRegion(p.village)) continue;
    days.forEach((day, d) => {
      if (p.deceasedOn !== null && p.deceasedOn <= day) return;
      at(d, p.village).population += p.n;
      const m = populationOf[d] as Map<string, number>;
      m.set(p.village, (m.get(p.village) ?? 0) + p.n);
    });
  }
  for (const g of registry.members) {
    if (!inRegion(g.village)) continue;
    days.forEach((day, d) => {
      if (g.validFrom > day || (g.validTo !== null && g.validTo <= day)) return;
      if (g.deceasedOn !== null && g.deceasedOn <= day) return;
      const c = at(d, g.village);
      const x = c.groups.get(g.group) ?? { members: 0, enrolled: 0 };
      x.members++;
      if (enrolledOn(facts.byPerson.get(g.personId), day)) x.enrolled++;
      c.groups.set(g.group, x);
    });
  }

  const targets = villageTargets(registry.targets, villages, populationOf[0] as Map<string, number>);
  // The region itself, then (for a county) its townships, then its villages.
  const units = regions.filter(
    (r) =>
      r.code === regionCode ||
      villages.includes(r.code) ||
      (r.level === 'township' && villages.some((v) => v.startsWith(r.code))),
  );
  const rows: ProgressRow[] = [];
  for (const unit of units) {
    const under = villages.filter((v) => v.startsWith(unit.code));
    const sum = (d: number): Counter => {
      const total = counter();
      for (const v of under) {
        const c = (counts[d] as Map<string, Counter>).get(v);
        if (!c) continue;
        total.enrolled += c.enrolled;
        total.paid += c.paid;
        total.collectedFen += c.collectedFen;
        total.population += c.population;
        total.ecertActivated += c.ecertActivated;
        for (const [g, x] of c.groups) {
          const t = total.groups.get(g) ?? { members: 0, enrolled: 0 };
          t.members += x.members;
          t.enrolled += x.enrolled;
          total.groups.set(g, t);
        }
      }
      return total;
    };
    const now = sum(0);
    const prev = sum(1);
    const unitTargets = under.map((v) => targets.get(v)).filter((t) => t !== undefined);
    const targetPeople = unitTargets.reduce((n, t) => n + t.eligiblePeople, 0);
    const withMoney = unitTargets.filter((t) => t.amountFen !== null);
    const targetFen =
      withMoney.length === 0 ? null : withMoney.reduce((n, t) => n + (t.amountFen as number), 0);
    const figures = (c: Counter): Figures => ({
      enrolled: c.enrolled,
      paid: c.paid,
      collectedFen: c.collectedFen,
      population: c.population,
      ecertActivated: c.ecertActivated,
    });
    rows.push({
      regionCode: unit.code,
      regionName: unit.name,
      level: unit.level as ProgressRow['level'],
      targetPeople,
      targetFen,
      targetBasis: [...new Set(unitTargets.map((t) => t.basis))].sort(),
      today: figures(now),
      previousDay: figures(prev),
      change: {
        enrolled: now.enrolled - prev.enrolled,
        paid: now.paid - prev.paid,
        collectedFen: now.collectedFen - prev.collectedFen,
      },
      percentOfTargetPeople: percent(now.enrolled, targetPeople),
      percentOfTargetAmount: percent(now.collectedFen, targetFen),
      coverage: percent(now.enrolled, now.population),
      ecertRate: percent(now.ecertActivated, now.enrolled),
      groups: groupCodes.map((g) => {
        const x = now.groups.get(g) ?? { members: 0, enrolled: 0 };
        return {
          group: g,
          label: isGroupCode(g) ? groupLabel(g) : g,
          members: x.members,
          enrolled: x.enrolled,
          percent: percent(x.enrolled, x.members),
        };
      }),
    });
  }
  const order = { county: 0, township: 1, village: 2 } as const;
  rows.sort((a, b) =>
    a.regionCode === regionCode
      ? -1
      : b.regionCode === regionCode
        ? 1
        : order[a.level] - order[b.level] || a.regionCode.localeCompare(b.regionCode),
  );
  /** A target of the policy, in percent (the policy keeps hundredths of a percent). */
  const targetOf = (metric: Policy['targets'][number]['metric']) => {
    const t = policy.targets.find((x) => x.metric === metric);
    return t ? t.atLeastPercent / 100 : null;
  };
  return {
    benefitYear: year,
    asOf,
    previousDay: before,
    rows,
    ecertTargetPercent: targetOf('ecert_activation'),
    coverageTargetPercent: targetOf('coverage_rate') ?? targetOf('enrollment_rate'),
    groupTargetPercent: targetOf('subsidised_group_coverage') ?? 100,
  };
}

const LEVEL_LABELS = { county: '县（区）', township: '乡镇（街道）', village: '村（社区）' } as const;
const pct = (p: number | null): CellValue => p;
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function progressTables(report: ProgressReport): ReportTable[] {
  const main: ReportTable = {
    name: '征缴进度',
    title: `征缴进度（截至 ${report.asOf}）`,
    columns: [
      { header: '区划代码', width: 14 },
      { header: '名称', width: 12 },
      { header: '层级', width: 10 },
      { header: '任务人数', width: 10, text: false },
      { header: '已参保人数', width: 10, text: false },
      { header: '较前日', width: 8, text: false },
      { header: '人数完成率%', width: 10, text: false },
      { header: '已缴费人数', width: 10, text: false },
      { header: '任务金额（元）', width: 14, text: false },
      { header: '已收个人缴费（元）', width: 16, text: false },
      { header: '较前日（元）', width: 12, text: false },
      { header: '金额完成率%', width: 10, text: false },
      { header: '户籍人口', width: 10, text: false },
      { header: '参保率%', width: 8, text: false },
      { header: '电子凭证激活', width: 10, text: false },
      { header: '激活率%', width: 8, text: false },
    ],
    rows: report.rows.map((r) => [
      r.regionCode,
      r.regionName,
      LEVEL_LABELS[r.level],
      r.targetPeople,
      r.today.enrolled,
      r.change.enrolled,
      pct(r.percentOfTargetPeople),
      r.today.paid,
      r.targetFen === null ? null : money(r.targetFen),
      money(r.today.collectedFen),
      money(r.change.collectedFen),
      pct(r.percentOfTargetAmount),
      r.today.population,
      pct(r.coverage),
      r.today.ecertActivated,
      pct(r.ecertRate),
    ]),
    notes: progressNotes(report),
  };
  const groups: ReportTable = {
    name: '资助人群参保',
    title: `资助人群参保情况（目标 ${report.groupTargetPercent}%）`,
    columns: [
      { header: '区划代码', width: 14 },
      { header: '名称', width: 12 },
      { header: '人群', width: 24 },
      { header: '人数', width: 8, text: false },
      { header: '已参保', width: 8, text: false },
      { header: '参保率%', width: 8, text: false },
      { header: '未参保', width: 8, text: false },
    ],
    rows: report.rows.flatMap((r) =>
      r.groups
        .filter((g) => g.members > 0)
        .map((g) => [
          r.regionCode,
          r.regionName,
          g.label,
          g.members,
          g.enrolled,
          pct(g.percent),
          g.members - g.enrolled,
        ]),
    ),
    notes: ['人群按截至该日有效的认定名单计；参保指已缴费或已确认（含全额资助）。'],
  };
  return [main, groups];
}

function progressNotes(report: ProgressReport): string[] {
  const top = report.rows[0];
  const notes: string[] = [];
  if (top) {
    notes.push(
      `合计：已参保 ${top.today.enrolled} 人（较 ${report.previousDay} ${signed(top.change.enrolled)} 人），` +
        `已缴费 ${top.today.paid} 人，已收个人缴费 ${formatYuan(top.today.collectedFen as Fen)} 元` +
        `（较前日 ${formatYuan(top.change.collectedFen as Fen)} 元）。`,
    );
    notes.push(`任务来源：${top.targetBasis.map((b) => BASIS_LABELS[b]).join('、') || '无'}。`);
  }
  if (report.ecertTargetPercent !== null) {
    notes.push(`电子凭证激活率目标 ${report.ecertTargetPercent}%（激活人数 / 已参保人数）。`);
  }
  notes.push(
    '截至该日的数据按日期重建：缴费按缴费日期，全额资助按确认日，退费按批准日退出参保、按支付日冲减已收金额；' +
      '任务金额按任务分解表所列，不按人数 × 标准推算。',
  );
  return notes;
}

export const progressDefinition: ReportDefinition<ProgressReport> = {
  name: 'progress',
  label: '征缴进度',
  description:
    '各级区划截至某日的参保人数、缴费金额、任务完成率、参保率、资助人群参保率、电子凭证激活率及较前日变化',
  async run(ctx, scope) {
    const meta = await reportMeta(ctx, scope);
    const data = await progressReport(ctx, scope.regionCode, scope.asOf, meta.campaign.benefit_year);
    return { meta, data, tables: progressTables(data) };
  },
};
