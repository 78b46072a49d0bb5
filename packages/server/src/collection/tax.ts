/**
 * 税务确认: the tax side confirms payments with its tax receipt numbers, from a file (.xlsx/.csv) or
 * through the API. Only a confirmed payment makes an enrollment confirmed.
 *
 * - Matching: by the channel's transaction id and the document number when the tax side gives the
 *   id; otherwise by the document number among that person's recorded, unconfirmed payments of the
 *   campaign year with the same amount.
 * - A match confirms the payment (receipt number, date), books Dr treasury / Cr 待报解 for its amount
 *   (key `tax:<receiptNo>`), and confirms the enrollment once all its payments are confirmed.
 * - Anything else (unknown person or payment, another amount, a payment already confirmed by another
 *   receipt) is stored as a discrepancy with the reason, and never reaches the books.
 * - A malformed row (no receipt number, a bad amount or date) rejects the whole file: every such row
 *   is reported with its line and column, and nothing is written.
 * - The same receipt with the same content again changes nothing (a file imported twice); with
 *   other content it becomes a discrepancy beside the first, which is never overwritten.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { type Fen, formatYuan, transfer } from '@canbao/core';
import type { Transaction } from 'kysely';
import type { Database, TaxConfirmationsTable } from '../db/schema.ts';
import { openTable, TableFileError } from '../files/read-table.ts';
import { type CellValue, writeXlsx } from '../files/write-xlsx.ts';
import { recordTransfer } from '../ledger/journal.ts';
import { FieldError, parseDateCell, parseYuanCell } from '../registry/fields.ts';
import type { RowError } from '../registry/import.ts';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import { transition } from './enrollments.ts';

/** One confirmation as the tax side gives it. */
export interface TaxConfirmationInput {
  /** 税票号: the tax receipt number. */
  readonly receiptNo: string;
  /** 证件号码 of the person the payment was for. */
  readonly docNumber: string;
  readonly name?: string | null;
  readonly amountFen: number;
  /** The payment date as the tax side has it (YYYY-MM-DD). */
  readonly paidOn: string;
  /** The channel's transaction id, when the tax side has it. */
  readonly channelTxnId?: string | null;
  /** The date of the confirmation (default: today). */
  readonly confirmedOn?: string | null;
}

type Field = keyof TaxConfirmationInput;

/** The columns of a confirmation file: the header the tax side's export uses, and other spellings. */
export const TAX_COLUMNS: readonly {
  readonly key: Field;
  readonly header: string;
  readonly aliases: readonly string[];
  readonly required: boolean;
}[] = [
  {
    key: 'receiptNo',
    header: '税票号',
    aliases: ['税票号码', '电子税票号码', '完税凭证号', '完税凭证号码', '票证号码'],
    required: true,
  },
  {
    key: 'docNumber',
    header: '证件号码',
    aliases: ['公民身份号码', '身份证号码', '身份证号', '缴费人证件号码'],
    required: true,
  },
  { key: 'name', header: '姓名', aliases: ['缴费人姓名', '缴费人名称'], required: false },
  {
    key: 'amountFen',
    header: '缴费金额（元）',
    aliases: ['缴费金额', '实缴金额（元）', '实缴金额', '金额（元）', '金额'],
    required: true,
  },
  { key: 'paidOn', header: '缴费日期', aliases: ['缴款日期', '缴费时间'], required: true },
  {
    key: 'channelTxnId',
    header: '渠道流水号',
    aliases: ['交易流水号', '渠道交易流水号', '流水号'],
    required: false,
  },
  { key: 'confirmedOn', header: '确认日期', aliases: ['税务确认日期', '入库日期'], required: false },
];

const HEADER_OF = Object.fromEntries(TAX_COLUMNS.map((c) => [c.key, c.header])) as Record<Field, string>;

export type TaxOutcomeKind = 'matched' | 'discrepancy' | 'unchanged';

