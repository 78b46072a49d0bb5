/**
 * Checking the books against the business records (`canbao ledger check`) and the reconciliation
 * reports (`canbao ledger report`).
 *
 * The journal is append-only and every transfer is validated when written, so what can go wrong
 * is the two sides drifting apart: a row of enrollments or payments changed behind canbao's back, a
 * transfer recorded without its business record, a business record without its transfer. The
 * check recomputes each side on its own and lists every difference to the fen, naming the person,
 * the order, the receipt or the collector:
 *
 * - every transfer balanced;
 * - per enrollment: −balance(enrollment:<id>) = pays + direct subsidies while paid or confirmed, 0
 *   otherwise (refunded, never paid); its payments add up to paid_fen (and to pays_fen once paid);
 * - per channel: the orders, their payment lines and the journal's payment transfers agree;
 * - tax: payments carrying a receipt, matched confirmations and the treasury debits of
 *   tax confirmations agree, receipt by receipt;
 * - cash: each collector's cash collected − remitted is what their account holds;
 * - the shared accounts (待报解, treasury, refunds and reimbursements payable) hold what the
 *   business records say they should;
 * - the bank withholding batches, when that module provides its reconciliation.
 *
 * Every comparison is one aggregate query per side, returning only the rows that differ, so a
 * county of a million enrollments is checked without loading them.
 */
import { type Fen, formatYuan, parseDate } from '@canbao/core';
import { type Kysely, type SqlBool, sql } from 'kysely';
import type { ChannelCode, Database } from '../db/schema.ts';
import { type CellValue, type SheetSpec, writeXlsx } from '../files/write-xlsx.ts';
import { accountBalances, checkJournal } from '../ledger/journal.ts';
import { findCampaign } from './campaign.ts';
import { CHANNELS } from './channels.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import { STATUS_LABELS } from './enrollments.ts';
import { DISCREPANCY_COLUMNS, discrepancyCells, listDiscrepancies, type TaxDiscrepancy } from './tax.ts';
import { reconcileWithholdingBatches } from './withholding.ts';

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;
const signed = (fen: number) => `${fen > 0 ? '+' : ''}${yuan(fen)}`;
const num = (value: unknown) => Number(value ?? 0);

export type LedgerCheckCode =
  | 'journal'
  | 'enrollments'
  | 'channels'
  | 'tax'
  | 'cash'
  | 'accounts'
  | 'withholding';

export interface LedgerCheck {
  readonly code: LedgerCheckCode;
  /** What is checked, in Chinese. */
  readonly label: string;
  readonly ok: boolean;
  /** One line each: the totals compared, in Chinese. */
  readonly lines: readonly string[];
  /** The same totals as numbers (fen, counts), for programs. */
  readonly figures: Readonly<Record<string, number>>;
}

export interface LedgerDifference {
  readonly check: LedgerCheckCode;
  /** What differs: `enrollment:12`, `order:5`, `receipt:T1`, `collector:qx-001`, `transfer:9`, an account. */
  readonly subject: string;
  /** The difference in Chinese, with both amounts and the person where there is one. */
  readonly message: string;
  /** What the business records say, fen (null when the comparison is not of amounts). */
  readonly expectedFen: number | null;
  /** What the books (or the other record) say, fen. */
  readonly actualFen: number | null;
  /** actual − expected, fen. */
  readonly differenceFen: number | null;
  readonly person?: { readonly id: number; readonly name: string; readonly docNumber: string };
}

export interface LedgerCheckResult {
  readonly ok: boolean;
  readonly countyCode: string;
  readonly checkedOn: string;
  readonly checks: readonly LedgerCheck[];
  readonly differences: readonly LedgerDifference[];
}

type Db = Kysely<Database>;

function difference(
  check: LedgerCheckCode,
  subject: string,
  message: string,
  expected: number | null,
  actual: number | null,
  person?: LedgerDifference['person'],
): LedgerDifference {
  return {
    check,
    subject,
    message,
    expectedFen: expected,
    actualFen: actual,
    differenceFen: expected === null || actual === null ? null : actual - expected,
    ...(person ? { person } : {}),
  };
}

/** `A 应为 x，实为 y，差 z` — the one way every amount difference is worded. */
function amounts(expected: number, actual: number): string {
  return `应为 ${yuan(expected)}，实为 ${yuan(actual)}，差 ${signed(actual - expected)}`;
}

/** Text equal to cast(id as text) on both engines: joins a text business id to an integer key. */
const idText = (column: string) => sql<string>`cast(${sql.ref(column)} as text)`;

/** Runs every check of the county's books. */
export async function checkLedger(ctx: CollectionContext): Promise<LedgerCheckResult> {
  const differences: LedgerDifference[] = [];
  const checks: LedgerCheck[] = [];
  for (const run of [checkTransfers, checkEnrollments, checkChannels, checkTax, checkCash, checkAccounts]) {
    const { check, found } = await run(ctx.db, ctx.countyCode);
    checks.push(check);
    differences.push(...found);
  }
  const withholding = await checkWithholding(ctx);
  if (withholding) {
    checks.push(withholding.check);
    differences.push(...withholding.found);
  }
  return {
    ok: differences.length === 0,
    countyCode: ctx.countyCode,
    checkedOn: ctx.today,
    checks,
    differences,
  };
}

interface Part {
  readonly check: LedgerCheck;
  readonly found: LedgerDifference[];
}

function part(
  code: LedgerCheckCode,
  label: string,
  found: LedgerDifference[],
  lines: string[],
  figures: Record<string, number>,
): Part {
  return { check: { code, label, ok: found.length === 0, lines, figures }, found };
}

// ---------------------------------------------------------------------------------------------
// (a) every transfer balanced

