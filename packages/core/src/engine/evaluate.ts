/**
 * The decision for one person under one compiled policy: integer work only, no allocation, so
 * the same function serves a single quote and a million-person batch.
 *
 * The decision records *which* rules applied (indices into the policy) and the resulting amounts
 * and benefit start; the explanation (assess.ts) and the one-line why code (why.ts) are built
 * from it.
 */

import { GROUP_CODES } from '../groups.ts';
import type { StartRule } from '../policy/schema.ts';
import { type CompiledPolicy, MAX_WAIT_MONTHS } from './compile.ts';
import { type CompactFacts, FactsError, GROUP_INDEX } from './facts.ts';

/** Why a person is or is not eligible. */
export const Verdict = {
  ADMITTED: 0,
  EXCLUDED: 1,
  NOT_ADMITTED: 2,
  PAID_BEFORE_COLLECTION: 3,
  PAID_AFTER_BENEFIT_END: 4,
  NEWBORN_OTHER_YEAR: 5,
  START_AFTER_BENEFIT_END: 6,
} as const;

/** Which timing rule set the benefit start. */
export const Timing = {
  NONE: 0,
  ASSUMED_IN_PERIOD: 1,
  IN_PERIOD: 2,
  EXTENSION: 3,
  NEWBORN_WINDOW: 4,
  NEWBORN_ASSUMED_WINDOW: 5,
  NEWBORN_NEXT_DAY: 6,
  LATE_RULE: 7,
  LATE_OTHERWISE: 8,
  NOT_SPECIFIED: 9,
} as const;

export class Decision {
  verdict = 0;
  /** Admit rule index (admitted) or exclude rule index (excluded); -1 otherwise. */
  ruleIndex = -1;
  /** Index in policy.subsidies.rules of the subsidy applied, or -1. */
  subsidyIndex = -1;
  paysFen = 0;
  subsidyFen = 0;
  refundLaterFen = 0;
  timing = 0;
  /** Extension or late-rule index for EXTENSION / LATE_RULE, else -1. */
  timingIndex = -1;
  /** National waiting period applied, in months (0: none). */
  waitMonths = 0;
  /** Epoch day, or NaN when not eligible or not specified by the policy. */
  benefitStartDay = Number.NaN;

  reset(): void {
    this.verdict = 0;
    this.ruleIndex = -1;
    this.subsidyIndex = -1;
    this.paysFen = 0;
    this.subsidyFen = 0;
    this.refundLaterFen = 0;
    this.timing = 0;
    this.timingIndex = -1;
    this.waitMonths = 0;
    this.benefitStartDay = Number.NaN;
  }

  /** Packs the rule choices into one int (the why code's numeric form). */
  code(): number {
    return (
      (this.verdict << 27) |
      ((this.ruleIndex + 1) << 21) |
      ((this.subsidyIndex + 1) << 15) |
      (this.timing << 11) |
      ((this.timingIndex + 1) << 5) |
      this.waitMonths
    );
  }

  static fromCode(code: number): Decision {
    const d = new Decision();
    d.verdict = code >>> 27;
    d.ruleIndex = ((code >>> 21) & 63) - 1;
    d.subsidyIndex = ((code >>> 15) & 63) - 1;
    d.timing = (code >>> 11) & 15;
    d.timingIndex = ((code >>> 5) & 63) - 1;
    d.waitMonths = code & 31;
    return d;
  }
}

function fail(d: Decision, verdict: number): void {
  d.verdict = verdict;
  d.paysFen = 0;
  d.subsidyFen = 0;
  d.refundLaterFen = 0;
  d.benefitStartDay = Number.NaN;
}

/** National waiting months for a person not continuously enrolled (国办发〔2024〕38号). */
function nationalWaitMonths(c: CompiledPolicy, f: CompactFacts, late: boolean): number {
  const w = c.policy.waiting;
  if (!w) return 0;
  const gapYears = f.lastCoveredYear > 0 ? Math.max(0, c.policy.benefitYear - 1 - f.lastCoveredYear) : 0;
  if (!late && gapYears === 0) return 0;
  const variable = Math.max(
    0,
    (gapYears - 1) * w.monthsPerFurtherGapYear - f.madeUpYears * w.monthsOffPerMadeUpYear,
  );
  let months = w.fixedMonths + variable;
  if (gapYears >= w.minimumTotal.gapYearsAtLeast && months < w.minimumTotal.months)
    months = w.minimumTotal.months;
  return months;
}