export interface TaxOutcome {
  /** The file line (or the position in an API call, from 1). */
  readonly line: number;
  readonly receiptNo: string;
  readonly docNumber: string;
  readonly amountFen: number;
  /** unchanged: this receipt with this content was applied before; nothing changed now. */
  readonly outcome: TaxOutcomeKind;
  /** For unchanged: what the earlier confirmation was. */
  readonly status: 'matched' | 'discrepancy';
  readonly confirmationId: number;
  readonly problem: string | null;
  readonly paymentId: number | null;
  readonly enrollmentId: number | null;
  /** True when this confirmation made the enrollment confirmed. */
  readonly enrollmentConfirmed: boolean;
}

export interface TaxImportResult {
  /** rejected: some row is malformed; nothing was written. */
  readonly status: 'completed' | 'rejected';
  /** The file name, or 'api'. */
  readonly source: string;
  readonly benefitYear: number;
  readonly rowsTotal: number;
  readonly matched: number;
  readonly matchedFen: number;
  readonly discrepancies: number;
  readonly unchanged: number;
  readonly enrollmentsConfirmed: number;
  readonly errors: readonly RowError[];
  readonly outcomes: readonly TaxOutcome[];
}

export interface TaxImportOptions {
  /** The campaign year whose payments are matched by document number (default: the latest). */
  readonly benefitYear?: number;
}

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

// ---------------------------------------------------------------------------------------------
// Reading and checking rows

