/**
 * Refund requests (退费): duplicate payment, joined employee insurance, insured elsewhere, death.
 * The policy's refund rule decides (canRefund in the core), and every request is stored with the
 * decision and the rule it applied — id, clause references, what it decided and the quoted
 * clause — so a refused person is shown the clause, and an approved refund can be traced.
 *
 * An approved refund, in one transaction:
 * - the person's contribution is owed back: Dr enrollment:<id> / Cr refunds_payable;
 * - each direct subsidy goes back to its funder: Dr enrollment:<id> / Cr funder:<f>;
 * - the enrollment becomes 'refunded' and its payments 'refunded', so the enrollment's account
 *   is back to 0 and the person is no longer covered.
 * Paying the refund out later moves it from refunds_payable to the treasury.
 *
 * Decisions taken here (the notices are silent):
 * - A rule that approves without terminating is not booked: canbao holds one contribution per
 *   enrollment, so returning it while keeping the cover would cover the person for free. Such a
 *   request is refused with an explanation, and nothing is stored.
 * - 先缴后补: someone whose reimbursement batch the funder has not paid yet cannot be refunded: the
 *   batch is a list already handed to the funder and does not change, and what the person should
 *   get back depends on whether the funder has paid them. Once it has, the person gets back what
 *   they paid less what the funder paid them, and the funder's part is returned to the funder
 *   (Cr funder:<f>, counted in subsidy_reversed_fen). Someone in no batch yet gets back all they
 *   paid and will not enter a batch (batches take paid or confirmed enrollments only).
 * - Death: the registry is not changed here (the death list import does that); the engine decides
 *   by the request date, and the registry's date of death, when known, is shown with the result.
 */
import {
  type Assessment,
  canRefund,
  FactsError,
  type Fen,
  type FunderCode,
  formatYuan,
  parseDate,
  REFUND_REASONS,
  type RefundDecision,
  type RefundReason,
} from '@canbao/core';
import type { Selectable } from 'kysely';
import type { Enrollment, Person, RefundsTable } from '../db/schema.ts';
import { recordTransfer } from '../ledger/journal.ts';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import {
  ENROLLED,
  enrollmentOf,
  getEnrollment,
  getPerson,
  STATUS_LABELS,
  transition,
} from './enrollments.ts';
import { funderName, lockEnrolled, reimbursementOf } from './reimbursements.ts';

export type Refund = Selectable<RefundsTable>;
export type RefundStatus = Refund['status'];

export const REFUND_STATUS_LABELS: Readonly<Record<RefundStatus, string>> = {
  refused: '不予退费',
  not_specified: '政策未规定',
  approved: '准予退费（待支付）',
  paid: '已退费',
};

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

export interface RefundRequestInput {
  /** The enrollment, or the person (their enrollment of benefitYear, else of the latest campaign). */
  readonly enrollmentId?: number;
  readonly personId?: number;
  readonly benefitYear?: number;
  readonly reason: RefundReason;
  /** YYYY-MM-DD; default today. */
  readonly requestedOn?: string;
}

/** What goes back to one funder with an approved refund. */
export interface ReturnedSubsidy {
  readonly funder: FunderCode;
  readonly amountFen: number;
  /** 'direct': a subsidy booked at payment; 'refund_later': a 先缴后补 amount the funder had paid. */
  readonly mode: 'direct' | 'refund_later';
}

export interface RefundOutcome {
  readonly refund: Refund;
  readonly enrollment: Enrollment;
  readonly person: Pick<Person, 'id' | 'name' | 'doc_number' | 'deceased_on'>;
  readonly decision: RefundDecision;
  readonly returned: readonly ReturnedSubsidy[];
  /** The result in one Chinese sentence, with the rule and the clause. */
  readonly message: string;
}

function checkReason(reason: string): asserts reason is RefundReason {
  if (!Object.hasOwn(REFUND_REASONS, reason)) {
    throw new CollectionError(
      'bad_reason',
      `未知的退费原因“${reason}”（可选：${Object.entries(REFUND_REASONS)
        .map(([code, label]) => `${code}（${label}）`)
        .join('、')}）`,
    );
  }
}

function checkDate(ctx: CollectionContext, date: string, what: string): void {
  try {
    parseDate(date);
  } catch (error) {
    throw new CollectionError('bad_date', `${what}有误：${(error as Error).message}`);
  }
  if (date > ctx.today) throw new CollectionError('future_date', `${what} ${date} 晚于今天（${ctx.today}）`);
}

