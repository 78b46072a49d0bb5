/**
 * Bank withholding (协议银行代扣): agreement cards, the batch file handed to the bank, the bank's
 * result file and the reconciliation of batches against the books.
 *
 * Agreements. A person's contribution is withheld from a card whose holder may be someone else (a
 * parent pays for the household from one card). A closed or frozen card is replaced at the
 * township: the current row is closed with a reason and a new one opened, so the history of which
 * card was debited for which batch stays readable.
 *
 * Batches. A batch holds every enrollment of the year that awaits payment, asked for withholding,
 * owes something and has a current agreement — unless it is already in a batch still waiting for
 * its result. Rows that failed in an earlier batch (balance too low, card frozen) are therefore
 * picked up again by the next batch. Each item keeps the amount owed at export: the bank debits
 * exactly that.
 *
 * Results. The bank's file is checked as a whole before anything is written (batch known and
 * waiting, every row of the batch present once, amounts, names and ID numbers as exported, result
 * values known, a reason for every failure); any problem names the file, line and column and
 * nothing is written. Then, in one transaction for the whole file, each debited row is recorded
 * as a payment through the payment service (recordPaymentsIn, set-based per chunk of 1,000 rows,
 * each chunk in a savepoint), so the bank's rows get exactly the same checks and assessment as
 * every other channel, and the file is applied completely or not at all. The bank settles a day's
 * debits as one amount, so the file is one payment order per debit date (channel bank_withholding,
 * transaction id `<batch>@<date>`) and one journal payment transfer per chunk (Dr 待报解 for the
 * total / Cr each enrollment); each row keeps its own transaction id `<batch>-<seq>` (in messages,
 * the enrollment's event and the transfer's key) and its own payment row. Per debited person that
 * is four rows written (enrollment, event, payment, journal line) instead of seven — what makes a
 * million-row file affordable (docs/BENCHMARKS.md). The items' results are written with one
 * statement per chunk. The same result file again changes nothing.
 *
 * Conflicts. When the bank debited a person who can no longer be paid for — they paid in cash
 * between export and result, or their assessment changed — no second payment is recorded. The
 * money is really in the 待报解 account, so it is booked there against the channel's clearing
 * account (Dr pending_remittance / Cr channel:bank_withholding, key
 * `withholding-conflict:<batch>-<seq>`): the 待报解 balance matches the bank statement, and the
 * clearing account's credit balance is exactly what must go back to card holders. The item is
 * listed as a conflict until the return is booked (returnConflictDebit: the reverse transfer).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { type AccountCode, type Fen, formatYuan } from '@canbao/core';
import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { refreshStatistics } from '../db/statistics.ts';
import { writeLeanXlsx } from '../files/lean-xlsx.ts';
import { openTable, type TableSource } from '../files/read-table.ts';
import { type CellValue, writeCsv } from '../files/write-xlsx.ts';
import { recordTransfer } from '../ledger/journal.ts';
import { FieldError, parseDateCell, parseDocument, parseYuanCell } from '../registry/fields.ts';
import { chunks } from '../registry/people.ts';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError, PaymentConflictError } from './context.ts';
import { dialectOf } from './payment-batch.ts';
import { type PaymentResult, recordPaymentsIn } from './payments.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Where debited money that could not be applied to a person waits to be returned. */
export const WITHHOLDING_CLEARING: AccountCode = 'channel:bank_withholding';

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

/** States in which an enrollment may still change to withholding. */
const OPEN_STATES = ['registered', 'awaiting_payment'] as const;

// ---------------------------------------------------------------------------------------------
// Errors

export interface WithholdingRowError {
  /** The line the user sees in Excel or an editor; null for the file as a whole. */
  readonly line: number | null;
  /** The column header, or null for the row as a whole. */
  readonly column: string | null;
  readonly reason: string;
}

/** How many row errors a message lists; the error object keeps them all. */
const ERRORS_SHOWN = 20;

/** A file (agreements, bank result) with problems: nothing was written. */
export class WithholdingFileError extends CollectionError {
  override name = 'WithholdingFileError';
  readonly file: string;
  readonly errors: readonly WithholdingRowError[];
  constructor(file: string, errors: readonly WithholdingRowError[], intro = '') {
    const name = basename(file);
    const lines = errors
      .slice(0, ERRORS_SHOWN)
      .map(
        (e) =>
          `  ${name}${e.line === null ? '' : ` 第 ${e.line} 行`}${e.column ? `“${e.column}”` : ''}：${e.reason}`,
      );
    if (errors.length > ERRORS_SHOWN) lines.push(`  ……共 ${errors.length} 处错误`);
    super(
      'bad_file',
      `${intro || `${name} 有 ${errors.length} 处错误，未写入任何数据：`}\n${lines.join('\n')}`,
    );
    this.file = file;
    this.errors = errors;
  }
}

async function openFile(
  file: string,
  required: readonly (readonly string[])[],
  optional: readonly (readonly string[])[],
): Promise<TableSource> {
  try {
    return await openTable(file, { requiredHeaders: required, expectedHeaders: [...required, ...optional] });
  } catch (error) {
    if (error instanceof Error && error.name === 'TableFileError') {
      const e = error as Error & { line: number | null; detail: string };
      throw new WithholdingFileError(file, [{ line: e.line, column: null, reason: e.detail }]);
    }
    throw error;
  }
}

/** The header a file uses for one of the alternative spellings, or undefined. */
function headerOf(table: TableSource, spellings: readonly string[]): string | undefined {
  return spellings.find((s) => table.headers.includes(s));
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Agreements

export interface CardInput {
  readonly bank: string;
  readonly cardNumber: string;
  readonly holderName: string;
  readonly holderDocNumber?: string | null;
}

export interface AgreementInput extends CardInput {
  readonly personId: number;
  /** The day the agreement starts (default today). */
  readonly on?: string;
}

export interface ChangeAgreementInput extends AgreementInput {
  /** Why the old card is given up (卡已注销, 卡被冻结, 更换持卡人 …). */
  readonly reason: string;
}

interface Card {
  readonly bank: string;
  readonly card_number: string;
  readonly holder_name: string;
  readonly holder_doc_number: string | null;
}

/** Checks and normalises a card; a refusal names the field (CollectionError bad_card). */
function cardOrError(input: CardInput): Card {
  const bad = (field: keyof CardInput, message: string) => new CollectionError('bad_card', message, field);
  const bank = input.bank.trim();
  if (!bank) throw bad('bank', '开户银行为空');
  if (bank.length > 60) throw bad('bank', `开户银行名称过长：“${bank}”`);
  const card = input.cardNumber.replace(/[\s-]/g, '');
  if (!/^\d{10,30}$/.test(card)) {
    throw bad('cardNumber', `银行卡号应为 10–30 位数字：“${input.cardNumber}”`);
  }
  const holder = input.holderName.trim();
  if (!holder) throw bad('holderName', '持卡人姓名为空');
  let doc: string | null = null;
  if (input.holderDocNumber?.trim()) {
    try {
      doc = parseDocument('', input.holderDocNumber).number;
    } catch (error) {
      if (error instanceof FieldError) throw bad('holderDocNumber', error.message);
      throw error;
    }
  }
  return { bank, card_number: card, holder_name: holder, holder_doc_number: doc };
}

const sameCard = (a: Card, b: Card) =>
  a.bank === b.bank &&
  a.card_number === b.card_number &&
  a.holder_name === b.holder_name &&
  a.holder_doc_number === b.holder_doc_number;

export async function currentAgreement(db: Db, countyCode: string, personId: number) {
  return (
    (await db
      .selectFrom('bank_agreements')
      .selectAll()
      .where('county_code', '=', countyCode)
      .where('person_id', '=', personId)
      .where('valid_to', 'is', null)
      .executeTakeFirst()) ?? null
  );
}

async function personOrError(db: Db, countyCode: string, personId: number) {
  const person = await db
    .selectFrom('people')
    .select(['id', 'name', 'doc_number'])
    .where('county_code', '=', countyCode)
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!person) {
    throw new CollectionError('unknown_person', `人员 #${personId} 不在县级区划 ${countyCode} 的登记中`);
  }
  return person;
}

function checkOn(ctx: CollectionContext, on: string | undefined): string {
  const day = on ?? ctx.today;
  if (day > ctx.today) throw new CollectionError('future_date', `日期 ${day} 晚于今天（${ctx.today}）`);
  return day;
}

/**
 * Sets withhold = 1 on the people's enrollments still open (registered or awaiting payment), with
 * an event each: signing an agreement is the household's request for withholding.
 */
async function markWithholding(
  trx: Db,
  ctx: CollectionContext,
  personIds: readonly number[],
  reason: string,
): Promise<number> {
  let marked = 0;
  for (const ids of chunks(personIds)) {
    const open = await trx
      .selectFrom('enrollments')
      .select(['id', 'status'])
      .where('county_code', '=', ctx.countyCode)
      .where('person_id', 'in', ids)
      .where('status', 'in', OPEN_STATES)
      .where('withhold', '=', 0)
      .execute();
    if (open.length === 0) continue;
    await trx
      .updateTable('enrollments')
      .set({ withhold: 1, updated_at: ctx.now })
      .where(
        'id',
        'in',
        open.map((e) => e.id),
      )
      .execute();
    await trx
      .insertInto('enrollment_events')
      .values(
        open.map((e) => ({
          county_code: ctx.countyCode,
          enrollment_id: e.id,
          event: 'withholding_on',
          from_status: e.status,
          to_status: e.status,
          reason,
          detail: null,
          actor: ctx.actor,
          at: ctx.now,
        })),
      )
      .execute();
    marked += open.length;
  }
  return marked;
}

