/**
 * The set-based path for recording many payments in one transaction (a bank result file, a group
 * commit of concurrent callers): the same rules as recording one payment, with reads and writes
 * done per batch instead of per payment.
 *
 * 1. Read: existing orders for the batch's transaction ids (replays, conflicts), the enrollments
 *    paid for, the open members of their households, and every person's facts (four set queries).
 * 2. Decide, in memory and in input order: each payment is accepted or refused exactly as
 *    `recordPayment` would, including payments earlier in the same batch (a person paid twice in
 *    one file is refused the second time).
 * 3. Write the accepted ones with a statement per table: orders, the enrollments' check-and-act
 *    update (`version` and `awaiting_payment` in the WHERE), events, payments, journal transfers
 *    and lines.
 *
 * Anything the reads could not foresee — another process paying the same person or using the same
 * transaction id between our reads and writes — shows as an enrollment not updated or a unique key
 * already taken. The batch then throws BatchRaceError and the caller rolls back to its savepoint
 * and records the batch payment by payment, where each race gets its precise answer.
 */
import {
  type Assessment,
  assess,
  FactsError,
  type Fen,
  formatYuan,
  idCheckCharacter,
  type JournalLine,
  type Policy,
  validateTransfer,
} from '@canbao/core';
import { CompiledQuery, type Kysely, PostgresAdapter } from 'kysely';
import type { DialectName } from '../db/migrations/types.ts';
import type { Database, EnrollmentStatus } from '../db/schema.ts';
import { transferDigest } from '../ledger/journal.ts';
import { personFactsBatch } from '../registry/facts.ts';
import { type BulkTable, chunks, insertRows } from '../registry/people.ts';
import type { PaymentChannel } from './channels.ts';
import {
  AlreadyPaidError,
  type CollectionContext,
  CollectionError,
  PaymentConflictError,
} from './context.ts';
import {
  assessmentColumns,
  ENROLLED,
  notEligibleMessage,
  type PersonAssessment,
  STATUS_LABELS,
  storedAssessmentJson,
} from './enrollments.ts';
import type { PaidLine, PaymentInput, PaymentResult } from './payments.ts';

/**
 * Payments recorded under one order the caller has already written: a bank's result file is one
 * settlement (the bank moves the day's debits to the 待报解 account at once), so its rows are one
 * payment order per debit date, and the journal gets one payment transfer per call (Dr the
 * channel's account for the total / Cr each enrollment) instead of an order, a transfer and two
 * lines per person. Each row still has its own transaction id (`<batch>-<seq>`, in messages and the
 * event) and its own payment row; the caller guarantees those ids are new (a batch row is paid once).
 */
export interface SharedOrder {
  readonly id: number;
  /** Every payment of the call is of this date (the order's). */
  readonly paidOn: string;
  readonly memo: string | null;
}

/** Something changed between the batch's reads and its writes: record payment by payment instead. */
export class BatchRaceError extends Error {
  override name = 'BatchRaceError';
}

export interface BatchHelpers {
  readonly policyOf: (benefitYear: number) => Promise<Policy>;
  /** The result of a replayed order (its lines as recorded). */
  readonly replayOf: (orderId: number, amountFen: number) => Promise<PaymentResult>;
  /** The "already paid" refusal naming the first payment. */
  readonly alreadyPaid: (member: { id: number; name: string }) => Promise<AlreadyPaidError>;
  readonly digestOf: (input: PaymentInput) => string;
}

interface Member {
  readonly id: number;
  readonly person_id: number;
  readonly household_id: number | null;
  readonly benefit_year: number;
  readonly coverage_year: number | null;
  readonly status: EnrollmentStatus;
  readonly version: number;
  readonly name: string;
}

interface Accepted {
  readonly index: number;
  readonly input: PaymentInput;
  readonly channel: PaymentChannel;
  readonly digest: string;
  /** `common`: the assessment object shared with others of the same facts (assessShared). */
  readonly members: readonly {
    readonly m: Member;
    readonly a: PersonAssessment;
    readonly common: Assessment;
  }[];
}

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