async function checkTransfers(db: Db, countyCode: string): Promise<Part> {
  const journal = await checkJournal(db, countyCode);
  const found = journal.unbalanced.map((u) =>
    difference(
      'journal',
      `transfer:${u.transferId}`,
      u.lines < 2
        ? `转账 #${u.transferId} 只有 ${u.lines} 条分录`
        : `转账 #${u.transferId} 借贷不平衡：分录合计 ${signed(u.sumFen)}`,
      0,
      u.sumFen,
    ),
  );
  if (journal.totalFen !== 0 && found.length === 0) {
    found.push(
      difference('journal', 'journal', `日记账分录合计 ${signed(journal.totalFen)}`, 0, journal.totalFen),
    );
  }
  return part(
    'journal',
    '每笔转账借贷平衡',
    found,
    [`${journal.transfers} 笔转账，${journal.lines} 条分录，合计 ${yuan(journal.totalFen)}`],
    { transfers: journal.transfers, lines: journal.lines, totalFen: journal.totalFen },
  );
}

// ---------------------------------------------------------------------------------------------
// (b) each enrollment

const ENROLLED_SQL = sql`('paid', 'confirmed')`;

async function checkEnrollments(db: Db, countyCode: string): Promise<Part> {
  // Balance of each enrollment account, keyed by the enrollment id read from the account code.
  const balances = db
    .selectFrom('journal_lines')
    .select([
      sql<number>`cast(substr(account, 12) as bigint)`.as('enrollment_id'),
      (eb) => eb.fn.sum<number>('amount_fen').as('balance'),
    ])
    .where('county_code', '=', countyCode)
    .where('account', 'like', 'enrollment:%')
    .groupBy('account');
  const paid = db
    .selectFrom('payments')
    .select(['enrollment_id', (eb) => eb.fn.sum<number>('amount_fen').as('total')])
    .where('county_code', '=', countyCode)
    .groupBy('enrollment_id');
  const expected = sql<number>`case when e.status in ${ENROLLED_SQL} then e.pays_fen + e.subsidy_fen else 0 end`;
  const booked = sql<number>`-coalesce(b.balance, 0)`;
  const payments = sql<number>`coalesce(pm.total, 0)`;
  const rows = await db
    .selectFrom('enrollments as e')
    .innerJoin('people as p', 'p.id', 'e.person_id')
    .leftJoin(balances.as('b'), 'b.enrollment_id', 'e.id')
    .leftJoin(paid.as('pm'), 'pm.enrollment_id', 'e.id')
    .select([
      'e.id',
      'e.benefit_year',
      'e.status',
      'e.pays_fen',
      'e.subsidy_fen',
      'e.paid_fen',
      'p.id as person_id',
      'p.name',
      'p.doc_number',
      expected.as('expected'),
      booked.as('booked'),
      payments.as('payments'),
    ])
    .where('e.county_code', '=', countyCode)
    .where((eb) =>
      eb.or([
        eb(booked, '<>', expected),
        eb(payments, '<>', eb.ref('e.paid_fen')),
        eb.and([sql<SqlBool>`e.status in ${ENROLLED_SQL}`, eb(payments, '<>', eb.ref('e.pays_fen'))]),
      ]),
    )
    .orderBy('e.id')
    .execute();
  const found: LedgerDifference[] = [];
  for (const r of rows) {
    const person = { id: r.person_id, name: r.name, docNumber: r.doc_number };
    const who = `${r.name}（${r.doc_number}，参保登记 #${r.id}，${r.benefit_year} 年度，${STATUS_LABELS[r.status]}）`;
    const subject = `enrollment:${r.id}`;
    const exp = num(r.expected);
    const bookedFen = num(r.booked);
    const paymentsFen = num(r.payments);
    if (bookedFen !== exp) {
      const basis =
        r.status === 'paid' || r.status === 'confirmed'
          ? `个人缴费 ${yuan(r.pays_fen)} + 资助 ${yuan(r.subsidy_fen)}`
          : '未缴费或已退费，应为 0';
      found.push(
        difference(
          'enrollments',
          subject,
          `${who}账户余额${amounts(exp, bookedFen)}（${basis}）`,
          exp,
          bookedFen,
          person,
        ),
      );
    }
    if (paymentsFen !== r.paid_fen) {
      found.push(
        difference(
          'enrollments',
          subject,
          `${who}缴费明细合计与已缴金额不符：已缴金额 ${yuan(r.paid_fen)}，缴费明细 ${yuan(paymentsFen)}，差 ${signed(paymentsFen - r.paid_fen)}`,
          r.paid_fen,
          paymentsFen,
          person,
        ),
      );
    }
    if ((r.status === 'paid' || r.status === 'confirmed') && paymentsFen !== r.pays_fen) {
      found.push(
        difference(
          'enrollments',
          subject,
          `${who}缴费明细合计与应缴金额不符：应缴 ${yuan(r.pays_fen)}，缴费明细 ${yuan(paymentsFen)}，差 ${signed(paymentsFen - r.pays_fen)}`,
          r.pays_fen,
          paymentsFen,
          person,
        ),
      );
    }
  }
  // Enrollment accounts in the journal with no enrollment behind them.
  const orphans = await db
    .selectFrom(balances.as('b'))
    .leftJoin('enrollments as e', (join) =>
      join.onRef('e.id', '=', 'b.enrollment_id').on('e.county_code', '=', countyCode),
    )
    .select(['b.enrollment_id', 'b.balance'])
    .where('e.id', 'is', null)
    .where('b.balance', '<>', 0)
    .execute();
  for (const o of orphans) {
    found.push(
      difference(
        'enrollments',
        `enrollment:${o.enrollment_id}`,
        `账户 enrollment:${o.enrollment_id} 没有对应的参保登记，余额 ${yuan(num(o.balance))}`,
        0,
        -num(o.balance),
      ),
    );
  }
  const totals = await db
    .selectFrom('enrollments as e')
    .select([
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number>`coalesce(sum(case when e.status in ${ENROLLED_SQL} then 1 else 0 end), 0)`.as('enrolled'),
      sql<number>`coalesce(sum(case when e.status in ${ENROLLED_SQL} then e.pays_fen + e.subsidy_fen else 0 end), 0)`.as(
        'expected',
      ),
    ])
    .where('e.county_code', '=', countyCode)
    .executeTakeFirstOrThrow();
  const journalTotal = await db
    .selectFrom('journal_lines')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('total'))
    .where('county_code', '=', countyCode)
    .where('account', 'like', 'enrollment:%')
    .executeTakeFirstOrThrow();
  const figures = {
    enrollments: num(totals.n),
    enrolled: num(totals.enrolled),
    expectedFen: num(totals.expected),
    bookedFen: -num(journalTotal.total),
  };
  return part(
    'enrollments',
    '每条参保登记：账户余额 = 个人缴费 + 资助，缴费明细 = 已缴金额',
    found,
    [
      `${figures.enrollments} 条参保登记（已缴费或已确认 ${figures.enrolled} 条）：应有 ${yuan(figures.expectedFen)}，账上 ${yuan(figures.bookedFen)}`,
    ],
    figures,
  );
}