function startAfter(c: CompiledPolicy, rule: StartRule, paid: number, f: CompactFacts, d: Decision): number {
  switch (rule.rule) {
    case 'next_day':
      return paid + 1;
    case 'next_month':
      return c.nextMonthFirst[paid - c.tableBase] as number;
    case 'wait_months':
      return waitFrom(c, paid, rule.months);
    case 'national_waiting':
      // Special groups the layer exempts have no waiting period: from the day after payment.
      if ((f.groupMask & c.exemptMask) !== 0 || (c.exemptNewborns && f.birthDay >= c.newbornFromDay))
        return paid + 1;
      d.waitMonths = nationalWaitMonths(c, f, true);
      return waitFrom(c, paid, d.waitMonths);
  }
}

/** Benefits start `months` after payment, or after 1 January when paid before the benefit year. */
function waitFrom(c: CompiledPolicy, paid: number, months: number): number {
  if (months > MAX_WAIT_MONTHS) return Number.POSITIVE_INFINITY;
  const anchor = Math.max(paid, c.benefitStartDay);
  if (months === 0) return anchor;
  return (c.plusMonths[months] as Int32Array)[anchor - c.tableBase] as number;
}

function lateRuleMatches(c: CompiledPolicy, index: number, f: CompactFacts, paid: number): boolean {
  const rule = c.lateRules[index];
  if (!rule) return false;
  const when = rule.condition;
  switch (when.kind) {
    case 'groups':
      return (f.groupMask & rule.mask) !== 0;
    case 'newly_certified': {
      const held = f.groupMask & rule.mask;
      if (held === 0) return false;
      for (const group of when.groups) {
        const g = GROUP_INDEX[group];
        if ((held & (1 << g)) === 0) continue;
        const since = f.sinceDays ? (f.sinceDays[g] as number) : Number.NaN;
        if (Number.isNaN(since)) {
          throw new FactsError(
            `groupsSince.${GROUP_CODES[g]}`,
            '集中参保期后缴费，需提供该人群的认定日期以判断是否属于动态新增',
          );
        }
        if (since >= rule.sinceDay) return true;
      }
      return false;
    }
    case 'employee_insurance': {
      if (Number.isNaN(f.employeeStoppedDay) || f.employeeYears < when.minConsecutiveYears) return false;
      const table = c.earliestStop.get(when.months) as Int32Array;
      const within = f.employeeStoppedDay >= (table[paid - c.tableBase] as number);
      return when.stopped === 'within' ? within : !within;
    }
  }
}

