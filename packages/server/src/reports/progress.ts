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
 * Speed (docs/BENCHMARKS.md, "Progress"): everything is counted as changes per village and day,
 * so a report for a million-person county adds up days rather than enrollments. On SQLite the
 * changes are kept between reports, stored in the database (0005-report-summaries) and brought up
 * to date from the events, payments and activations recorded since: the first report of a fresh
 * process reads the stored summary and the few enrollments changed since, not the county.
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

/**
 * part / whole as a percent with two decimals, rounded down (so 99.996% never shows as 100.00%,
 * and the progress table and the ranking bulletin show the same figure for the same day); null
 * without a whole.
 */
export function ratePercent(part: number, whole: number | null): number | null {
  if (whole === null || whole <= 0) return null;
  return Math.floor((part * 10000) / whole) / 100;
}

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

/** One enrollment's dated facts: when it entered and left the enrolled, its payments, its e-certificate. */
interface Entry {
  readonly id: number;
  /** The village, as an index into Facts.villages (counted in arrays, not maps). */
  readonly vi: number;
  readonly personId: number;
  readonly enteredOn: string | null;
  readonly leftOn: string | null;
  readonly firstPaidOn: string | null;
  readonly payments: readonly { readonly paidOn: string; readonly fen: number }[];
  /** The day the person's e-certificate was activated, if it had been. */
  readonly activatedOn: string | null;
}

/**
 * A point in the recorded history: the largest enrollment event, payment and e-certificate
 * activation id. Read in one statement; on SQLite (one writer at a time, ids given in commit
 * order) everything up to it is committed and nothing after it is, so facts read up to it are
 * exactly the facts of that moment.
 */
interface Snapshot {
  readonly event: number;
  readonly payment: number;
  readonly ecert: number;
}

const sameSnapshot = (a: Snapshot | null, b: Snapshot | null) =>
  a === b ||
  (a !== null && b !== null && a.event === b.event && a.payment === b.payment && a.ecert === b.ecert);

/** The regions and targets, read when the registry has changed (and once per process). */
interface RegistryFacts {
  readonly stamp: string;
  readonly regions: readonly { code: string; name: string; level: string; valid_to: string | null }[];
  readonly targets: TargetSources;
}

/** A person's membership of a subsidised group, counted in their household's village. */
interface Membership {
  readonly group: string;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly deceasedOn: string | null;
  readonly village: string;
}

/** Everything the report counts, for one county and year, with every date kept, as of `at`. */
interface Facts {
  at: Snapshot;
  /** The groups whose coverage is counted (the policy's subsidised groups). */
  readonly groupCodes: readonly string[];
  /**
   * Enrollments read (as of `at`) and counted, by id: after a full read every enrollment ever
   * enrolled (`complete`); after the stored summary was loaded, the ones read since (changed,
   * group members, refunded) — the others are in the changes only.
   */
  readonly entries: Map<number, Entry>;
  complete: boolean;
  /** The same, by person (a person has one enrollment a year). */
  readonly byPerson: Map<number, Entry>;
  readonly villages: string[];
  readonly villageIndex: Map<string, number>;
  registry: RegistryFacts | null;
  /**
   * The registry stamp the population and group measures reflect (null: not counted yet). They
   * change only with an import or a new person, so they are stored with the rest.
   */
  counted: string | null;
  /** Group memberships by person: all of them once counted in this process, else those looked up. */
  readonly memberships: Map<number, readonly Membership[]>;
  allMemberships: boolean;
  /**
   * Per measure and village (index): the change on each day — a count as of a date is the sum
   * of its changes up to that day. Kept up to date as entries change, so a report adds up a few
   * hundred days per village instead of going through every enrollment.
   */
  readonly changes: Map<Measure, Map<string, number>[]>;
  /** The stored summary's snapshot and registry stamp (null: none stored); `unsaved` holds the changes since. */
  stored: { readonly at: Snapshot; readonly counted: string | null } | null;
  /** Changes not yet written to the stored summary, by `vi \t measure \t day`. */
  readonly unsaved: Map<string, number>;
  /** Enrollments read again since the summary was stored. */
  reread: number;
}