// ---------------------------------------------------------------------------------------------
// (c) channels, tax, cash

/** The positive lines (money arriving) of the journal's transfers of a kind, per business id. */
function debitsByBusiness(db: Db, countyCode: string, kind: string, account?: string) {
  let query = db
    .selectFrom('journal_transfers as jt')
    .innerJoin('journal_lines as jl', 'jl.transfer_id', 'jt.id')
    .select(['jt.business_id', (eb) => eb.fn.sum<number>('jl.amount_fen').as('amount')])
    .where('jt.county_code', '=', countyCode)
    .where('jt.kind', '=', kind)
    .groupBy('jt.business_id');
  query = account ? query.where('jl.account', '=', account) : query.where('jl.amount_fen', '>', 0);
  return query;
}

/** Transfers (summed per business id) whose business id names no row of `table`: booked without a record. */
async function unbackedTransfers(
  db: Db,
  countyCode: string,
  transfers: ReturnType<typeof debitsByBusiness>,
  table: 'payment_orders' | 'tax_confirmations',
  toDifference: (businessId: string, amountFen: number) => LedgerDifference,
): Promise<LedgerDifference[]> {
  const rows = await db
    .selectFrom(transfers.as('j'))
    .select(['j.business_id', 'j.amount'])
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom(table)
            .select('id')
            .where('county_code', '=', countyCode)
            .where(sql<SqlBool>`j.business_id = ${idText(`${table}.id`)}`),
        ),
      ),
    )
    .orderBy('j.business_id')
    .execute();
  return rows.map((r) => toDifference(r.business_id, num(r.amount)));
}

function channelLabel(code: string): string {
  return CHANNELS[code as ChannelCode]?.label ?? code;
}

async function checkChannels(db: Db, countyCode: string): Promise<Part> {
  const linesPerOrder = db
    .selectFrom('payments')
    .select(['order_id', (eb) => eb.fn.sum<number>('amount_fen').as('total')])
    .where('county_code', '=', countyCode)
    .groupBy('order_id');
  const journal = debitsByBusiness(db, countyCode, 'payment');
  const perChannel = await db
    .selectFrom('payment_orders as po')
    .leftJoin(linesPerOrder.as('pm'), 'pm.order_id', 'po.id')
    .leftJoin(journal.as('j'), (join) => join.on(sql<SqlBool>`j.business_id = ${idText('po.id')}`))
    .select([
      'po.channel',
      (eb) => eb.fn.countAll<number>().as('orders'),
      (eb) => eb.fn.sum<number>('po.amount_fen').as('ordered'),
      sql<number>`coalesce(sum(pm.total), 0)`.as('lines'),
      sql<number>`coalesce(sum(j.amount), 0)`.as('booked'),
    ])
    .where('po.county_code', '=', countyCode)
    .groupBy('po.channel')
    .orderBy('po.channel')
    .execute();
  const found: LedgerDifference[] = [];
  const differing = await db
    .selectFrom('payment_orders as po')
    .leftJoin(linesPerOrder.as('pm'), 'pm.order_id', 'po.id')
    .leftJoin(journal.as('j'), (join) => join.on(sql<SqlBool>`j.business_id = ${idText('po.id')}`))
    .select([
      'po.id',
      'po.channel',
      'po.channel_txn_id',
      'po.paid_on',
      'po.amount_fen',
      sql<number>`coalesce(pm.total, 0)`.as('lines'),
      sql<number>`coalesce(j.amount, 0)`.as('booked'),
    ])
    .where('po.county_code', '=', countyCode)
    .where((eb) =>
      eb.or([
        eb('po.amount_fen', '<>', sql<number>`coalesce(pm.total, 0)`),
        eb('po.amount_fen', '<>', sql<number>`coalesce(j.amount, 0)`),
      ]),
    )
    .orderBy('po.id')
    .execute();
  for (const o of differing) {
    const what = `${channelLabel(o.channel)}缴费 #${o.id}（流水号 ${o.channel_txn_id}，${o.paid_on}，${yuan(o.amount_fen)}）`;
    if (num(o.lines) !== o.amount_fen) {
      found.push(
        difference(
          'channels',
          `order:${o.id}`,
          `${what}的缴费明细合计${amounts(o.amount_fen, num(o.lines))}`,
          o.amount_fen,
          num(o.lines),
        ),
      );
    }
    if (num(o.booked) !== o.amount_fen) {
      found.push(
        difference(
          'channels',
          `order:${o.id}`,
          `${what}的记账金额${amounts(o.amount_fen, num(o.booked))}`,
          o.amount_fen,
          num(o.booked),
        ),
      );
    }
  }
  found.push(
    ...(await unbackedTransfers(db, countyCode, journal, 'payment_orders', (id, amount) =>
      difference(
        'channels',
        `order:${id}`,
        `日记账中有缴费转账（业务号 ${id}，${yuan(amount)}）没有对应的缴费记录`,
        0,
        amount,
      ),
    )),
  );
  const lines = perChannel.map(
    (c) =>
      `${channelLabel(c.channel)}：${c.orders} 笔，缴费记录 ${yuan(num(c.ordered))}，缴费明细 ${yuan(num(c.lines))}，记账 ${yuan(num(c.booked))}`,
  );
  const figures: Record<string, number> = {};
  for (const c of perChannel) {
    figures[`${c.channel}.orders`] = num(c.orders);
    figures[`${c.channel}.recordedFen`] = num(c.ordered);
    figures[`${c.channel}.paymentsFen`] = num(c.lines);
    figures[`${c.channel}.journalFen`] = num(c.booked);
  }
  return part(
    'channels',
    '各渠道缴费记录与日记账缴费转账一致',
    found,
    lines.length ? lines : ['尚无缴费'],
    figures,
  );
}

