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
 */
import { type Fen, formatYuan, groupLabel, isGroupCode, type Policy } from '@canbao/core';
import type { Kysely } from 'kysely';
import { findCampaign } from '../collection/campaign.ts';
import type { CollectionContext } from '../collection/context.ts';
import { dialectOf } from '../collection/payment-batch.ts';
import type { Database } from '../db/schema.ts';
import type { CellValue } from '../files/write-xlsx.ts';
import { reportMeta } from './meta.ts';
import type { ReportDefinition, ReportTable } from './report.ts';
import { money, num } from './subsidies.ts';
import { BASIS_LABELS, type TargetBasis, villageTargets } from './targets.ts';

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

const minDate = (a: string | null, b: string | null) => (a === null ? b : b === null || a < b ? a : b);

function previousDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** One enrollment's dated facts: when it entered and left the enrolled, and its payments. */
interface Entry {
  readonly village: string;
  readonly personId: number;
  readonly enteredOn: string | null;
  readonly leftOn: string | null;
  readonly firstPaidOn: string | null;
  readonly payments: readonly { readonly paidOn: string; readonly fen: number }[];
}

/** The registry side: population, e-certificates and group members, all dates kept. */
interface RegistryFacts {
  readonly stamp: string;
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
  /** The last enrollment event the entries reflect. */
  lastEventId: number;
  registry: RegistryFacts | null;
}

const ENROLLED = ['paid', 'confirmed'] as const;
const isEnrolled = (status: string | null) => status === 'paid' || status === 'confirmed';
const CHUNK = 500;

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
  into: Map<number, Entry>,
): Promise<void> {
  const parts = ids === null ? [null] : chunk(ids, CHUNK);
  for (const part of parts) {
    const events = await db
      .selectFrom('enrollment_events as ev')
      .innerJoin('enrollments as e', 'e.id', 'ev.enrollment_id')
      .select([
        'ev.enrollment_id',
        'ev.from_status',
        'ev.to_status',
        'ev.at',
        'e.village_code',
        'e.person_id',
      ])
      .where('e.county_code', '=', countyCode)
      .where('e.benefit_year', '=', year)
      .where((eb) => eb.or([eb('ev.to_status', 'in', ENROLLED), eb('ev.from_status', 'in', ENROLLED)]))
      .$if(part !== null, (q) => q.where('ev.enrollment_id', 'in', part as number[]))
      .execute();
    const payments = await db
      .selectFrom('payments as p')
      .innerJoin('enrollments as e', 'e.id', 'p.enrollment_id')
      .select(['p.enrollment_id', 'p.paid_on', 'p.amount_fen'])
      .where('e.county_code', '=', countyCode)
      .where('e.benefit_year', '=', year)
      .$if(part !== null, (q) => q.where('p.enrollment_id', 'in', part as number[]))
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
    for (const id of part ?? []) into.delete(id);
    for (const [id, b] of built) {
      if (b.village === null || b.entered === null) continue;
      const list = paid.get(id) ?? [];
      const firstPaidOn = list.reduce<string | null>((m, x) => minDate(m, x.paidOn), null);
      into.set(id, {
        village: b.village,
        personId: b.personId,
        enteredOn: minDate(b.entered, firstPaidOn),
        leftOn: b.left,
        firstPaidOn,
        payments: list,
      });
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
  groupCodes: readonly string[],
  stamp: string,
): Promise<RegistryFacts> {
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
  const lastEvent = await db
    .selectFrom('enrollment_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  const lastEventId = num(lastEvent?.id);
  let facts = cacheable ? perDb.get(key) : undefined;
  if (!facts) {
    facts = { entries: new Map(), lastEventId, registry: null };
    await loadEntries(db, countyCode, year, null, facts.entries);
    perDb.set(key, facts);
  } else if (lastEventId > facts.lastEventId) {
    const changed = await db
      .selectFrom('enrollment_events')
      .select('enrollment_id')
      .distinct()
      .where('id', '>', facts.lastEventId)
      .where('id', '<=', lastEventId)
      .where('county_code', '=', countyCode)
      .execute();
    await loadEntries(
      db,
      countyCode,
      year,
      changed.map((c) => c.enrollment_id),
      facts.entries,
    );
    facts.lastEventId = lastEventId;
  }
  const stampRow = await db
    .selectFrom('imports')
    .select((eb) => [
      eb.fn.max('imports.id').as('imports'),
      eb
        .selectFrom('people')
        .select((x) => x.fn.max('people.id').as('m'))
        .as('people'),
    ])
    .executeTakeFirst();
  const stamp = `${num(stampRow?.imports)}:${num(stampRow?.people)}:${groupCodes.join(',')}`;
  if (facts.registry?.stamp !== stamp) {
    facts.registry = await loadRegistry(db, countyCode, groupCodes, stamp);
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

  const regions = await db
    .selectFrom('regions')
    .select(['code', 'name', 'level', 'valid_to'])
    .where('county_code', '=', ctx.countyCode)
    .where('code', 'like', `${regionCode}%`)
    .where('level', 'in', ['county', 'township', 'village'])
    .orderBy('code')
    .execute();
  const villages = regions
    .filter((r) => r.level === 'village' && (r.valid_to === null || r.valid_to > asOf))
    .map((r) => r.code);

  const groupCodes = subsidisedGroups(policy);
  const facts = await currentFacts(db, ctx.countyCode, year, groupCodes);
  const registry = facts.registry as RegistryFacts;
  // Refunds paid out lower the amount collected on their payout date (few rows: read each time).
  const refundsPaid = await db
    .selectFrom('refunds as r')
    .innerJoin('enrollments as e', 'e.id', 'r.enrollment_id')
    .select(['e.village_code', 'r.paid_on', 'r.amount_fen'])
    .where('r.county_code', '=', ctx.countyCode)
    .where('e.benefit_year', '=', year)
    .where('r.status', '=', 'paid')
    .where('r.paid_on', '<=', asOf)
    .execute();

  // Count per village, for the date and the day before.
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
  const enrolledOn = days.map(() => new Set<number>());
  for (const entry of facts.entries.values()) {
    if (!inRegion(entry.village)) continue;
    const activated = registry.activatedOn.get(entry.personId);
    days.forEach((day, d) => {
      const c = at(d, entry.village);
      for (const p of entry.payments) if (p.paidOn <= day) c.collectedFen += p.fen;
      if (entry.enteredOn === null || entry.enteredOn > day) return;
      if (entry.leftOn !== null && entry.leftOn <= day) return;
      c.enrolled++;
      (enrolledOn[d] as Set<number>).add(entry.personId);
      if (entry.firstPaidOn !== null && entry.firstPaidOn <= day) c.paid++;
      if (activated !== undefined && activated <= day) c.ecertActivated++;
    });
  }
  for (const r of refundsPaid) {
    if (r.village_code === null || !inRegion(r.village_code)) continue;
    days.forEach((day, d) => {
      if ((r.paid_on as string) <= day) at(d, r.village_code as string).collectedFen -= r.amount_fen;
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
      if ((enrolledOn[d] as Set<number>).has(g.personId)) x.enrolled++;
      c.groups.set(g.group, x);
    });
  }

  const targets = await villageTargets(ctx, year, villages, populationOf[0] as Map<string, number>);
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
