/**
 * 资助结算 (issue 5): what each funder owes for the people enrolled as of a date, from the stored
 * assessments (people × subsidy per group and funder); the transfer the policy's `subsidy_transfer`
 * deadline asks for (瑶海区: from the medical assistance fund to the city's fiscal special account
 * by 12-31); the 先缴后补 reimbursements per funder (paid, batched, not yet batched); and the direct
 * subsidies cross-checked with the journal, enrollment by enrollment.
 *
 * "As of" a date: what had been recorded by the end of that day (Asia/Shanghai). An enrollment's
 * state is the one its last event recorded by then left it in, and the journal counts the transfers
 * recorded by then (`recorded_at`), so both sides of the cross-check see the same moment even when
 * a payment was recorded days after it was made (a bank file).
 */
import {
  type Fen,
  formatYuan,
  groupLabel,
  isGroupCode,
  maskIdNumber,
  type Policy,
  parseDate,
} from '@canbao/core';
import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import { findCampaign } from '../collection/campaign.ts';
import type { CollectionContext } from '../collection/context.ts';
import type { StoredAssessment } from '../collection/enrollments.ts';
import { funderName } from '../collection/reimbursements.ts';
import type { Database, EnrollmentStatus } from '../db/schema.ts';
import type { CellValue } from '../files/write-xlsx.ts';
import { reportMeta } from './meta.ts';
import type { ReportDefinition, ReportTable } from './report.ts';

// ---------------------------------------------------------------------------------------------
// What the screening and subsidy reports share: the moment "as of" means, enrollment states at
// that moment, the region filter, money cells.

/** The instant a day ends in Asia/Shanghai (the next day's midnight), ISO with milliseconds. */
export function endOfDay(date: string): string {
  return parseDate(date)
    .add({ days: 1 })
    .toZonedDateTime('Asia/Shanghai')
    .toInstant()
    .toString({ fractionalSecondDigits: 3 });
}

/**
 * The state enrollment `e` was in at the end of `asOf`: the state its last event recorded by then
 * left it in (null when it did not exist yet). For today or later that is its current state, read
 * without the per-enrollment subquery.
 */
export function statusAsOf(ctx: CollectionContext, asOf: string): RawBuilder<EnrollmentStatus | null> {
  if (asOf >= ctx.today) return sql<EnrollmentStatus>`e.status`;
  return sql<EnrollmentStatus | null>`(select ev.to_status from enrollment_events ev where ev.enrollment_id = e.id and ev.at < ${endOfDay(asOf)} order by ev.at desc, ev.id desc limit 1)`;
}

/** `e` counted as enrolled (paid or confirmed) at the end of `asOf`. */
export function enrolledAsOf(ctx: CollectionContext, asOf: string): Expression<SqlBool> {
  return sql<SqlBool>`${statusAsOf(ctx, asOf)} in ('paid', 'confirmed')`;
}

/** A village code (or null) inside the report's region: everything for the county. */
export function inRegion(ctx: CollectionContext, regionCode: string, village: string | null): boolean {
  return regionCode === ctx.countyCode || (village?.startsWith(regionCode) ?? false);
}

/** Yuan as a number cell (sortable and summable in Excel); the fen stay exact in the JSON. */
export const money = (fen: number): CellValue => Number(formatYuan(fen as Fen));
export const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;
export const num = (value: unknown) => Number(value ?? 0);
/** Text equal to cast(id as text) on both engines: joins a text business id to an integer key. */
export const idText = (column: string) => sql<string>`cast(${sql.ref(column)} as text)`;

/** Days from `from` to `to` (negative when `to` is earlier). */
export function daysFrom(from: string, to: string): number {
  return parseDate(from).until(parseDate(to), { largestUnit: 'days' }).days;
}

/** The date of a deadline on or after `asOf`: its fixed date, or the next `dayOfMonth`. */
export function deadlineDate(deadline: Policy['deadlines'][number], asOf: string): string {
  if (deadline.date !== null) return deadline.date.toString();
  const day = parseDate(asOf);
  const dayOfMonth = deadline.dayOfMonth as number;
  const thisMonth = day.with({ day: Math.min(dayOfMonth, day.daysInMonth) });
  if (thisMonth.toString() >= asOf) return thisMonth.toString();
  const next = day.add({ months: 1 });
  return next.with({ day: Math.min(dayOfMonth, next.daysInMonth) }).toString();
}

// ---------------------------------------------------------------------------------------------
// The report

type Mode = 'direct' | 'refund_later';
const MODE_LABELS: Readonly<Record<Mode, string>> = { direct: '直接资助', refund_later: '先缴后补' };