/**
 * What is counted per village and day: enrolled, paid, collected (fen) and e-certificates from the
 * enrollments; the living population, and each group's valid living members and those of them
 * enrolled (`members:<group>`, `covered:<group>`), from the registry and the enrollments.
 */
type Measure = string;
const ENROLLMENT_MEASURES = ['enrolled', 'paid', 'collected', 'ecert'] as const;
const isRegistryMeasure = (m: Measure) =>
  m === 'population' || m.startsWith('members:') || m.startsWith('covered:');
/** The first day of every count: the population is counted from it until death. */
const ALWAYS = '0001-01-01';

function change(facts: Facts, measure: Measure, vi: number, day: string, n: number): void {
  let perVillage = facts.changes.get(measure);
  if (!perVillage) {
    perVillage = [];
    facts.changes.set(measure, perVillage);
  }
  while (perVillage.length <= vi) perVillage.push(new Map());
  const m = perVillage[vi] as Map<string, number>;
  const v = (m.get(day) ?? 0) + n;
  if (v === 0) m.delete(day);
  else m.set(day, v);
  const key = `${vi}\t${measure}\t${day}`;
  facts.unsaved.set(key, (facts.unsaved.get(key) ?? 0) + n);
}

/** Counts an interval [from, to) of days (to null: open) as +n on `from` and −n on `to`. */
function interval(facts: Facts, measure: Measure, vi: number, from: string, to: string | null, n: number) {
  if (to !== null && to <= from) return;
  change(facts, measure, vi, from, n);
  if (to !== null) change(facts, measure, vi, to, -n);
}

/**
 * Adds (sign 1) or takes away (sign −1) what an entry counts, its person's group memberships
 * included (each counts while the membership is valid, the person alive and enrolled).
 */
function apply(facts: Facts, e: Entry, sign: 1 | -1): void {
  if (e.enteredOn === null) return;
  if (e.activatedOn !== null)
    interval(facts, 'ecert', e.vi, maxDate(e.activatedOn, e.enteredOn), e.leftOn, sign);
  interval(facts, 'enrolled', e.vi, e.enteredOn, e.leftOn, sign);
  if (e.firstPaidOn !== null) interval(facts, 'paid', e.vi, e.firstPaidOn, e.leftOn, sign);
  for (const p of e.payments) change(facts, 'collected', e.vi, p.paidOn, sign * p.fen);
  for (const m of facts.memberships.get(e.personId) ?? []) {
    const until = minDate(minDate(m.validTo, m.deceasedOn), e.leftOn);
    interval(
      facts,
      `covered:${m.group}`,
      villageIndexOf(facts, m.village),
      maxDate(m.validFrom, e.enteredOn),
      until,
      sign,
    );
  }
}