/** A date cell: a date, or a date with a time of day (tax exports often carry the time). */
function dateCell(text: string): string {
  return parseDateCell(text.replace(/[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/, ''));
}

/**
 * Checks one confirmation (from a file or the API), reporting each problem by column. Returns the
 * cleaned confirmation, or null when it cannot be used.
 */
function checkInput(
  input: TaxConfirmationInput,
  today: string,
  report: (field: Field, reason: string) => void,
): TaxConfirmationInput | null {
  let ok = true;
  const fail = (field: Field, reason: string) => {
    ok = false;
    report(field, reason);
  };
  const receiptNo = (input.receiptNo ?? '').trim();
  if (!receiptNo) fail('receiptNo', '税票号为空');
  else if (receiptNo.length > 64 || /\s/.test(receiptNo))
    fail('receiptNo', `税票号格式不正确：“${receiptNo}”`);
  const docNumber = (input.docNumber ?? '').replace(/\s/g, '').toUpperCase();
  if (!docNumber) fail('docNumber', '证件号码为空');
  if (!Number.isSafeInteger(input.amountFen)) {
    fail('amountFen', `缴费金额必须是整数分（收到 ${String(input.amountFen)}）`);
  } else if (input.amountFen <= 0) {
    fail('amountFen', `缴费金额必须大于 0（收到 ${yuan(input.amountFen)}）`);
  }
  const dates: Partial<Record<'paidOn' | 'confirmedOn', string>> = {};
  for (const field of ['paidOn', 'confirmedOn'] as const) {
    const value = input[field];
    if (value === undefined || value === null || value === '') {
      if (field === 'paidOn') fail(field, '缴费日期为空');
      continue;
    }
    try {
      const date = dateCell(value);
      if (date > today) fail(field, `${HEADER_OF[field]} ${date} 晚于今天（${today}）`);
      dates[field] = date;
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      fail(field, error.message);
    }
  }
  if (dates.paidOn && dates.confirmedOn && dates.confirmedOn < dates.paidOn) {
    fail('confirmedOn', `确认日期 ${dates.confirmedOn} 早于缴费日期 ${dates.paidOn}`);
  }
  if (!ok) return null;
  return {
    receiptNo,
    docNumber,
    name: input.name?.trim() || null,
    amountFen: input.amountFen,
    paidOn: dates.paidOn as string,
    channelTxnId: input.channelTxnId?.trim() || null,
    confirmedOn: dates.confirmedOn ?? today,
  };
}

interface CheckedRow {
  readonly line: number;
  readonly input: TaxConfirmationInput;
}

/** Reads a confirmation file: every row checked, every problem collected with its line and column. */
async function readConfirmationFile(
  file: string,
  today: string,
): Promise<{ rows: CheckedRow[]; errors: RowError[]; total: number }> {
  const spellings = TAX_COLUMNS.map((c) => [c.header, ...c.aliases]);
  let table: Awaited<ReturnType<typeof openTable>>;
  try {
    table = await openTable(file, {
      expectedHeaders: spellings,
      requiredHeaders: TAX_COLUMNS.filter((c) => c.required).map((c) => [c.header, ...c.aliases]),
    });
  } catch (error) {
    if (error instanceof TableFileError) {
      const required = TAX_COLUMNS.filter((c) => c.required).map((c) => c.header);
      throw new CollectionError(
        'bad_file',
        `${error.message}${/表头/.test(error.detail) ? `（税务确认文件须有列：${required.join('、')}）` : ''}`,
      );
    }
    throw error;
  }
  // Which of the file's headers stands for each column (full-width brackets and spaces ignored).
  const key = (h: string) => h.replace(/[\s（）()]/g, '').normalize('NFKC');
  const present = new Map(table.headers.map((h) => [key(h), h]));
  const headerOf = new Map<Field, string>();
  for (const column of TAX_COLUMNS) {
    const found = [column.header, ...column.aliases].map((h) => present.get(key(h))).find(Boolean);
    if (found) headerOf.set(column.key, found);
  }
  const rows: CheckedRow[] = [];
  const errors: RowError[] = [];
  let total = 0;
  try {
    for await (const row of table.rows()) {
      total++;
      const cell = (field: Field) => {
        const header = headerOf.get(field);
        return header === undefined ? '' : (row.values[header] ?? '').trim();
      };
      const report = (field: Field, reason: string) =>
        errors.push({ line: row.line, column: headerOf.get(field) ?? HEADER_OF[field], reason });
      let amountFen = Number.NaN;
      let amountOk = true;
      try {
        const text = cell('amountFen');
        if (!text) {
          amountOk = false;
          report('amountFen', '缴费金额为空');
        } else amountFen = parseYuanCell(text);
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        amountOk = false;
        report('amountFen', error.message);
      }
      // An amount already reported is not reported twice by the common check.
      const checked = checkInput(
        {
          receiptNo: cell('receiptNo'),
          docNumber: cell('docNumber'),
          name: cell('name'),
          amountFen: amountOk ? amountFen : 1,
          paidOn: cell('paidOn'),
          channelTxnId: cell('channelTxnId'),
          confirmedOn: cell('confirmedOn'),
        },
        today,
        report,
      );
      if (checked && amountOk) rows.push({ line: row.line, input: checked });
    }
  } catch (error) {
    if (error instanceof TableFileError) throw new CollectionError('bad_file', error.message);
    throw error;
  }
  return { rows, errors, total };
}

// ---------------------------------------------------------------------------------------------
// Importing

/**
 * Imports a confirmation file (.xlsx or .csv) in one transaction. Malformed rows reject the file:
 * the result lists them (status 'rejected') and nothing is written.
 */
export async function importTaxConfirmations(
  ctx: CollectionContext,
  file: string,
  options: TaxImportOptions = {},
): Promise<TaxImportResult> {
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, options.benefitYear);
  const { rows, errors, total } = await readConfirmationFile(file, ctx.today);
  const source = basename(file);
  if (errors.length > 0) return rejected(source, campaign.benefit_year, total, errors);
  return applyConfirmations(ctx, campaign.benefit_year, source, rows);
}

/**
 * Confirmations through the API: the same rows as a file, checked the same way (a malformed row
 * rejects the call; its line is its position from 1), applied in one transaction.
 */
export async function confirmTaxPayments(
  ctx: CollectionContext,
  inputs: readonly TaxConfirmationInput[],
  options: TaxImportOptions & { readonly source?: string } = {},
): Promise<TaxImportResult> {
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, options.benefitYear);
  const source = options.source ?? 'api';
  const errors: RowError[] = [];
  const rows: CheckedRow[] = [];
  inputs.forEach((input, index) => {
    const line = index + 1;
    const checked = checkInput(input, ctx.today, (field, reason) =>
      errors.push({ line, column: HEADER_OF[field], reason }),
    );
    if (checked) rows.push({ line, input: checked });
  });
  if (errors.length > 0) return rejected(source, campaign.benefit_year, inputs.length, errors);
  return applyConfirmations(ctx, campaign.benefit_year, source, rows);
}