/** How many tax confirmations were matched (booked), and their total, optionally by confirmation date. */
async function matchedConfirmations(
  db: Db,
  countyCode: string,
  period?: { readonly from: string; readonly to: string },
): Promise<{ count: number; fen: number }> {
  let query = db
    .selectFrom('tax_confirmations')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('total'),
    ])
    .where('county_code', '=', countyCode)
    .where('status', '=', 'matched');
  if (period) query = query.where('confirmed_on', '>=', period.from).where('confirmed_on', '<=', period.to);
  const row = await query.executeTakeFirstOrThrow();
  return { count: num(row.n), fen: num(row.total) };
}

async function checkTax(db: Db, countyCode: string): Promise<Part> {
  const found: LedgerDifference[] = [];
  const paymentsTotal = await db
    .selectFrom('payments')
    .select([
      (eb) => eb.fn.countAll<number>().as('n'),
      (eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('total'),
    ])
    .where('county_code', '=', countyCode)
    .where('tax_receipt_no', 'is not', null)
    .executeTakeFirstOrThrow();
  const matchedTotal = await matchedConfirmations(db, countyCode);
  const treasury = debitsByBusiness(db, countyCode, 'tax_confirmation', 'treasury');
  const treasuryTotal = await db
    .selectFrom(treasury.as('t'))
    .select(sql<number>`coalesce(sum(t.amount), 0)`.as('total'))
    .executeTakeFirstOrThrow();

  // Matched confirmations whose payment does not carry them (or another amount).
  const matchedOff = await db
    .selectFrom('tax_confirmations as tc')
    .leftJoin('payments as p', 'p.id', 'tc.payment_id')
    .leftJoin('people', 'people.id', 'p.person_id')
    .select([
      'tc.tax_receipt_no',
      'tc.amount_fen',
      'tc.payment_id',
      'p.id as pid',
      'p.amount_fen as paid',
      'p.tax_receipt_no as payment_receipt',
      'people.id as person_id',
      'people.name',
      'people.doc_number',
    ])
    .where('tc.county_code', '=', countyCode)
    .where('tc.status', '=', 'matched')
    .where((eb) =>
      eb.or([
        eb('p.id', 'is', null),
        eb('p.amount_fen', '<>', eb.ref('tc.amount_fen')),
        eb('p.tax_receipt_no', 'is', null),
        eb('p.tax_receipt_no', '<>', eb.ref('tc.tax_receipt_no')),
      ]),
    )
    .orderBy('tc.id')
    .execute();
  for (const m of matchedOff) {
    const person =
      m.person_id !== null
        ? { id: m.person_id, name: m.name as string, docNumber: m.doc_number as string }
        : undefined;
    const subject = `receipt:${m.tax_receipt_no}`;
    if (m.pid === null) {
      found.push(
        difference(
          'tax',
          subject,
          `税票号 ${m.tax_receipt_no}（${yuan(m.amount_fen)}）确认的缴费 #${m.payment_id} 不存在`,
          m.amount_fen,
          0,
        ),
      );
    } else if (m.payment_receipt !== m.tax_receipt_no) {
      found.push(
        difference(
          'tax',
          subject,
          `税票号 ${m.tax_receipt_no} 确认了 ${m.name} 的缴费 #${m.pid}，但该缴费记录的税票号为 ${m.payment_receipt ?? '（空）'}`,
          null,
          null,
          person,
        ),
      );
    }
    if (m.pid !== null && m.paid !== m.amount_fen) {
      found.push(
        difference(
          'tax',
          subject,
          `税票号 ${m.tax_receipt_no} 确认金额与 ${m.name} 的缴费 #${m.pid} 不符：${amounts(m.amount_fen, num(m.paid))}`,
          m.amount_fen,
          num(m.paid),
          person,
        ),
      );
    }
  }
  // Payments marked confirmed (or carrying a receipt) with no matched confirmation behind them.
  const unbacked = await db
    .selectFrom('payments as p')
    .innerJoin('people', 'people.id', 'p.person_id')
    .leftJoin('tax_confirmations as tc', (join) =>
      join.onRef('tc.payment_id', '=', 'p.id').on('tc.status', '=', 'matched'),
    )
    .select([
      'p.id',
      'p.amount_fen',
      'p.status',
      'p.tax_receipt_no',
      'people.id as person_id',
      'people.name',
      'people.doc_number',
    ])
    .where('p.county_code', '=', countyCode)
    .where((eb) => eb.or([eb('p.tax_receipt_no', 'is not', null), eb('p.status', '=', 'confirmed')]))
    .where('tc.id', 'is', null)
    .orderBy('p.id')
    .execute();
  for (const p of unbacked) {
    found.push(
      difference(
        'tax',
        `payment:${p.id}`,
        `${p.name}（${p.doc_number}）的缴费 #${p.id}（${yuan(p.amount_fen)}）记为已确认${p.tax_receipt_no ? `（税票号 ${p.tax_receipt_no}）` : ''}，但没有对应的税务确认`,
        0,
        p.amount_fen,
        { id: p.person_id, name: p.name, docNumber: p.doc_number },
      ),
    );
  }
  // Each confirmation against its treasury debit: matched ones booked once, discrepancies never.
  const booking = await db
    .selectFrom('tax_confirmations as tc')
    .leftJoin(treasury.as('t'), (join) => join.on(sql<SqlBool>`t.business_id = ${idText('tc.id')}`))
    .select(['tc.id', 'tc.tax_receipt_no', 'tc.status', 'tc.amount_fen', 't.amount as booked'])
    .where('tc.county_code', '=', countyCode)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('tc.status', '=', 'matched'),
          eb(sql<number>`coalesce(t.amount, 0)`, '<>', eb.ref('tc.amount_fen')),
        ]),
        eb.and([eb('tc.status', '<>', 'matched'), eb('t.amount', 'is not', null)]),
      ]),
    )
    .orderBy('tc.id')
    .execute();
  for (const b of booking) {
    const booked = num(b.booked);
    const expected = b.status === 'matched' ? b.amount_fen : 0;
    found.push(
      difference(
        'tax',
        `receipt:${b.tax_receipt_no}`,
        b.status === 'matched'
          ? `税票号 ${b.tax_receipt_no} 入库（国库）${amounts(expected, booked)}`
          : `税票号 ${b.tax_receipt_no} 是差异记录，不应入账，但国库记有 ${yuan(booked)}`,
        expected,
        booked,
      ),
    );
  }
  found.push(
    ...(await unbackedTransfers(db, countyCode, treasury, 'tax_confirmations', (id, amount) =>
      difference(
        'tax',
        `transfer:tax_confirmation:${id}`,
        `日记账中有税务确认转账（业务号 ${id}，国库 ${yuan(amount)}）没有对应的税务确认记录`,
        0,
        amount,
      ),
    )),
  );
  const figures = {
    confirmedPayments: num(paymentsTotal.n),
    confirmedPaymentsFen: num(paymentsTotal.total),
    matchedConfirmations: matchedTotal.count,
    matchedConfirmationsFen: matchedTotal.fen,
    treasuryFromTaxFen: num(treasuryTotal.total),
  };
  return part(
    'tax',
    '税务确认：已确认缴费 = 匹配的税票 = 国库入库',
    found,
    [
      `已确认缴费 ${figures.confirmedPayments} 笔 ${yuan(figures.confirmedPaymentsFen)}；匹配的税票 ${figures.matchedConfirmations} 张 ${yuan(figures.matchedConfirmationsFen)}；国库入库 ${yuan(figures.treasuryFromTaxFen)}`,
    ],
    figures,
  );
}