/** A measure of village `vi` as of each of `days`. */
function countsAsOf(facts: Facts, measure: Measure, vi: number, days: readonly string[]): number[] {
  const out = days.map(() => 0);
  const m = facts.changes.get(measure)?.[vi];
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
 * Reads the entries of the given enrollments (all of the county's year when `ids` is null) as they
 * stood at `at`: entered on the earlier of the first payment's date and the day of the first event
 * into paid or confirmed; left on the day of the first event out of them. Enrollments never
 * enrolled by then have none.
 */
async function readEntries(
  db: Kysely<Database>,
  facts: Facts,
  countyCode: string,
  year: number,
  ids: readonly number[] | null,
  at: Snapshot,
): Promise<Map<number, Entry>> {
  const out = new Map<number, Entry>();
  const parts = ids === null ? [null] : chunk(ids, CHUNK);
  const leaving = (eb: ExpressionBuilder<Database, 'enrollment_events'>) =>
    eb.or([
      eb('enrollment_events.to_status', 'in', ENROLLED),
      eb('enrollment_events.from_status', 'in', ENROLLED),
    ]);
  for (const part of parts) {
    if (part?.length === 0) continue;
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
      .where('enrollment_events.id', '<=', at.event)
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
            .where('p.id', '<=', at.payment)
            .execute();
    const persons = mine === null ? null : [...new Set(events.map((r) => r.person_id))];
    const activations =
      persons?.length === 0
        ? []
        : await db
            .selectFrom('ecert_activations')
            .select(['person_id', 'activated_on'])
            .where('county_code', '=', countyCode)
            .where('id', '<=', at.ecert)
            .$if(persons !== null, (q) => q.where('person_id', 'in', persons as number[]))
            .execute();
    const activatedOn = new Map(activations.map((a) => [a.person_id, a.activated_on]));
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
    for (const [id, b] of built) {
      if (b.village === null || b.entered === null) continue;
      const list = paid.get(id) ?? [];
      const firstPaidOn = list.reduce<string | null>((m, x) => minDate(m, x.paidOn), null);
      out.set(id, {
        id,
        vi: villageIndexOf(facts, b.village),
        personId: b.personId,
        enteredOn: minDate(b.entered, firstPaidOn),
        leftOn: b.left,
        firstPaidOn,
        payments: list,
        activatedOn: activatedOn.get(b.personId) ?? null,
      });
    }
  }
  return out;
}

function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function remember(facts: Facts, e: Entry): void {
  facts.entries.set(e.id, e);
  facts.byPerson.set(e.personId, e);
}

function forget(facts: Facts, e: Entry): void {
  facts.entries.delete(e.id);
  if (facts.byPerson.get(e.personId)?.id === e.id) facts.byPerson.delete(e.personId);
}

/** Keeps the entries of these enrollments at hand (read as of the facts' snapshot; counts unchanged). */
async function keepEntries(
  db: Kysely<Database>,
  facts: Facts,
  countyCode: string,
  year: number,
  ids: readonly number[],
): Promise<void> {
  if (facts.complete) return;
  const missing = [...new Set(ids)].filter((id) => !facts.entries.has(id));
  for (const e of (await readEntries(db, facts, countyCode, year, missing, facts.at)).values())
    remember(facts, e);
}

/**
 * Brings the counts of these enrollments from the facts' snapshot to `to`: what each counted then
 * (its kept entry, or read as of the snapshot) is taken away, what it counts now added.
 */
async function reread(
  db: Kysely<Database>,
  facts: Facts,
  countyCode: string,
  year: number,
  ids: readonly number[],
  to: Snapshot,
): Promise<void> {
  for (const part of chunk(ids, CHUNK)) {
    const unread = facts.complete ? [] : part.filter((id) => !facts.entries.has(id));
    const before = await readEntries(db, facts, countyCode, year, unread, facts.at);
    const after = await readEntries(db, facts, countyCode, year, part, to);
    const persons = [...before.values(), ...after.values()].map((e) => e.personId);
    await lookUpMemberships(db, facts, countyCode, [
      ...persons,
      ...part.flatMap((id) => facts.entries.get(id)?.personId ?? []),
    ]);
    for (const id of part) {
      const old = facts.entries.get(id) ?? before.get(id);
      if (old) {
        apply(facts, old, -1);
        forget(facts, old);
      }
      const now = after.get(id);
      if (now) {
        apply(facts, now, 1);
        remember(facts, now);
      }
    }
    facts.reread += part.length;
  }
  facts.at = to;
}

/** The enrollments whose facts changed between two snapshots (events, payments, e-certificates). */
async function changedBetween(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  from: Snapshot,
  to: Snapshot,
): Promise<number[]> {
  const recorded = (table: 'enrollment_events' | 'payments', after: number, upTo: number) =>
    db
      .selectFrom(table)
      .select('enrollment_id')
      .where('id', '>', after)
      .where('id', '<=', upTo)
      .where('county_code', '=', countyCode)
      .execute();
  const events = await recorded('enrollment_events', from.event, to.event);
  const payments = await recorded('payments', from.payment, to.payment);
  const activated = await db
    .selectFrom('ecert_activations as a')
    .innerJoin('enrollments as e', (j) =>
      j.onRef('e.person_id', '=', 'a.person_id').onRef('e.county_code', '=', 'a.county_code'),
    )
    .select('e.id as enrollment_id')
    .where('a.id', '>', from.ecert)
    .where('a.id', '<=', to.ecert)
    .where('a.county_code', '=', countyCode)
    .where('e.benefit_year', '=', year)
    .execute();
  return [...new Set([...events, ...payments, ...activated].map((r) => r.enrollment_id))];
}

async function snapshotNow(db: Kysely<Database>): Promise<Snapshot> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('enrollment_events')
        .select((x) => x.fn.max('id').as('m'))
        .as('event'),
      eb
        .selectFrom('payments')
        .select((x) => x.fn.max('id').as('m'))
        .as('payment'),
      eb
        .selectFrom('ecert_activations')
        .select((x) => x.fn.max('id').as('m'))
        .as('ecert'),
    ])
    .executeTakeFirst();
  return { event: num(row?.event), payment: num(row?.payment), ecert: num(row?.ecert) };
}