export interface SubsidyLine {
  readonly funder: string;
  readonly funderName: string;
  readonly mode: Mode;
  readonly group: string;
  readonly groupLabel: string;
  readonly rule: string;
  readonly ruleLabel: string;
  /** The subsidy per person, fen. */
  readonly perPersonFen: number;
  readonly people: number;
  readonly totalFen: number;
}

export interface TransferDue {
  readonly deadlineId: string;
  readonly label: string;
  readonly cite: string;
  readonly dueOn: string;
  readonly funder: string;
  readonly funderName: string;
  readonly people: number;
  readonly amountFen: number;
  /** Days from the report date to the deadline (negative once past). */
  readonly daysLeft: number;
}

export interface ReimbursementSummary {
  readonly funder: string;
  readonly funderName: string;
  /** Enrolled people owed a 先缴后补 subsidy by this funder. */
  readonly owedPeople: number;
  readonly owedFen: number;
  /** In a batch created by the date (of this region and year). */
  readonly batchedPeople: number;
  readonly batchedFen: number;
  /** Of those, in a batch the funder had paid out by the date. */
  readonly paidPeople: number;
  readonly paidFen: number;
  readonly notBatchedPeople: number;
  readonly notBatchedFen: number;
}

export interface JournalCheck {
  readonly funder: string;
  readonly funderName: string;
  /** Direct subsidies of the enrolled, from their stored assessments. */
  readonly enrollmentsFen: number;
  /** funder:<f> debits of subsidy transfers minus the subsidies refunds returned. */
  readonly journalFen: number;
  readonly differenceFen: number;
}

export interface JournalDifference {
  readonly enrollmentId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly funder: string;
  readonly enrollmentsFen: number;
  readonly journalFen: number;
  readonly differenceFen: number;
}

export interface SubsidyReport {
  readonly benefitYear: number;
  readonly lines: readonly SubsidyLine[];
  readonly totals: readonly {
    funder: string;
    funderName: string;
    mode: Mode;
    people: number;
    totalFen: number;
  }[];
  readonly transfers: readonly TransferDue[];
  readonly reimbursements: readonly ReimbursementSummary[];
  readonly journal: {
    readonly ok: boolean;
    readonly funders: readonly JournalCheck[];
    readonly differences: readonly JournalDifference[];
  };
}