export interface AgreementResult {
  readonly agreement: Awaited<ReturnType<typeof currentAgreement>> & {};
  /** The previous agreement, closed by a change of card. */
  readonly closed: Awaited<ReturnType<typeof currentAgreement>>;
  /** Enrollments switched to withholding. */
  readonly withholdMarked: number;
  /** Batches still waiting for their result that will debit the old card for this person. */
  readonly pendingBatches: readonly string[];
}

/** Records a person's first (or only current) agreement card and asks for withholding. */
export async function addAgreement(ctx: CollectionContext, input: AgreementInput): Promise<AgreementResult> {
  const card = cardOrError(input);
  const on = checkOn(ctx, input.on);
  return ctx.db.transaction().execute(async (trx) => {
    const person = await personOrError(trx, ctx.countyCode, input.personId);
    const existing = await currentAgreement(trx, ctx.countyCode, person.id);
    if (existing) {
      if (sameCard(existing, card)) {
        return { agreement: existing, closed: null, withholdMarked: 0, pendingBatches: [] };
      }
      throw new CollectionError(
        'agreement_exists',
        `${person.name} 已有代扣协议（${existing.bank} ${maskCard(existing.card_number)}，${existing.valid_from} 起）；换卡请用“变更协议”并写明原因`,
      );
    }
    const agreement = await insertAgreement(trx, ctx, person.id, card, on, 'manual');
    const withholdMarked = await markWithholding(trx, ctx, [person.id], `签订银行代扣协议（${card.bank}）`);
    return { agreement, closed: null, withholdMarked, pendingBatches: [] };
  });
}

/**
 * A change of card: the current agreement is closed on `on` with the reason and a new one opened
 * from the same day. Nothing is overwritten.
 */
export async function changeAgreement(
  ctx: CollectionContext,
  input: ChangeAgreementInput,
): Promise<AgreementResult> {
  const card = cardOrError(input);
  const on = checkOn(ctx, input.on);
  if (!input.reason.trim())
    throw new CollectionError('reason_required', '变更代扣协议须填写原因（如 卡已注销）');
  return ctx.db.transaction().execute(async (trx) => {
    const person = await personOrError(trx, ctx.countyCode, input.personId);
    const existing = await currentAgreement(trx, ctx.countyCode, person.id);
    if (!existing) {
      throw new CollectionError('no_agreement', `${person.name} 没有有效的代扣协议，请先新增协议`);
    }
    if (sameCard(existing, card)) {
      throw new CollectionError('same_card', `${person.name} 的现有协议就是这张卡，无需变更`);
    }
    if (on < existing.valid_from) {
      throw new CollectionError('bad_date', `变更日期 ${on} 早于现有协议的开始日期 ${existing.valid_from}`);
    }
    return replaceAgreement(trx, ctx, existing, card, on, input.reason.trim(), 'manual');
  });
}

async function replaceAgreement(
  trx: Db,
  ctx: CollectionContext,
  existing: NonNullable<Awaited<ReturnType<typeof currentAgreement>>>,
  card: Card,
  on: string,
  reason: string,
  source: string,
): Promise<AgreementResult> {
  const closed = await trx
    .updateTable('bank_agreements')
    .set({ valid_to: on, close_reason: reason })
    .where('id', '=', existing.id)
    .where('valid_to', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!closed) throw new CollectionError('concurrent', '代扣协议已被同时修改，请重试');
  const agreement = await insertAgreement(trx, ctx, existing.person_id, card, on, source);
  const withholdMarked = await markWithholding(trx, ctx, [existing.person_id], `更换代扣卡（${reason}）`);
  const pending = await trx
    .selectFrom('withholding_items')
    .innerJoin('withholding_batches', 'withholding_batches.id', 'withholding_items.batch_id')
    .select('withholding_batches.batch_no')
    .where('withholding_items.agreement_id', '=', existing.id)
    .where('withholding_batches.status', '=', 'exported')
    .execute();
  return { agreement, closed, withholdMarked, pendingBatches: pending.map((p) => p.batch_no) };
}

async function insertAgreement(
  trx: Db,
  ctx: CollectionContext,
  personId: number,
  card: Card,
  on: string,
  source: string,
) {
  const row = await trx
    .insertInto('bank_agreements')
    .values({
      county_code: ctx.countyCode,
      person_id: personId,
      ...card,
      valid_from: on,
      valid_to: null,
      close_reason: null,
      source,
      actor: ctx.actor,
      created_at: ctx.now,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  // The partial unique index (one current agreement per person) refused it: another clerk won.
  if (!row) throw new CollectionError('concurrent', '该人员的代扣协议已被同时修改，请重试');
  return row;
}

/**
 * Turns withholding on or off for a person's open enrollments (the household's yearly choice at
 * verification); turning it on requires a current agreement.
 */
export async function setWithholding(
  ctx: CollectionContext,
  personId: number,
  on: boolean,
  reason: string,
): Promise<number> {
  if (!reason.trim()) throw new CollectionError('reason_required', '请填写原因');
  return ctx.db.transaction().execute(async (trx) => {
    const person = await personOrError(trx, ctx.countyCode, personId);
    if (on) {
      if (!(await currentAgreement(trx, ctx.countyCode, personId))) {
        throw new CollectionError('no_agreement', `${person.name} 没有有效的代扣协议，不能设为银行代扣`);
      }
      return markWithholding(trx, ctx, [personId], reason);
    }
    const open = await trx
      .selectFrom('enrollments')
      .select(['id', 'status'])
      .where('county_code', '=', ctx.countyCode)
      .where('person_id', '=', personId)
      .where('status', 'in', OPEN_STATES)
      .where('withhold', '=', 1)
      .execute();
    for (const e of open) {
      await trx
        .updateTable('enrollments')
        .set({ withhold: 0, updated_at: ctx.now })
        .where('id', '=', e.id)
        .execute();
      await trx
        .insertInto('enrollment_events')
        .values({
          county_code: ctx.countyCode,
          enrollment_id: e.id,
          event: 'withholding_off',
          from_status: e.status,
          to_status: e.status,
          reason,
          detail: null,
          actor: ctx.actor,
          at: ctx.now,
        })
        .execute();
    }
    return open.length;
  });
}

/**
 * Enrollments created after their person signed (renewal in bulk) start with withhold = 0: this
 * marks those of people with a current agreement, except where the household turned withholding
 * off for that enrollment.
 */
export async function applyAgreements(ctx: CollectionContext, benefitYear?: number): Promise<number> {
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  return ctx.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('enrollments as e')
      .innerJoin('bank_agreements as a', (j) =>
        j
          .onRef('a.person_id', '=', 'e.person_id')
          .onRef('a.county_code', '=', 'e.county_code')
          .on('a.valid_to', 'is', null),
      )
      .select('e.person_id')
      .where('e.county_code', '=', ctx.countyCode)
      .where('e.benefit_year', '=', campaign.benefit_year)
      .where('e.status', 'in', OPEN_STATES)
      .where('e.withhold', '=', 0)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('enrollment_events as ev')
              .select(sql.lit(1).as('one'))
              .whereRef('ev.enrollment_id', '=', 'e.id')
              .where('ev.event', '=', 'withholding_off'),
          ),
        ),
      )
      .execute();
    return markWithholding(
      trx,
      ctx,
      rows.map((r) => r.person_id),
      '已有银行代扣协议',
    );
  });
}

export interface AgreementRow {
  readonly id: number;
  readonly personId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly bank: string;
  readonly cardNumber: string;
  readonly holderName: string;
  readonly holderDocNumber: string | null;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly closeReason: string | null;
  readonly source: string;
}

/** Agreements, current ones only unless `history`; one person's or one bank's when given. */
export async function listAgreements(
  ctx: CollectionContext,
  options: { personId?: number; bank?: string; history?: boolean } = {},
): Promise<AgreementRow[]> {
  let query = ctx.db
    .selectFrom('bank_agreements as a')
    .innerJoin('people as p', 'p.id', 'a.person_id')
    .select([
      'a.id',
      'a.person_id',
      'p.name',
      'p.doc_number',
      'a.bank',
      'a.card_number',
      'a.holder_name',
      'a.holder_doc_number',
      'a.valid_from',
      'a.valid_to',
      'a.close_reason',
      'a.source',
    ])
    .where('a.county_code', '=', ctx.countyCode)
    .orderBy('a.person_id')
    .orderBy('a.id');
  if (options.personId !== undefined) query = query.where('a.person_id', '=', options.personId);
  if (options.bank) query = query.where('a.bank', '=', options.bank);
  if (!options.history) query = query.where('a.valid_to', 'is', null);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    personId: r.person_id,
    name: r.name,
    docNumber: r.doc_number,
    bank: r.bank,
    cardNumber: r.card_number,
    holderName: r.holder_name,
    holderDocNumber: r.holder_doc_number,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    closeReason: r.close_reason,
    source: r.source,
  }));
}