export function dialectOf(db: Kysely<Database>): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Records the payments (already checked by `checkInput`, given with their channels) inside the
 * caller's transaction; returns each one's result or refusal in input order.
 */
export async function recordPaymentBatch(
  trx: Kysely<Database>,
  ctx: CollectionContext,
  inputs: readonly { readonly input: PaymentInput; readonly channel: PaymentChannel }[],
  helpers: BatchHelpers,
  shared?: SharedOrder,
): Promise<(PaymentResult | CollectionError)[]> {
  const results: (PaymentResult | CollectionError | undefined)[] = new Array(inputs.length);
  // Under a shared order the rows' own ids are new by the caller's guarantee: no digests, no lookup.
  const digests = inputs.map(({ input }) => (shared ? '' : helpers.digestOf(input)));

  // 1. Orders already recorded under these transaction ids: replays and conflicts.
  const key = (channel: string, txn: string) => `${channel}\u0000${txn}`;
  const existing = new Map<string, { id: number; digest: string; amount_fen: number; paid_on: string }>();
  // By channel: the unique index is (county, channel, transaction id), so each lookup is a probe.
  const byChannel = new Map<string, Set<string>>();
  if (shared && inputs.some(({ input }) => input.paidOn !== shared.paidOn)) {
    throw new Error('payments under a shared order are all of its date');
  }
  for (const { input } of shared ? [] : inputs) {
    const set = byChannel.get(input.channel) ?? new Set<string>();
    set.add(input.txnId);
    byChannel.set(input.channel, set);
  }
  for (const [channel, txns] of byChannel) {
    for (const part of chunks([...txns])) {
      for (const o of await trx
        .selectFrom('payment_orders')
        .select(['id', 'channel', 'channel_txn_id', 'digest', 'amount_fen', 'paid_on'])
        .where('county_code', '=', ctx.countyCode)
        .where('channel', '=', channel as PaymentInput['channel'])
        .where('channel_txn_id', 'in', part)
        .execute()) {
        existing.set(key(o.channel, o.channel_txn_id), o);
      }
    }
  }
  const firstInBatch = new Map<string, number>();
  const pending: number[] = [];
  for (const [i, { input }] of inputs.entries()) {
    const k = key(input.channel, input.txnId);
    const before = existing.get(k);
    const conflict = (order: { amount_fen: number; paid_on: string }) =>
      new PaymentConflictError(
        `渠道流水号 ${input.txnId} 已用于另一笔缴费（${order.paid_on}，${yuan(order.amount_fen)}），人员或金额不同，拒绝记录`,
      );
    if (before) {
      results[i] =
        before.digest === digests[i]
          ? await helpers.replayOf(before.id, before.amount_fen)
          : conflict(before);
    } else if (firstInBatch.has(k)) {
      const first = firstInBatch.get(k) as number;
      // Settled after the writes: the same content replays the first one's result.
      if (digests[first] !== digests[i])
        results[i] = conflict({
          amount_fen: inputs[first]?.input.amountFen ?? 0,
          paid_on: inputs[first]?.input.paidOn ?? '',
        });
      else pending.push(i);
    } else {
      firstInBatch.set(k, i);
      pending.push(i);
    }
  }

  // 2. The enrollments paid for, and the open members of their households.
  const ids = [...new Set(pending.flatMap((i) => inputs[i]?.input.enrollmentIds ?? []))];
  const members = new Map<number, Member>();
  for (const part of chunks(ids)) {
    for (const m of await trx
      .selectFrom('enrollments')
      .innerJoin('people', 'people.id', 'enrollments.person_id')
      .select([
        'enrollments.id',
        'enrollments.person_id',
        'enrollments.household_id',
        'enrollments.benefit_year',
        'enrollments.coverage_year',
        'enrollments.status',
        'enrollments.version',
        'people.name',
        'enrollments.county_code',
      ])
      // By id alone (see personFactsBatch); another county's enrollment is treated as unknown.
      .where('enrollments.id', 'in', part)
      .execute()) {
      if (m.county_code === ctx.countyCode) members.set(m.id, m);
    }
  }
  // Households matter only to channels that collect for the whole household (not a bank's file).
  const households = new Set<number>();
  for (const i of pending) {
    const { input, channel } = inputs[i] as { input: PaymentInput; channel: PaymentChannel };
    if (!channel.wholeHousehold) continue;
    for (const id of input.enrollmentIds) {
      const h = members.get(id)?.household_id;
      if (h != null) households.add(h);
    }
  }
  const openByHousehold = new Map<string, { id: number; name: string }[]>();
  for (const part of chunks([...households])) {
    for (const o of await trx
      .selectFrom('enrollments')
      .innerJoin('people', 'people.id', 'enrollments.person_id')
      .select(['enrollments.id', 'enrollments.household_id', 'enrollments.benefit_year', 'people.name'])
      // Households are the county's own (their ids come from its enrollments); no county or status
      // condition for SQLite to prefer over the household index: the state is checked here.
      .select(['enrollments.status', 'enrollments.pays_fen'])
      .where('enrollments.household_id', 'in', part)
      .execute()) {
      if (o.status !== 'awaiting_payment' || o.pays_fen <= 0) continue;
      const k = `${o.household_id}:${o.benefit_year}`;
      const list = openByHousehold.get(k) ?? [];
      list.push({ id: o.id, name: o.name });
      openByHousehold.set(k, list);
    }
  }

  // 3. Facts of every member as of its payment date, in one go.
  const requests: { personId: number; asOf: string }[] = [];
  for (const i of pending) {
    const input = inputs[i]?.input as PaymentInput;
    for (const id of input.enrollmentIds) {
      const m = members.get(id);
      if (m) requests.push({ personId: m.person_id, asOf: input.paidOn });
    }
  }
  const factsList = await personFactsBatch(trx, ctx.countyCode, requests);
  const factsOf = new Map(requests.map((r, n) => [`${r.personId}@${r.asOf}`, factsList[n]]));

  // 4. Decide each payment in order; an accepted one claims its members for the rest of the batch.
  const claimed = new Map<number, string>();
  const accepted: Accepted[] = [];
  for (const i of pending) {
    const { input, channel } = inputs[i] as { input: PaymentInput; channel: PaymentChannel };
    if (firstInBatch.get(key(input.channel, input.txnId)) !== i) continue;
    try {
      const list: Member[] = [];
      for (const id of input.enrollmentIds) {
        const m = members.get(id);
        if (!m) throw new CollectionError('unknown_enrollment', `参保记录 #${id} 不存在`);
        list.push(m);
      }
      const year = (list[0] as Member).benefit_year;
      const policy = await helpers.policyOf(year);
      for (const m of list) {
        if (m.benefit_year !== year) throw new CollectionError('mixed_years', '同一笔缴费只能缴同一年度');
        const earlier = claimed.get(m.id);
        if (earlier)
          throw new AlreadyPaidError(`${m.name} 本年度已缴费（同批流水号 ${earlier}），不能重复缴费`);
        if (ENROLLED.includes(m.status) || m.status === 'refunded') throw await helpers.alreadyPaid(m);
        if (m.status !== 'awaiting_payment') {
          throw new CollectionError(
            'not_payable',
            `${m.name} 的参保记录为“${STATUS_LABELS[m.status]}”，不能缴费`,
          );
        }
      }
      const rule = policy.collection.wholeHousehold;
      if (channel.wholeHousehold && rule) {
        const missing = [...new Set(list.map((m) => m.household_id).filter((h) => h !== null))]
          .flatMap((h) => openByHousehold.get(`${h}:${year}`) ?? [])
          .filter((o) => !claimed.has(o.id) && !list.some((m) => m.id === o.id));
        if (missing.length > 0) {
          throw new CollectionError(
            'whole_household',
            `本政策要求整户缴费（${rule.label}，${rule.cite.join('、')}）：同户还有 ${missing.map((m) => m.name).join('、')} 未缴，请一并缴费`,
          );
        }
      }
      const assessed = list.map((m) => {
        const facts = { ...factsOf.get(`${m.person_id}@${input.paidOn}`), paidOn: input.paidOn };
        if (m.coverage_year) facts.coverageYear = m.coverage_year;
        let a: Assessment;
        try {
          a = assessShared(policy, facts);
        } catch (error) {
          if (error instanceof FactsError) {
            throw new CollectionError('facts', `人员 #${m.person_id} 的登记信息不足以测算：${error.message}`);
          }
          throw error;
        }
        checkAssessment(m, a, input.paidOn);
        return { m, a: { ...a, facts }, common: a };
      });
      const due = assessed.reduce((n, x) => n + x.a.pays, 0);
      if (due !== input.amountFen) {
        const parts = assessed.map((x) => `${x.m.name} ${yuan(x.a.pays)}`).join('、');
        throw new CollectionError(
          'amount_mismatch',
          `应缴合计 ${yuan(due)}（${parts}），实收 ${yuan(input.amountFen)}，金额不符，未记录`,
        );
      }
      for (const m of list) claimed.set(m.id, input.txnId);
      accepted.push({ index: i, input, channel, digest: digests[i] as string, members: assessed });
    } catch (error) {
      if (!(error instanceof CollectionError)) throw error;
      results[i] = error;
    }
  }

  // 5. Write.
  for (const [i, r] of (await writeAccepted(trx, ctx, accepted, shared)).entries()) {
    results[(accepted[i] as Accepted).index] = r;
  }
  // Repeats of a transaction id within the batch answer as replays of the first.
  for (const i of pending) {
    if (results[i] !== undefined) continue;
    const first =
      results[firstInBatch.get(key(inputs[i]?.input.channel ?? '', inputs[i]?.input.txnId ?? '')) as number];
    results[i] =
      first instanceof CollectionError || first === undefined ? first : { ...first, replayed: true };
  }
  return results as (PaymentResult | CollectionError)[];
}