async function loadRegistry(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  stamp: string,
): Promise<RegistryFacts> {
  const regions = await db
    .selectFrom('regions')
    .select(['code', 'name', 'level', 'valid_to'])
    .where('county_code', '=', countyCode)
    .where('level', 'in', ['county', 'township', 'village'])
    .orderBy('code')
    .execute();
  const villages = regions.filter((r) => r.level === 'village').map((r) => r.code);
  return { stamp, regions, targets: await loadTargetSources(db, countyCode, year, villages) };
}

/** Group memberships (of the policy's subsidised groups) with the person's household village. */
async function readMemberships(
  db: Kysely<Database>,
  countyCode: string,
  groupCodes: readonly string[],
  persons: readonly number[] | null,
): Promise<Map<number, Membership[]>> {
  const out = new Map<number, Membership[]>();
  for (const part of persons === null ? [null] : chunk(persons, CHUNK)) {
    if (groupCodes.length === 0 || part?.length === 0) continue;
    const rows = await db
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
      .$if(part !== null, (q) => q.where('g.person_id', 'in', part as number[]))
      .execute();
    for (const g of rows) {
      const list = out.get(g.person_id) ?? [];
      list.push({
        group: g.group_code,
        validFrom: g.valid_from,
        validTo: g.valid_to,
        deceasedOn: g.deceased_on,
        village: g.village_code as string,
      });
      out.set(g.person_id, list);
    }
  }
  return out;
}

/** Makes sure the memberships of these people are known (before their entries are counted). */
async function lookUpMemberships(
  db: Kysely<Database>,
  facts: Facts,
  countyCode: string,
  persons: readonly number[],
): Promise<void> {
  if (facts.allMemberships) return;
  const unknown = [...new Set(persons)].filter((p) => !facts.memberships.has(p));
  const found = await readMemberships(db, countyCode, facts.groupCodes, unknown);
  for (const p of unknown) facts.memberships.set(p, found.get(p) ?? []);
}

/**
 * Counts the registry side afresh (after an import or a new person): the living population per
 * village, each group's valid living members, and those of them enrolled (their enrollments read
 * if not at hand). The measures are replaced by the difference, so what is stored stays a sum of
 * changes.
 */
