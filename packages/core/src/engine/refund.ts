/**
 * Refund decisions: may a person who has paid get their contribution back, and under which
 * clause? The first refund rule of the policy matching the reason and the timing decides;
 * where none does, the policy says so rather than guessing.
 */
import { compareDates, type PlainDate, parseDate } from '../dates.ts';
import { type Fen, fen } from '../money.ts';
import type { Policy, RefundReason } from '../policy/schema.ts';
import { type AppliedRule, rule } from './assess.ts';
import { FactsError } from './facts.ts';

export const REFUND_REASONS: Readonly<Record<RefundReason, string>> = {
  duplicate: '重复缴费',
  employee_insurance: '参加职工医保',
  insured_elsewhere: '参加其他统筹地区居民医保',
  death: '死亡',
};

export interface RefundEnrollment {
  /** What the person paid, fen. */
  readonly paidFen: number;
  /** The enrollment's benefit start (YYYY-MM-DD); the policy's benefit-year start when absent. */
  readonly benefitStart?: string | null;
}

export interface RefundRequest {
  readonly reason: RefundReason;
  /** YYYY-MM-DD */
  readonly requestedOn: string;
}

export interface RefundDecision {
  readonly decision: 'approve' | 'refuse' | 'not_specified';
  /** To pay back to the person, fen (0 unless approved). */
  readonly amount: Fen;
  /** Whether the enrollment is terminated with the refund. */
  readonly terminate: boolean;
  readonly rule: AppliedRule;
}

export function canRefund(
  policy: Policy,
  enrollment: RefundEnrollment,
  request: RefundRequest,
): RefundDecision {
  if (!Object.hasOwn(REFUND_REASONS, request.reason)) {
    throw new FactsError(
      'reason',
      `未知的退费原因“${request.reason}”（可选：${Object.keys(REFUND_REASONS).join('、')}）`,
    );
  }
  if (!Number.isSafeInteger(enrollment.paidFen) || enrollment.paidFen < 0) {
    throw new FactsError('paidFen', '应为非负整数（分）');
  }
  const requestedOn = parseField('requestedOn', request.requestedOn);
  const benefitStart: PlainDate = enrollment.benefitStart
    ? parseField('benefitStart', enrollment.benefitStart)
    : policy.benefitPeriod.start;
  const before = compareDates(requestedOn, benefitStart) < 0;
  const reasonText = REFUND_REASONS[request.reason];
  for (const r of policy.refunds.rules) {
    if (!r.reasons.includes(request.reason)) continue;
    if (r.requested === 'before_benefit_start' && !before) continue;
    if (r.requested === 'after_benefit_start' && before) continue;
    const approve = r.decision === 'approve';
    return {
      decision: r.decision,
      amount: fen(approve ? enrollment.paidFen : 0),
      terminate: r.terminate,
      rule: rule(
        policy,
        `refund:${r.id}`,
        r.cite,
        `${reasonText}，${before ? `待遇期开始（${benefitStart}）前申请` : `待遇期开始（${benefitStart}）后申请`}：${r.label}`,
      ),
    };
  }
  const o = policy.refunds.otherwise;
  return {
    decision: 'not_specified',
    amount: fen(0),
    terminate: false,
    rule: rule(policy, 'refund:not-specified', o.cite, `${reasonText}：${o.reason}，本政策未规定`),
  };
}

function parseField(field: string, text: string): PlainDate {
  try {
    return parseDate(text);
  } catch (error) {
    throw new FactsError(field, (error as Error).message);
  }
}