async function targetEnrollment(ctx: CollectionContext, input: RefundRequestInput): Promise<Enrollment> {
  if (input.enrollmentId !== undefined) return getEnrollment(ctx.db, ctx.countyCode, input.enrollmentId);
  if (input.personId === undefined) throw new CollectionError('no_target', '请指定参保记录或人员');
  const person = await getPerson(ctx.db, ctx.countyCode, input.personId);
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, input.benefitYear);
  const enrollment = await enrollmentOf(ctx.db, ctx.countyCode, person.id, campaign.benefit_year);
  if (!enrollment) {
    throw new CollectionError(
      'not_enrolled',
      `${person.name} 没有 ${campaign.benefit_year} 年度的参保记录，无需退费`,
    );
  }
  return enrollment;
}

/**
 * Decides a refund request by the policy and stores it; an approved one is booked and terminates
 * the enrollment (see the file comment). A refused or unspecified one changes nothing but is
 * stored with its rule.
 */
export async function requestRefund(
  ctx: CollectionContext,
  input: RefundRequestInput,
): Promise<RefundOutcome> {
  checkReason(input.reason);
  const requestedOn = input.requestedOn ?? ctx.today;
  checkDate(ctx, requestedOn, '申请日期');
  const target = await targetEnrollment(ctx, input);
  const { policy } = await findCampaign(ctx.db, ctx.countyCode, target.benefit_year);

  return ctx.db.transaction().execute(async (trx) => {
    const enrollment = await getEnrollment(trx, ctx.countyCode, target.id);
    const person = await getPerson(trx, ctx.countyCode, enrollment.person_id);
    if (enrollment.status === 'refunded') {
      const earlier = await trx
        .selectFrom('refunds')
        .selectAll()
        .where('county_code', '=', ctx.countyCode)
        .where('enrollment_id', '=', enrollment.id)
        .where('status', 'in', ['approved', 'paid'])
        .executeTakeFirst();
      throw new CollectionError(
        'already_refunded',
        `${person.name} ${enrollment.benefit_year} 年度已退费${
          earlier
            ? `（退费申请 #${earlier.id}，${earlier.requested_on} 申请，退还 ${yuan(earlier.amount_fen)}，${REFUND_STATUS_LABELS[earlier.status]}）`
            : ''
        }，不能再次申请`,
      );
    }
    if (!ENROLLED.includes(enrollment.status)) {
      throw new CollectionError(
        'not_paid',
        `${person.name} 的参保记录为“${STATUS_LABELS[enrollment.status]}”，尚未缴费参保，无需退费`,
      );
    }

    let decision: RefundDecision;
    try {
      decision = canRefund(
        policy,
        { paidFen: enrollment.paid_fen, benefitStart: enrollment.benefit_start },
        { reason: input.reason, requestedOn },
      );
    } catch (error) {
      if (error instanceof FactsError) throw new CollectionError('bad_request', error.message);
      throw error;
    }
    const rule = decision.rule;
    const approve = decision.decision === 'approve';
    if (approve && !decision.terminate) {
      throw new CollectionError(
        'refund_without_termination',
        `政策准予退费但不终止参保关系（${rule.text}，${rule.cite}）：canbao 每条参保记录只记一笔个人缴费，退还后仍保留参保将无人缴费，未办理；多缴的款项请在收款渠道（税务）退还`,
      );
    }

    let returned: ReturnedSubsidy[] = [];
    let toPerson = 0;
    if (approve) {
      // Hold the enrollment row first: a 先缴后补 batch being created for this person right now
      // commits before we look for it (or fails when we win).
      if ((await lockEnrolled(trx, ctx.countyCode, [enrollment.id])) !== 1) {
        throw new CollectionError('concurrent', '参保记录已被同时修改，请重试');
      }
      const reimbursement = await reimbursementOf(trx, ctx.countyCode, enrollment.id);
      if (reimbursement?.status === 'created') {
        throw new CollectionError(
          'reimbursement_pending',
          `${person.name} 在先缴后补批次 ${reimbursement.batch_no} 中（${funderName(reimbursement.funder)}补助 ${yuan(reimbursement.amount_fen)}，尚未拨付）：请待该批次拨付后再办理退费`,
        );
      }
      const reimbursed = reimbursement ? reimbursement.amount_fen : 0;
      toPerson = decision.amount - reimbursed;
      const assessment = JSON.parse(enrollment.assessment) as Assessment;
      returned = assessment.subsidies
        .filter((s) => s.mode === 'direct' && s.amount > 0)
        .map((s) => ({ funder: s.funder, amountFen: s.amount as number, mode: 'direct' as const }));
      if (reimbursement) {
        returned.push({
          funder: reimbursement.funder as FunderCode,
          amountFen: reimbursed,
          mode: 'refund_later',
        });
      }
    }
    const reversed = returned.reduce((n, r) => n + r.amountFen, 0);

    const refund = await trx
      .insertInto('refunds')
      .values({
        county_code: ctx.countyCode,
        enrollment_id: enrollment.id,
        person_id: enrollment.person_id,
        reason: input.reason,
        requested_on: requestedOn,
        decision: decision.decision,
        amount_fen: toPerson,
        subsidy_reversed_fen: reversed,
        rule_id: rule.id,
        cite: rule.cite,
        rule_text: rule.text,
        rule_quote: rule.quote,
        status: approve ? 'approved' : decision.decision === 'refuse' ? 'refused' : 'not_specified',
        paid_on: null,
        payout_reference: null,
        actor: ctx.actor,
        created_at: ctx.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();

    if (approve) {
      await bookRefund(ctx, trx, refund, returned, requestedOn);
      const ok = await transition(trx, ctx, enrollment, {
        event: 'refunded',
        to: 'refunded',
        from: ENROLLED,
        reason: `${REFUND_REASONS[input.reason]}退费（退费申请 #${refund.id}）：${rule.text}〔${rule.cite}〕`,
        detail: { refundId: refund.id, amountFen: toPerson, returned },
      });
      if (!ok) throw new CollectionError('concurrent', '参保记录已被同时修改，请重试');
      await trx
        .updateTable('payments')
        .set({ status: 'refunded' })
        .where('county_code', '=', ctx.countyCode)
        .where('enrollment_id', '=', enrollment.id)
        .execute();
    }
    return {
      refund,
      enrollment: await getEnrollment(trx, ctx.countyCode, enrollment.id),
      person: {
        id: person.id,
        name: person.name,
        doc_number: person.doc_number,
        deceased_on: person.deceased_on,
      },
      decision,
      returned,
      message: refundMessage(refund, person.name, returned),
    };
  });
}