async function countRegistry(
  db: Kysely<Database>,
  facts: Facts,
  countyCode: string,
  year: number,
  stamp: string,
): Promise<void> {
  const population = await db
    .selectFrom('people as p')
    .innerJoin('households as h', 'h.id', 'p.household_id')
    .select(['h.village_code', 'p.deceased_on', (eb) => eb.fn.countAll<number>().as('n')])
    .where('p.county_code', '=', countyCode)
    .where('h.village_code', 'is not', null)
    .groupBy(['h.village_code', 'p.deceased_on'])
    .execute();
  const memberships = await readMemberships(db, countyCode, facts.groupCodes, null);
  facts.memberships.clear();
  for (const [p, list] of memberships) facts.memberships.set(p, list);
  facts.allMemberships = true;
  const persons = [...memberships.keys()];
  const enrollmentIds: number[] = [];
  for (const part of chunk(persons, CHUNK)) {
    const rows = await db
      .selectFrom('enrollments')
      .select('id')
      .where('county_code', '=', countyCode)
      .where('benefit_year', '=', year)
      .where('person_id', 'in', part)
      .execute();
    for (const r of rows) enrollmentIds.push(r.id);
  }
  await keepEntries(db, facts, countyCode, year, enrollmentIds);

  // The new counts, built apart, then the difference from the current ones applied.
  const fresh = newFacts(facts.at, facts.groupCodes);
  const vi = (village: string) => villageIndexOf(facts, village);
  for (const p of population) {
    interval(fresh, 'population', vi(p.village_code as string), ALWAYS, p.deceased_on, num(p.n));
  }
  for (const [personId, list] of memberships) {
    const e = facts.byPerson.get(personId);
    for (const m of list) {
      const end = minDate(m.validTo, m.deceasedOn);
      interval(fresh, `members:${m.group}`, vi(m.village), m.validFrom, end, 1);
      if (e?.enteredOn) {
        interval(
          fresh,
          `covered:${m.group}`,
          vi(m.village),
          maxDate(m.validFrom, e.enteredOn),
          minDate(end, e.leftOn),
          1,
        );
      }
    }
  }
  const measures = new Set([...facts.changes.keys(), ...fresh.changes.keys()].filter(isRegistryMeasure));
  for (const measure of measures) {
    const now = facts.changes.get(measure) ?? [];
    const next = fresh.changes.get(measure) ?? [];
    for (let v = 0; v < Math.max(now.length, next.length); v++) {
      const a = now[v] ?? new Map<string, number>();
      const b = next[v] ?? new Map<string, number>();
      for (const day of new Set([...a.keys(), ...b.keys()])) {
        const d = (b.get(day) ?? 0) - (a.get(day) ?? 0);
        if (d !== 0) change(facts, measure, v, day, d);
      }
    }
  }
  facts.counted = stamp;
}

const newFacts = (at: Snapshot, groupCodes: readonly string[]): Facts => ({
  at,
  groupCodes,
  entries: new Map(),
  complete: false,
  byPerson: new Map(),
  villages: [],
  villageIndex: new Map(),
  registry: null,
  counted: null,
  memberships: new Map(),
  allMemberships: false,
  changes: new Map(),
  stored: null,
  unsaved: new Map(),
  reread: 0,
});

/**
 * Every enrollment of the county's year read as of `at` and counted (group coverage follows when
 * the registry side is counted).
 */
async function readAll(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  groupCodes: readonly string[],
  at: Snapshot,
): Promise<Facts> {
  const facts = newFacts(at, groupCodes);
  for (const e of (await readEntries(db, facts, countyCode, year, null, at)).values()) {
    apply(facts, e, 1);
    remember(facts, e);
  }
  facts.complete = true;
  return facts;
}

/** The stored summary (0005) as facts, or null when none is stored. */
async function loadStored(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  groupCodes: readonly string[],
): Promise<Facts | null> {
  const row = await db
    .selectFrom('progress_checkpoints')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('benefit_year', '=', year)
    .executeTakeFirst();
  if (!row) return null;
  const at = { event: num(row.event_id), payment: num(row.payment_id), ecert: num(row.ecert_id) };
  const facts = newFacts(at, groupCodes);
  const cells = await db
    .selectFrom('progress_day_changes')
    .select(['village_code', 'measure', 'day', 'amount'])
    .where('county_code', '=', countyCode)
    .where('benefit_year', '=', year)
    .execute();
  for (const c of cells)
    change(facts, c.measure, villageIndexOf(facts, c.village_code), c.day, num(c.amount));
  facts.unsaved.clear();
  facts.counted = row.registry_stamp;
  facts.stored = { at, counted: row.registry_stamp };
  return facts;
}

/**
 * The stored summary is written again once this many enrollments have been read again since (a
 * fresh process then reads at most about as many); tests lower it.
 */
export const progressTuning = { saveAfter: 1000 };
const CELLS_PER_INSERT = 500;

/**
 * Writes the changes not yet stored: all of them when nothing is stored (the stored rows are
 * replaced), otherwise added to the stored ones — only if those are still the ones these changes
 * build on (another process may have written since; then false, and this process's facts are
 * dropped).
 */
