/**
 * 基金收缴 (issue 5): money collected per day and channel, cash remitted, confirmed by tax and
 * refunds paid out, from the campaign's collection start to the report date — the figures of
 * `reconciliationReport` (collection/books.ts), each reconciled here with the journal: the debits of
 * the payment, remittance, tax-confirmation and refund-payout transfers of the same day and channel.
 *
 * The books are kept per county (the pooling region): a cash remittance is a collector's, not a
 * village's, so the report is for the county only and refuses a township or a village.
 *
 * Dates are business dates (the payment date, the remittance date, the confirmation date, the
 * payout date) on both sides, as the reconciliation report and the journal's `occurred_on` use
 * them. The list of payments still unconfirmed is as of today (what has yet to be chased).
 */
import { maskIdNumber } from '@canbao/core';
import { type SqlBool, sql } from 'kysely';
import { type DayChannelRow, type ReconciliationReport, reconciliationReport } from '../collection/books.ts';
import { findCampaign } from '../collection/campaign.ts';
import { CHANNELS } from '../collection/channels.ts';
import { type CollectionContext, CollectionError } from '../collection/context.ts';
import type { ChannelCode } from '../db/schema.ts';
import type { CellValue } from '../files/write-xlsx.ts';
import { reportMeta } from './meta.ts';
import type { ReportDefinition, ReportTable } from './report.ts';
import { idText, money, num, yuan } from './subsidies.ts';

/** The four movements reconciled, in the report's and the journal's terms. */
const MEASURES = [
  { key: 'collectedFen', kind: 'payment', label: '缴费' },
  { key: 'remittedFen', kind: 'remittance', label: '现金解缴' },
  { key: 'confirmedFen', kind: 'tax_confirmation', label: '税务确认' },
  { key: 'refundsPaidFen', kind: 'refund_payout', label: '退费支付' },
] as const;
type MeasureKey = (typeof MEASURES)[number]['key'];
type Amounts = Record<MeasureKey, number>;

export interface FundDay extends DayChannelRow {
  /** The same movements as the journal books them. */
  readonly journal: Amounts;
  /** What differs, in Chinese ('' when everything agrees). */
  readonly differences: string;
}

export interface FundReport {
  readonly from: string;
  readonly to: string;
  readonly days: readonly FundDay[];
  readonly totals: readonly (Omit<DayChannelRow, 'date'> & { journal: Amounts; differences: string })[];
  /** Per movement over the period: the business records, the journal, the difference. */
  readonly reconciliation: readonly {
    readonly measure: MeasureKey;
    readonly label: string;
    readonly recordsFen: number;
    readonly journalFen: number;
    readonly differenceFen: number;
  }[];
  readonly ok: boolean;
  readonly tax: ReconciliationReport['tax'];
}

const zero = (): Amounts => ({ collectedFen: 0, remittedFen: 0, confirmedFen: 0, refundsPaidFen: 0 });
const channelLabel = (code: string) => CHANNELS[code as ChannelCode]?.label ?? code;

