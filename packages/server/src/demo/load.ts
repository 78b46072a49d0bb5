/**
 * The demo county loaded on the web application's first start: 蕲县镇 of 埇桥区 running the
 * qixian-2022 policy, its 14 villages (seeded with the policy's annex 2 task table) filled with
 * synthetic people (people.ts), and the campaign played out up to a business date inside the
 * collection period, through the same services the bureau, departments, collectors, banks and
 * the tax side use:
 *
 * - the village rosters, department lists, student roster, employee-insurance list and last year's
 *   enrollment roster go through the import pipeline as .csv files, as departments upload them;
 * - the bureau opens the campaign, renews last year's enrollees and enrolls the subsidised;
 * - in mid-October 民政's monthly update adds a few newly certified 低保 households (the list's
 *   diff), and the bureau reassesses them before they pay;
 * - day by day, households pay as a whole (the policy's 整户 rule) in cash to their village's
 *   collector (receipt numbers, remitted every few days), online, by POS or at a bank counter,
 *   each day's payments recorded with that day as "today"; people not enrolled last year enroll
 *   when their household pays;
 * - the tax side confirms part of the older non-cash payments, and e-certificate activations are
 *   imported.
 *
 * The task table is the notice's 63,018 people: a demo of a few thousand people would show a few
 * percent of it. With `scaleTargets` (the default) each village's target is its annex 2 row
 * scaled to the demo's population of that village, and the row's source says so.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPARTMENTS, type DepartmentCode, parseDate, Temporal } from '@canbao/core';
import type { Kysely } from 'kysely';
import { recordDemoToday } from '../business-date.ts';
import { findCampaign, openCampaign } from '../collection/campaign.ts';
import { type CollectionContext, CollectionError } from '../collection/context.ts';
import {
  ENROLLED,
  enrollIn,
  enrollSubsidised,
  reassessPending,
  renewEnrollments,
} from '../collection/enrollments.ts';
import {
  collectorBalance,
  type PaymentInput,
  recordPayments,
  recordRemittance,
} from '../collection/payments.ts';
import { confirmTaxPayments } from '../collection/tax.ts';
import { addAgreement, setWithholding } from '../collection/withholding.ts';
import type { DatabaseHandle } from '../db/open.ts';
import type { Database } from '../db/schema.ts';
import { inUnitOfWork } from '../db/unit-of-work.ts';
import { loadPolicy } from '../policy/repository.ts';
import { importFile } from '../registry/import.ts';
import { IMPORT_KINDS } from '../registry/kinds/index.ts';
import { chunks } from '../registry/people.ts';
import {
  type DemoGroup,
  type DemoHousehold,
  type DemoPerson,
  type DemoVillage,
  generateCounty,
  studentsOf,
} from './people.ts';

/** The policy the demo runs, and its county. */
export const DEMO_POLICY = 'qixian-2022';
export const DEMO_COUNTY = '341302';
/** Who opened the demo's campaign: how a demo database is recognised. */
export const DEMO_ACTOR = 'canbao-demo';
/** A day in the collection period after the ranking's first stage (10-31) was judged. */
export const DEMO_TODAY = '2021-11-10';
export const DEMO_SEED = 20211110;
/** 14 villages × 300: loads in seconds on a small machine. */
export const DEMO_PEOPLE = 4200;

export interface DemoOptions {
  /** The business date the demo is played up to (YYYY-MM-DD); default DEMO_TODAY. */
  readonly today?: string;
  readonly seed?: number;
  readonly people?: number;
  /** Scale the task table to the demo's population (default true). */
  readonly scaleTargets?: boolean;
  /** Steps done of the total, as the load goes. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DemoVillageSummary {
  readonly code: string;
  readonly name: string;
  readonly people: number;
  readonly households: number;
  readonly enrolled: number;
  readonly paid: number;
  readonly amountFen: number;
}

export interface DemoSummary {
  readonly countyCode: string;
  readonly policyId: string;
  readonly benefitYear: number;
  /** The business date to run the application with ("today" for the demo database). */
  readonly today: string;
  readonly seed: number;
  readonly people: number;
  readonly households: number;
  /** People in a department's group (any). */
  readonly inGroups: number;
  /** Enrollments paid or confirmed as of today. */
  readonly enrolled: number;
  /** Enrollments with a payment. */
  readonly paid: number;
  readonly awaitingPayment: number;
  /** Personal payments recorded, fen. */
  readonly amountFen: number;
  readonly orders: number;
  readonly taxConfirmed: number;
  readonly ecertActivated: number;
  readonly targetsScaled: boolean;
  readonly villages: readonly DemoVillageSummary[];
  readonly elapsedMs: number;
}