async function checkCash(db: Db, countyCode: string): Promise<Part> {
  const collected = await db
    .selectFrom('payment_orders')
    .select(['collector', (eb) => eb.fn.sum<number>('amount_fen').as('total')])
    .where('county_code', '=', countyCode)
    .where('channel', '=', 'cash_collection')
    .groupBy('collector')
    .execute();
  const remitted = await db
    .selectFrom('remittances')
    .select(['collector', (eb) => eb.fn.sum<number>('amount_fen').as('total')])
    .where('county_code', '=', countyCode)
    .groupBy('collector')
    .execute();
  const balances = await accountBalances(db, countyCode, { prefix: 'collector:' });
  const collectors = new Map<string, { collected: number; remitted: number; held: number }>();
  const entry = (c: string) => {
    let e = collectors.get(c);
    if (!e) {
      e = { collected: 0, remitted: 0, held: 0 };
      collectors.set(c, e);
    }
    return e;
  };
  for (const c of collected) entry(c.collector ?? '').collected = num(c.total);
  for (const r of remitted) entry(r.collector).remitted = num(r.total);
  for (const [account, balance] of balances) entry(account.slice('collector:'.length)).held = balance;
  const found: LedgerDifference[] = [];
  const lines: string[] = [];
  let held = 0;
  for (const [collector, e] of [...collectors].sort(([a], [b]) => a.localeCompare(b))) {
    const expected = e.collected - e.remitted;
    held += e.held;
    lines.push(
      `代收员 ${collector}：收取 ${yuan(e.collected)}，解缴 ${yuan(e.remitted)}，手中应有 ${yuan(expected)}，账上 ${yuan(e.held)}`,
    );
    if (expected !== e.held) {
      found.push(
        difference(
          'cash',
          `collector:${collector}`,
          `代收员 ${collector} 现金（收取 ${yuan(e.collected)} − 解缴 ${yuan(e.remitted)}）${amounts(expected, e.held)}`,
          expected,
          e.held,
        ),
      );
    }
  }
  return part('cash', '代收员现金：收取 − 解缴 = 账上余额', found, lines.length ? lines : ['尚无现金代收'], {
    collectors: collectors.size,
    heldFen: held,
  });
}