async function bookRefund(
  ctx: CollectionContext,
  trx: Parameters<typeof recordTransfer>[0],
  refund: Refund,
  returned: readonly ReturnedSubsidy[],
  occurredOn: string,
): Promise<void> {
  const account = `enrollment:${refund.enrollment_id}` as const;
  const common = {
    countyCode: ctx.countyCode,
    businessType: 'refund',
    businessId: String(refund.id),
    occurredOn,
    actor: ctx.actor,
    recordedAt: ctx.now,
  };
  if (refund.amount_fen > 0) {
    await recordTransfer(trx, {
      ...common,
      kind: 'refund',
      idempotencyKey: `refund:${refund.id}`,
      lines: [
        { account, amount: refund.amount_fen as Fen },
        { account: 'refunds_payable', amount: -refund.amount_fen as Fen },
      ],
      memo: `退费申请 #${refund.id}：${refund.rule_id}`,
    });
  }
  const perFunder = new Map<FunderCode, number>();
  for (const r of returned) perFunder.set(r.funder, (perFunder.get(r.funder) ?? 0) + r.amountFen);
  for (const [funder, amount] of perFunder) {
    await recordTransfer(trx, {
      ...common,
      kind: 'refund',
      idempotencyKey: `refund-subsidy:${refund.id}:${funder}`,
      lines: [
        { account, amount: amount as Fen },
        { account: `funder:${funder}`, amount: -amount as Fen },
      ],
      memo: `退费申请 #${refund.id}：资助退回${funderName(funder)}`,
    });
  }
}

/** A refund's result for the person and the clerk, in Chinese, with the rule and the clause. */
export function refundMessage(
  refund: Refund,
  name: string,
  returned: readonly ReturnedSubsidy[] = [],
): string {
  const reason = REFUND_REASONS[refund.reason as RefundReason] ?? refund.reason;
  const basis = `依据 ${refund.cite}${refund.rule_quote ? `：“${refund.rule_quote}”` : ''}`;
  switch (refund.status) {
    case 'approved':
    case 'paid': {
      const back = returned.map(
        (r) =>
          `${r.mode === 'refund_later' ? '已拨付的先缴后补' : '资助'} ${yuan(r.amountFen)}退回${funderName(r.funder)}`,
      );
      return `准予退费：${name}（${reason}）退还个人缴费 ${yuan(refund.amount_fen)}${
        back.length > 0 ? `，${back.join('，')}` : ''
      }，终止本年度参保。${refund.rule_text}。${basis}`;
    }
    case 'refused':
      return `不予退费：${name}（${reason}）。${refund.rule_text}。${basis}`;
    case 'not_specified':
      return `政策未规定：${name}（${reason}）。${refund.rule_text}；未办理退费，请按上级规定处理。${basis}`;
  }
}

