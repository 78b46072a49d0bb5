/**
 * A policy compiled for evaluation: dates as epoch days, groups as bit masks, and every calendar
 * computation the rules can need (first day of next month, date + N months, "within N months")
 * tabulated once by Temporal over the days a payment can fall on. The evaluator then does only
 * integer work, which is what lets a million people be assessed in a fraction of a second.
 */
import { addMonths, firstDayOfNextMonth, fromEpochDay, type PlainDate, toEpochDay } from '../dates.ts';
import { percentOf } from '../money.ts';
import type { LateCondition, Policy, StartRule, SubsidyRule } from '../policy/schema.ts';
import { groupMask } from './facts.ts';

export const MAX_WAIT_MONTHS = 12;

export interface CompiledSubsidy {
  /** Index in policy.subsidies.rules. */
  readonly index: number;
  readonly rule: SubsidyRule;
  readonly mask: number;
  readonly amountFen: number;
  readonly refundLater: boolean;
  readonly hukouLocalOnly: boolean;
}

export interface CompiledLateRule {
  readonly index: number;
  readonly condition: LateCondition;
  readonly mask: number;
  readonly sinceDay: number;
  readonly start: StartRule;
}

export interface CompiledPolicy {
  readonly policy: Policy;
  readonly standardFen: number;
  readonly benefitStartDay: number;
  readonly benefitEndDay: number;
  readonly collectionStartDay: number;
  readonly collectionEndDay: number;
  readonly extensions: readonly {
    readonly index: number;
    readonly mask: number;
    readonly untilDay: number;
  }[];
  readonly admitFacts: readonly ('hukouLocal' | 'residencePermit' | null)[];
  readonly admitMasks: readonly number[];
  readonly excludeFacts: readonly ('inEmployeeInsurance' | 'insuredElsewhere')[];
  /** Sorted by amount, highest first, so the first match is the one that applies (就高). */
  readonly subsidies: readonly CompiledSubsidy[];
  readonly anySubsidyMask: number;
  readonly lateRules: readonly CompiledLateRule[];
  readonly newbornFromDay: number;
  readonly newbornWindowDays: number;
  readonly newbornNextDay: boolean;
  readonly newbornYearOffsets: readonly number[] | null;
  readonly exemptMask: number;
  readonly exemptNewborns: boolean;
  /** Tables over [tableBase, benefitEndDay + 1]. */
  readonly tableBase: number;
  readonly nextMonthFirst: Int32Array;
  /** plusMonths[m][day - tableBase] = day + m months (constrained), m in 1..MAX_WAIT_MONTHS. */
  readonly plusMonths: readonly Int32Array[];
  /** earliestStop[m][paid - tableBase]: the earliest stop day with stop + m months ≥ paid. */
  readonly earliestStop: ReadonlyMap<number, Int32Array>;
}

const cache = new WeakMap<Policy, CompiledPolicy>();

export function compilePolicy(policy: Policy): CompiledPolicy {
  const cached = cache.get(policy);
  if (cached) return cached;
  const compiled = build(policy);
  cache.set(policy, compiled);
  return compiled;
}

function subsidyAmount(rule: SubsidyRule, standardFen: number): number {
  const s = rule.subsidy;
  switch (s.kind) {
    case 'full':
      return standardFen;
    case 'fixed':
      return s.amount;
    case 'percent':
      return percentOf(standardFen as never, s.percent);
    case 'person_pays':
      return standardFen - s.personPays;
  }
}

function build(policy: Policy): CompiledPolicy {
  const day = (d: PlainDate) => toEpochDay(d);
  const standardFen = policy.standard.individual;
  const benefitStartDay = day(policy.benefitPeriod.start);
  const benefitEndDay = day(policy.benefitPeriod.end);
  const collectionStartDay = day(policy.collection.start);
  const newbornFromDay = day(policy.newborn.bornOnOrAfter);
  // Tables start early enough for newborns' birth days and the national waiting anchors.
  const tableBase = Math.min(collectionStartDay, newbornFromDay, benefitStartDay);
  const size = benefitEndDay - tableBase + 2;

  const nextMonthFirst = new Int32Array(size);
  const plusMonths = Array.from({ length: MAX_WAIT_MONTHS + 1 }, () => new Int32Array(size));
  for (let i = 0; i < size; i++) {
    const d = fromEpochDay(tableBase + i);
    nextMonthFirst[i] = day(firstDayOfNextMonth(d));
    for (let m = 1; m <= MAX_WAIT_MONTHS; m++) (plusMonths[m] as Int32Array)[i] = day(addMonths(d, m));
  }

  const earliestStop = new Map<number, Int32Array>();
  for (const rule of policy.lateEnrollment.rules) {
    if (rule.when.kind !== 'employee_insurance' || earliestStop.has(rule.when.months)) continue;
    const months = rule.when.months;
    const table = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const paid = fromEpochDay(tableBase + i);
      let stop = paid.subtract({ months });
      const reaches = (s: PlainDate) => addMonths(s, months).until(paid).days <= 0;
      while (reaches(stop.subtract({ days: 1 }))) stop = stop.subtract({ days: 1 });
      while (!reaches(stop)) stop = stop.add({ days: 1 });
      table[i] = day(stop);
    }
    earliestStop.set(months, table);
  }

  const subsidies = policy.subsidies.rules
    .map((rule, index) => ({
      index,
      rule,
      mask: groupMask(rule.groups),
      amountFen: subsidyAmount(rule, standardFen),
      refundLater: rule.mode === 'refund_later',
      hukouLocalOnly: rule.hukouLocalOnly,
    }))
    .sort((a, b) => b.amountFen - a.amountFen || a.index - b.index);

  return {
    policy,
    standardFen,
    benefitStartDay,
    benefitEndDay,
    collectionStartDay,
    collectionEndDay: day(policy.collection.end),
    extensions: policy.collection.extensions.map((e, index) => ({
      index,
      mask: groupMask(e.groups),
      untilDay: day(e.until),
    })),
    admitFacts: policy.eligibility.admit.map((rule) => ('fact' in rule ? rule.fact : null)),
    admitMasks: policy.eligibility.admit.map((rule) => ('group' in rule ? groupMask([rule.group]) : 0)),
    excludeFacts: policy.eligibility.exclude.map((rule) => rule.fact),
    subsidies,
    anySubsidyMask: subsidies.reduce((mask, s) => mask | s.mask, 0),
    lateRules: policy.lateEnrollment.rules.map((rule, index) => ({
      index,
      condition: rule.when,
      mask: rule.when.kind === 'employee_insurance' ? 0 : groupMask(rule.when.groups),
      sinceDay: rule.when.kind === 'newly_certified' ? day(rule.when.certifiedOnOrAfter) : Number.NaN,
      start: rule.start,
    })),
    newbornFromDay,
    newbornWindowDays: policy.newborn.window ? policy.newborn.window.days : -1,
    newbornNextDay: policy.newborn.otherwise.rule === 'next_day',
    newbornYearOffsets: policy.newborn.yearChoice ? policy.newborn.yearChoice.yearsAfterBirth : null,
    exemptMask: policy.waiting ? groupMask(policy.waiting.exemptGroups) : 0,
    exemptNewborns: policy.waiting ? policy.waiting.exemptNewborns : false,
    tableBase,
    nextMonthFirst,
    plusMonths,
    earliestStop,
  };
}