/** Distinct assessments kept per policy; the whole table is dropped when it fills. */
const SHARED_LIMIT = 100_000;
const sharedAssessments = new WeakMap<Policy, Map<string, Assessment>>();

/**
 * `assess` without repeating it for facts it has already answered. An assessment depends on the
 * facts alone, and on the identity number only through its birth date (the only thing readFacts
 * takes from it): people born on the same day, in the same groups, paying on the same day get the
 * same assessment — in a county of a million, almost everyone shares it with someone (about 36,500
 * birth dates). The key is therefore the facts with the identity number's birth digits in its
 * place, used only for a number that passes the checks that do not depend on the date (18
 * characters, digits, check character); the first person of a key is assessed in full, so a date
 * that does not exist is refused for every one of them. Anything else is assessed directly.
 * The result is shared and never changed by callers; the facts stored with it are each person's own.
 */
function assessShared(policy: Policy, facts: Record<string, unknown>): Assessment {
  const id = facts.idNumber;
  if (typeof id !== 'string') return assess(policy, facts, { explain: false });
  const number = id.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(number) || idCheckCharacter(number) !== number[17]) {
    return assess(policy, facts, { explain: false });
  }
  let table = sharedAssessments.get(policy);
  if (!table) {
    table = new Map();
    sharedAssessments.set(policy, table);
  }
  const key = JSON.stringify({ ...facts, idNumber: number.slice(6, 14) });
  let a = table.get(key);
  if (!a) {
    a = assess(policy, facts, { explain: false });
    if (table.size >= SHARED_LIMIT) table.clear();
    table.set(key, a);
  }
  return a;
}