export async function subsidyReport(
  ctx: CollectionContext,
  regionCode: string,
  asOf: string,
  benefitYear?: number,
): Promise<SubsidyReport> {
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const db = ctx.db;
  const year = campaign.benefit_year;
  const local = regionCode !== ctx.countyCode;
  const enrolled = await db
    .selectFrom('enrollments as e')
    .innerJoin('people as p', 'p.id', 'e.person_id')
    .select(['e.id', 'e.assessment', 'p.name', 'p.doc_number'])
    .where('e.county_code', '=', ctx.countyCode)
    .where('e.benefit_year', '=', year)
    .where((eb) => eb.or([eb('e.subsidy_fen', '>', 0), eb('e.refund_later_fen', '>', 0)]))
    .where(enrolledAsOf(ctx, asOf))
    .$if(local, (q) => q.where('e.village_code', 'like', `${regionCode}%`))
    .orderBy('e.id')
    .execute();

  const ruleLabels = new Map(policy.subsidies.rules.map((r) => [r.id, r.label]));
  const lines = new Map<string, { -readonly [K in keyof SubsidyLine]: SubsidyLine[K] }>();
  /** Direct subsidies per enrollment and funder, for the journal cross-check. */
  const direct = new Map<number, Map<string, number>>();
  /** 先缴后补 owed per funder: enrollment id → amount. */
  const owed = new Map<string, Map<number, number>>();
  const people = new Map<number, { name: string; docNumber: string }>();
  for (const e of enrolled) {
    people.set(e.id, { name: e.name, docNumber: e.doc_number });
    for (const s of (JSON.parse(e.assessment) as StoredAssessment).subsidies) {
      if (s.amount === 0) continue;
      const key = [s.funder, s.mode, s.rule, s.group, s.amount].join('|');
      const line = lines.get(key) ?? {
        funder: s.funder,
        funderName: funderName(s.funder),
        mode: s.mode,
        group: s.group,
        groupLabel: isGroupCode(s.group) ? groupLabel(s.group) : s.group,
        rule: s.rule,
        ruleLabel: ruleLabels.get(s.rule) ?? s.rule,
        perPersonFen: s.amount,
        people: 0,
        totalFen: 0,
      };
      line.people += 1;
      line.totalFen += s.amount;
      lines.set(key, line);
      if (s.mode === 'direct') {
        const m = direct.get(e.id) ?? new Map<string, number>();
        m.set(s.funder, (m.get(s.funder) ?? 0) + s.amount);
        direct.set(e.id, m);
      } else {
        const m = owed.get(s.funder) ?? new Map<number, number>();
        m.set(e.id, (m.get(e.id) ?? 0) + s.amount);
        owed.set(s.funder, m);
      }
    }
  }
  const sortedLines = [...lines.values()].sort(
    (a, b) =>
      a.mode.localeCompare(b.mode) ||
      a.funder.localeCompare(b.funder) ||
      b.perPersonFen - a.perPersonFen ||
      a.group.localeCompare(b.group),
  );
  const totalsMap = new Map<
    string,
    { funder: string; funderName: string; mode: Mode; people: number; totalFen: number }
  >();
  for (const l of sortedLines) {
    const key = `${l.mode}|${l.funder}`;
    const t = totalsMap.get(key) ?? {
      funder: l.funder,
      funderName: l.funderName,
      mode: l.mode,
      people: 0,
      totalFen: 0,
    };
    t.people += l.people;
    t.totalFen += l.totalFen;
    totalsMap.set(key, t);
  }
  const totals = [...totalsMap.values()];

  const transfers: TransferDue[] = [];
  for (const d of policy.deadlines.filter((x) => x.kind === 'subsidy_transfer')) {
    const dueOn = deadlineDate(d, asOf);
    for (const t of totals.filter((x) => x.mode === 'direct')) {
      transfers.push({
        deadlineId: d.id,
        label: d.label,
        cite: d.cite.map((key) => policy.clauses[key]?.ref ?? key).join('、'),
        dueOn,
        funder: t.funder,
        funderName: t.funderName,
        people: t.people,
        amountFen: t.totalFen,
        daysLeft: daysFrom(asOf, dueOn),
      });
    }
  }

  const reimbursements = await reimbursementSummary(db, ctx, { year, asOf, regionCode, owed });
  const journal = await journalCheck(db, ctx, { year, asOf, regionCode, direct, people });
  return { benefitYear: year, lines: sortedLines, totals, transfers, reimbursements, journal };
}

async function reimbursementSummary(
  db: Kysely<Database>,
  ctx: CollectionContext,
  o: { year: number; asOf: string; regionCode: string; owed: Map<string, Map<number, number>> },
): Promise<ReimbursementSummary[]> {
  const items = await db
    .selectFrom('reimbursement_items as ri')
    .innerJoin('reimbursement_batches as b', 'b.id', 'ri.batch_id')
    .innerJoin('enrollments as e', 'e.id', 'ri.enrollment_id')
    .select(['ri.enrollment_id', 'ri.amount_fen', 'b.funder', 'b.paid_on'])
    .where('ri.county_code', '=', ctx.countyCode)
    .where('e.benefit_year', '=', o.year)
    .where('b.created_on', '<=', o.asOf)
    .$if(o.regionCode !== ctx.countyCode, (q) => q.where('e.village_code', 'like', `${o.regionCode}%`))
    .execute();
  const funders = new Set<string>([...o.owed.keys(), ...items.map((i) => i.funder)]);
  return [...funders].sort().map((funder) => {
    const owedHere = o.owed.get(funder) ?? new Map<number, number>();
    const batched = items.filter((i) => i.funder === funder);
    const batchedIds = new Set(batched.map((i) => i.enrollment_id));
    const paid = batched.filter((i) => i.paid_on !== null && i.paid_on <= o.asOf);
    const open = [...owedHere].filter(([id]) => !batchedIds.has(id));
    const sum = (xs: readonly number[]) => xs.reduce((n, x) => n + x, 0);
    return {
      funder,
      funderName: funderName(funder),
      owedPeople: owedHere.size,
      owedFen: sum([...owedHere.values()]),
      batchedPeople: batched.length,
      batchedFen: sum(batched.map((i) => i.amount_fen)),
      paidPeople: paid.length,
      paidFen: sum(paid.map((i) => i.amount_fen)),
      notBatchedPeople: open.length,
      notBatchedFen: sum(open.map(([, fen]) => fen)),
    };
  });
}

/**
 * The direct subsidies of the enrolled against the journal: per enrollment and funder, the
 * funder:<f> lines of its subsidy transfers (Dr) and of the subsidy returns of its refunds (Cr),
 * recorded by the end of the date.
 */