export interface RefundPayout {
  readonly refund: Refund;
  /** True when this payout had been recorded before with the same date and reference. */
  readonly replayed: boolean;
}

/**
 * Pays an approved refund out to the person: refunds_payable → treasury, status 'paid'. The same
 * payout again (same date and reference) returns the first result; another one is refused, as is
 * paying a refund that was not approved.
 */
export async function payRefund(
  ctx: CollectionContext,
  refundId: number,
  input: { readonly paidOn?: string; readonly reference?: string | null },
): Promise<RefundPayout> {
  const paidOn = input.paidOn ?? ctx.today;
  const reference = input.reference?.trim() || null;
  checkDate(ctx, paidOn, '退费支付日期');
  return ctx.db.transaction().execute(async (trx) => {
    const refund = await getRefund(trx, ctx.countyCode, refundId);
    if (refund.status !== 'approved') return alreadyPaid(refund, paidOn, reference);
    if (paidOn < refund.requested_on) {
      throw new CollectionError(
        'early_date',
        `退费支付日期 ${paidOn} 早于申请日期（${refund.requested_on}）`,
      );
    }
    const result = await trx
      .updateTable('refunds')
      .set({ status: 'paid', paid_on: paidOn, payout_reference: reference })
      .where('id', '=', refund.id)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      return alreadyPaid(await getRefund(trx, ctx.countyCode, refundId), paidOn, reference);
    }
    if (refund.amount_fen > 0) {
      await recordTransfer(trx, {
        countyCode: ctx.countyCode,
        kind: 'refund_payout',
        businessType: 'refund',
        businessId: String(refund.id),
        idempotencyKey: `refund-payout:${refund.id}`,
        occurredOn: paidOn,
        lines: [
          { account: 'refunds_payable', amount: refund.amount_fen as Fen },
          { account: 'treasury', amount: -refund.amount_fen as Fen },
        ],
        actor: ctx.actor,
        memo: reference ? `退费支付凭证 ${reference}` : `退费申请 #${refund.id} 支付`,
        recordedAt: ctx.now,
      });
    }
    return { refund: await getRefund(trx, ctx.countyCode, refundId), replayed: false };
  });
}

function alreadyPaid(refund: Refund, paidOn: string, reference: string | null): RefundPayout {
  if (refund.status === 'paid') {
    if (refund.paid_on === paidOn && refund.payout_reference === reference) return { refund, replayed: true };
    throw new CollectionError(
      'refund_paid',
      `退费申请 #${refund.id} 已于 ${refund.paid_on} 支付${refund.payout_reference ? `（凭证 ${refund.payout_reference}）` : ''}，不能再次支付`,
    );
  }
  throw new CollectionError(
    'refund_not_approved',
    `退费申请 #${refund.id} 的结果为“${REFUND_STATUS_LABELS[refund.status]}”（${refund.rule_text}，${refund.cite}），不能支付`,
  );
}

export async function getRefund(
  db: CollectionContext['db'],
  countyCode: string,
  refundId: number,
): Promise<Refund> {
  const refund = await db
    .selectFrom('refunds')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('id', '=', refundId)
    .executeTakeFirst();
  if (!refund) throw new CollectionError('unknown_refund', `退费申请 #${refundId} 不存在`);
  return refund;
}

export interface RefundRow extends Refund {
  readonly name: string;
  readonly doc_number: string;
  readonly benefit_year: number;
}

/** The county's refund requests (optionally one status or benefit year), oldest first. */
export async function listRefunds(
  ctx: CollectionContext,
  options: { readonly status?: RefundStatus; readonly benefitYear?: number } = {},
): Promise<RefundRow[]> {
  let query = ctx.db
    .selectFrom('refunds')
    .innerJoin('people', 'people.id', 'refunds.person_id')
    .innerJoin('enrollments', 'enrollments.id', 'refunds.enrollment_id')
    .selectAll('refunds')
    .select(['people.name', 'people.doc_number', 'enrollments.benefit_year'])
    .where('refunds.county_code', '=', ctx.countyCode)
    .orderBy('refunds.id');
  if (options.status) query = query.where('refunds.status', '=', options.status);
  if (options.benefitYear !== undefined)
    query = query.where('enrollments.benefit_year', '=', options.benefitYear);
  return query.execute();
}