export function evaluate(c: CompiledPolicy, f: CompactFacts, d: Decision): Decision {
  d.reset();
  for (let j = 0; j < c.excludeFacts.length; j++) {
    if (f[c.excludeFacts[j] as 'inEmployeeInsurance']) {
      d.ruleIndex = j;
      fail(d, Verdict.EXCLUDED);
      return d;
    }
  }
  for (let i = 0; i < c.admitFacts.length; i++) {
    const fact = c.admitFacts[i];
    if (fact ? f[fact] : (f.groupMask & (c.admitMasks[i] as number)) !== 0) {
      d.ruleIndex = i;
      break;
    }
  }
  if (d.ruleIndex < 0) {
    fail(d, Verdict.NOT_ADMITTED);
    return d;
  }

  d.paysFen = c.standardFen;
  if ((f.groupMask & c.anySubsidyMask) !== 0) {
    for (const s of c.subsidies) {
      if ((f.groupMask & s.mask) !== 0 && (f.hukouLocal || !s.hukouLocalOnly)) {
        d.subsidyIndex = s.index;
        d.subsidyFen = s.amountFen;
        if (s.refundLater) d.refundLaterFen = s.amountFen;
        else d.paysFen = c.standardFen - s.amountFen;
        break;
      }
    }
  }

  const newborn = f.birthDay >= c.newbornFromDay;
  if (newborn && c.newbornYearOffsets && f.coverageYear !== 0 && f.coverageYear !== c.policy.benefitYear) {
    fail(d, Verdict.NEWBORN_OTHER_YEAR);
    return d;
  }
  const paid = f.paidDay;
  const inWindow = newborn && c.newbornWindowDays >= 0;
  let start: number;
  if (Number.isNaN(paid)) {
    if (!inWindow && f.birthDay > c.collectionEndDay) {
      // Born after the collection period and no newborn window: when they paid decides everything.
      throw new FactsError('paidOn', '集中参保期结束后出生的新生儿，需提供缴费日期才能确定待遇起始时间');
    }
    d.timing = inWindow ? Timing.NEWBORN_ASSUMED_WINDOW : Timing.ASSUMED_IN_PERIOD;
    start = inWindow ? f.birthDay : c.benefitStartDay;
  } else if (paid < c.collectionStartDay && !(newborn && paid >= f.birthDay)) {
    fail(d, Verdict.PAID_BEFORE_COLLECTION);
    return d;
  } else if (inWindow && paid - f.birthDay <= c.newbornWindowDays) {
    // Within the window a newborn pays for the birth year even after it has ended
    // (达拉特旗 三（三）: 不受集中缴费期限制 … 全额缴纳出生当年 … 自出生之日起).
    d.timing = Timing.NEWBORN_WINDOW;
    start = f.birthDay;
  } else if (paid > c.benefitEndDay) {
    fail(d, Verdict.PAID_AFTER_BENEFIT_END);
    return d;
  } else if (paid <= c.collectionEndDay) {
    d.timing = Timing.IN_PERIOD;
    start = c.benefitStartDay;
  } else if (newborn && c.newbornNextDay) {
    d.timing = Timing.NEWBORN_NEXT_DAY;
    start = paid + 1;
  } else {
    start = Number.NaN;
    for (const e of c.extensions) {
      if ((f.groupMask & e.mask) !== 0 && paid <= e.untilDay) {
        d.timing = Timing.EXTENSION;
        d.timingIndex = e.index;
        start = c.benefitStartDay;
        break;
      }
    }
    if (d.timing === Timing.NONE) {
      for (let i = 0; i < c.lateRules.length; i++) {
        if (lateRuleMatches(c, i, f, paid)) {
          d.timing = Timing.LATE_RULE;
          d.timingIndex = i;
          start = startAfter(c, (c.lateRules[i] as { start: StartRule }).start, paid, f, d);
          break;
        }
      }
    }
    if (d.timing === Timing.NONE) {
      const otherwise = c.policy.lateEnrollment.otherwise;
      if ('notSpecified' in otherwise) {
        d.timing = Timing.NOT_SPECIFIED;
        return d;
      }
      d.timing = Timing.LATE_OTHERWISE;
      start = startAfter(c, otherwise.start, paid, f, d);
    }
  }

  // The national layer: a person paying in time but not continuously enrolled also waits.
  const w = c.policy.waiting;
  if (
    w &&
    d.waitMonths === 0 &&
    (d.timing === Timing.IN_PERIOD ||
      d.timing === Timing.EXTENSION ||
      d.timing === Timing.ASSUMED_IN_PERIOD) &&
    (f.groupMask & c.exemptMask) === 0
  ) {
    const months = nationalWaitMonths(c, f, false);
    if (months > 0) {
      d.waitMonths = months;
      start = waitFrom(c, Number.isNaN(paid) ? c.benefitStartDay : paid, months);
    }
  }

  if (start < c.benefitStartDay) start = c.benefitStartDay;
  if (start < f.birthDay) start = f.birthDay; // nobody is covered before they are born
  if (start > c.benefitEndDay) {
    fail(d, Verdict.START_AFTER_BENEFIT_END);
    return d;
  }
  d.benefitStartDay = start;
  return d;
}