/** The same refusals recordPayment makes after assessing one member. */
function checkAssessment(m: Member, a: Assessment, paidOn: string): void {
  if (!a.eligible) throw new CollectionError('not_eligible', notEligibleMessage(m, a));
  if (a.pays === 0) {
    throw new CollectionError('nothing_due', `${m.name} 无需个人缴费（全额资助），由医保经办机构直接参保`);
  }
  if (a.benefitStart === null) {
    const open = a.notSpecified.map((n) => `${n.text}〔${n.cite}〕`).join('；');
    throw new CollectionError(
      'benefit_start_not_specified',
      `${m.name} 于 ${paidOn} 缴费的待遇起始时间本政策未作规定（${open}），暂不能收费；请经办机构按上级规定补充政策后办理`,
    );
  }
}

const ORDERS: BulkTable = {
  name: 'payment_orders',
  columns: [
    ['county_code', 'text'],
    ['channel', 'text'],
    ['channel_txn_id', 'text'],
    ['digest', 'text'],
    ['amount_fen', 'bigint'],
    ['paid_on', 'date'],
    ['payer', 'text'],
    ['collector', 'text'],
    ['receipt_no', 'text'],
    ['reference', 'text'],
    ['actor', 'text'],
    ['created_at', 'timestamptz'],
  ],
};