function rejected(source: string, benefitYear: number, total: number, errors: RowError[]): TaxImportResult {
  return {
    status: 'rejected',
    source,
    benefitYear,
    rowsTotal: total,
    matched: 0,
    matchedFen: 0,
    discrepancies: 0,
    unchanged: 0,
    enrollmentsConfirmed: 0,
    errors,
    outcomes: [],
  };
}

function digestOf(input: TaxConfirmationInput): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        input.receiptNo,
        input.docNumber,
        input.amountFen,
        input.paidOn,
        input.channelTxnId ?? null,
      ]),
    )
    .digest('hex');
}

async function applyConfirmations(
  ctx: CollectionContext,
  benefitYear: number,
  source: string,
  rows: readonly CheckedRow[],
): Promise<TaxImportResult> {
  const outcomes = await ctx.db.transaction().execute(async (trx) => {
    const done: TaxOutcome[] = [];
    for (const row of rows) done.push(await applyOne(trx, ctx, benefitYear, source, row));
    return done;
  });
  const count = (kind: TaxOutcomeKind) => outcomes.filter((o) => o.outcome === kind).length;
  return {
    status: 'completed',
    source,
    benefitYear,
    rowsTotal: rows.length,
    matched: count('matched'),
    matchedFen: outcomes.filter((o) => o.outcome === 'matched').reduce((n, o) => n + o.amountFen, 0),
    discrepancies: count('discrepancy'),
    unchanged: count('unchanged'),
    enrollmentsConfirmed: outcomes.filter((o) => o.enrollmentConfirmed).length,
    errors: [],
    outcomes,
  };
}

/** A payment as matching sees it. */
interface Candidate {
  readonly id: number;
  readonly enrollment_id: number;
  readonly amount_fen: number;
  readonly paid_on: string;
  readonly status: 'recorded' | 'confirmed' | 'refunded';
  readonly tax_receipt_no: string | null;
  readonly confirmed_on: string | null;
}

type Match = { readonly payment: Candidate } | { readonly problem: string; readonly paymentId?: number };

async function applyOne(
  trx: Transaction<Database>,
  ctx: CollectionContext,
  benefitYear: number,
  source: string,
  row: CheckedRow,
): Promise<TaxOutcome> {
  const { input, line } = row;
  const digest = digestOf(input);
  const base = { line, receiptNo: input.receiptNo, docNumber: input.docNumber, amountFen: input.amountFen };
  const earlier = await trx
    .selectFrom('tax_confirmations')
    .selectAll()
    .where('county_code', '=', ctx.countyCode)
    .where('tax_receipt_no', '=', input.receiptNo)
    .orderBy('id')
    .execute();
  const same = earlier.find((e) => e.digest === digest);
  if (same) return unchanged(base, same);

  let match: Match;
  const first = earlier[0];
  if (first) {
    match = {
      problem: `税票号 ${input.receiptNo} 已于 ${first.confirmed_on} 导入（${describe(first)}），本次内容不同（${describe(
        {
          doc_number: input.docNumber,
          amount_fen: input.amountFen,
          paid_on: input.paidOn,
          channel_txn_id: input.channelTxnId ?? null,
        },
      )}），未覆盖原记录`,
      ...(first.payment_id !== null ? { paymentId: first.payment_id } : {}),
    };
  } else {
    match = await findPayment(trx, ctx, benefitYear, input);
  }

  let enrollmentConfirmed = false;
  if ('payment' in match) {
    // Check-and-act: only a payment still unconfirmed is confirmed; a racing import that confirmed
    // it first turns this row into a discrepancy.
    const updated = await trx
      .updateTable('payments')
      .set({
        status: 'confirmed',
        tax_receipt_no: input.receiptNo,
        confirmed_on: input.confirmedOn as string,
      })
      .where('id', '=', match.payment.id)
      .where('status', '=', 'recorded')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      const now = await paymentById(trx, match.payment.id);
      match = { problem: judge(now, input) ?? '该笔缴费已被同时确认', paymentId: match.payment.id };
    }
  }

  const values = {
    county_code: ctx.countyCode,
    tax_receipt_no: input.receiptNo,
    doc_number: input.docNumber,
    name: input.name ?? null,
    channel_txn_id: input.channelTxnId ?? null,
    amount_fen: input.amountFen,
    paid_on: input.paidOn,
    confirmed_on: input.confirmedOn as string,
    source,
    source_line: line,
    digest,
    created_at: ctx.now,
  };
  const matched = 'payment' in match ? match.payment : null;
  const inserted = await trx
    .insertInto('tax_confirmations')
    .values({
      ...values,
      status: matched ? 'matched' : 'discrepancy',
      problem: 'problem' in match ? match.problem : null,
      payment_id: matched ? matched.id : 'paymentId' in match ? (match.paymentId ?? null) : null,
    })
    .onConflict((oc) => oc.columns(['county_code', 'tax_receipt_no', 'digest']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    // The same confirmation written by a concurrent import: it stands, this one is a replay.
    const other = await trx
      .selectFrom('tax_confirmations')
      .selectAll()
      .where('county_code', '=', ctx.countyCode)
      .where('tax_receipt_no', '=', input.receiptNo)
      .where('digest', '=', digest)
      .executeTakeFirstOrThrow();
    return unchanged(base, other);
  }

  if (matched) {
    await recordTransfer(trx, {
      countyCode: ctx.countyCode,
      kind: 'tax_confirmation',
      businessType: 'tax_confirmation',
      businessId: String(inserted.id),
      idempotencyKey: `tax:${input.receiptNo}`,
      occurredOn: input.confirmedOn as string,
      lines: transfer('pending_remittance', 'treasury', input.amountFen as Fen),
      actor: ctx.actor,
      memo: `税票号 ${input.receiptNo}`,
      recordedAt: ctx.now,
    });
    enrollmentConfirmed = await confirmEnrollment(
      trx,
      ctx,
      matched.enrollment_id,
      input.receiptNo,
      matched.id,
    );
  }
  return {
    ...base,
    outcome: matched ? 'matched' : 'discrepancy',
    status: matched ? 'matched' : 'discrepancy',
    confirmationId: inserted.id,
    problem: 'problem' in match ? match.problem : null,
    paymentId: matched?.id ?? null,
    enrollmentId: matched?.enrollment_id ?? null,
    enrollmentConfirmed,
  };
}