/** A card number as shown on screens: first 4 and last 4 digits. */
export function maskCard(card: string): string {
  return card.length <= 8 ? card : `${card.slice(0, 4)}${'*'.repeat(card.length - 8)}${card.slice(-4)}`;
}

const AGREEMENT_COLUMNS = {
  name: ['姓名', '参保人姓名'],
  doc: ['证件号码', '参保人证件号码', '公民身份号码', '身份证号码', '身份证号'],
  bank: ['开户银行', '银行', '开户行'],
  card: ['银行卡号', '卡号', '银行账号'],
  holder: ['持卡人姓名', '持卡人'],
  holderDoc: ['持卡人证件号码', '持卡人身份证号码'],
  on: ['签约日期', '协议日期'],
} as const;

export interface AgreementImportResult {
  readonly file: string;
  readonly rows: number;
  readonly added: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly withholdMarked: number;
}

/**
 * Imports agreements from a township's file (.xlsx/.csv): all rows are checked first (person
 * registered with that name, card, holder, no person twice) and written in one transaction. A
 * person whose current card differs gets a change of card (closed with the file and line as
 * reason); the same card again changes nothing.
 */
export async function importAgreements(ctx: CollectionContext, file: string): Promise<AgreementImportResult> {
  const C = AGREEMENT_COLUMNS;
  const table = await openFile(file, [C.name, C.doc, C.bank, C.card, C.holder], [C.holderDoc, C.on]);
  const h = {
    name: headerOf(table, C.name) as string,
    doc: headerOf(table, C.doc) as string,
    bank: headerOf(table, C.bank) as string,
    card: headerOf(table, C.card) as string,
    holder: headerOf(table, C.holder) as string,
    holderDoc: headerOf(table, C.holderDoc),
    on: headerOf(table, C.on),
  };
  const errors: WithholdingRowError[] = [];
  const rows: { line: number; doc: string; name: string; card: Card; on: string }[] = [];
  const firstLine = new Map<string, number>();
  for await (const row of table.rows()) {
    const v = (header: string | undefined) => (header ? (row.values[header] ?? '') : '');
    const report = (column: string | null, reason: string) => errors.push({ line: row.line, column, reason });
    let doc = '';
    try {
      doc = parseDocument('', v(h.doc)).number;
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      report(h.doc, error.message);
    }
    const name = v(h.name).trim();
    if (!name) report(h.name, '姓名为空');
    let card: Card | null = null;
    try {
      card = cardOrError({
        bank: v(h.bank),
        cardNumber: v(h.card),
        holderName: v(h.holder),
        holderDocNumber: v(h.holderDoc),
      });
    } catch (error) {
      if (!(error instanceof CollectionError)) throw error;
      const columns: Record<string, string | null | undefined> = {
        bank: h.bank,
        cardNumber: h.card,
        holderName: h.holder,
        holderDocNumber: h.holderDoc,
      };
      report(columns[error.field ?? ''] ?? null, error.message);
    }
    let on = ctx.today;
    if (v(h.on)) {
      try {
        on = parseDateCell(v(h.on));
        if (on > ctx.today) report(h.on ?? null, `签约日期 ${on} 晚于今天（${ctx.today}）`);
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        report(h.on ?? null, error.message);
      }
    }
    if (doc) {
      const first = firstLine.get(doc);
      if (first !== undefined) report(h.doc, `与第 ${first} 行是同一参保人，一人只能有一张代扣卡`);
      else firstLine.set(doc, row.line);
    }
    if (doc && name && card) rows.push({ line: row.line, doc, name, card, on });
  }

  // Every insured person must be in the registry, under that name.
  const people = new Map<string, { id: number; name: string }>();
  for (const docs of chunks(rows.map((r) => r.doc))) {
    const found = await ctx.db
      .selectFrom('people')
      .select(['id', 'name', 'doc_number'])
      .where('county_code', '=', ctx.countyCode)
      .where('doc_number', 'in', docs)
      .execute();
    for (const p of found) people.set(p.doc_number, { id: p.id, name: p.name });
  }
  for (const r of rows) {
    const p = people.get(r.doc);
    if (!p) errors.push({ line: r.line, column: h.doc, reason: `登记中没有证件号码为 ${r.doc} 的人员` });
    else if (p.name !== r.name) {
      errors.push({ line: r.line, column: h.name, reason: `姓名“${r.name}”与登记的“${p.name}”不一致` });
    }
  }
  if (errors.length > 0) {
    errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new WithholdingFileError(file, errors);
  }

  const name = basename(file);
  return ctx.db.transaction().execute(async (trx) => {
    let added = 0;
    let changed = 0;
    let unchanged = 0;
    const signed: number[] = [];
    for (const part of chunks(rows)) {
      const ids = part.map((r) => (people.get(r.doc) as { id: number }).id);
      const current = await trx
        .selectFrom('bank_agreements')
        .selectAll()
        .where('county_code', '=', ctx.countyCode)
        .where('person_id', 'in', ids)
        .where('valid_to', 'is', null)
        .execute();
      const byPerson = new Map(current.map((a) => [a.person_id, a]));
      for (const r of part) {
        const personId = (people.get(r.doc) as { id: number }).id;
        const source = `import:${name}:${r.line}`;
        const existing = byPerson.get(personId);
        if (!existing) {
          await insertAgreement(trx, ctx, personId, r.card, r.on, source);
          added++;
          signed.push(personId);
        } else if (sameCard(existing, r.card)) {
          unchanged++;
        } else {
          if (r.on < existing.valid_from) {
            throw new WithholdingFileError(file, [
              {
                line: r.line,
                column: h.on ?? null,
                reason: `换卡日期 ${r.on} 早于现有协议的开始日期 ${existing.valid_from}`,
              },
            ]);
          }
          await replaceAgreement(trx, ctx, existing, r.card, r.on, `换卡（${name} 第 ${r.line} 行）`, source);
          changed++;
        }
      }
    }
    const withholdMarked = await markWithholding(trx, ctx, signed, `签订银行代扣协议（${name}）`);
    // The next export joins the agreements with the enrollments (see db/statistics.ts).
    await refreshStatistics(trx, ['bank_agreements'], added + changed * 2);
    return { file, rows: rows.length, added, changed, unchanged, withholdMarked };
  });
}

// ---------------------------------------------------------------------------------------------
// Batch export

/** The columns of the bank file, in order; the bank fills the last two. */
export const BATCH_COLUMNS = [
  { header: '批次号', width: 22 },
  { header: '序号', width: 8 },
  { header: '开户银行', width: 20 },
  { header: '银行卡号', width: 24 },
  { header: '持卡人', width: 12 },
  { header: '持卡人证件号码', width: 22 },
  { header: '参保人姓名', width: 12 },
  { header: '证件号码', width: 22 },
  { header: '应扣金额（元）', width: 14 },
  { header: '扣款结果', width: 10 },
  { header: '失败原因', width: 20 },
] as const;

export interface ExportBatchOptions {
  /**
   * The file to write, .xlsx or .csv by its extension; or a function of the batch number giving
   * it (the number is known only once the batch is created).
   */
  readonly out: string | ((batchNo: string) => string);
  readonly benefitYear?: number;
  /** Only agreements with this bank (one file per bank). */
  readonly bank?: string;
}

export interface ExportedBatch {
  readonly batchId: number;
  readonly batchNo: string;
  readonly benefitYear: number;
  readonly bank: string | null;
  readonly rows: number;
  readonly totalFen: number;
  /** Rows that had failed in an earlier batch and are tried again. */
  readonly retried: number;
  readonly file: string;
}

class EmptyBatch extends Error {}

/**
 * Creates the next withholding batch and writes its file for the bank. Returns null (and creates
 * nothing) when nobody is to be withheld.
 */