const EVENTS: BulkTable = {
  name: 'enrollment_events',
  columns: [
    ['county_code', 'text'],
    ['enrollment_id', 'bigint'],
    ['event', 'text'],
    ['from_status', 'text'],
    ['to_status', 'text'],
    ['reason', 'text'],
    ['detail', 'text'],
    ['actor', 'text'],
    ['at', 'timestamptz'],
  ],
};

const PAYMENTS: BulkTable = {
  name: 'payments',
  columns: [
    ['county_code', 'text'],
    ['order_id', 'bigint'],
    ['enrollment_id', 'bigint'],
    ['person_id', 'bigint'],
    ['channel', 'text'],
    ['amount_fen', 'bigint'],
    ['paid_on', 'date'],
    ['status', 'text'],
    ['tax_receipt_no', 'text'],
    ['confirmed_on', 'date'],
  ],
};

const TRANSFERS: BulkTable = {
  name: 'journal_transfers',
  columns: [
    ['county_code', 'text'],
    ['kind', 'text'],
    ['business_type', 'text'],
    ['business_id', 'text'],
    ['idempotency_key', 'text'],
    ['lines_digest', 'text'],
    ['occurred_on', 'date'],
    ['recorded_at', 'timestamptz'],
    ['actor', 'text'],
    ['memo', 'text'],
  ],
};

const LINES: BulkTable = {
  name: 'journal_lines',
  columns: [
    ['county_code', 'text'],
    ['transfer_id', 'bigint'],
    ['account', 'text'],
    ['amount_fen', 'bigint'],
  ],
};

/** The enrollment columns a payment sets, in the order the bulk update reads them. */
const UPDATE_COLUMNS = [
  ['id', 'bigint'],
  ['version', 'integer'],
  ['standard_fen', 'bigint'],
  ['pays_fen', 'bigint'],
  ['subsidy_fen', 'bigint'],
  ['refund_later_fen', 'bigint'],
  ['paid_fen', 'bigint'],
  ['benefit_start', 'date'],
  ['benefit_end', 'date'],
  ['why', 'text'],
  ['policy_hash', 'text'],
  ['assessed_on', 'date'],
  ['assessment', 'text'],
] as const;

/**
 * The check-and-act update of many enrollments in one statement: each row changes only if it still
 * has the version read and is still awaiting payment; the ids changed come back.
 */
function bulkUpdateSql(dialect: DialectName): string {
  const postgres = dialect === 'postgres';
  const values = UPDATE_COLUMNS.map(([name, type], n) =>
    postgres ? `(x ->> ${n})::${type} as ${name}` : `value ->> ${n} as ${name}`,
  ).join(', ');
  const source = postgres ? 'jsonb_array_elements($1::jsonb) as x' : 'jsonb_each(?)';
  const set = UPDATE_COLUMNS.slice(2)
    .map(([name]) => `${name} = v.${name}`)
    .join(', ');
  const target = postgres ? 'enrollments as e' : 'enrollments';
  const t = postgres ? 'e' : 'enrollments';
  const now = postgres ? '$2::timestamptz' : '?';
  // SQLite numbers ? in order of appearance: updated_at's comes before the rows'.
  return (
    `update ${target} set status = 'paid', ${set}, updated_at = ${now}, version = ${t}.version + 1 ` +
    `from (select ${values} from ${source}) as v ` +
    `where ${t}.id = v.id and ${t}.version = v.version and ${t}.status = 'awaiting_payment' returning ${t}.id`
  );
}