function unchanged(
  base: Pick<TaxOutcome, 'line' | 'receiptNo' | 'docNumber' | 'amountFen'>,
  row: Pick<TaxConfirmationsTable, 'status' | 'problem' | 'payment_id'> & { id: number },
): TaxOutcome {
  return {
    ...base,
    outcome: 'unchanged',
    status: row.status,
    confirmationId: row.id,
    problem: row.problem,
    paymentId: row.payment_id,
    enrollmentId: null,
    enrollmentConfirmed: false,
  };
}

function describe(
  c: Pick<TaxConfirmationsTable, 'doc_number' | 'amount_fen' | 'paid_on' | 'channel_txn_id'>,
): string {
  return [
    `证件号码 ${c.doc_number}`,
    `金额 ${yuan(c.amount_fen)}`,
    c.paid_on ? `缴费日期 ${c.paid_on}` : null,
    c.channel_txn_id ? `流水号 ${c.channel_txn_id}` : null,
  ]
    .filter(Boolean)
    .join('，');
}

const candidateColumns = [
  'payments.id',
  'payments.enrollment_id',
  'payments.amount_fen',
  'payments.paid_on',
  'payments.status',
  'payments.tax_receipt_no',
  'payments.confirmed_on',
] as const;

/** A person's payments, oldest first, with their order and enrollment joined for filtering. */
function paymentsOf(trx: Transaction<Database>, countyCode: string, personId: number) {
  return trx
    .selectFrom('payments')
    .innerJoin('payment_orders', 'payment_orders.id', 'payments.order_id')
    .innerJoin('enrollments', 'enrollments.id', 'payments.enrollment_id')
    .select(candidateColumns)
    .where('payments.county_code', '=', countyCode)
    .where('payments.person_id', '=', personId)
    .orderBy('payments.id');
}

async function paymentById(trx: Transaction<Database>, id: number): Promise<Candidate> {
  return trx.selectFrom('payments').select(candidateColumns).where('id', '=', id).executeTakeFirstOrThrow();
}