/** Whether this database holds the demo county (its campaign opened by the demo loader). */
export async function isDemoLoaded(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('campaigns')
    .select('id')
    .where('county_code', '=', DEMO_COUNTY)
    .where('actor', '=', DEMO_ACTOR)
    .executeTakeFirst();
  return row !== undefined;
}

const plusDays = (date: string, days: number) => parseDate(date).add({ days }).toString();
const compact = (date: string) => date.replaceAll('-', '');

/**
 * Fills an empty, migrated and seeded database with the demo county. Refuses a database that
 * already has people or a campaign. Returns what was loaded and the business date to run with.
 *
 * All of it in one transaction (the services' own transactions become savepoints of it): a load
 * that fails midway — a step refused, the process killed — leaves the database empty, so the next
 * start loads it again instead of finding a half-filled database that nobody can sign in to.
 */
export function loadDemoCounty(handle: DatabaseHandle, options: DemoOptions = {}): Promise<DemoSummary> {
  return inUnitOfWork(handle.db, (db) => loadInto({ ...handle, db }, options));
}

async function loadInto(handle: DatabaseHandle, options: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  const db = handle.db;
  const today = options.today ?? DEMO_TODAY;
  const seed = options.seed ?? DEMO_SEED;
  const size = options.people ?? DEMO_PEOPLE;
  try {
    parseDate(today);
  } catch (error) {
    throw new CollectionError('demo_today', `演示业务日期有误：${(error as Error).message}`);
  }
  if (!Number.isSafeInteger(size) || size < 14 || size > 200_000) {
    throw new CollectionError('demo_people', `演示人数应为 14 到 200000 之间的整数，收到 ${size}`);
  }
  await refuseUnlessEmpty(db);

  const policy = loadPolicy(DEMO_POLICY);
  const start = policy.collection.start.toString();
  const end = policy.collection.end.toString();
  if (today < start) {
    throw new CollectionError('demo_today', `演示业务日期 ${today} 早于本期征缴开始日 ${start}`);
  }
  // The bureau opens the campaign on the period's first day.
  await openCampaign(db, {
    countyCode: DEMO_COUNTY,
    policyRef: DEMO_POLICY,
    actor: DEMO_ACTOR,
    now: `${start}T01:00:00.000Z`,
  });

  const targets = await db
    .selectFrom('task_targets')
    .innerJoin('regions', 'regions.code', 'task_targets.region_code')
    .select(['task_targets.id', 'region_code', 'regions.name', 'eligible_people', 'amount_fen'])
    .where('task_targets.county_code', '=', DEMO_COUNTY)
    .where('benefit_year', '=', policy.benefitYear)
    .where('regions.level', '=', 'village')
    .orderBy('region_code')
    .execute();
  if (targets.length === 0) {
    throw new CollectionError(
      'demo_targets',
      `数据库中没有 ${policy.id} 的任务分解表（task_targets），请先运行 canbao db migrate`,
    );
  }
  // 民政's monthly update comes in mid-October (six weeks and two days into the period).
  const monthlyUpdate = plusDays(start, 44);
  const villages = generateCounty({
    seed,
    people: size,
    countyCode: DEMO_COUNTY,
    villages: targets.map((t) => ({ name: t.name, code: t.region_code, weight: t.eligible_people })),
    periodStart: start,
    periodEnd: end,
    rosterDate: start,
    today,
    monthlyUpdate,
  });
  const households = villages.flatMap((v) => v.households);
  const payDays = [...new Set(households.flatMap((h) => (h.payOn ? [h.payOn] : [])))].sort();
  // Targets, four roster imports, enrollment, each day of payments, confirmations, the summary.
  const total = 8 + payDays.length;
  let done = 0;
  const step = () => options.onProgress?.(++done, total);
  const ctx = (date: string, actor: string): CollectionContext => ({
    db,
    countyCode: DEMO_COUNTY,
    actor,
    today: date,
    // 16:00 in Shanghai: after the campaign was opened (09:00) on its first day.
    now: `${date}T08:00:00.000Z`,
  });

  const dir = mkdtempSync(join(tmpdir(), 'canbao-demo-'));
  try {
    const files = new DemoFiles(handle, dir);
    const scaled = options.scaleTargets ?? true;
    if (scaled) await scaleTargets(db, policy.id, targets, villages);
    step();
    await files.importRosters(villages, start, policy.benefitYear - 1, step);

    // The bureau renews last year's enrollees, then enrolls the certified groups not yet enrolled.
    await renewEnrollments(ctx(start, 'bureau'));
    await enrollSubsidised(ctx(start, 'bureau'));
    step();

    const { households: householdIds, people: personIds } = await registryIds(db);
    const receipts = new Map<string, number>();
    let serial = 0;
    let updated = false;
    const monthly = async (date: string) => {
      if (updated || date < monthlyUpdate) return;
      updated = true;
      const added = await files.importMonthlyUpdate(villages, monthlyUpdate);
      const bureau = ctx(monthlyUpdate, 'bureau');
      await reassessPending(bureau, { personIds: added.map((doc) => personIds.get(doc) as number) });
      await enrollSubsidised(bureau);
    };
    for (const date of payDays) {
      await monthly(date);
      const paying = households.filter((h) => h.payOn === date);
      const inputs = await paymentsOf(ctx, date, paying, householdIds, personIds, receipts, () => ++serial);
      // The township's clerk records the day's collections as one batch (a commit per actor
      // and day cost twice the time); cash orders still name their collector and receipt.
      const results = await recordPayments(ctx(date, 'township-clerk'), inputs);
      for (const [i, r] of results.entries()) {
        if (r instanceof CollectionError) {
          throw new Error(`演示数据缴费失败（${inputs[i]?.txnId}）：${r.message}`);
        }
      }
      await remitCash(ctx, date, villages);
      step();
    }

    await monthly(today);
    await signWithholding(ctx(today, 'township-clerk'), households, personIds);
    const taxConfirmed = await confirmOlderPayments(ctx, today);
    await files.importEcerts(households, today);
    step();
    const summary = await summarise(db, villages, policy.benefitYear);
    // The web server and the command line run this database on the demo's date (business-date.ts).
    await recordDemoToday(db, today);
    step();
    return {
      countyCode: DEMO_COUNTY,
      policyId: policy.id,
      benefitYear: policy.benefitYear,
      today,
      seed,
      people: villages.reduce((n, v) => n + v.people, 0),
      households: households.length,
      inGroups: households.reduce((n, h) => n + h.members.filter((m) => m.groups.length > 0).length, 0),
      ...summary,
      taxConfirmed,
      targetsScaled: scaled,
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function refuseUnlessEmpty(db: Kysely<Database>): Promise<void> {
  const people = await db.selectFrom('people').select('id').limit(1).executeTakeFirst();
  const campaign = await db.selectFrom('campaigns').select('id').limit(1).executeTakeFirst();
  if (people || campaign) {
    throw new CollectionError(
      'demo_not_empty',
      '数据库中已有人员或征缴数据，演示县只能载入空数据库（换一个数据目录，或设置 CANBAO_DATA 指向新目录）',
    );
  }
}

/**
 * Each village's annex 2 row scaled to the demo's population of that village: people = the
 * village's demo population, amount = the row's amount in the same proportion (so the table's
 * own amount per person is kept, never people × standard).
 */
async function scaleTargets(
  db: Kysely<Database>,
  policyId: string,
  targets: readonly { id: number; region_code: string; eligible_people: number; amount_fen: number }[],
  villages: readonly DemoVillage[],
): Promise<void> {
  for (const t of targets) {
    const village = villages.find((v) => v.code === t.region_code);
    if (!village) continue;
    await db
      .updateTable('task_targets')
      .set({
        eligible_people: village.people,
        amount_fen: Math.round((t.amount_fen * village.people) / t.eligible_people),
        source: `演示数据：${policyId} 附件2 按演示人口缩放（原表 ${t.eligible_people} 人、${t.amount_fen / 100} 元 × ${village.people}/${t.eligible_people}）`,
      })
      .where('id', '=', t.id)
      .execute();
  }
}

const GROUP_HEADER = '姓名,公民身份号码,人员类别,认定日期,村（社区）';

/** Each department's list rows: the groups `listed` keeps, person by person. */
function groupLists(
  everyone: readonly { v: DemoVillage; m: DemoPerson }[],
  listed: (g: DemoGroup) => boolean,
): Map<DepartmentCode, string[]> {
  const lists = new Map<DepartmentCode, string[]>();
  for (const { v, m } of everyone) {
    for (const g of m.groups.filter(listed)) {
      const list = lists.get(g.department) ?? [];
      list.push(csvLine([m.name, m.idNumber, g.label, g.certifiedOn, v.name]));
      lists.set(g.department, list);
    }
  }
  return lists;
}

const csvLine = (cells: readonly (string | number | null)[]) => cells.map((c) => c ?? '').join(',');

/** Writes the lists departments and villages would upload, and imports each through the pipeline. */
class DemoFiles {
  private count = 0;
  private readonly handle: DatabaseHandle;
  private readonly dir: string;
  constructor(handle: DatabaseHandle, dir: string) {
    this.handle = handle;
    this.dir = dir;
  }

  private async import(
    kind: string,
    name: string,
    lines: readonly string[],
    today: string,
    department: DepartmentCode | null = null,
  ): Promise<void> {
    const file = join(this.dir, `${String(++this.count).padStart(2, '0')}-${name}.csv`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await importFile({
      handle: this.handle,
      kind: IMPORT_KINDS[kind] as (typeof IMPORT_KINDS)[string] & object,
      file,
      countyCode: DEMO_COUNTY,
      today,
      department,
      actor: DEMO_ACTOR,
    });
    if (result.status !== 'completed') {
      const first = result.errors[0];
      throw new Error(
        `演示数据导入失败（${name}）：${first ? `第 ${first.line} 行 ${first.column ?? ''} ${first.reason}` : result.status}`,
      );
    }
  }

  async importRosters(
    villages: readonly DemoVillage[],
    date: string,
    lastYear: number,
    step: () => void,
  ): Promise<void> {
    const everyone = villages.flatMap((v) =>
      v.households.flatMap((h) => h.members.map((m) => ({ v, h, m }))),
    );
    await this.import(
      'population',
      '蕲县镇户籍人口花名册',
      [
        '姓名,公民身份号码,性别,出生日期,户号,与户主关系,乡镇（街道）,村（社区）,户籍地址,联系电话,死亡日期',
        ...everyone.map(({ v, h, m }) =>
          csvLine([
            m.name,
            m.idNumber,
            m.sex === 'male' ? '男' : '女',
            m.birthDate,
            h.number,
            m.relation,
            '蕲县镇',
            v.name,
            `安徽省宿州市埇桥区蕲县镇${v.name}${Number(h.number.slice(-4))}号`,
            m.phone,
            m.deceasedOn,
          ]),
        ),
      ],
      date,
    );
    step();
    // One list per certifying department, as each uploads its own.
    for (const [department, rows] of groupLists(everyone, (g) => g.listedOn === null)) {
      await this.import(
        'groups',
        `${DEPARTMENTS[department].label}认定名单`,
        [GROUP_HEADER, ...rows],
        date,
        department,
      );
    }
    step();
    await this.import(
      'students',
      '蕲县镇在校学生花名册',
      ['姓名,公民身份号码,学校', ...studentsOf(villages).map((m) => csvLine([m.name, m.idNumber, m.school]))],
      date,
    );
    const external = everyone.filter(({ m }) => m.external !== null);
    if (external.length > 0) {
      await this.import(
        'external',
        '职工医保及异地参保名单',
        [
          '姓名,公民身份号码,参保类型,参保单位或地区,连续缴费年限',
          ...external.map(({ m }) =>
            csvLine([
              m.name,
              m.idNumber,
              m.external?.kind ?? '',
              m.external?.detail ?? '',
              m.external?.years || null,
            ]),
          ),
        ],
        date,
      );
    }
    step();
    await this.import(
      'enrollment',
      `${lastYear}年度参保名单`,
      [
        '姓名,公民身份号码,参保年度,村（社区）',
        ...everyone
          .filter(({ m }) => m.lastYear)
          .map(({ v, m }) => csvLine([m.name, m.idNumber, lastYear, v.name])),
      ],
      date,
    );
    step();
  }

  /**
   * 民政's monthly update: its whole current list again, now with the households certified since
   * (the import's diff adds them from `update`). Returns the documents it added.
   */
  async importMonthlyUpdate(villages: readonly DemoVillage[], update: string): Promise<string[]> {
    const everyone = villages.flatMap((v) => v.households.flatMap((h) => h.members.map((m) => ({ v, m }))));
    const lists = groupLists(everyone, (g) => g.department === 'civil_affairs');
    await this.import(
      'groups',
      `${DEPARTMENTS.civil_affairs.label}认定名单-${update}`,
      [GROUP_HEADER, ...(lists.get('civil_affairs') ?? [])],
      update,
      'civil_affairs',
    );
    return everyone.filter(({ m }) => m.groups.some((g) => g.listedOn === update)).map(({ m }) => m.idNumber);
  }

  /** Activations of the enrolled, never before the person's enrollment counted. */
  async importEcerts(households: readonly DemoHousehold[], today: string): Promise<void> {
    const rows: string[] = [];
    for (const h of households) {
      if (!h.payOn) continue;
      for (const m of h.members) {
        if (!m.ecertOn) continue;
        const on = [m.ecertOn, h.payOn].sort()[1] as string; // the later of the two
        if (on <= today) rows.push(csvLine([m.name, m.idNumber, on]));
      }
    }
    if (rows.length > 0)
      await this.import('ecert', '医保电子凭证激活名单', ['姓名,公民身份号码,激活日期', ...rows], today);
  }
}

/** The ids the imports gave: households by number, people by document number. */
async function registryIds(db: Kysely<Database>) {
  const households = await db
    .selectFrom('households')
    .select(['id', 'number as key'])
    .where('county_code', '=', DEMO_COUNTY)
    .execute();
  const people = await db
    .selectFrom('people')
    .select(['id', 'doc_number as key'])
    .where('county_code', '=', DEMO_COUNTY)
    .execute();
  const byKey = (rows: readonly { id: number; key: string }[]) => new Map(rows.map((r) => [r.key, r.id]));
  return { households: byKey(households), people: byKey(people) };
}

// The village clerks' user names (cun01 is 蕲县村's demo account): a clerk signing in sees her own cash.
const collectorOf = (village: number) => `cun${String(village + 1).padStart(2, '0')}`;

/**
 * One order per household paying on `date`, for all its members awaiting payment (the 整户 rule);
 * members who were not enrolled last year and decide to join are enrolled first, that day.
 */
async function paymentsOf(
  ctx: (date: string, actor: string) => CollectionContext,
  date: string,
  paying: readonly DemoHousehold[],
  householdIds: ReadonlyMap<string, number>,
  personIds: ReadonlyMap<string, number>,
  receipts: Map<string, number>,
  nextSerial: () => number,
): Promise<PaymentInput[]> {
  const villageClerk = (h: DemoHousehold) => ctx(date, collectorOf(h.village));
  // One transaction for the day's new enrollments (a commit each cost more than the enrollment).
  const found = await findCampaign(ctx(date, 'bureau').db, DEMO_COUNTY);
  await ctx(date, 'bureau')
    .db.transaction()
    .execute(async (trx) => {
      for (const h of paying) {
        for (const m of h.members) {
          if (!shouldJoin(m)) continue;
          try {
            const personId = personIds.get(m.idNumber) as number;
            await enrollIn(trx, villageClerk(h), found, { personId, source: 'new' });
          } catch (error) {
            // The engine refuses some (before writing anything): they stay unenrolled, as in life.
            if (!(error instanceof CollectionError)) throw error;
          }
        }
      }
    });
  const ids = paying.map((h) => householdIds.get(h.number) as number);
  const open = new Map<number, { id: number; pays: number }[]>();
  for (const part of chunks(ids)) {
    const rows = await ctx(date, 'collection')
      .db.selectFrom('enrollments')
      .select(['id', 'household_id', 'pays_fen'])
      .where('county_code', '=', DEMO_COUNTY)
      .where('household_id', 'in', part)
      .where('status', '=', 'awaiting_payment')
      .where('pays_fen', '>', 0)
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const list = open.get(r.household_id as number) ?? [];
      list.push({ id: r.id, pays: r.pays_fen });
      open.set(r.household_id as number, list);
    }
  }
  const inputs: PaymentInput[] = [];
  for (const h of paying) {
    const members = open.get(householdIds.get(h.number) as number) ?? [];
    if (members.length === 0) continue;
    const base = {
      enrollmentIds: members.map((m) => m.id),
      amountFen: members.reduce((n, m) => n + m.pays, 0),
      paidOn: date,
      payer: h.members[0]?.name ?? null,
    };
    const serial = String(nextSerial()).padStart(6, '0');
    if (h.channel === 'cash_collection') {
      const collector = collectorOf(h.village);
      const n = (receipts.get(collector) ?? 0) + 1;
      receipts.set(collector, n);
      const receiptNo = `${collector.toUpperCase()}-R-${String(n).padStart(5, '0')}`;
      inputs.push({ ...base, channel: 'cash_collection', txnId: receiptNo, collector, receiptNo });
    } else if (h.channel === 'online') {
      inputs.push({
        ...base,
        channel: 'online',
        txnId: `WX${compact(date)}${serial}`,
        reference: '微信公众号',
      });
    } else if (h.channel === 'pos') {
      inputs.push({
        ...base,
        channel: 'pos',
        txnId: `POS${compact(date)}${serial}`,
        reference: 'POS-蕲县镇便民服务中心',
      });
    } else {
      inputs.push({
        ...base,
        channel: 'bank_counter',
        txnId: `YH${compact(date)}${serial}`,
        reference: '埇桥农商银行蕲县支行',
      });
    }
  }
  return inputs;
}

/** Not enrolled last year, alive, without other insurance, and minded to join this year. */
function shouldJoin(m: DemoPerson): boolean {
  return !m.lastYear && m.joins && m.deceasedOn === null && m.external === null;
}

/** Collectors hand their cash over once a week (and the money of the last days stays with them). */
async function remitCash(
  ctx: (date: string, actor: string) => CollectionContext,
  date: string,
  villages: readonly DemoVillage[],
): Promise<void> {
  if (Temporal.PlainDate.from(date).dayOfWeek !== 5) return; // Fridays
  for (const v of villages) {
    const collector = collectorOf(v.index);
    const c = ctx(date, collector);
    const held = await collectorBalance(c, collector);
    if (held <= 0) continue;
    await recordRemittance(c, {
      collector,
      slipNo: `JK-${collector}-${compact(date)}`,
      amountFen: held,
      remittedOn: date,
    });
  }
}

/**
 * Some households that have not paid yet signed a bank withholding agreement at the household visit
 * (入户核实): every fourth unpaid household, the head's card paying for every member still awaiting
 * payment — so the bank's page has a batch to export on the demo's business date.
 */
async function signWithholding(
  ctx: CollectionContext,
  households: readonly DemoHousehold[],
  personIds: ReadonlyMap<string, number>,
): Promise<void> {
  const unpaid = households.filter((h) => h.payOn === null && h.members.length > 0);
  let card = 0;
  for (const [i, h] of unpaid.entries()) {
    if (i % 4 !== 0) continue;
    const head = h.members[0] as DemoHousehold['members'][number];
    const cardNumber = `62284800${String(100_000_000 + ++card * 7_919).padStart(11, '0')}`;
    for (const m of h.members) {
      const personId = personIds.get(m.idNumber) as number;
      const enrollment = await ctx.db
        .selectFrom('enrollments')
        .select('status')
        .where('county_code', '=', ctx.countyCode)
        .where('person_id', '=', personId)
        .executeTakeFirst();
      if (enrollment?.status !== 'awaiting_payment') continue;
      await addAgreement(ctx, {
        personId,
        bank: '埇桥农商银行',
        cardNumber,
        holderName: head.name,
        holderDocNumber: head.idNumber,
      });
      await setWithholding(ctx, personId, true, '入户核实：同意银行代扣');
    }
  }
}

/**
 * The tax side's confirmations of the non-cash payments made more than two weeks before today
 * (one in four of them), received three days before today: person by person, with the channel's
 * transaction id.
 */
async function confirmOlderPayments(
  ctx: (date: string, actor: string) => CollectionContext,
  today: string,
): Promise<number> {
  const cutoff = plusDays(today, -14);
  const on = plusDays(today, -3);
  const c = ctx(on, 'tax');
  const rows = await c.db
    .selectFrom('payments')
    .innerJoin('payment_orders', 'payment_orders.id', 'payments.order_id')
    .innerJoin('people', 'people.id', 'payments.person_id')
    .select([
      'payments.id',
      'payments.amount_fen',
      'payments.paid_on',
      'payment_orders.channel_txn_id',
      'people.doc_number',
      'people.name',
    ])
    .where('payments.county_code', '=', DEMO_COUNTY)
    .where('payments.channel', '!=', 'cash_collection')
    .where('payments.paid_on', '<=', cutoff)
    .orderBy('payments.id')
    .execute();
  const chosen = rows.filter((r) => r.id % 4 === 0);
  if (chosen.length === 0) return 0;
  const result = await confirmTaxPayments(
    c,
    chosen.map((r, i) => ({
      receiptNo: `SP${compact(on)}${String(i + 1).padStart(6, '0')}`,
      docNumber: r.doc_number,
      name: r.name,
      amountFen: r.amount_fen,
      paidOn: r.paid_on,
      channelTxnId: r.channel_txn_id,
      confirmedOn: on,
    })),
    { source: '演示数据：税务缴费确认' },
  );
  if (result.status !== 'completed')
    throw new Error(`演示数据税务确认失败：${JSON.stringify(result).slice(0, 300)}`);
  return result.matched;
}

async function summarise(db: Kysely<Database>, villages: readonly DemoVillage[], benefitYear: number) {
  const rows = await db
    .selectFrom('enrollments')
    .select(['village_code', 'status', 'paid_fen'])
    .where('county_code', '=', DEMO_COUNTY)
    .where('benefit_year', '=', benefitYear)
    .execute();
  const orders = await db
    .selectFrom('payment_orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('county_code', '=', DEMO_COUNTY)
    .executeTakeFirstOrThrow();
  const ecert = await db
    .selectFrom('ecert_activations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('county_code', '=', DEMO_COUNTY)
    .executeTakeFirstOrThrow();
  const perVillage = villages.map((v) => {
    const mine = rows.filter((r) => r.village_code === v.code);
    return {
      code: v.code,
      name: v.name,
      people: v.people,
      households: v.households.length,
      enrolled: mine.filter((r) => ENROLLED.includes(r.status)).length,
      paid: mine.filter((r) => r.paid_fen > 0).length,
      amountFen: mine.reduce((n, r) => n + r.paid_fen, 0),
    };
  });
  return {
    enrolled: perVillage.reduce((n, v) => n + v.enrolled, 0),
    paid: perVillage.reduce((n, v) => n + v.paid, 0),
    awaitingPayment: rows.filter((r) => r.status === 'awaiting_payment').length,
    amountFen: perVillage.reduce((n, v) => n + v.amountFen, 0),
    orders: Number(orders.n),
    ecertActivated: Number(ecert.n),
    villages: perVillage,
  };
}
