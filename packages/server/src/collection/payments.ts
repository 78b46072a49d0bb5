/**
 * Recording payments. One order is one payment as the channel knows it (its transaction id); it
 * covers one person or a whole household, split exactly into what each member owes.
 *
 * Safety, in one transaction:
 * - the order's (channel, transaction id) is unique: the same id with the same content returns the
 *   first result (a retried request, a duplicate callback); with other content it is a conflict;
 * - each member's enrollment moves awaiting_payment → paid only if it is still in that state at
 *   the version read (check-and-act), so of two collectors paying for one person at once exactly
 *   one succeeds and the other is told "already paid" — the losing order is rolled back whole;
 * - the assessment is recomputed with the real payment date (late payers get their benefit start
 *   from the engine), and the amount must be exactly what is due;
 * - the journal gets the payment (channel account → enrollments) and each direct subsidy
 *   (funder → enrollment) in the same transaction.
 */
import { createHash } from 'node:crypto';
import { type Fen, formatYuan, type Policy } from '@canbao/core';
import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import type { ChannelCode, Database, Enrollment, Person } from '../db/schema.ts';
import { recordTransfer } from '../ledger/journal.ts';
import { findCampaign } from './campaign.ts';
import { channelOf, type PaymentChannel } from './channels.ts';
import {
  AlreadyPaidError,
  type CollectionContext,
  CollectionError,
  isUniqueViolation,
  PaymentConflictError,
} from './context.ts';
import { type BatchHelpers, BatchRaceError, recordPaymentBatch, type SharedOrder } from './payment-batch.ts';

export interface PaymentInput {
  readonly channel: ChannelCode;
  /** The channel's transaction id (receipt serial, gateway order, batch row …). */
  readonly txnId: string;
  /** The enrollments paid for: one person, or the members of a household. */
  readonly enrollmentIds: readonly number[];
  /** The total received, fen: must equal the sum of what the members owe. */
  readonly amountFen: number;
  readonly paidOn: string;
  readonly payer?: string | null;
  readonly collector?: string | null;
  readonly receiptNo?: string | null;
  readonly reference?: string | null;
}

export interface PaidLine {
  readonly paymentId: number;
  readonly enrollmentId: number;
  readonly personId: number;
  readonly name: string;
  readonly amountFen: number;
  readonly benefitStart: string | null;
  readonly benefitEnd: string | null;
}

export interface PaymentResult {
  readonly orderId: number;
  /** True when this transaction id had been recorded before with the same content. */
  readonly replayed: boolean;
  readonly amountFen: number;
  readonly lines: readonly PaidLine[];
}

function digestOf(input: PaymentInput): string {
  const ids = [...input.enrollmentIds].sort((a, b) => a - b);
  return createHash('sha256')
    .update(JSON.stringify([input.channel, input.txnId, ids, input.amountFen, input.paidOn]))
    .digest('hex');
}

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

/** Checks what can be checked without the database; throws CollectionError. */
function checkInput(ctx: CollectionContext, input: PaymentInput): PaymentChannel {
  const channel = channelOf(input.channel);
  channel.validate(input);
  if (!input.txnId.trim()) throw new CollectionError('txn_required', '缺少渠道交易流水号');
  if (input.enrollmentIds.length === 0) throw new CollectionError('no_members', '没有要缴费的人员');
  if (new Set(input.enrollmentIds).size !== input.enrollmentIds.length) {
    throw new CollectionError('duplicate_member', '同一笔缴费中同一参保记录出现了两次');
  }
  if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) {
    throw new CollectionError('bad_amount', '缴费金额必须是正的整数分');
  }
  if (input.paidOn > ctx.today) {
    throw new CollectionError('future_payment', `缴费日期 ${input.paidOn} 晚于今天（${ctx.today}）`);
  }
  return channel;
}

/**
 * Records one payment. Concurrent calls on one database are committed together (group commit):
 * each payment runs in its own savepoint inside a shared transaction, so one refusal rolls back
 * only that payment, and every caller's promise settles after the commit that made its payment
 * durable. On SQLite a commit (fsync) costs more than the payment itself; sharing it is what lets
 * many collectors and callbacks be recorded at once.
 */
export function recordPayment(ctx: CollectionContext, input: PaymentInput): Promise<PaymentResult> {
  return groupCommit(ctx, input);
}

/**
 * Records many payments in one transaction (a bank result file, a school's class list, a queue of
 * callbacks): each in its own savepoint, so each gets its own result — a PaymentResult or the
 * CollectionError that refused it. Errors that are not refusals (a broken database) roll back the
 * whole batch and are thrown.
 */