/** Why a payment identified exactly (by transaction id) cannot take this confirmation, or null. */
function judge(payment: Candidate, input: TaxConfirmationInput): string | null {
  if (payment.status === 'confirmed') {
    return `该笔缴费（${yuan(payment.amount_fen)}，${payment.paid_on}）已由税票号 ${payment.tax_receipt_no} 于 ${payment.confirmed_on} 确认`;
  }
  if (payment.status === 'refunded')
    return `该笔缴费（${yuan(payment.amount_fen)}，${payment.paid_on}）已退费`;
  if (payment.amount_fen !== input.amountFen) {
    return `金额不符：税务确认 ${yuan(input.amountFen)}，缴费记录 ${yuan(payment.amount_fen)}（${payment.paid_on}）`;
  }
  return null;
}

async function findPayment(
  trx: Transaction<Database>,
  ctx: CollectionContext,
  benefitYear: number,
  input: TaxConfirmationInput,
): Promise<Match> {
  const person = await trx
    .selectFrom('people')
    .select(['id', 'name'])
    .where('county_code', '=', ctx.countyCode)
    .where('doc_number', '=', input.docNumber)
    .executeTakeFirst();
  if (!person) return { problem: `登记中没有证件号码为 ${input.docNumber} 的人员` };

  if (input.channelTxnId) {
    const found = await paymentsOf(trx, ctx.countyCode, person.id)
      .where('payment_orders.channel_txn_id', '=', input.channelTxnId)
      .execute();
    if (found.length === 0) {
      const order = await trx
        .selectFrom('payment_orders')
        .select('id')
        .where('county_code', '=', ctx.countyCode)
        .where('channel_txn_id', '=', input.channelTxnId)
        .executeTakeFirst();
      return {
        problem: order
          ? `渠道流水号 ${input.channelTxnId} 的缴费中没有 ${person.name}（证件号码 ${input.docNumber}）`
          : `渠道流水号 ${input.channelTxnId} 没有对应的缴费记录`,
      };
    }
    const open = found.find((p) => judge(p, input) === null);
    if (open) return { payment: open };
    const payment = found[0] as Candidate;
    return { problem: judge(payment, input) as string, paymentId: payment.id };
  }

  const payments = await paymentsOf(trx, ctx.countyCode, person.id)
    .where('enrollments.benefit_year', '=', benefitYear)
    .execute();
  const open = payments.filter((p) => p.status === 'recorded');
  const sameAmount = open.filter((p) => p.amount_fen === input.amountFen);
  // Of two unconfirmed payments with the amount, the one paid on the tax side's date first.
  const best = sameAmount.find((p) => p.paid_on === input.paidOn) ?? sameAmount[0];
  if (best) return { payment: best };
  const who = `${person.name}（证件号码 ${input.docNumber}）`;
  if (payments.length === 0) return { problem: `${who} ${benefitYear} 年度没有缴费记录` };
  const other = open[0];
  if (other) {
    return {
      problem: `金额不符：税务确认 ${yuan(input.amountFen)}，${who} ${benefitYear} 年度未确认的缴费为 ${open
        .map((p) => `${yuan(p.amount_fen)}（${p.paid_on}）`)
        .join('、')}`,
      paymentId: other.id,
    };
  }
  const last = payments[payments.length - 1] as Candidate;
  return { problem: `${who} ${benefitYear} 年度的${judge(last, input)}`, paymentId: last.id };
}

/**
 * Confirms the enrollment once every one of its payments is confirmed, while it is 'paid'. The
 * state change is check-and-act; a concurrent change (another payment confirmed at the same moment)
 * is read again and tried once more.
 */
async function confirmEnrollment(
  trx: Transaction<Database>,
  ctx: CollectionContext,
  enrollmentId: number,
  receiptNo: string,
  paymentId: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const enrollment = await trx
      .selectFrom('enrollments')
      .selectAll()
      .where('id', '=', enrollmentId)
      .executeTakeFirstOrThrow();
    if (enrollment.status !== 'paid') return false;
    const open = await trx
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('enrollment_id', '=', enrollmentId)
      .where('status', '<>', 'confirmed')
      .executeTakeFirstOrThrow();
    if (Number(open.n) > 0) return false;
    const ok = await transition(trx, ctx, enrollment, {
      event: 'tax_confirmed',
      to: 'confirmed',
      from: ['paid'],
      reason: `税务确认缴费（税票号 ${receiptNo}）`,
      detail: { receiptNo, paymentId },
    });
    if (ok) return true;
  }
  throw new CollectionError('concurrent', `参保记录 #${enrollmentId} 被同时修改，请重新导入`);
}