/** The shared accounts against what the business records say they hold. */
async function checkAccounts(db: Db, countyCode: string): Promise<Part> {
  const sumOf = async (query: () => Promise<{ total: unknown } | undefined>) => num((await query())?.total);
  const nonCash = await sumOf(() =>
    db
      .selectFrom('payment_orders')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('total'))
      .where('county_code', '=', countyCode)
      .where('channel', '<>', 'cash_collection')
      .executeTakeFirst(),
  );
  const remitted = await sumOf(() =>
    db
      .selectFrom('remittances')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('total'))
      .where('county_code', '=', countyCode)
      .executeTakeFirst(),
  );
  const confirmed = (await matchedConfirmations(db, countyCode)).fen;
  const refundsBy = (status: 'approved' | 'paid') =>
    sumOf(() =>
      db
        .selectFrom('refunds')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('total'))
        .where('county_code', '=', countyCode)
        .where('status', '=', status)
        .executeTakeFirst(),
    );
  const refundsApproved = await refundsBy('approved');
  const refundsPaid = await refundsBy('paid');
  const reimbursementsOpen = await sumOf(() =>
    db
      .selectFrom('reimbursement_batches')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('total_fen'), eb.lit(0)).as('total'))
      .where('county_code', '=', countyCode)
      .where('status', '=', 'created')
      .executeTakeFirst(),
  );
  const balances = await accountBalances(db, countyCode);
  // Money a channel took in but could not apply to anyone (a bank debit for someone who had paid
  // meanwhile) sits in 待报解 against the channel's clearing account until it is returned.
  let clearing = 0;
  for (const [account, balance] of balances) if (account.startsWith('channel:')) clearing -= balance;
  const expectations: { account: string; label: string; expected: number; basis: string }[] = [
    {
      account: 'pending_remittance',
      label: '待报解账户',
      expected: nonCash + remitted + clearing - confirmed,
      basis: `非现金缴费 ${yuan(nonCash)} + 现金解缴 ${yuan(remitted)}${
        clearing !== 0 ? ` + 待退还的渠道重复扣款 ${yuan(clearing)}` : ''
      } − 税务确认 ${yuan(confirmed)}`,
    },
    {
      account: 'treasury',
      label: '国库',
      expected: confirmed - refundsPaid,
      basis: `税务确认 ${yuan(confirmed)} − 已支付退费 ${yuan(refundsPaid)}`,
    },
    {
      account: 'refunds_payable',
      label: '应退个人缴费',
      expected: -refundsApproved,
      basis: `已批准未支付的退费 ${yuan(refundsApproved)}，记贷方`,
    },
    {
      account: 'reimbursements_payable',
      label: '应付先缴后补资助',
      expected: -reimbursementsOpen,
      basis: `未拨付的先缴后补批次 ${yuan(reimbursementsOpen)}，记贷方`,
    },
  ];
  const found: LedgerDifference[] = [];
  const lines: string[] = [];
  const figures: Record<string, number> = {};
  for (const e of expectations) {
    const actual = balances.get(e.account as never) ?? 0;
    figures[`${e.account}.expectedFen`] = e.expected;
    figures[`${e.account}.balanceFen`] = actual;
    lines.push(`${e.label}：应为 ${yuan(e.expected)}（${e.basis}），账上 ${yuan(actual)}`);
    if (actual !== e.expected) {
      found.push(
        difference(
          'accounts',
          e.account,
          `${e.label}余额${amounts(e.expected, actual)}（${e.basis}）`,
          e.expected,
          actual,
        ),
      );
    }
  }
  return part('accounts', '待报解、国库、应退、应付账户与业务记录一致', found, lines, figures);
}

// ---------------------------------------------------------------------------------------------
// (d) bank withholding

/** Each bank withholding batch against its payments and the journal (the withholding module's check). */
async function checkWithholding(ctx: CollectionContext): Promise<Part | null> {
  const batches = await reconcileWithholdingBatches(ctx);
  if (batches.length === 0) return null;
  const found: LedgerDifference[] = [];
  const lines: string[] = [];
  for (const b of batches) {
    lines.push(
      `代扣批次 ${b.batchNo}（${b.rows} 行，${yuan(b.totalFen)}）：扣款成功 ${b.succeeded} 笔 ${yuan(b.succeededFen)}，缴费记录 ${b.payments} 笔 ${yuan(b.paymentsFen)}，记账 ${yuan(b.journalFen)}`,
    );
    for (const text of b.differences) {
      found.push(
        difference('withholding', `batch:${b.batchNo}`, `代扣批次 ${b.batchNo}：${text}`, null, null),
      );
    }
  }
  return part('withholding', '银行代扣批次与缴费记录、日记账一致', found, lines, {
    batches: batches.length,
    succeededFen: batches.reduce((n, b) => n + b.succeededFen, 0),
    journalFen: batches.reduce((n, b) => n + b.journalFen, 0),
  });
}

// ---------------------------------------------------------------------------------------------
// Reconciliation reports

export interface DayChannelRow {
  readonly date: string;
  readonly channel: string;
  readonly channelLabel: string;
  readonly collectedCount: number;
  readonly collectedFen: number;
  readonly confirmedCount: number;
  readonly confirmedFen: number;
  readonly remittedFen: number;
  readonly refundsPaidFen: number;
}

export interface UnconfirmedPayment {
  readonly paymentId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly channel: string;
  readonly channelLabel: string;
  readonly txnId: string;
  readonly amountFen: number;
  readonly paidOn: string;
  /** Days from the payment to today. */
  readonly days: number;
}

export interface ReconciliationReport {
  readonly countyCode: string;
  readonly countyName: string | null;
  readonly benefitYear: number;
  readonly policy: { readonly id: string; readonly title: string; readonly hash: string };
  readonly from: string;
  readonly to: string;
  readonly generatedOn: string;
  readonly days: readonly DayChannelRow[];
  /** Per channel over the period, and `all`. */
  readonly totals: readonly Omit<DayChannelRow, 'date'>[];
  readonly tax: {
    readonly paymentsCount: number;
    readonly paymentsFen: number;
    readonly matchedCount: number;
    readonly matchedFen: number;
    readonly discrepancyCount: number;
    readonly discrepancyFen: number;
    /** Payments still unconfirmed at least this many days after they were paid. */
    readonly olderThanDays: number;
    readonly unconfirmed: readonly UnconfirmedPayment[];
    readonly unconfirmedFen: number;
    readonly discrepancies: readonly TaxDiscrepancy[];
  };
}