export async function exportWithholdingBatch(
  ctx: CollectionContext,
  options: ExportBatchOptions,
): Promise<ExportedBatch | null> {
  if (typeof options.out === 'string') checkFormat(options.out);
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, options.benefitYear);
  const year = campaign.benefit_year;
  const bank = options.bank?.trim() || null;
  const county = await ctx.db
    .selectFrom('regions')
    .select('name')
    .where('code', '=', ctx.countyCode)
    .executeTakeFirst();
  const day = ctx.today.replaceAll('-', '');
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const prefix = `${ctx.countyCode}-${day}-`;
      const sameDay = await trx
        .selectFrom('withholding_batches')
        .select('batch_no')
        .where('county_code', '=', ctx.countyCode)
        .where('batch_no', 'like', `${prefix}%`)
        .execute();
      const n = Math.max(0, ...sameDay.map((b) => Number(b.batch_no.slice(prefix.length)) || 0)) + 1;
      const batchNo = `${prefix}${n}`;
      // The batch row first: two exports at once compute the same number, and the unique key
      // makes the second wait for the first and then stop, so no enrollment lands in two batches.
      const batch = await trx
        .insertInto('withholding_batches')
        .values({
          county_code: ctx.countyCode,
          batch_no: batchNo,
          benefit_year: year,
          bank,
          status: 'exported',
          rows: 0,
          total_fen: 0,
          succeeded: 0,
          succeeded_fen: 0,
          failed: 0,
          result_sha256: null,
          result_file: null,
          created_on: ctx.today,
          created_at: ctx.now,
          completed_at: null,
          actor: ctx.actor,
        })
        .onConflict((oc) => oc.columns(['county_code', 'batch_no']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!batch) {
        throw new CollectionError('concurrent_export', '另一个代扣批次正在同时生成，请稍后重试');
      }
      let eligible = trx
        .selectFrom('enrollments as e')
        .innerJoin('bank_agreements as a', (j) =>
          j
            .onRef('a.person_id', '=', 'e.person_id')
            .onRef('a.county_code', '=', 'e.county_code')
            .on('a.valid_to', 'is', null),
        )
        .where('e.county_code', '=', ctx.countyCode)
        .where('e.benefit_year', '=', year)
        .where('e.status', '=', 'awaiting_payment')
        .where('e.withhold', '=', 1)
        .where('e.pays_fen', '>', 0)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('withholding_items as wi')
                .innerJoin('withholding_batches as wb', 'wb.id', 'wi.batch_id')
                .select(sql.lit(1).as('one'))
                .whereRef('wi.enrollment_id', '=', 'e.id')
                .where('wb.status', '=', 'exported')
                .where('wb.id', '<>', batch.id),
            ),
          ),
        );
      if (bank) eligible = eligible.where('a.bank', '=', bank);
      await trx
        .insertInto('withholding_items')
        .columns([
          'county_code',
          'batch_id',
          'seq',
          'enrollment_id',
          'person_id',
          'agreement_id',
          'amount_fen',
          'result',
        ])
        .expression(
          eligible.select([
            sql<string>`cast(${ctx.countyCode} as text)`.as('county_code'),
            sql<number>`cast(${batch.id} as bigint)`.as('batch_id'),
            sql<number>`row_number() over (order by ${sql.ref('a.bank')}, coalesce(${sql.ref('e.village_code')}, ''), ${sql.ref('e.id')})`.as(
              'seq',
            ),
            'e.id as enrollment_id',
            'e.person_id',
            'a.id as agreement_id',
            'e.pays_fen as amount_fen',
            sql.lit('pending').as('result'),
          ]),
        )
        .execute();
      const totals = await trx
        .selectFrom('withholding_items')
        .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.sum<number>('amount_fen').as('total')])
        .where('batch_id', '=', batch.id)
        .executeTakeFirstOrThrow();
      const rows = Number(totals.rows);
      if (rows === 0) throw new EmptyBatch();
      // The result import reads the items back by batch and by enrollment (db/statistics.ts).
      await refreshStatistics(trx, ['withholding_items'], rows);
      const totalFen = Number(totals.total);
      await trx
        .updateTable('withholding_batches')
        .set({ rows, total_fen: totalFen })
        .where('id', '=', batch.id)
        .execute();
      const retried = await trx
        .selectFrom('withholding_items as wi')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('wi.batch_id', '=', batch.id)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('withholding_items as old')
              .select(sql.lit(1).as('one'))
              .whereRef('old.enrollment_id', '=', 'wi.enrollment_id')
              .where('old.result', '=', 'failed'),
          ),
        )
        .executeTakeFirstOrThrow();

      const head = {
        id: batch.id,
        county_code: ctx.countyCode,
        batch_no: batchNo,
        benefit_year: year,
        bank,
        rows,
        total_fen: totalFen,
        created_on: ctx.today,
      };
      const out = typeof options.out === 'string' ? options.out : options.out(batchNo);
      await writeBatch(trx, head, county?.name, out);
      return {
        batchId: batch.id,
        batchNo,
        benefitYear: year,
        bank,
        rows,
        totalFen,
        retried: Number(retried.n),
        file: out,
      };
    });
  } catch (error) {
    if (error instanceof EmptyBatch) return null;
    throw error;
  }
}

const PAGE = 5000;

/**
 * A page of a batch's items with person and card, in sequence order, after `after`. A batch's
 * sequence numbers are 1…rows without gaps, so a page is a range of them: without the upper bound
 * PostgreSQL, before it has statistics on a batch just written, read every item after `after` and
 * sorted them for each page (quadratic: a million-row batch would read 100 million rows).
 */
function itemsAfter(db: Db, batchId: number, after: number) {
  return db
    .selectFrom('withholding_items as wi')
    .innerJoin('people as p', 'p.id', 'wi.person_id')
    .innerJoin('bank_agreements as a', 'a.id', 'wi.agreement_id')
    .where('wi.batch_id', '=', batchId)
    .where('wi.seq', '>', after)
    .where('wi.seq', '<=', after + PAGE)
    .orderBy('wi.seq')
    .limit(PAGE);
}

/** Pages of items read one after the other (keyset by seq) until a short page. */
async function* bySeq<R extends { seq: number }>(page: (after: number) => Promise<R[]>) {
  for (let after = 0; ; ) {
    const rows = await page(after);
    yield rows;
    if (rows.length < PAGE) return;
    after = (rows.at(-1) as R).seq;
  }
}

/** A batch's items with person and card, page by page in sequence order. */
function itemPages(db: Db, batchId: number) {
  return bySeq((after) =>
    itemsAfter(db, batchId, after)
      .select([
        'wi.id',
        'wi.seq',
        'wi.enrollment_id',
        'wi.amount_fen',
        'wi.result',
        'wi.failure_reason',
        'wi.result_on',
        'p.name',
        'p.doc_number',
        'a.bank',
        'a.card_number',
        'a.holder_name',
        'a.holder_doc_number',
      ])
      .execute(),
  );
}

/** The batch's rows for the bank file, a page at a time. */
async function* batchPages(db: Db, batchId: number, batchNo: string) {
  // A batch has a handful of distinct amounts: each is formatted once.
  const amounts = new Map<number, string>();
  // Only the file's columns: a fifth less time reading a million rows than all of itemPages'.
  const pages = bySeq((after) =>
    itemsAfter(db, batchId, after)
      .select([
        'wi.seq',
        'wi.amount_fen',
        'p.name',
        'p.doc_number',
        'a.bank',
        'a.card_number',
        'a.holder_name',
        'a.holder_doc_number',
      ])
      .execute(),
  );
  for await (const page of pages) {
    yield page.map((r): readonly CellValue[] => {
      let amount = amounts.get(r.amount_fen);
      if (amount === undefined) {
        amount = formatYuan(r.amount_fen as Fen);
        amounts.set(r.amount_fen, amount);
      }
      return [
        batchNo,
        String(r.seq),
        r.bank,
        r.card_number,
        r.holder_name,
        r.holder_doc_number ?? '',
        r.name,
        r.doc_number,
        amount,
        '',
        '',
      ];
    });
  }
}

/** Writes the file of an existing batch again (the first copy was lost, or another format). */
export async function writeBatchFile(ctx: CollectionContext, batchNo: string, out: string): Promise<number> {
  const batch = await batchByNo(ctx.db, ctx.countyCode, batchNo);
  const county = await ctx.db
    .selectFrom('regions')
    .select('name')
    .where('code', '=', ctx.countyCode)
    .executeTakeFirst();
  return writeBatch(ctx.db, batch, county?.name, out);
}

type BatchHead = Pick<
  Database['withholding_batches'],
  'batch_no' | 'benefit_year' | 'bank' | 'rows' | 'total_fen' | 'created_on' | 'county_code'
> & { id: number };

/** The bank file: a title naming the county, batch and date, then one row per item. */
function checkFormat(out: string): '.xlsx' | '.csv' {
  const format = extname(out).toLowerCase();
  if (format !== '.xlsx' && format !== '.csv') {
    throw new CollectionError('bad_format', `代扣文件只能保存为 .xlsx 或 .csv：${out}`);
  }
  return format;
}

async function writeBatch(db: Db, batch: BatchHead, countyName: string | undefined, out: string) {
  const format = checkFormat(out);
  const title = `${countyName ?? batch.county_code}城乡居民基本医疗保险费银行代扣清单　批次号 ${batch.batch_no}　生成日期 ${batch.created_on}`;
  const info = `${batch.benefit_year} 年度，共 ${batch.rows} 笔，合计 ${yuan(batch.total_fen)}${batch.bank ? `，开户银行：${batch.bank}` : ''}。请银行填写“扣款结果”（成功/失败）和“失败原因”后回传，其余列请勿修改。`;
  const data = batchPages(db, batch.id, batch.batch_no);
  if (format === '.csv') {
    // CSV has no merged title rows: the title is the first line, the column headers the third.
    async function* withHeader() {
      yield [[info], BATCH_COLUMNS.map((c) => c.header)];
      yield* data;
    }
    return (await writeCsv(out, [title], { pages: withHeader() })).rows - 2;
  }
  // The lean writer: exceljs cost ~28 µs a row, most of a county's export (docs/BENCHMARKS.md).
  return (
    await writeLeanXlsx(
      out,
      {
        name: '代扣清单',
        headerLines: [title, info],
        columns: BATCH_COLUMNS.map((c) => ({ ...c, text: true })),
        rows: { pages: data },
      },
      new Date(`${batch.created_on}T00:00:00Z`),
    )
  ).rows;
}

async function batchByNo(db: Db, countyCode: string, batchNo: string) {
  const batch = await db
    .selectFrom('withholding_batches')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('batch_no', '=', batchNo.trim())
    .executeTakeFirst();
  if (!batch) throw new CollectionError('unknown_batch', `代扣批次 ${batchNo} 不存在`);
  return batch;
}