async function save(
  db: Kysely<Database>,
  facts: Facts,
  countyCode: string,
  year: number,
  now: string,
): Promise<boolean> {
  const cells: { village: string; measure: string; day: string; amount: number }[] = [];
  for (const [key, amount] of facts.unsaved) {
    if (amount === 0) continue;
    const [vi, measure, day] = key.split('\t') as [string, string, string];
    cells.push({ village: facts.villages[Number(vi)] as string, measure, day, amount });
  }
  const at = facts.at;
  const base = facts.stored;
  const saved = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('progress_checkpoints')
      .selectAll()
      .where('county_code', '=', countyCode)
      .where('benefit_year', '=', year)
      .executeTakeFirst();
    if (base === null) {
      for (const table of ['progress_day_changes', 'progress_checkpoints'] as const) {
        await trx
          .deleteFrom(table)
          .where('county_code', '=', countyCode)
          .where('benefit_year', '=', year)
          .execute();
      }
    } else {
      const current = row && {
        event: num(row.event_id),
        payment: num(row.payment_id),
        ecert: num(row.ecert_id),
      };
      if (!current || !sameSnapshot(current, base.at) || row?.registry_stamp !== base.counted) return false;
    }
    for (const part of chunk(cells, CELLS_PER_INSERT)) {
      await trx
        .insertInto('progress_day_changes')
        .values(
          part.map((c) => ({
            county_code: countyCode,
            benefit_year: year,
            village_code: c.village,
            measure: c.measure,
            day: c.day,
            amount: c.amount,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['county_code', 'benefit_year', 'village_code', 'measure', 'day']).doUpdateSet((eb) => ({
            amount: eb('progress_day_changes.amount', '+', eb.ref('excluded.amount')),
          })),
        )
        .execute();
    }
    const checkpoint = {
      event_id: at.event,
      payment_id: at.payment,
      ecert_id: at.ecert,
      registry_stamp: facts.counted,
      written_at: now,
    };
    await trx
      .insertInto('progress_checkpoints')
      .values({ county_code: countyCode, benefit_year: year, ...checkpoint })
      .onConflict((oc) => oc.columns(['county_code', 'benefit_year']).doUpdateSet(checkpoint))
      .execute();
    return true;
  });
  if (saved) {
    facts.stored = { at, counted: facts.counted };
    facts.unsaved.clear();
    facts.reread = 0;
  }
  return saved;
}

/**
 * On SQLite the facts are kept between reports and brought up to date from the enrollment events,
 * payments and e-certificate activations recorded since (every change of an enrollment's status
 * writes an event, in the transaction that makes it), and they are stored in the database
 * (0005-report-summaries): the first report of a process reads the stored summary and the
 * enrollments changed since it, not the whole county. The registry side (population, group
 * members) is counted again when an import or a new person has been recorded since. On
 * PostgreSQL, where transactions commit out of id order (a snapshot of largest ids is not a point
 * in time), the facts are read afresh for each report.
 */
const cache = new WeakMap<Kysely<Database>, Map<string, Facts>>();