// ---------------------------------------------------------------------------------------------
// The discrepancy list

export interface TaxDiscrepancy {
  readonly id: number;
  readonly receiptNo: string;
  readonly docNumber: string;
  /** The name the tax side gave, else the registry's. */
  readonly name: string | null;
  readonly amountFen: number;
  readonly paidOn: string | null;
  readonly channelTxnId: string | null;
  readonly confirmedOn: string;
  readonly problem: string;
  /** The payment the confirmation was about, when one was identified. */
  readonly paymentId: number | null;
  readonly source: string;
  readonly sourceLine: number | null;
  readonly createdAt: string;
}

export interface DiscrepancyFilter {
  /** Confirmation dates from / to (inclusive). */
  readonly from?: string;
  readonly to?: string;
}

/** Confirmations kept out of the books, with the reason, oldest first. */
export async function listDiscrepancies(
  ctx: CollectionContext,
  filter: DiscrepancyFilter = {},
): Promise<TaxDiscrepancy[]> {
  let query = ctx.db
    .selectFrom('tax_confirmations')
    .leftJoin('people', (join) =>
      join
        .onRef('people.doc_number', '=', 'tax_confirmations.doc_number')
        .onRef('people.county_code', '=', 'tax_confirmations.county_code'),
    )
    .selectAll('tax_confirmations')
    .select('people.name as registry_name')
    .where('tax_confirmations.county_code', '=', ctx.countyCode)
    .where('tax_confirmations.status', '=', 'discrepancy')
    .orderBy('tax_confirmations.id');
  if (filter.from) query = query.where('tax_confirmations.confirmed_on', '>=', filter.from);
  if (filter.to) query = query.where('tax_confirmations.confirmed_on', '<=', filter.to);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    receiptNo: r.tax_receipt_no,
    docNumber: r.doc_number,
    name: r.name ?? r.registry_name ?? null,
    amountFen: r.amount_fen,
    paidOn: r.paid_on,
    channelTxnId: r.channel_txn_id,
    confirmedOn: r.confirmed_on,
    problem: r.problem ?? '',
    paymentId: r.payment_id,
    source: r.source,
    sourceLine: r.source_line,
    createdAt: r.created_at,
  }));
}

/** The columns of the discrepancy sheet (also used by the reconciliation report). */
export const DISCREPANCY_COLUMNS = [
  { header: '税票号', width: 22 },
  { header: '证件号码', width: 22 },
  { header: '姓名', width: 10 },
  { header: '缴费金额（元）', width: 14, text: false },
  { header: '缴费日期', width: 12 },
  { header: '渠道流水号', width: 20 },
  { header: '确认日期', width: 12 },
  { header: '问题', width: 70 },
  { header: '来源', width: 24 },
] as const;

export function discrepancyCells(d: TaxDiscrepancy): CellValue[] {
  return [
    d.receiptNo,
    d.docNumber,
    d.name,
    Number(formatYuan(d.amountFen as Fen)),
    d.paidOn,
    d.channelTxnId,
    d.confirmedOn,
    d.problem,
    d.sourceLine === null ? d.source : `${d.source} 第 ${d.sourceLine} 行`,
  ];
}

/** Writes the discrepancy list as .xlsx, titled with the county and the date. */
export async function writeDiscrepanciesXlsx(
  ctx: CollectionContext,
  target: string,
  rows: readonly TaxDiscrepancy[],
): Promise<void> {
  await writeXlsx(target, [
    {
      name: '税务确认差异',
      headerLines: [
        `${ctx.countyCode} 税务确认差异清单（未入账）`,
        `生成日期 ${ctx.today}，共 ${rows.length} 条，合计 ${yuan(rows.reduce((n, d) => n + d.amountFen, 0))}`,
      ],
      columns: DISCREPANCY_COLUMNS,
      rows: rows.map(discrepancyCells),
    },
  ]);
}