export async function recordPayments(
  ctx: CollectionContext,
  inputs: readonly PaymentInput[],
): Promise<(PaymentResult | CollectionError)[]> {
  const trx = await ctx.db.startTransaction().execute();
  try {
    const results = await recordPaymentsIn(trx, ctx, inputs);
    await trx.commit().execute();
    return results;
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
}

/**
 * The same inside the caller's controlled transaction (for services that must write other rows
 * atomically with the payments, like a withholding result import), optionally under one order the
 * caller has written (see SharedOrder).
 */
export async function recordPaymentsIn(
  trx: ControlledTransaction<Database>,
  ctx: CollectionContext,
  inputs: readonly PaymentInput[],
  shared?: SharedOrder,
): Promise<(PaymentResult | CollectionError)[]> {
  const results: (PaymentResult | CollectionError | undefined)[] = new Array(inputs.length);
  const checked: { index: number; input: PaymentInput; channel: PaymentChannel }[] = [];
  for (const [index, input] of inputs.entries()) {
    try {
      checked.push({ index, input, channel: checkInput(ctx, input) });
    } catch (error) {
      if (!(error instanceof CollectionError)) throw error;
      results[index] = error;
    }
  }
  const campaigns = new CampaignCache();
  const helpers: BatchHelpers = {
    policyOf: async (year) => (await campaigns.get(trx, ctx.countyCode, year)).policy,
    replayOf: async (orderId, amountFen) => ({
      orderId,
      replayed: true,
      amountFen,
      lines: await orderLines(trx, orderId),
    }),
    alreadyPaid: (m) => alreadyPaid(trx, m),
    digestOf,
  };
  // The whole batch set-based first. If another writer raced it (it changed an enrollment or took
  // a transaction id between our reads and writes), undo it and go payment by payment: each
  // payment then reads the other writer's result and gets its precise answer (already paid,
  // replay, conflict).
  const done = await inSavepoint(trx, (point) => recordPaymentBatch(point, ctx, checked, helpers, shared));
  if (done) {
    for (const [n, result] of done.entries()) results[(checked[n] as { index: number }).index] = result;
    return results as (PaymentResult | CollectionError)[];
  }
  for (const one of checked) {
    let result: PaymentResult | CollectionError | null = null;
    for (let attempt = 0; attempt < RACE_ATTEMPTS && result === null; attempt++) {
      result =
        (await inSavepoint(trx, (point) => recordPaymentBatch(point, ctx, [one], helpers, shared)))?.[0] ??
        null;
    }
    results[one.index] =
      result ??
      new CollectionError('concurrent', `流水号 ${one.input.txnId}：参保记录正被同时修改，请稍后重试`);
  }
  return results as (PaymentResult | CollectionError)[];
}

/** Tries of one payment against writers that keep racing it, before the caller is asked to retry. */
const RACE_ATTEMPTS = 3;

/** Runs `work` in a savepoint: its result, or null (rolled back) when another writer raced it. */
async function inSavepoint<T>(
  trx: ControlledTransaction<Database>,
  work: (point: ControlledTransaction<Database, ['payments']>) => Promise<T>,
): Promise<T | null> {
  const point = await trx.savepoint('payments').execute();
  try {
    const result = await work(point);
    await point.releaseSavepoint('payments').execute();
    return result;
  } catch (error) {
    await point.rollbackToSavepoint('payments').execute();
    await point.releaseSavepoint('payments').execute();
    if (error instanceof BatchRaceError || isUniqueViolation(error)) return null;
    throw error;
  }
}

/** Campaigns read once per batch: the row carries the policy text, and a batch is one county. */
class CampaignCache {
  private readonly byYear = new Map<number, Promise<{ policy: Policy }>>();
  get(db: Kysely<Database>, countyCode: string, year: number): Promise<{ policy: Policy }> {
    let found = this.byYear.get(year);
    if (!found) {
      found = findCampaign(db, countyCode, year);
      this.byYear.set(year, found);
    }
    return found;
  }
}

interface Waiting {
  readonly ctx: CollectionContext;
  readonly input: PaymentInput;
  resolve(result: PaymentResult): void;
  reject(error: unknown): void;
}

/** Payments waiting for the next group commit, per database. */
const queues = new WeakMap<Kysely<Database>, { waiting: Waiting[]; running: boolean }>();
/** At most this many payments share one transaction (bounds the time a refusal waits for its answer). */
const GROUP_LIMIT = 256;

function groupCommit(ctx: CollectionContext, input: PaymentInput): Promise<PaymentResult> {
  let queue = queues.get(ctx.db);
  if (!queue) {
    queue = { waiting: [], running: false };
    queues.set(ctx.db, queue);
  }
  const q = queue;
  return new Promise<PaymentResult>((resolve, reject) => {
    q.waiting.push({ ctx, input, resolve, reject });
    if (!q.running) void drain(ctx.db, q);
  });
}

async function drain(db: Kysely<Database>, queue: { waiting: Waiting[]; running: boolean }): Promise<void> {
  queue.running = true;
  try {
    while (queue.waiting.length > 0) {
      // One batch per county, actor and day: the batch is recorded under one context.
      const first = queue.waiting[0] as Waiting;
      const same = (w: Waiting) =>
        w.ctx.countyCode === first.ctx.countyCode &&
        w.ctx.actor === first.ctx.actor &&
        w.ctx.today === first.ctx.today;
      const batch: Waiting[] = [];
      const rest: Waiting[] = [];
      for (const w of queue.waiting) {
        if (batch.length < GROUP_LIMIT && same(w)) batch.push(w);
        else rest.push(w);
      }
      queue.waiting = rest;
      await runBatch(db, batch);
    }
  } finally {
    queue.running = false;
  }
}

async function runBatch(db: Kysely<Database>, batch: readonly Waiting[]): Promise<void> {
  const first = batch[0] as Waiting;
  // The latest caller's instant: the batch is recorded when its last payment arrived.
  const now = batch
    .map((w) => w.ctx.now)
    .sort()
    .at(-1) as string;
  let results: (PaymentResult | CollectionError)[];
  try {
    const trx = await db.startTransaction().execute();
    try {
      results = await recordPaymentsIn(
        trx,
        { ...first.ctx, now },
        batch.map((w) => w.input),
      );
      await trx.commit().execute();
    } catch (error) {
      await trx.rollback().execute();
      throw error;
    }
  } catch (error) {
    for (const w of batch) w.reject(error);
    return;
  }
  for (const [i, w] of batch.entries()) {
    const result = results[i];
    if (result instanceof CollectionError) w.reject(result);
    else w.resolve(result as PaymentResult);
  }
}

async function alreadyPaid(
  trx: Transaction<Database>,
  m: Pick<Enrollment, 'id'> & { name: string },
): Promise<AlreadyPaidError> {
  const first = await trx
    .selectFrom('payments')
    .innerJoin('payment_orders', 'payment_orders.id', 'payments.order_id')
    .select([
      'payments.paid_on',
      'payment_orders.channel',
      'payment_orders.collector',
      'payment_orders.channel_txn_id',
    ])
    .where('payments.enrollment_id', '=', m.id)
    .orderBy('payments.id')
    .executeTakeFirst();
  const where = first
    ? `（${first.paid_on}，${channelOf(first.channel).label}${first.collector ? `，代收员 ${first.collector}` : ''}，流水号 ${first.channel_txn_id}）`
    : '';
  return new AlreadyPaidError(`${m.name} 本年度已缴费${where}，不能重复缴费`);
}

export async function orderLines(
  trx: Transaction<Database> | CollectionContext['db'],
  orderId: number,
): Promise<PaidLine[]> {
  const rows = await trx
    .selectFrom('payments')
    .innerJoin('people', 'people.id', 'payments.person_id')
    .innerJoin('enrollments', 'enrollments.id', 'payments.enrollment_id')
    .select([
      'payments.id',
      'payments.enrollment_id',
      'payments.person_id',
      'people.name',
      'payments.amount_fen',
      'enrollments.benefit_start',
      'enrollments.benefit_end',
    ])
    .where('payments.order_id', '=', orderId)
    .orderBy('payments.id')
    .execute();
  return rows.map((r) => ({
    paymentId: r.id,
    enrollmentId: r.enrollment_id,
    personId: r.person_id,
    name: r.name,
    amountFen: r.amount_fen,
    benefitStart: r.benefit_start,
    benefitEnd: r.benefit_end,
  }));
}

/** The enrollments an already recorded order paid for (to replay a retried request), or null. */
export async function orderEnrollments(
  ctx: CollectionContext,
  channel: ChannelCode,
  txnId: string,
): Promise<number[] | null> {
  const order = await ctx.db
    .selectFrom('payment_orders')
    .select('id')
    .where('county_code', '=', ctx.countyCode)
    .where('channel', '=', channel)
    .where('channel_txn_id', '=', txnId)
    .executeTakeFirst();
  if (!order) return null;
  const rows = await ctx.db
    .selectFrom('payments')
    .select('enrollment_id')
    .where('order_id', '=', order.id)
    .execute();
  return rows.map((r) => r.enrollment_id);
}

/** What a person looks like on a receipt or a due list. */
export interface DueMember {
  readonly enrollmentId: number;
  readonly personId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly status: string;
  readonly paysFen: number;
  readonly why: string;
}

/**
 * A household's members for the year with what each owes (the collector's and the resident's
 * view); members without an enrollment are listed with status 'not_enrolled'.
 */
export async function householdDue(
  ctx: CollectionContext,
  person: Person,
  benefitYear?: number,
): Promise<{ householdId: number | null; members: DueMember[]; totalDueFen: number }> {
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  let people: Person[] = [person];
  if (person.household_id !== null) {
    people = await ctx.db
      .selectFrom('people')
      .selectAll()
      .where('county_code', '=', ctx.countyCode)
      .where('household_id', '=', person.household_id)
      .orderBy('id')
      .execute();
  }
  const enrollments = await ctx.db
    .selectFrom('enrollments')
    .selectAll()
    .where('county_code', '=', ctx.countyCode)
    .where('benefit_year', '=', campaign.benefit_year)
    .where(
      'person_id',
      'in',
      people.map((p) => p.id),
    )
    .execute();
  const members = people.map((p) => {
    const e = enrollments.find((x) => x.person_id === p.id);
    return {
      enrollmentId: e?.id ?? 0,
      personId: p.id,
      name: p.name,
      docNumber: p.doc_number,
      status: e?.status ?? 'not_enrolled',
      paysFen: e && e.status === 'awaiting_payment' ? e.pays_fen : 0,
      why: e?.why ?? '',
    };
  });
  return {
    householdId: person.household_id,
    members,
    totalDueFen: members.reduce((n, m) => n + m.paysFen, 0),
  };
}

/** Cash a collector holds: collected minus remitted, fen. */
export async function collectorBalance(ctx: CollectionContext, collector: string): Promise<number> {
  const row = await ctx.db
    .selectFrom('journal_lines')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('balance'))
    .where('county_code', '=', ctx.countyCode)
    .where('account', '=', `collector:${collector}`)
    .executeTakeFirstOrThrow();
  return Number(row.balance);
}