async function writeAccepted(
  trx: Kysely<Database>,
  ctx: CollectionContext,
  accepted: readonly Accepted[],
  shared?: SharedOrder,
): Promise<PaymentResult[]> {
  if (accepted.length === 0) return [];
  const dialect = dialectOf(trx);
  const fixed = { county_code: ctx.countyCode };

  // Enrollments first: if another writer got there, nothing else has been written by this batch.
  const updates = accepted.flatMap(({ input, members }) =>
    members.map(({ m, a, common }) => {
      const c = assessmentColumns(a, input.paidOn, storedAssessmentJson(common, a.facts));
      return [
        m.id,
        m.version,
        c.standard_fen,
        c.pays_fen,
        c.subsidy_fen,
        c.refund_later_fen,
        a.pays,
        c.benefit_start,
        c.benefit_end,
        c.why,
        c.policy_hash,
        c.assessed_on,
        c.assessment,
      ];
    }),
  );
  const sql = bulkUpdateSql(dialect);
  let updated = 0;
  for (let i = 0; i < updates.length; i += 1000) {
    const json = JSON.stringify(updates.slice(i, i + 1000));
    const parameters = dialect === 'postgres' ? [json, ctx.now] : [ctx.now, json];
    const result = await trx.executeQuery(CompiledQuery.raw(sql, parameters));
    updated += result.rows.length;
  }
  if (updated !== updates.length) throw new BatchRaceError('参保记录已被同时修改');

  const orderId = new Map<string, number>();
  if (!shared) {
    const orders = await insertRows<{ id: number; channel: string; channel_txn_id: string }>(
      trx,
      dialect,
      ORDERS,
      accepted.map(({ input, digest }) => [
        input.channel,
        input.txnId,
        digest,
        input.amountFen,
        input.paidOn,
        input.payer ?? null,
        input.collector ?? null,
        input.receiptNo ?? null,
        input.reference ?? null,
        ctx.actor,
        ctx.now,
      ]),
      { fixed, returning: 'id, channel, channel_txn_id' },
    );
    for (const o of orders) orderId.set(`${o.channel}\u0000${o.channel_txn_id}`, Number(o.id));
  }
  const orderOf = (x: Accepted) =>
    shared ? shared.id : (orderId.get(`${x.input.channel}\u0000${x.input.txnId}`) as number);

  await insertRows(
    trx,
    dialect,
    EVENTS,
    accepted.flatMap((x) =>
      x.members.map(({ m, a }) => [
        m.id,
        'paid',
        'awaiting_payment',
        'paid',
        `${x.channel.label}缴费 ${yuan(a.pays)}`,
        JSON.stringify({ orderId: orderOf(x), channel: x.input.channel, txnId: x.input.txnId }),
        ctx.actor,
        ctx.now,
      ]),
    ),
    { fixed },
  );
  const payments = await insertRows<{ id: number; enrollment_id: number }>(
    trx,
    dialect,
    PAYMENTS,
    accepted.flatMap((x) =>
      x.members.map(({ m, a }) => [
        orderOf(x),
        m.id,
        m.person_id,
        x.input.channel,
        a.pays,
        x.input.paidOn,
        'recorded',
        null,
        null,
      ]),
    ),
    { fixed, returning: 'id, enrollment_id' },
  );
  const paymentId = new Map(payments.map((p) => [Number(p.enrollment_id), Number(p.id)]));

  // The journal: one payment transfer per order, one subsidy transfer per member and funder.
  const transfers: { key: string; row: unknown[]; lines: JournalLine[] }[] = [];
  if (shared) transfers.push(sharedTransfer(accepted, shared, ctx));
  for (const x of accepted) {
    if (!shared) {
      const lines: JournalLine[] = [
        { account: x.channel.account(x.input), amount: x.input.amountFen as Fen },
        ...x.members.map(({ m, a }) => ({ account: `enrollment:${m.id}` as const, amount: -a.pays as Fen })),
      ];
      transfers.push(
        transferRow(
          'payment',
          'payment_order',
          String(orderOf(x)),
          `payment:${x.input.channel}:${x.input.txnId}`,
          x.input.paidOn,
          lines,
          x.input.receiptNo ? `收据 ${x.input.receiptNo}` : null,
          ctx,
        ),
      );
    }
    for (const { m, a } of x.members) {
      for (const s of a.subsidies) {
        if (s.mode !== 'direct' || s.amount === 0) continue;
        transfers.push(
          transferRow(
            'subsidy',
            'enrollment',
            String(m.id),
            `subsidy:${m.id}:${s.funder}`,
            x.input.paidOn,
            [
              { account: `funder:${s.funder}`, amount: s.amount },
              { account: `enrollment:${m.id}`, amount: -s.amount as Fen },
            ],
            s.rule,
            ctx,
          ),
        );
      }
    }
  }
  const written = await insertRows<{ id: number; idempotency_key: string }>(
    trx,
    dialect,
    TRANSFERS,
    transfers.map((t) => t.row),
    { fixed, returning: 'id, idempotency_key' },
  );
  const transferId = new Map(written.map((w) => [w.idempotency_key, Number(w.id)]));
  await insertRows(
    trx,
    dialect,
    LINES,
    transfers.flatMap((t) => t.lines.map((l) => [transferId.get(t.key), l.account, l.amount])),
    { fixed },
  );

  return accepted.map((x) => ({
    orderId: orderOf(x),
    replayed: false,
    amountFen: x.input.amountFen,
    lines: x.members.map(
      ({ m, a }): PaidLine => ({
        paymentId: paymentId.get(m.id) as number,
        enrollmentId: m.id,
        personId: m.person_id,
        name: m.name,
        amountFen: a.pays,
        benefitStart: a.benefitStart,
        benefitEnd: a.benefitEnd,
      }),
    ),
  }));
}