async function journalCheck(
  db: Kysely<Database>,
  ctx: CollectionContext,
  o: {
    year: number;
    asOf: string;
    regionCode: string;
    direct: Map<number, Map<string, number>>;
    people: Map<number, { name: string; docNumber: string }>;
  },
): Promise<SubsidyReport['journal']> {
  const cutoff = endOfDay(o.asOf);
  const local = o.regionCode !== ctx.countyCode;
  const base = db
    .selectFrom('journal_transfers as jt')
    .innerJoin('journal_lines as jl', 'jl.transfer_id', 'jt.id')
    .where('jt.county_code', '=', ctx.countyCode)
    .where('jl.account', 'like', 'funder:%')
    .where('jt.recorded_at', '<', cutoff);
  /** The funder lines of one kind of transfer per enrollment, `enrollmentKey` naming its enrollment id as text. */
  const perEnrollment = (kind: string, businessType: string, enrollmentKey: RawBuilder<string>) =>
    base
      .innerJoin('enrollments as e', (join) => join.on(sql<SqlBool>`${idText('e.id')} = ${enrollmentKey}`))
      .innerJoin('people as p', 'p.id', 'e.person_id')
      .select([
        'e.id',
        'p.name',
        'p.doc_number',
        'jl.account',
        (eb) => eb.fn.sum<number>('jl.amount_fen').as('fen'),
      ])
      .where('jt.kind', '=', kind)
      .where('jt.business_type', '=', businessType)
      .where('e.benefit_year', '=', o.year)
      .$if(local, (q) => q.where('e.village_code', 'like', `${o.regionCode}%`))
      .groupBy(['e.id', 'p.name', 'p.doc_number', 'jl.account'])
      .execute();
  const booked = await perEnrollment('subsidy', 'enrollment', sql<string>`jt.business_id`);
  // A refund's transfers carry the refund's id: the enrollment is the refund's.
  const returned = await perEnrollment(
    'refund',
    'refund',
    sql<string>`(select ${idText('r.enrollment_id')} from refunds r where ${idText('r.id')} = jt.business_id)`,
  );
  const journal = new Map<number, Map<string, number>>();
  const people = new Map(o.people);
  for (const r of [...booked, ...returned]) {
    const funder = r.account.slice('funder:'.length);
    const m = journal.get(r.id) ?? new Map<string, number>();
    m.set(funder, (m.get(funder) ?? 0) + num(r.fen));
    journal.set(r.id, m);
    people.set(r.id, { name: r.name, docNumber: r.doc_number });
  }
  const differences: JournalDifference[] = [];
  const perFunder = new Map<string, { enrollmentsFen: number; journalFen: number }>();
  const ids = [...new Set([...o.direct.keys(), ...journal.keys()])].sort((a, b) => a - b);
  for (const id of ids) {
    const expected = o.direct.get(id) ?? new Map<string, number>();
    const actual = journal.get(id) ?? new Map<string, number>();
    for (const funder of new Set([...expected.keys(), ...actual.keys()])) {
      const e = expected.get(funder) ?? 0;
      const a = actual.get(funder) ?? 0;
      const f = perFunder.get(funder) ?? { enrollmentsFen: 0, journalFen: 0 };
      f.enrollmentsFen += e;
      f.journalFen += a;
      perFunder.set(funder, f);
      if (e !== a) {
        const who = people.get(id);
        differences.push({
          enrollmentId: id,
          name: who?.name ?? '',
          docNumber: who ? maskIdNumber(who.docNumber) : '',
          funder,
          enrollmentsFen: e,
          journalFen: a,
          differenceFen: a - e,
        });
      }
    }
  }
  const funders = [...perFunder]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([funder, f]) => ({
      funder,
      funderName: funderName(funder),
      ...f,
      differenceFen: f.journalFen - f.enrollmentsFen,
    }));
  return { ok: differences.length === 0, funders, differences };
}