export interface RemittanceInput {
  readonly collector: string;
  readonly slipNo: string;
  readonly amountFen: number;
  readonly remittedOn: string;
}

/**
 * A collector hands cash over to the 待报解 account (the bank slip number is the key): never more
 * than they hold; the same slip again returns the first remittance.
 */
export async function recordRemittance(ctx: CollectionContext, input: RemittanceInput) {
  channelOf('cash_collection').validate({ collector: input.collector, receiptNo: input.slipNo });
  if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) {
    throw new CollectionError('bad_amount', '解缴金额必须是正的整数分');
  }
  return ctx.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('remittances')
      .selectAll()
      .where('county_code', '=', ctx.countyCode)
      .where('collector', '=', input.collector)
      .where('slip_no', '=', input.slipNo)
      .executeTakeFirst();
    if (existing) {
      if (existing.amount_fen !== input.amountFen || existing.remitted_on !== input.remittedOn) {
        throw new PaymentConflictError(
          `解缴单号 ${input.slipNo} 已用于另一笔解缴（${yuan(existing.amount_fen)}）`,
        );
      }
      return { remittance: existing, replayed: true };
    }
    const held = await collectorBalance({ ...ctx, db: trx }, input.collector);
    if (input.amountFen > held) {
      throw new CollectionError(
        'over_remittance',
        `代收员 ${input.collector} 手中现金 ${yuan(held)}，解缴 ${yuan(input.amountFen)} 超出`,
      );
    }
    const remittance = await trx
      .insertInto('remittances')
      .values({
        county_code: ctx.countyCode,
        collector: input.collector,
        slip_no: input.slipNo,
        amount_fen: input.amountFen,
        remitted_on: input.remittedOn,
        actor: ctx.actor,
        created_at: ctx.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordTransfer(trx, {
      countyCode: ctx.countyCode,
      kind: 'remittance',
      businessType: 'remittance',
      businessId: String(remittance.id),
      idempotencyKey: `remittance:${input.collector}:${input.slipNo}`,
      occurredOn: input.remittedOn,
      lines: [
        { account: 'pending_remittance', amount: input.amountFen as Fen },
        { account: `collector:${input.collector}`, amount: -input.amountFen as Fen },
      ],
      actor: ctx.actor,
      memo: `解缴单 ${input.slipNo}`,
      recordedAt: ctx.now,
    });
    return { remittance, replayed: false };
  });
}