async function currentFacts(
  db: Kysely<Database>,
  countyCode: string,
  year: number,
  groupCodes: readonly string[],
  now: string,
): Promise<Facts> {
  const kept = dialectOf(db) === 'sqlite';
  const key = `${countyCode}:${year}:${groupCodes.join(',')}`;
  let perDb = cache.get(db);
  if (!perDb) {
    perDb = new Map();
    if (kept) cache.set(db, perDb);
  }
  // Imports (regions, registers, groups, task tables) and new people change the registry side;
  // the count of task targets catches the policy's table seeded at start. Read before what it
  // stamps, so the stamp is never newer than the facts counted under it.
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
  let facts = kept ? perDb.get(key) : undefined;
  if (!facts) {
    const stored = kept ? await loadStored(db, countyCode, year, groupCodes) : null;
    facts = stored ?? (await readAll(db, countyCode, year, groupCodes, await snapshotNow(db)));
    perDb.set(key, facts);
  }
  // Read after the stored summary: never behind it.
  const to = await snapshotNow(db);
  if (!sameSnapshot(facts.at, to)) {
    await reread(db, facts, countyCode, year, await changedBetween(db, countyCode, year, facts.at, to), to);
  }
  if (facts.registry?.stamp !== stamp) facts.registry = await loadRegistry(db, countyCode, year, stamp);
  if (facts.counted !== stamp) await countRegistry(db, facts, countyCode, year, stamp);
  const behind = facts.stored === null || facts.stored.counted !== facts.counted;
  if (kept && (behind || facts.reread >= progressTuning.saveAfter)) {
    if (!(await save(db, facts, countyCode, year, now))) perDb.delete(key);
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

/** The report in progress per database: the next one waits for it. */
const running = new WeakMap<Kysely<Database>, Promise<unknown>>();

/**
 * 征缴进度 of a region as of a date. On SQLite, reports on one database run one at a time: they
 * bring the same kept facts up to date and may store them (the web app serves several dashboards
 * at once), and the stored snapshot must be the one every kept entry was read at.
 */
export function progressReport(
  ctx: CollectionContext,
  regionCode: string,
  asOf: string,
  benefitYear?: number,
): Promise<ProgressReport> {
  const run = () => unlockedProgressReport(ctx, regionCode, asOf, benefitYear);
  if (dialectOf(ctx.db) !== 'sqlite') return run();
  const report = (running.get(ctx.db) ?? Promise.resolve()).then(run, run);
  running.set(
    ctx.db,
    report.catch(() => {}),
  );
  return report;
}

async function unlockedProgressReport(
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
  const facts = await currentFacts(db, ctx.countyCode, year, groupCodes, ctx.now);
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
    const [enrolled, paid, collected, ecert] = ENROLLMENT_MEASURES.map((m) => countsAsOf(facts, m, vi, days));
    const population = countsAsOf(facts, 'population', vi, days);
    const groups = groupCodes.map((g) => ({
      group: g,
      members: countsAsOf(facts, `members:${g}`, vi, days),
      covered: countsAsOf(facts, `covered:${g}`, vi, days),
    }));
    days.forEach((_, d) => {
      const c = at(d, village);
      c.enrolled = enrolled?.[d] ?? 0;
      c.paid = paid?.[d] ?? 0;
      c.collectedFen = collected?.[d] ?? 0;
      c.ecertActivated = ecert?.[d] ?? 0;
      c.population = population[d] ?? 0;
      for (const g of groups) {
        const members = g.members[d] ?? 0;
        if (members > 0) c.groups.set(g.group, { members, enrolled: g.covered[d] ?? 0 });
      }
    });
  });
  await keepEntries(
    db,
    facts,
    ctx.countyCode,
    year,
    refundsPaid.map((r) => r.enrollment_id),
  );
  for (const r of refundsPaid) {
    const entry = facts.entries.get(r.enrollment_id);
    if (!entry) continue;
    const village = facts.villages[entry.vi] as string;
    if (!inRegion(village)) continue;
    days.forEach((day, d) => {
      if ((r.paid_on as string) <= day) at(d, village).collectedFen -= r.amount_fen;
    });
  }
  const populationToday = new Map(
    villages.map((v) => [v, (counts[0] as Map<string, Counter>).get(v)?.population ?? 0]),
  );
  const targets = villageTargets(registry.targets, villages, populationToday);
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
      percentOfTargetPeople: ratePercent(now.enrolled, targetPeople),
      percentOfTargetAmount: ratePercent(now.collectedFen, targetFen),
      coverage: ratePercent(now.enrolled, now.population),
      ecertRate: ratePercent(now.ecertActivated, now.enrolled),
      groups: groupCodes.map((g) => {
        const x = now.groups.get(g) ?? { members: 0, enrolled: 0 };
        return {
          group: g,
          label: isGroupCode(g) ? groupLabel(g) : g,
          members: x.members,
          enrolled: x.enrolled,
          percent: ratePercent(x.enrolled, x.members),
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