export interface ReportOptions {
  readonly from: string;
  readonly to: string;
  /** Unconfirmed payments listed once this many days old (default 7). */
  readonly olderThanDays?: number;
  readonly benefitYear?: number;
}

const CHANNEL_ORDER = Object.keys(CHANNELS);

function daysBetween(from: string, to: string): number {
  return parseDate(from).until(parseDate(to), { largestUnit: 'days' }).days;
}

/**
 * Per day and channel over [from, to]: money collected (payments by payment date), confirmed by tax
 * (by confirmation date), cash remitted and refunds paid out; and tax confirmations against
 * payments: matched, payments still unconfirmed after N days (as of today), discrepancies.
 */
export async function reconciliationReport(
  ctx: CollectionContext,
  options: ReportOptions,
): Promise<ReconciliationReport> {
  const { from, to } = options;
  if (from > to) throw new CollectionError('bad_period', `开始日期 ${from} 晚于结束日期 ${to}`);
  const olderThanDays = options.olderThanDays ?? 7;
  if (!Number.isSafeInteger(olderThanDays) || olderThanDays < 0) {
    throw new CollectionError('bad_days', `天数应为非负整数：${olderThanDays}`);
  }
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, options.benefitYear);
  const db = ctx.db;
  const county = await db
    .selectFrom('regions')
    .select('name')
    .where('code', '=', ctx.countyCode)
    .executeTakeFirst();

  const rows = new Map<string, { -readonly [K in keyof DayChannelRow]: DayChannelRow[K] }>();
  const row = (date: string, channel: string) => {
    const key = `${date}|${channel}`;
    let r = rows.get(key);
    if (!r) {
      r = {
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
      rows.set(key, r);
    }
    return r;
  };
  // Payments by the day they were paid, and by the day tax confirmed them.
  const perDay = (column: 'paid_on' | 'confirmed_on') =>
    db
      .selectFrom('payments')
      .select((eb) => [
        eb.ref(column).as('day'),
        'channel',
        eb.fn.countAll<number>().as('n'),
        eb.fn.sum<number>('amount_fen').as('total'),
      ])
      .where('county_code', '=', ctx.countyCode)
      .where(column, '>=', from)
      .where(column, '<=', to)
      .groupBy([column, 'channel'])
      .execute();
  for (const c of await perDay('paid_on')) {
    const r = row(c.day as string, c.channel);
    r.collectedCount = num(c.n);
    r.collectedFen = num(c.total);
  }
  for (const c of await perDay('confirmed_on')) {
    const r = row(c.day as string, c.channel);
    r.confirmedCount = num(c.n);
    r.confirmedFen = num(c.total);
  }
  const remitted = await db
    .selectFrom('remittances')
    .select(['remitted_on', (eb) => eb.fn.sum<number>('amount_fen').as('total')])
    .where('county_code', '=', ctx.countyCode)
    .where('remitted_on', '>=', from)
    .where('remitted_on', '<=', to)
    .groupBy('remitted_on')
    .execute();
  for (const r of remitted) row(r.remitted_on, 'cash_collection').remittedFen = num(r.total);
  // A refund is counted under the channel its enrollment paid through.
  const refunds = await db
    .selectFrom('refunds as r')
    .select([
      'r.paid_on',
      'r.amount_fen',
      (eb) =>
        eb
          .selectFrom('payments as p')
          .select('p.channel')
          .whereRef('p.enrollment_id', '=', 'r.enrollment_id')
          .orderBy('p.id')
          .limit(1)
          .as('channel'),
    ])
    .where('r.county_code', '=', ctx.countyCode)
    .where('r.status', '=', 'paid')
    .where('r.paid_on', '>=', from)
    .where('r.paid_on', '<=', to)
    .execute();
  for (const r of refunds) row(r.paid_on as string, r.channel ?? 'none').refundsPaidFen += r.amount_fen;

  const order = (c: string) => {
    const i = CHANNEL_ORDER.indexOf(c);
    return i === -1 ? CHANNEL_ORDER.length : i;
  };
  const days = [...rows.values()].sort(
    (a, b) => a.date.localeCompare(b.date) || order(a.channel) - order(b.channel),
  );
  const totals = new Map<string, Omit<DayChannelRow, 'date'> & Record<string, unknown>>();
  for (const d of days) {
    for (const key of [d.channel, 'all']) {
      const t = (totals.get(key) ?? {
        channel: key,
        channelLabel: key === 'all' ? '合计' : d.channelLabel,
        collectedCount: 0,
        collectedFen: 0,
        confirmedCount: 0,
        confirmedFen: 0,
        remittedFen: 0,
        refundsPaidFen: 0,
      }) as { -readonly [K in keyof DayChannelRow]: DayChannelRow[K] };
      t.collectedCount += d.collectedCount;
      t.collectedFen += d.collectedFen;
      t.confirmedCount += d.confirmedCount;
      t.confirmedFen += d.confirmedFen;
      t.remittedFen += d.remittedFen;
      t.refundsPaidFen += d.refundsPaidFen;
      totals.set(key, t);
    }
  }
  const totalRows = [...totals.values()].sort((a, b) =>
    a.channel === 'all' ? 1 : b.channel === 'all' ? -1 : order(a.channel) - order(b.channel),
  );

  const matched = await matchedConfirmations(db, ctx.countyCode, { from, to });
  const cutoff = parseDate(ctx.today).subtract({ days: olderThanDays }).toString();
  // The earlier of the two dates (ISO dates sort as text).
  const lastDay = [cutoff, to].sort()[0] as string;
  const open = await db
    .selectFrom('payments as p')
    .innerJoin('payment_orders as po', 'po.id', 'p.order_id')
    .innerJoin('people', 'people.id', 'p.person_id')
    .select([
      'p.id',
      'people.name',
      'people.doc_number',
      'p.channel',
      'po.channel_txn_id',
      'p.amount_fen',
      'p.paid_on',
    ])
    .where('p.county_code', '=', ctx.countyCode)
    .where('p.status', '=', 'recorded')
    .where('p.paid_on', '<=', lastDay)
    .orderBy('p.paid_on')
    .orderBy('p.id')
    .execute();
  const unconfirmed = open.map((p) => ({
    paymentId: p.id,
    name: p.name,
    docNumber: p.doc_number,
    channel: p.channel,
    channelLabel: channelLabel(p.channel),
    txnId: p.channel_txn_id,
    amountFen: p.amount_fen,
    paidOn: p.paid_on,
    days: daysBetween(p.paid_on, ctx.today),
  }));
  const discrepancies = await listDiscrepancies(ctx, { from, to });
  const all = totals.get('all');
  return {
    countyCode: ctx.countyCode,
    countyName: county?.name ?? null,
    benefitYear: campaign.benefit_year,
    policy: { id: policy.id, title: policy.title, hash: policy.hash },
    from,
    to,
    generatedOn: ctx.today,
    days,
    totals: totalRows,
    tax: {
      paymentsCount: all?.collectedCount ?? 0,
      paymentsFen: all?.collectedFen ?? 0,
      matchedCount: matched.count,
      matchedFen: matched.fen,
      discrepancyCount: discrepancies.length,
      discrepancyFen: discrepancies.reduce((n, d) => n + d.amountFen, 0),
      olderThanDays,
      unconfirmed,
      unconfirmedFen: unconfirmed.reduce((n, p) => n + p.amountFen, 0),
      discrepancies,
    },
  };
}