// ---------------------------------------------------------------------------------------------
// Result import

/** The bank file's columns as the result import looks for them (alternative spellings). */
const RESULT_COLUMNS = {
  batchNo: ['批次号'],
  seq: ['序号'],
  name: ['参保人姓名', '姓名'],
  doc: ['证件号码', '参保人证件号码', '公民身份号码', '身份证号码'],
  amount: ['应扣金额（元）', '应扣金额', '扣款金额（元）', '扣款金额', '金额（元）'],
  result: ['扣款结果', '代扣结果', '结果'],
  reason: ['失败原因', '备注'],
  card: ['银行卡号', '卡号'],
  date: ['扣款日期', '交易日期'],
} as const;

/** What banks write for a debited row and for a failed one (compared after NFKC, upper case). */
export const RESULT_WORDS: Readonly<Record<'succeeded' | 'failed', readonly string[]>> = {
  succeeded: ['成功', '扣款成功', '代扣成功', '已扣款', '已扣', '扣款完成', '交易成功', 'SUCCESS', 'S'],
  failed: ['失败', '扣款失败', '代扣失败', '未扣款', '未扣', '交易失败', 'FAIL', 'FAILED', 'F'],
};

function resultOf(text: string): 'succeeded' | 'failed' | null {
  const t = text.normalize('NFKC').replace(/\s/g, '').toUpperCase();
  if (RESULT_WORDS.succeeded.includes(t)) return 'succeeded';
  if (RESULT_WORDS.failed.includes(t)) return 'failed';
  return null;
}

interface BatchItem {
  readonly id: number;
  readonly seq: number;
  readonly enrollmentId: number;
  readonly amountFen: number;
  readonly name: string;
  readonly doc: string;
  readonly card: string;
  readonly holder: string;
  readonly result: 'pending' | 'succeeded' | 'failed' | 'conflict';
  readonly reason: string | null;
  readonly resultOn: string | null;
}

async function loadItems(db: Db, batchId: number, rows: number): Promise<BatchItem[]> {
  const items: BatchItem[] = new Array(rows);
  for await (const page of itemPages(db, batchId)) {
    for (const r of page) {
      items[r.seq - 1] = {
        id: r.id,
        seq: r.seq,
        enrollmentId: r.enrollment_id,
        amountFen: r.amount_fen,
        name: r.name,
        doc: r.doc_number,
        card: r.card_number,
        holder: r.holder_name,
        result: r.result,
        reason: r.failure_reason,
        resultOn: r.result_on,
      };
    }
  }
  return items;
}

interface ParsedResult {
  readonly line: number;
  readonly result: 'succeeded' | 'failed';
  readonly reason: string | null;
  readonly on: string;
}

export interface ResultImportOptions {
  readonly file: string;
  /** The debit date for rows whose file gives none (扣款日期 column). */
  readonly on?: string;
}

export interface ConflictLine {
  readonly batchNo: string;
  readonly seq: number;
  readonly itemId: number;
  readonly enrollmentId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly holderName: string;
  readonly cardNumber: string;
  readonly amountFen: number;
  readonly debitedOn: string | null;
  readonly note: string;
  readonly returnedOn: string | null;
}

export interface ResultImportSummary {
  /** completed: the results were applied; unchanged: this batch already had exactly these results. */
  readonly status: 'completed' | 'unchanged';
  readonly batchNo: string;
  readonly file: string;
  readonly rows: number;
  readonly succeeded: number;
  readonly succeededFen: number;
  readonly failed: number;
  readonly failedFen: number;
  /** Failed rows per reason, for the townships (change of card, top up the balance). */
  readonly failureReasons: Readonly<Record<string, number>>;
  /** Debited rows that could not be recorded as a payment: to be returned to the card holder. */
  readonly conflicts: readonly ConflictLine[];
  readonly completedAt: string | null;
}

/** Items handed to recordPaymentsIn at a time (bounds the memory of one call's results). */
const WRITE_CHUNK = 1000;

/**
 * Imports the bank's result file of a batch. Checked as a whole first (see the module comment);
 * then debited rows become payments, failed rows keep their reason (and are exported again in the
 * next batch), and debited rows that cannot be paid for are booked as conflicts to be returned.
 */
export async function importWithholdingResult(
  ctx: CollectionContext,
  options: ResultImportOptions,
): Promise<ResultImportSummary> {
  const { file } = options;
  if (options.on !== undefined && options.on > ctx.today) {
    throw new CollectionError('future_date', `扣款日期 ${options.on} 晚于今天（${ctx.today}）`);
  }
  const digest = await sha256(file);
  const same = await ctx.db
    .selectFrom('withholding_batches')
    .select('batch_no')
    .where('county_code', '=', ctx.countyCode)
    .where('result_sha256', '=', digest)
    .executeTakeFirst();
  if (same) return summary(ctx, same.batch_no, file, 'unchanged');

  const C = RESULT_COLUMNS;
  const table = await openFile(
    file,
    [C.batchNo, C.seq, C.name, C.doc, C.amount, C.result],
    [C.reason, C.card, C.date],
  );
  const h = {
    batchNo: headerOf(table, C.batchNo) as string,
    seq: headerOf(table, C.seq) as string,
    name: headerOf(table, C.name) as string,
    doc: headerOf(table, C.doc) as string,
    amount: headerOf(table, C.amount) as string,
    result: headerOf(table, C.result) as string,
    reason: headerOf(table, C.reason) ?? null,
    card: headerOf(table, C.card),
    date: headerOf(table, C.date),
  };
  const errors: WithholdingRowError[] = [];
  let batch: Awaited<ReturnType<typeof batchByNo>> | null = null;
  let items: BatchItem[] = [];
  const parsed: (ParsedResult | undefined)[] = [];
  try {
    for await (const row of table.rows()) {
      const v = (header: string | undefined | null) => (header ? (row.values[header] ?? '').trim() : '');
      const report = (column: string | null, reason: string) =>
        errors.push({ line: row.line, column, reason });
      const batchNo = v(h.batchNo);
      if (batch === null) {
        if (!batchNo) {
          throw new WithholdingFileError(file, [{ line: row.line, column: h.batchNo, reason: '批次号为空' }]);
        }
        const found = await ctx.db
          .selectFrom('withholding_batches')
          .selectAll()
          .where('county_code', '=', ctx.countyCode)
          .where('batch_no', '=', batchNo)
          .executeTakeFirst();
        if (!found) {
          throw new WithholdingFileError(file, [
            {
              line: row.line,
              column: h.batchNo,
              reason: `代扣批次 ${batchNo} 不存在（县级区划 ${ctx.countyCode} 没有导出过这个批次）`,
            },
          ]);
        }
        batch = found;
        items = await loadItems(ctx.db, found.id, found.rows);
      } else if (batchNo !== batch.batch_no) {
        report(
          h.batchNo,
          `批次号“${batchNo}”与文件第一行的 ${batch.batch_no} 不同：一个结果文件只能是一个批次`,
        );
        continue;
      }
      const seqText = v(h.seq);
      const seq = /^\d{1,9}$/.test(seqText) ? Number(seqText) : Number.NaN;
      const item = items[seq - 1];
      if (!item) {
        report(
          h.seq,
          seqText
            ? `序号 ${seqText} 不属于批次 ${batch.batch_no}（该批次序号为 1–${batch.rows}）`
            : '序号为空',
        );
        continue;
      }
      const first = parsed[seq];
      if (first) {
        report(h.seq, `序号 ${seq} 与第 ${first.line} 行重复`);
        continue;
      }
      try {
        const amount = parseYuanCell(v(h.amount));
        if (amount !== item.amountFen) {
          report(h.amount, `金额 ${yuan(amount)}与批次中序号 ${seq} 的应扣金额 ${yuan(item.amountFen)}不符`);
        }
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        report(h.amount, error.message);
      }
      if (v(h.name) !== item.name)
        report(h.name, `姓名“${v(h.name)}”与批次中序号 ${seq} 的“${item.name}”不符`);
      if (v(h.doc).toUpperCase() !== item.doc) {
        report(h.doc, `证件号码“${v(h.doc)}”与批次中序号 ${seq} 的 ${item.doc} 不符`);
      }
      const card = v(h.card).replace(/[\s-]/g, '');
      // Banks sometimes mask card numbers in what they send back; a masked one is not compared.
      if (h.card && card && !card.includes('*') && card !== item.card) {
        report(h.card, `银行卡号与批次中序号 ${seq} 的卡号 ${maskCard(item.card)} 不符`);
      }
      const resultText = v(h.result);
      const result = resultOf(resultText);
      if (result === null) {
        report(
          h.result,
          resultText
            ? `无法识别的扣款结果“${resultText}”，应为“成功”或“失败”（也可写：${[...RESULT_WORDS.succeeded, ...RESULT_WORDS.failed].join('、')}）`
            : '扣款结果为空，应为“成功”或“失败”',
        );
      }
      const reason = v(h.reason) || null;
      if (result === 'failed' && !reason) {
        report(h.reason ?? '失败原因', '扣款失败的行必须填写失败原因（如 余额不足、卡已注销）');
      }
      let on = options.on ?? null;
      const dateText = v(h.date);
      if (dateText) {
        try {
          on = parseDateCell(dateText);
        } catch (error) {
          if (!(error instanceof FieldError)) throw error;
          report(h.date ?? null, error.message);
        }
      }
      if (on === null) {
        if (result === 'succeeded') {
          report(h.date ?? null, '缺少扣款日期：请在文件中填写“扣款日期”列，或导入时用 --on 指定');
        }
      } else if (on < batch.created_on) {
        report(h.date ?? null, `扣款日期 ${on} 早于批次生成日期 ${batch.created_on}`);
      } else if (on > ctx.today) {
        report(h.date ?? null, `扣款日期 ${on} 晚于今天（${ctx.today}）`);
      }
      if (result !== null) {
        if (item.result !== 'pending' && !sameResult(item, result, reason, on)) {
          report(
            h.result,
            `序号 ${seq} 已于先前导入为“${RESULT_LABELS[item.result]}”${item.reason ? `（${item.reason}）` : ''}，与本文件不同；已导入的结果不能更改`,
          );
        }
        parsed[seq] = { line: row.line, result, reason, on: on ?? ctx.today };
      }
    }
  } finally {
    await table.close();
  }
  if (batch === null) {
    throw new WithholdingFileError(file, [{ line: null, column: null, reason: '文件中没有任何数据行' }]);
  }
  const missing: number[] = [];
  for (let seq = 1; seq <= batch.rows; seq++) if (!parsed[seq] && !errors.length) missing.push(seq);
  if (missing.length > 0) {
    errors.push({
      line: null,
      column: h.seq,
      reason: `缺少批次 ${batch.batch_no} 的 ${missing.length} 行：序号 ${missing.slice(0, 20).join('、')}${missing.length > 20 ? '……' : ''}（批次共 ${batch.rows} 行，每行都须回填结果）`,
    });
  }
  if (errors.length > 0) throw new WithholdingFileError(file, errors);
  if (batch.status === 'completed') {
    // Every row equals what was imported before (checked above): a re-saved copy of the same file.
    return summary(ctx, batch.batch_no, file, 'unchanged');
  }

  const batchNo = batch.batch_no;
  const batchId = batch.id;
  // One transaction for the whole file: the results are applied completely or not at all. Each
  // payment has its own savepoint inside it (recordPaymentsIn), so a refused row (already paid)
  // becomes a conflict without undoing the others.
  const trx = await ctx.db.startTransaction().execute();
  try {
    // Claim the batch: a second import of the same results running at once (PostgreSQL) waits
    // here for the first, then finds the batch completed and changes nothing.
    const claimed = await trx
      .updateTable('withholding_batches')
      .set({ status: 'exported' })
      .where('id', '=', batchId)
      .where('status', '=', 'exported')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) {
      await trx.rollback().execute();
      return summary(ctx, batchNo, file, 'unchanged');
    }
    const orders = await openOrders(trx, ctx, batch, digest, items, parsed);
    for (let start = 0; start < items.length; start += WRITE_CHUNK) {
      const chunk = items.slice(start, start + WRITE_CHUNK).filter((item) => item.result === 'pending');
      const outcomes: ItemOutcome[] = [];
      for (const [on, order] of orders) {
        const debited = chunk.filter((item) => {
          const row = parsed[item.seq] as ParsedResult;
          return row.result === 'succeeded' && row.on === on;
        });
        if (debited.length === 0) continue;
        const results = await recordPaymentsIn(
          trx,
          ctx,
          debited.map((item) => ({
            channel: 'bank_withholding' as const,
            txnId: `${batchNo}-${item.seq}`,
            enrollmentIds: [item.enrollmentId],
            amountFen: item.amountFen,
            paidOn: on,
            reference: `代扣批次 ${batchNo} 序号 ${item.seq}`,
          })),
          { id: order.id, paidOn: on, memo: `代扣批次 ${batchNo}` },
        );
        // The items' results, written with one statement per chunk (conflicts, rare, one by one).
        for (let i = 0; i < debited.length; i++) {
          const item = debited[i] as BatchItem;
          const result = results[i];
          if (result instanceof CollectionError) {
            await bookConflict(trx, ctx, item, batchNo, on, result.message);
          } else {
            order.fen += (result as PaymentResult).amountFen;
            outcomes.push([item.id, 'succeeded', order.id, null, on]);
          }
        }
      }
      for (const item of chunk) {
        const row = parsed[item.seq] as ParsedResult;
        if (row.result === 'failed') outcomes.push([item.id, 'failed', null, row.reason, row.on]);
      }
      await setOutcomes(trx, outcomes);
    }
    await closeOrders(trx, orders);
    await completeBatch(trx, ctx, batchId, digest, basename(file));
    // A file's debits add a row per person to these: the books and reports read them next.
    await refreshStatistics(
      trx,
      ['payments', 'enrollment_events', 'journal_lines', 'withholding_items'],
      parsed.filter((row) => row?.result === 'succeeded').length,
    );
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  return summary(ctx, batchNo, file, 'completed');
}