/**
 * The payment transfer of payments under a shared order: the channel's account(s) debited with the
 * total, each enrollment credited with its share. Its key names the first row's transaction id,
 * which belongs to this transfer alone.
 */
function sharedTransfer(
  accepted: readonly Accepted[],
  shared: SharedOrder,
  ctx: CollectionContext,
): { key: string; row: unknown[]; lines: JournalLine[] } {
  const debits = new Map<string, number>();
  const credits: JournalLine[] = [];
  for (const x of accepted) {
    const account = x.channel.account(x.input);
    debits.set(account, (debits.get(account) ?? 0) + x.input.amountFen);
    for (const { m, a } of x.members) credits.push({ account: `enrollment:${m.id}`, amount: -a.pays as Fen });
  }
  const first = (accepted[0] as Accepted).input;
  const lines: JournalLine[] = [
    ...[...debits].map(([account, fen]) => ({
      account: account as JournalLine['account'],
      amount: fen as Fen,
    })),
    ...credits,
  ];
  return transferRow(
    'payment',
    'payment_order',
    String(shared.id),
    `payment:${first.channel}:${first.txnId}`,
    shared.paidOn,
    lines,
    shared.memo,
    ctx,
  );
}

function transferRow(
  kind: string,
  businessType: string,
  businessId: string,
  key: string,
  occurredOn: string,
  lines: JournalLine[],
  memo: string | null,
  ctx: CollectionContext,
): { key: string; row: unknown[]; lines: JournalLine[] } {
  validateTransfer(lines);
  const digest = transferDigest({ kind, businessType, businessId, occurredOn, lines });
  return {
    key,
    row: [kind, businessType, businessId, key, digest, occurredOn, ctx.now, ctx.actor, memo],
    lines,
  };
}