/** The debits of each movement's transfers per business date and channel over the period. */
async function journalDays(ctx: CollectionContext, from: string, to: string): Promise<Map<string, Amounts>> {
  const base = (kind: string) =>
    ctx.db
      .selectFrom('journal_transfers as jt')
      .innerJoin('journal_lines as jl', 'jl.transfer_id', 'jt.id')
      .where('jt.county_code', '=', ctx.countyCode)
      .where('jt.kind', '=', kind)
      .where('jl.amount_fen', '>', 0)
      .where('jt.occurred_on', '>=', from)
      .where('jt.occurred_on', '<=', to);
  const fen = sql<number>`sum(jl.amount_fen)`.as('fen');
  const payments = base('payment')
    .innerJoin('payment_orders as po', (j) => j.on(sql<SqlBool>`${idText('po.id')} = jt.business_id`))
    .select(['jt.occurred_on as day', 'po.channel as channel', fen])
    .where('jt.business_type', '=', 'payment_order')
    .groupBy(['jt.occurred_on', 'po.channel'])
    .execute();
  const remitted = base('remittance')
    .select(['jt.occurred_on as day', sql<string>`'cash_collection'`.as('channel'), fen])
    .groupBy('jt.occurred_on')
    .execute();
  const confirmed = base('tax_confirmation')
    .innerJoin('tax_confirmations as tc', (j) => j.on(sql<SqlBool>`${idText('tc.id')} = jt.business_id`))
    .innerJoin('payments as p', 'p.id', 'tc.payment_id')
    .select(['jt.occurred_on as day', 'p.channel as channel', fen])
    .groupBy(['jt.occurred_on', 'p.channel'])
    .execute();
  // A refund counts under the channel its enrollment paid through, as in the reconciliation report.
  const firstChannel = sql<
    string | null
  >`(select p.channel from payments p where p.enrollment_id = r.enrollment_id order by p.id limit 1)`;
  const refunds = base('refund_payout')
    .innerJoin('refunds as r', (j) => j.on(sql<SqlBool>`${idText('r.id')} = jt.business_id`))
    .select(['jt.occurred_on as day', firstChannel.as('channel'), 'jl.amount_fen as fen'])
    .execute();
  const days = new Map<string, Amounts>();
  const add = (rows: readonly { day: string; channel: string | null; fen: unknown }[], key: MeasureKey) => {
    for (const r of rows) {
      const k = `${r.day}|${r.channel ?? 'none'}`;
      const a = days.get(k) ?? zero();
      a[key] += num(r.fen);
      days.set(k, a);
    }
  };
  add(await payments, 'collectedFen');
  add(await remitted, 'remittedFen');
  add(await confirmed, 'confirmedFen');
  add(await refunds, 'refundsPaidFen');
  return days;
}

function differences(records: Amounts, journal: Amounts): string {
  return MEASURES.filter((m) => records[m.key] !== journal[m.key])
    .map((m) => `${m.label}：业务 ${yuan(records[m.key])}，日记账 ${yuan(journal[m.key])}`)
    .join('；');
}

export async function fundReport(
  ctx: CollectionContext,
  asOf: string,
  benefitYear?: number,
): Promise<FundReport> {
  const { policy } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const from = [policy.collection.start.toString(), asOf].sort()[0] as string;
  const report = await reconciliationReport(ctx, {
    from,
    to: asOf,
    ...(benefitYear === undefined ? {} : { benefitYear }),
  });
  const journal = await journalDays(ctx, from, asOf);
  const records = new Map(report.days.map((d) => [`${d.date}|${d.channel}`, d]));
  const keys = [...new Set([...records.keys(), ...journal.keys()])].sort();
  const order = Object.keys(CHANNELS);
  const days: FundDay[] = keys.map((key) => {
    const [date, channel] = key.split('|') as [string, string];
    const r = records.get(key) ?? {
      date,
      channel,
      channelLabel: channelLabel(channel),
      collectedCount: 0,
      collectedFen: 0,
      confirmedCount: 0,
      confirmedFen: 0,
      remittedFen: 0,
      refundsPaidFen: 0,
    };
    const j = journal.get(key) ?? zero();
    return { ...r, journal: j, differences: differences(r, j) };
  });
  days.sort((a, b) => a.date.localeCompare(b.date) || order.indexOf(a.channel) - order.indexOf(b.channel));
  const journalTotals = new Map<string, Amounts>();
  for (const d of days) {
    for (const c of [d.channel, 'all']) {
      const t = journalTotals.get(c) ?? zero();
      for (const m of MEASURES) t[m.key] += d.journal[m.key];
      journalTotals.set(c, t);
    }
  }
  const totals = report.totals.map((t) => {
    const j = journalTotals.get(t.channel) ?? zero();
    return { ...t, journal: j, differences: differences(t, j) };
  });
  const all = totals.find((t) => t.channel === 'all');
  const reconciliation = MEASURES.map((m) => {
    const recordsFen = all?.[m.key] ?? 0;
    const journalFen = journalTotals.get('all')?.[m.key] ?? 0;
    return { measure: m.key, label: m.label, recordsFen, journalFen, differenceFen: journalFen - recordsFen };
  });
  return {
    from,
    to: asOf,
    days,
    totals,
    reconciliation,
    ok: days.every((d) => d.differences === ''),
    tax: report.tax,
  };
}

const AMOUNT_COLUMNS = [
  { header: '缴费笔数', width: 10, text: false },
  { header: '缴费金额（元）', width: 14, text: false },
  { header: '现金解缴（元）', width: 14, text: false },
  { header: '税务确认笔数', width: 12, text: false },
  { header: '税务确认金额（元）', width: 16, text: false },
  { header: '退费支付（元）', width: 14, text: false },
  { header: '与日记账核对', width: 30 },
] as const;