/**
 * The payment orders of a result file: one per debit date, the day's debits settled by the bank as
 * one amount, under the transaction id `<batch>@<date>`. Written before the rows (their payments
 * point at them) with the amount set once the rows are decided. An id already used by another
 * payment is not the bank's doing: the file is refused and nothing is written.
 */
async function openOrders(
  trx: Kysely<Database>,
  ctx: CollectionContext,
  batch: Pick<Database['withholding_batches'], 'batch_no' | 'bank'>,
  digest: string,
  items: readonly BatchItem[],
  parsed: readonly (ParsedResult | undefined)[],
): Promise<Map<string, { id: number; fen: number }>> {
  const dates = new Set<string>();
  for (const item of items) {
    const row = parsed[item.seq] as ParsedResult;
    if (item.result === 'pending' && row.result === 'succeeded') dates.add(row.on);
  }
  const orders = new Map<string, { id: number; fen: number }>();
  for (const on of [...dates].sort()) {
    const txnId = `${batch.batch_no}@${on}`;
    const order = await trx
      .insertInto('payment_orders')
      .values({
        county_code: ctx.countyCode,
        channel: 'bank_withholding',
        channel_txn_id: txnId,
        digest,
        amount_fen: 0,
        paid_on: on,
        payer: batch.bank,
        collector: null,
        receipt_no: null,
        reference: `代扣批次 ${batch.batch_no}`,
        actor: ctx.actor,
        created_at: ctx.now,
      })
      .onConflict((oc) => oc.columns(['county_code', 'channel', 'channel_txn_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!order) {
      const taken = await trx
        .selectFrom('payment_orders')
        .select(['paid_on', 'amount_fen'])
        .where('county_code', '=', ctx.countyCode)
        .where('channel', '=', 'bank_withholding')
        .where('channel_txn_id', '=', txnId)
        .executeTakeFirstOrThrow();
      throw new PaymentConflictError(
        `渠道流水号 ${txnId} 已用于另一笔缴费（${taken.paid_on}，${yuan(taken.amount_fen)}），代扣结果不能记入，文件未导入`,
      );
    }
    orders.set(on, { id: Number(order.id), fen: 0 });
  }
  return orders;
}

/** Each order's amount is what its rows paid; an order whose every row was a conflict is dropped. */
async function closeOrders(trx: Kysely<Database>, orders: ReadonlyMap<string, { id: number; fen: number }>) {
  for (const order of orders.values()) {
    if (order.fen === 0) await trx.deleteFrom('payment_orders').where('id', '=', order.id).execute();
    else
      await trx
        .updateTable('payment_orders')
        .set({ amount_fen: order.fen })
        .where('id', '=', order.id)
        .execute();
  }
}

/** An item's result as the bulk update reads it: id, result, order id, failure reason, date. */
type ItemOutcome = [number, 'succeeded' | 'failed', number | null, string | null, string];

/**
 * Writes the results of many items with one UPDATE … FROM over the rows sent as one JSON
 * parameter: a statement per item cost more in building and running it than the row's write.
 */
async function setOutcomes(trx: Kysely<Database>, outcomes: readonly ItemOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const postgres = dialectOf(trx) === 'postgres';
  const text = postgres
    ? 'update withholding_items as w set result = v.result, order_id = v.order_id, ' +
      'failure_reason = v.failure_reason, result_on = v.result_on from (select (x ->> 0)::bigint as id, ' +
      'x ->> 1 as result, (x ->> 2)::bigint as order_id, x ->> 3 as failure_reason, (x ->> 4)::date as result_on ' +
      'from jsonb_array_elements($1::jsonb) as x) as v where w.id = v.id'
    : 'update withholding_items set result = v.result, order_id = v.order_id, ' +
      'failure_reason = v.failure_reason, result_on = v.result_on from (select value ->> 0 as id, ' +
      'value ->> 1 as result, value ->> 2 as order_id, value ->> 3 as failure_reason, value ->> 4 as result_on ' +
      'from jsonb_each(?)) as v where withholding_items.id = v.id';
  const result = await trx.executeQuery(CompiledQuery.raw(text, [JSON.stringify(outcomes)]));
  if (Number(result.numAffectedRows) !== outcomes.length) {
    throw new Error(`withholding items: ${result.numAffectedRows} of ${outcomes.length} updated`);
  }
}

/** What an item's result is called on screens and in messages. */
export const RESULT_LABELS: Readonly<Record<BatchItem['result'], string>> = {
  pending: '待回盘',
  succeeded: '扣款成功',
  failed: '扣款失败',
  conflict: '已扣款但未入账（待退还）',
};

function sameResult(
  item: BatchItem,
  result: 'succeeded' | 'failed',
  reason: string | null,
  on: string | null,
) {
  if (result === 'failed') return item.result === 'failed' && item.reason === reason;
  return (item.result === 'succeeded' || item.result === 'conflict') && (on === null || on === item.resultOn);
}

/**
 * The bank debited a card for someone who cannot be paid for any more: the money is in the 待报解
 * account, owed back to the card holder (see the module comment).
 */
async function bookConflict(
  trx: Db,
  ctx: CollectionContext,
  item: BatchItem,
  batchNo: string,
  on: string,
  why: string,
): Promise<void> {
  await recordTransfer(trx, {
    countyCode: ctx.countyCode,
    kind: 'withholding_conflict',
    businessType: 'withholding_item',
    businessId: String(item.id),
    idempotencyKey: `withholding-conflict:${batchNo}-${item.seq}`,
    occurredOn: on,
    lines: [
      { account: 'pending_remittance', amount: item.amountFen as Fen },
      { account: WITHHOLDING_CLEARING, amount: -item.amountFen as Fen },
    ],
    actor: ctx.actor,
    memo: `代扣批次 ${batchNo} 序号 ${item.seq} 已扣款未入账：${why}`,
    recordedAt: ctx.now,
  });
  await trx
    .updateTable('withholding_items')
    .set({ result: 'conflict', note: why, result_on: on })
    .where('id', '=', item.id)
    .execute();
}

async function completeBatch(
  trx: Db,
  ctx: CollectionContext,
  batchId: number,
  digest: string,
  fileName: string,
) {
  const counts = await resultCounts(trx, batchId);
  await trx
    .updateTable('withholding_batches')
    .set({
      status: 'completed',
      succeeded: counts.succeeded.n,
      succeeded_fen: counts.succeeded.fen,
      failed: counts.failed.n,
      result_sha256: digest,
      result_file: fileName,
      completed_at: ctx.now,
    })
    .where('id', '=', batchId)
    .execute();
}

type Counts = Record<BatchItem['result'], { n: number; fen: number }>;

async function resultCounts(db: Db, batchId: number): Promise<Counts> {
  const rows = await db
    .selectFrom('withholding_items')
    .select((eb) => ['result', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('amount_fen').as('fen')])
    .where('batch_id', '=', batchId)
    .groupBy('result')
    .execute();
  const counts: Counts = {
    pending: { n: 0, fen: 0 },
    succeeded: { n: 0, fen: 0 },
    failed: { n: 0, fen: 0 },
    conflict: { n: 0, fen: 0 },
  };
  for (const r of rows) counts[r.result] = { n: Number(r.n), fen: Number(r.fen) };
  return counts;
}

async function summary(
  ctx: CollectionContext,
  batchNo: string,
  file: string,
  status: ResultImportSummary['status'],
): Promise<ResultImportSummary> {
  const batch = await batchByNo(ctx.db, ctx.countyCode, batchNo);
  const counts = await resultCounts(ctx.db, batch.id);
  const reasons = await ctx.db
    .selectFrom('withholding_items')
    .select((eb) => ['failure_reason', eb.fn.countAll<number>().as('n')])
    .where('batch_id', '=', batch.id)
    .where('result', '=', 'failed')
    .groupBy('failure_reason')
    .orderBy('failure_reason')
    .execute();
  return {
    status,
    batchNo,
    file,
    rows: batch.rows,
    succeeded: counts.succeeded.n,
    succeededFen: counts.succeeded.fen,
    failed: counts.failed.n,
    failedFen: counts.failed.fen,
    failureReasons: Object.fromEntries(reasons.map((r) => [r.failure_reason ?? '', Number(r.n)])),
    conflicts: await listWithholdingConflicts(ctx, { batchNo }),
    completedAt: batch.completed_at,
  };
}

// ---------------------------------------------------------------------------------------------
// Lists, conflicts, reconciliation

export interface BatchRow {
  readonly batchNo: string;
  readonly benefitYear: number;
  readonly bank: string | null;
  readonly status: 'exported' | 'completed';
  readonly createdOn: string;
  readonly rows: number;
  readonly totalFen: number;
  readonly succeeded: number;
  readonly succeededFen: number;
  readonly failed: number;
  readonly conflicts: number;
  readonly resultFile: string | null;
  readonly completedAt: string | null;
}

export async function listWithholdingBatches(ctx: CollectionContext): Promise<BatchRow[]> {
  const batches = await ctx.db
    .selectFrom('withholding_batches')
    .selectAll()
    .where('county_code', '=', ctx.countyCode)
    .orderBy('id')
    .execute();
  const conflicts = await ctx.db
    .selectFrom('withholding_items')
    .select((eb) => ['batch_id', eb.fn.countAll<number>().as('n')])
    .where('county_code', '=', ctx.countyCode)
    .where('result', '=', 'conflict')
    .groupBy('batch_id')
    .execute();
  const conflictsOf = new Map(conflicts.map((c) => [c.batch_id, Number(c.n)]));
  return batches.map((b) => ({
    batchNo: b.batch_no,
    benefitYear: b.benefit_year,
    bank: b.bank,
    status: b.status,
    createdOn: b.created_on,
    rows: b.rows,
    totalFen: b.total_fen,
    succeeded: b.succeeded,
    succeededFen: b.succeeded_fen,
    failed: b.failed,
    conflicts: conflictsOf.get(b.id) ?? 0,
    resultFile: b.result_file,
    completedAt: b.completed_at,
  }));
}

export interface ItemRow {
  readonly seq: number;
  readonly name: string;
  readonly docNumber: string;
  readonly bank: string;
  readonly cardNumber: string;
  readonly holderName: string;
  readonly amountFen: number;
  readonly result: BatchItem['result'];
  readonly resultLabel: string;
  readonly failureReason: string | null;
  readonly note: string | null;
  readonly resultOn: string | null;
}

/** A batch's rows, or only those with the given results (failures for the townships). */
export async function batchItems(
  ctx: CollectionContext,
  batchNo: string,
  results?: readonly BatchItem['result'][],
): Promise<ItemRow[]> {
  const batch = await batchByNo(ctx.db, ctx.countyCode, batchNo);
  let query = ctx.db
    .selectFrom('withholding_items as wi')
    .innerJoin('people as p', 'p.id', 'wi.person_id')
    .innerJoin('bank_agreements as a', 'a.id', 'wi.agreement_id')
    .select([
      'wi.seq',
      'p.name',
      'p.doc_number',
      'a.bank',
      'a.card_number',
      'a.holder_name',
      'wi.amount_fen',
      'wi.result',
      'wi.failure_reason',
      'wi.note',
      'wi.result_on',
    ])
    .where('wi.batch_id', '=', batch.id)
    .orderBy('wi.seq');
  if (results && results.length > 0) query = query.where('wi.result', 'in', results);
  const rows = await query.execute();
  return rows.map((r) => ({
    seq: r.seq,
    name: r.name,
    docNumber: r.doc_number,
    bank: r.bank,
    cardNumber: r.card_number,
    holderName: r.holder_name,
    amountFen: r.amount_fen,
    result: r.result,
    resultLabel: RESULT_LABELS[r.result],
    failureReason: r.failure_reason,
    note: r.note,
    resultOn: r.result_on,
  }));
}

/**
 * Debited rows that could not be applied to a person (the list for returning money to card
 * holders): open ones only unless `all`.
 */
export async function listWithholdingConflicts(
  ctx: CollectionContext,
  options: { batchNo?: string; all?: boolean } = {},
): Promise<ConflictLine[]> {
  let query = ctx.db
    .selectFrom('withholding_items as wi')
    .innerJoin('withholding_batches as wb', 'wb.id', 'wi.batch_id')
    .innerJoin('people as p', 'p.id', 'wi.person_id')
    .innerJoin('bank_agreements as a', 'a.id', 'wi.agreement_id')
    .select([
      'wb.batch_no',
      'wi.seq',
      'wi.id',
      'wi.enrollment_id',
      'p.name',
      'p.doc_number',
      'a.holder_name',
      'a.card_number',
      'wi.amount_fen',
      'wi.result_on',
      'wi.note',
      'wi.returned_on',
    ])
    .where('wi.county_code', '=', ctx.countyCode)
    .where('wi.result', '=', 'conflict')
    .orderBy('wi.batch_id')
    .orderBy('wi.seq');
  if (options.batchNo) query = query.where('wb.batch_no', '=', options.batchNo);
  if (!options.all) query = query.where('wi.returned_on', 'is', null);
  const rows = await query.execute();
  return rows.map((r) => ({
    batchNo: r.batch_no,
    seq: r.seq,
    itemId: r.id,
    enrollmentId: r.enrollment_id,
    name: r.name,
    docNumber: r.doc_number,
    holderName: r.holder_name,
    cardNumber: r.card_number,
    amountFen: r.amount_fen,
    debitedOn: r.result_on,
    note: r.note ?? '',
    returnedOn: r.returned_on,
  }));
}

/**
 * The money of a conflict row went back to the card holder (the bank's return slip): the
 * clearing account is settled (Dr channel:bank_withholding / Cr pending_remittance).
 */
export async function returnConflictDebit(
  ctx: CollectionContext,
  input: { batchNo: string; seq: number; returnedOn: string; reference?: string | null },
): Promise<{ replayed: boolean; amountFen: number }> {
  const returnedOn = checkOn(ctx, input.returnedOn);
  return ctx.db.transaction().execute(async (trx) => {
    const batch = await batchByNo(trx, ctx.countyCode, input.batchNo);
    const item = await trx
      .selectFrom('withholding_items')
      .selectAll()
      .where('batch_id', '=', batch.id)
      .where('seq', '=', input.seq)
      .executeTakeFirst();
    if (!item) throw new CollectionError('unknown_item', `代扣批次 ${batch.batch_no} 没有序号 ${input.seq}`);
    if (item.result !== 'conflict') {
      throw new CollectionError(
        'not_conflict',
        `代扣批次 ${batch.batch_no} 序号 ${input.seq} 为“${RESULT_LABELS[item.result]}”，不是待退还的重复扣款`,
      );
    }
    if (item.returned_on !== null) {
      if (item.returned_on !== returnedOn) {
        throw new CollectionError('already_returned', `该笔扣款已于 ${item.returned_on} 退还`);
      }
      return { replayed: true, amountFen: item.amount_fen };
    }
    if (item.result_on !== null && returnedOn < item.result_on) {
      throw new CollectionError('bad_date', `退还日期 ${returnedOn} 早于扣款日期 ${item.result_on}`);
    }
    await recordTransfer(trx, {
      countyCode: ctx.countyCode,
      kind: 'withholding_return',
      businessType: 'withholding_item',
      businessId: String(item.id),
      idempotencyKey: `withholding-return:${batch.batch_no}-${item.seq}`,
      occurredOn: returnedOn,
      lines: [
        { account: WITHHOLDING_CLEARING, amount: item.amount_fen as Fen },
        { account: 'pending_remittance', amount: -item.amount_fen as Fen },
      ],
      actor: ctx.actor,
      memo: `退还代扣批次 ${batch.batch_no} 序号 ${item.seq} 的重复扣款${input.reference ? `（${input.reference}）` : ''}`,
      recordedAt: ctx.now,
    });
    await trx
      .updateTable('withholding_items')
      .set({ returned_on: returnedOn })
      .where('id', '=', item.id)
      .execute();
    return { replayed: false, amountFen: item.amount_fen };
  });
}

export interface BatchReconciliation {
  readonly batchNo: string;
  readonly benefitYear: number;
  readonly bank: string | null;
  readonly status: 'exported' | 'completed';
  readonly rows: number;
  readonly totalFen: number;
  /** Rows the bank debited and canbao recorded as payments. */
  readonly succeeded: number;
  readonly succeededFen: number;
  readonly failed: number;
  readonly pending: number;
  /** Debited rows not applied to anyone, and how much of that is not yet returned. */
  readonly conflicts: number;
  readonly conflictFen: number;
  readonly conflictOpenFen: number;
  /** Payments recorded under the batch's payment orders (`<batch>@<date>`): one per debited row. */
  readonly payments: number;
  readonly paymentsFen: number;
  /** What the journal's payment transfers for those orders put into the 待报解 account. */
  readonly journalFen: number;
  /** The clearing account's credit for this batch's conflicts, less returns (journal). */
  readonly journalConflictOpenFen: number;
  /** Every difference found, in Chinese, to the fen; empty when the batch reconciles. */
  readonly differences: readonly string[];
}

/**
 * Bank batch vs journal, per batch: the rows the bank debited against the payments recorded under
 * the batch's orders and the 待报解 entries of their journal transfers; conflicts
 * against the clearing account. JSON-able; used by `canbao batch reconcile` and `ledger check`.
 */
export async function reconcileWithholdingBatches(ctx: CollectionContext): Promise<BatchReconciliation[]> {
  const batches = await ctx.db
    .selectFrom('withholding_batches')
    .selectAll()
    .where('county_code', '=', ctx.countyCode)
    .orderBy('id')
    .execute();
  const out: BatchReconciliation[] = [];
  for (const b of batches) {
    const counts = await resultCounts(ctx.db, b.id);
    const payments = await ctx.db
      .selectFrom('payment_orders as po')
      .innerJoin('payments as p', 'p.order_id', 'po.id')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('p.amount_fen').as('fen')])
      .where('po.county_code', '=', ctx.countyCode)
      .where('po.channel', '=', 'bank_withholding')
      .where('po.channel_txn_id', 'like', `${b.batch_no}@%`)
      .executeTakeFirstOrThrow();
    // Transfers keyed by a row's transaction id (`<batch>-<seq>`) or the batch's order (`<batch>@…`).
    const journal = async (keyPrefix: string, account: AccountCode, separators = ['-']) => {
      const row = await ctx.db
        .selectFrom('journal_lines as jl')
        .innerJoin('journal_transfers as jt', 'jt.id', 'jl.transfer_id')
        .select((eb) => eb.fn.sum<number>('jl.amount_fen').as('fen'))
        .where('jt.county_code', '=', ctx.countyCode)
        .where((eb) =>
          eb.or(separators.map((x) => eb('jt.idempotency_key', 'like', `${keyPrefix}${b.batch_no}${x}%`))),
        )
        .where('jl.account', '=', account)
        .executeTakeFirstOrThrow();
      return Number(row.fen ?? 0);
    };
    const journalFen = await journal('payment:bank_withholding:', 'pending_remittance', ['-', '@']);
    const conflictBooked = 0 - (await journal('withholding-conflict:', WITHHOLDING_CLEARING));
    const conflictReturned = await journal('withholding-return:', WITHHOLDING_CLEARING);
    // A debited row must have its payment: same order, enrollment and amount.
    const unlinked = await ctx.db
      .selectFrom('withholding_items as wi')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('wi.batch_id', '=', b.id)
      .where('wi.result', '=', 'succeeded')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('payments as p')
              .select(sql.lit(1).as('one'))
              .whereRef('p.order_id', '=', 'wi.order_id')
              .whereRef('p.enrollment_id', '=', 'wi.enrollment_id')
              .whereRef('p.amount_fen', '=', 'wi.amount_fen'),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    const open = await ctx.db
      .selectFrom('withholding_items')
      .select((eb) => eb.fn.sum<number>('amount_fen').as('fen'))
      .where('batch_id', '=', b.id)
      .where('result', '=', 'conflict')
      .where('returned_on', 'is', null)
      .executeTakeFirstOrThrow();
    const row = {
      batchNo: b.batch_no,
      benefitYear: b.benefit_year,
      bank: b.bank,
      status: b.status,
      rows: b.rows,
      totalFen: b.total_fen,
      succeeded: counts.succeeded.n,
      succeededFen: counts.succeeded.fen,
      failed: counts.failed.n,
      pending: counts.pending.n,
      conflicts: counts.conflict.n,
      conflictFen: counts.conflict.fen,
      conflictOpenFen: Number(open.fen ?? 0),
      payments: Number(payments.n),
      paymentsFen: Number(payments.fen ?? 0),
      journalFen,
      journalConflictOpenFen: conflictBooked - conflictReturned,
    };
    const differences: string[] = [];
    const diff = (a: number, b: number) => `相差 ${yuan(a - b)}`;
    if (row.succeeded !== row.payments || row.succeededFen !== row.paymentsFen) {
      differences.push(
        `扣款成功 ${row.succeeded} 笔 ${yuan(row.succeededFen)}，代扣缴费记录 ${row.payments} 笔 ${yuan(row.paymentsFen)}，${diff(row.succeededFen, row.paymentsFen)}`,
      );
    }
    if (row.paymentsFen !== row.journalFen) {
      differences.push(
        `代扣缴费记录 ${yuan(row.paymentsFen)}，日记账计入待报解账户 ${yuan(row.journalFen)}，${diff(row.paymentsFen, row.journalFen)}`,
      );
    }
    if (row.conflictOpenFen !== row.journalConflictOpenFen) {
      differences.push(
        `待退还的重复扣款 ${yuan(row.conflictOpenFen)}，日记账代扣清算账户余额 ${yuan(row.journalConflictOpenFen)}，${diff(row.conflictOpenFen, row.journalConflictOpenFen)}`,
      );
    }
    if (Number(unlinked.n) > 0) {
      differences.push(`${unlinked.n} 笔扣款成功的明细没有对应的缴费记录，或金额与缴费记录不符`);
    }
    if (row.succeeded + row.failed + row.pending + row.conflicts !== row.rows) {
      differences.push(
        `批次记为 ${row.rows} 行，明细 ${row.succeeded + row.failed + row.pending + row.conflicts} 行`,
      );
    }
    if (
      row.status === 'completed' &&
      (row.succeeded !== b.succeeded || row.succeededFen !== b.succeeded_fen)
    ) {
      differences.push(
        `批次记录的成功 ${b.succeeded} 笔 ${yuan(b.succeeded_fen)} 与明细 ${row.succeeded} 笔 ${yuan(row.succeededFen)} 不符`,
      );
    }
    out.push({ ...row, differences });
  }
  return out;
}