/** The title lines of every sheet of the report: county, period, policy. */
export function reportHeaderLines(report: ReconciliationReport): string[] {
  const county = report.countyName ? `${report.countyName}（${report.countyCode}）` : report.countyCode;
  return [
    `${county} 城乡居民医保 ${report.benefitYear} 年度征缴对账报表`,
    `期间 ${report.from} 至 ${report.to}；生成日期 ${report.generatedOn}`,
    `政策 ${report.policy.title}（${report.policy.id}，哈希 ${report.policy.hash.slice(0, 16)}）`,
  ];
}

const money = (fen: number): CellValue => Number(formatYuan(fen as Fen));

/** Writes the report as .xlsx: per day and channel, totals, tax vs payments, unconfirmed, discrepancies. */
export async function writeReportXlsx(report: ReconciliationReport, target: string): Promise<void> {
  const headerLines = reportHeaderLines(report);
  const amountColumns = [
    { header: '缴费笔数', width: 10, text: false },
    { header: '缴费金额（元）', width: 14, text: false },
    { header: '税务确认笔数', width: 12, text: false },
    { header: '税务确认金额（元）', width: 16, text: false },
    { header: '现金解缴（元）', width: 14, text: false },
    { header: '退费支付（元）', width: 14, text: false },
  ];
  const amountCells = (r: Omit<DayChannelRow, 'date'>): CellValue[] => [
    r.collectedCount,
    money(r.collectedFen),
    r.confirmedCount,
    money(r.confirmedFen),
    money(r.remittedFen),
    money(r.refundsPaidFen),
  ];
  const sheets: SheetSpec[] = [
    {
      name: '按日按渠道',
      headerLines,
      columns: [{ header: '日期', width: 12 }, { header: '渠道', width: 20 }, ...amountColumns],
      rows: report.days.map((d) => [d.date, d.channelLabel, ...amountCells(d)]),
    },
    {
      name: '渠道合计',
      headerLines,
      columns: [{ header: '渠道', width: 20 }, ...amountColumns],
      rows: report.totals.map((t) => [t.channelLabel, ...amountCells(t)]),
    },
    {
      name: '税务确认与缴费',
      headerLines,
      columns: [
        { header: '项目', width: 40 },
        { header: '笔数', width: 10, text: false },
        { header: '金额（元）', width: 14, text: false },
      ],
      rows: [
        ['期间内缴费', report.tax.paymentsCount, money(report.tax.paymentsFen)],
        ['期间内税务确认（已匹配）', report.tax.matchedCount, money(report.tax.matchedFen)],
        ['期间内税务确认差异（未入账）', report.tax.discrepancyCount, money(report.tax.discrepancyFen)],
        [
          `缴费后超过 ${report.tax.olderThanDays} 天仍未确认`,
          report.tax.unconfirmed.length,
          money(report.tax.unconfirmedFen),
        ],
      ],
    },
    {
      name: '未确认缴费',
      headerLines,
      columns: [
        { header: '缴费编号', width: 10, text: false },
        { header: '姓名', width: 10 },
        { header: '证件号码', width: 22 },
        { header: '渠道', width: 20 },
        { header: '渠道流水号', width: 20 },
        { header: '缴费金额（元）', width: 14, text: false },
        { header: '缴费日期', width: 12 },
        { header: '已过天数', width: 10, text: false },
      ],
      rows: report.tax.unconfirmed.map((p) => [
        p.paymentId,
        p.name,
        p.docNumber,
        p.channelLabel,
        p.txnId,
        money(p.amountFen),
        p.paidOn,
        p.days,
      ]),
    },
    {
      name: '税务确认差异',
      headerLines,
      columns: DISCREPANCY_COLUMNS,
      rows: report.tax.discrepancies.map(discrepancyCells),
    },
  ];
  await writeXlsx(target, sheets);
}