function subsidyTables(report: SubsidyReport, asOf: string): ReportTable[] {
  const tables: ReportTable[] = [];
  tables.push({
    name: '资助结算',
    title: '资助结算（按资助方和人群）',
    columns: [
      { header: '资助方', width: 16 },
      { header: '资助方式', width: 10 },
      { header: '资助人群', width: 30 },
      { header: '资助规则', width: 36 },
      { header: '每人资助（元）', width: 14, text: false },
      { header: '人数', width: 8, text: false },
      { header: '资助金额（元）', width: 16, text: false },
    ],
    rows: report.lines.map((l) => [
      l.funderName,
      MODE_LABELS[l.mode],
      l.groupLabel,
      l.ruleLabel,
      money(l.perPersonFen),
      l.people,
      money(l.totalFen),
    ]),
    notes: report.totals.map(
      (t) => `${t.funderName}（${MODE_LABELS[t.mode]}）合计：${t.people} 人，${yuan(t.totalFen)}`,
    ),
  });
  tables.push({
    name: '资金划转',
    title: '资助资金划转（政策规定的期限）',
    columns: [
      { header: '事项', width: 40 },
      { header: '依据', width: 12 },
      { header: '截止日期', width: 12 },
      { header: '资助方', width: 16 },
      { header: '人数', width: 8, text: false },
      { header: '应划转金额（元）', width: 16, text: false },
      { header: '期限', width: 16 },
    ],
    rows: report.transfers.map((t) => [
      t.label,
      t.cite,
      t.dueOn,
      t.funderName,
      t.people,
      money(t.amountFen),
      t.daysLeft >= 0 ? `距截止 ${t.daysLeft} 天` : `已过截止日 ${-t.daysLeft} 天`,
    ]),
    notes:
      report.transfers.length === 0
        ? ['政策未规定资助资金划转期限（deadlines 中没有 subsidy_transfer），或截至该日没有直接资助。']
        : [`应划转金额为截至 ${asOf} 已参保人员的直接资助合计（人数 × 各人群资助标准）。`],
  });
  tables.push({
    name: '先缴后补',
    title: '先缴后补资助（按资助方）',
    columns: [
      { header: '资助方', width: 16 },
      { header: '应补人数', width: 10, text: false },
      { header: '应补金额（元）', width: 14, text: false },
      { header: '已入批次人数', width: 12, text: false },
      { header: '已入批次金额（元）', width: 16, text: false },
      { header: '已拨付人数', width: 10, text: false },
      { header: '已拨付金额（元）', width: 14, text: false },
      { header: '未入批次人数', width: 12, text: false },
      { header: '未入批次金额（元）', width: 16, text: false },
    ],
    rows: report.reimbursements.map((r) => [
      r.funderName,
      r.owedPeople,
      money(r.owedFen),
      r.batchedPeople,
      money(r.batchedFen),
      r.paidPeople,
      money(r.paidFen),
      r.notBatchedPeople,
      money(r.notBatchedFen),
    ]),
    notes: report.reimbursements.length === 0 ? ['没有先缴后补资助。'] : [],
  });
  const j = report.journal;
  tables.push({
    name: '日记账核对',
    title: '直接资助与日记账核对',
    columns: [
      { header: '资助方', width: 16 },
      { header: '参保记录直接资助（元）', width: 20, text: false },
      { header: '日记账（元）', width: 14, text: false },
      { header: '差额（元）', width: 12, text: false },
    ],
    rows: j.funders.map((f) => [
      f.funderName,
      money(f.enrollmentsFen),
      money(f.journalFen),
      money(f.differenceFen),
    ]),
    notes: [
      '日记账 = 资助方账户在资助记账（kind subsidy）中的借方 − 退费退回的资助（refund-subsidy）。',
      j.ok ? '核对一致。' : `有 ${j.differences.length} 处差异，见“核对差异”。`,
    ],
  });
  if (!j.ok) {
    tables.push({
      name: '核对差异',
      title: '直接资助与日记账的差异（逐人）',
      columns: [
        { header: '参保登记号', width: 10, text: false },
        { header: '姓名', width: 10 },
        { header: '证件号码', width: 22 },
        { header: '资助方', width: 16 },
        { header: '参保记录（元）', width: 14, text: false },
        { header: '日记账（元）', width: 14, text: false },
        { header: '差额（元）', width: 12, text: false },
      ],
      rows: j.differences.map((d) => [
        d.enrollmentId,
        d.name,
        d.docNumber,
        funderName(d.funder),
        money(d.enrollmentsFen),
        money(d.journalFen),
        money(d.differenceFen),
      ]),
    });
  }
  return tables;
}

export const subsidiesDefinition: ReportDefinition<SubsidyReport> = {
  name: 'subsidies',
  label: '资助结算',
  description:
    '已参保人员按人群和资助方的资助金额、政策期限内应划转的资金、先缴后补待拨付情况，并与日记账核对',
  async run(ctx, scope) {
    const meta = await reportMeta(ctx, scope);
    const data = await subsidyReport(ctx, scope.regionCode, scope.asOf, meta.campaign.benefit_year);
    return { meta, data, tables: subsidyTables(data, scope.asOf) };
  },
};