function amountCells(r: Omit<DayChannelRow, 'date'> & { differences: string }): CellValue[] {
  return [
    r.collectedCount,
    money(r.collectedFen),
    money(r.remittedFen),
    r.confirmedCount,
    money(r.confirmedFen),
    money(r.refundsPaidFen),
    r.differences || '一致',
  ];
}

function fundTables(report: FundReport): ReportTable[] {
  const period = `期间 ${report.from} 至 ${report.to}（自征缴期开始；按缴费、解缴、确认、退费支付的业务日期）。`;
  const tax = report.tax;
  return [
    {
      name: '按日按渠道',
      title: '基金收缴（按日按渠道）',
      columns: [{ header: '日期', width: 12 }, { header: '渠道', width: 20 }, ...AMOUNT_COLUMNS],
      rows: report.days.map((d) => [d.date, d.channelLabel, ...amountCells(d)]),
      notes: [period],
    },
    {
      name: '渠道合计',
      title: '基金收缴（渠道合计）',
      columns: [{ header: '渠道', width: 20 }, ...AMOUNT_COLUMNS],
      rows: report.totals.map((t) => [t.channelLabel, ...amountCells(t)]),
    },
    {
      name: '日记账核对',
      title: '基金收缴与日记账核对',
      columns: [
        { header: '项目', width: 12 },
        { header: '业务记录（元）', width: 14, text: false },
        { header: '日记账（元）', width: 14, text: false },
        { header: '差额（元）', width: 12, text: false },
      ],
      rows: report.reconciliation.map((r) => [
        r.label,
        money(r.recordsFen),
        money(r.journalFen),
        money(r.differenceFen),
      ]),
      notes: [
        '日记账：缴费、现金解缴、税务确认、退费支付各类转账的借方合计，按业务日期和渠道。',
        report.ok ? '逐日逐渠道核对一致。' : '有差异：见“按日按渠道”的“与日记账核对”列。',
      ],
    },
    {
      name: '税务确认',
      title: '税务确认与缴费',
      columns: [
        { header: '项目', width: 40 },
        { header: '笔数', width: 10, text: false },
        { header: '金额（元）', width: 14, text: false },
      ],
      rows: [
        ['期间内缴费', tax.paymentsCount, money(tax.paymentsFen)],
        ['期间内税务确认（已匹配）', tax.matchedCount, money(tax.matchedFen)],
        ['期间内税务确认差异（未入账）', tax.discrepancyCount, money(tax.discrepancyFen)],
        [`缴费后超过 ${tax.olderThanDays} 天仍未确认`, tax.unconfirmed.length, money(tax.unconfirmedFen)],
      ],
    },
    {
      name: '未确认缴费',
      title: `缴费后超过 ${tax.olderThanDays} 天仍未经税务确认的缴费（截至今天）`,
      columns: [
        { header: '姓名', width: 10 },
        { header: '证件号码', width: 22 },
        { header: '渠道', width: 20 },
        { header: '渠道流水号', width: 20 },
        { header: '缴费金额（元）', width: 14, text: false },
        { header: '缴费日期', width: 12 },
        { header: '已过天数', width: 10, text: false },
      ],
      rows: tax.unconfirmed.map((p) => [
        p.name,
        maskIdNumber(p.docNumber),
        p.channelLabel,
        p.txnId,
        money(p.amountFen),
        p.paidOn,
        p.days,
      ]),
    },
  ];
}

export const fundsDefinition: ReportDefinition<FundReport> = {
  name: 'funds',
  label: '基金收缴',
  description: '按日按渠道的缴费、现金解缴、税务确认和退费支付，逐项与日记账核对（仅全县）',
  async run(ctx, scope) {
    const meta = await reportMeta(ctx, scope);
    if (scope.regionCode !== ctx.countyCode) {
      throw new CollectionError(
        'region_level',
        `基金收缴报表只按县级统筹区（${ctx.countyCode}）出具：基金按统筹区记账，现金解缴属于代收员而不属于某个村，无法按乡镇或村拆分。请去掉 --region 或使用 --region ${ctx.countyCode}`,
      );
    }
    const data = await fundReport(ctx, scope.asOf, meta.campaign.benefit_year);
    return { meta, data, tables: fundTables(data) };
  },
};
