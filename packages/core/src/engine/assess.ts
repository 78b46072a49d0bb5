/**
 * assess(policy, facts) → the assessment of one person: eligible or not and why, what they pay,
 * who subsidises them, when benefits start and end, and every rule applied with its clause.
 */
import { formatDate, fromEpochDay, type PlainDate, toEpochDay } from '../dates.ts';
import { FUNDERS, type FunderCode, type GroupCode, groupLabel } from '../groups.ts';
import { type Fen, formatYuan } from '../money.ts';
import type { Policy, StartRule } from '../policy/schema.ts';
import { type CompiledPolicy, compilePolicy } from './compile.ts';
import { Decision, evaluate, Timing, Verdict } from './evaluate.ts';
import { FactsError, groupsOfMask, readFacts } from './facts.ts';
import { parseWhyCode, whyCode } from './why.ts';

export interface AppliedRule {
  /** Stable id: `<section>:<rule id>`, e.g. subsidy:dibao-fixed. */
  readonly id: string;
  /** The clause(s) in the notice's own numbering, e.g. 一（三）2. */
  readonly cite: string;
  /** What the rule did for this person, in Chinese. */
  readonly text: string;
  /** The clause text quoted from the notice (or canbao's stated reading). */
  readonly quote: string;
  /** The keys of the cited clauses in the policy file's `clauses` table. */
  readonly clauses: readonly string[];
}

export interface NotSpecified {
  readonly topic: 'late_enrollment' | 'department_subsidy' | 'refund';
  readonly text: string;
  readonly cite: string;
}

export interface Subsidy {
  readonly group: GroupCode;
  readonly funder: FunderCode;
  readonly amount: Fen;
  readonly mode: 'direct' | 'refund_later';
  readonly rule: string;
}

export interface Assessment {
  readonly policy: { readonly id: string; readonly title: string; readonly hash: string };
  readonly eligible: boolean;
  readonly reasons?: readonly { readonly code: string; readonly text: string }[];
  /** The individual contribution standard, fen. */
  readonly standard: Fen;
  /** What the person pays now, fen. */
  readonly pays: Fen;
  readonly subsidies: readonly Subsidy[];
  /** Paid back to the person after payment by a refund_later subsidy, fen. */
  readonly refundLater: Fen;
  readonly benefitStart: string | null;
  readonly benefitEnd: string | null;
  readonly notSpecified: readonly NotSpecified[];
  readonly rules: readonly AppliedRule[];
  readonly why: string;
}

export interface AssessOptions {
  /**
   * false leaves `rules` empty: for callers that store the why code and rebuild the explanation
   * with explainWhy when someone asks (a payment batch), quoting every clause is wasted work.
   */
  readonly explain?: boolean;
}

/** Assesses one person. Throws FactsError (naming the field) on bad facts. */
export function assess(policy: Policy, facts: unknown, options: AssessOptions = {}): Assessment {
  const read = readFacts(facts);
  const c = compilePolicy(policy);
  requireNewbornYear(c, read.compact.birthDay, read.compact.coverageYear);
  const d = evaluate(c, read.compact, new Decision());
  return present(c, d, read.compact.groupMask, read.paidOn, read.birthDate, options.explain !== false);
}

/** Rebuilds the full explanation from a stored why code (and, if known, the person's facts). */
export function explainWhy(policy: Policy, why: string, facts?: unknown): Assessment {
  const c = compilePolicy(policy);
  const d = parseWhyCode(c, why);
  const read = facts === undefined ? null : readFacts(facts);
  if (read) {
    const fresh = evaluate(c, read.compact, new Decision());
    if (fresh.code() !== d.code()) {
      throw new FactsError('why', `与事实不符：按这些事实得到的是 ${whyCode(c, fresh)}`);
    }
    return present(c, fresh, read.compact.groupMask, read.paidOn, read.birthDate);
  }
  fillAmounts(c, d);
  return present(c, d, 0, null, null);
}

function requireNewbornYear(c: CompiledPolicy, birthDay: number, coverageYear: number): void {
  const offsets = c.newbornYearOffsets;
  if (!offsets || !(birthDay >= c.newbornFromDay)) return;
  const birthYear = fromEpochDay(birthDay).year;
  const allowed = offsets.map((o) => birthYear + o);
  if (coverageYear === 0) {
    throw new FactsError('coverageYear', `新生儿须由父母选择参保年度（可选 ${allowed.join('、')}）`);
  }
  if (!allowed.includes(coverageYear)) {
    throw new FactsError('coverageYear', `新生儿只能选择 ${allowed.join('、')} 年度参保`);
  }
}

/** Amounts follow from the rule choices alone; used when explaining a stored why code. */
function fillAmounts(c: CompiledPolicy, d: Decision): void {
  if (d.verdict !== Verdict.ADMITTED) return;
  d.paysFen = c.standardFen;
  const s = c.subsidies.find((x) => x.index === d.subsidyIndex);
  if (s) {
    d.subsidyFen = s.amountFen;
    if (s.refundLater) d.refundLaterFen = s.amountFen;
    else d.paysFen = c.standardFen - s.amountFen;
  }
  if (
    d.timing === Timing.IN_PERIOD ||
    d.timing === Timing.ASSUMED_IN_PERIOD ||
    d.timing === Timing.EXTENSION
  ) {
    if (d.waitMonths === 0) d.benefitStartDay = c.benefitStartDay;
  }
}

const yuan = (amount: number) => `${formatYuan(amount as Fen)} 元`;

function present(
  c: CompiledPolicy,
  d: Decision,
  mask: number,
  paidOn: PlainDate | null,
  birthDate: PlainDate | null,
  explain = true,
): Assessment {
  const p = c.policy;
  const rules: AppliedRule[] = [];
  const notSpecified: NotSpecified[] = [];
  const cited = explain
    ? (id: string, cite: readonly string[], text: string) => {
        rules.push(rule(p, id, cite, text));
      }
    : () => {};
  const reasons: { code: string; text: string }[] = [];

  if (d.verdict === Verdict.EXCLUDED) {
    const r = p.eligibility.exclude[d.ruleIndex];
    if (r) {
      cited(`eligibility:${r.id}`, r.cite, `不属于参保对象：${r.reason}`);
      reasons.push({ code: r.id, text: r.reason });
    }
  } else if (d.verdict === Verdict.NOT_ADMITTED) {
    const labels = p.eligibility.admit.map((r) => r.label).join('；');
    cited(
      'eligibility:not-admitted',
      unique(p.eligibility.admit.flatMap((r) => r.cite)),
      `不在参保范围内。参保范围：${labels}`,
    );
    reasons.push({ code: 'not-admitted', text: `不在参保范围内（${labels}）` });
  } else {
    const r = p.eligibility.admit[d.ruleIndex];
    if (r) cited(`eligibility:${r.id}`, r.cite, `属于参保对象：${r.label}`);
  }

  const { financing } = p.standard;
  cited(
    'standard',
    p.standard.cite,
    financing
      ? `筹资标准 ${yuan(financing.total)}，其中财政补助 ${yuan(financing.government)}、个人缴费 ${yuan(financing.individual)}`
      : `个人缴费标准 ${yuan(c.standardFen)}`,
  );

  const subsidies: Subsidy[] = [];
  const admitted = d.verdict !== Verdict.EXCLUDED && d.verdict !== Verdict.NOT_ADMITTED;
  if (admitted) presentSubsidies(c, d, mask, subsidies, cited, notSpecified);
  if (admitted && d.verdict !== Verdict.NEWBORN_OTHER_YEAR && d.verdict !== Verdict.PAID_BEFORE_COLLECTION) {
    presentTiming(c, d, paidOn, birthDate, cited, notSpecified);
  }
  const failure = FAILURES[d.verdict];
  if (failure) {
    const text = failure(c);
    reasons.push({ code: VERDICT_CODES[d.verdict] as string, text });
    const cite =
      d.verdict === Verdict.NEWBORN_OTHER_YEAR && p.newborn.yearChoice
        ? p.newborn.yearChoice.cite
        : p.benefitPeriod.cite;
    cited(`eligibility:${VERDICT_CODES[d.verdict]}`, cite, text);
  }

  const eligible = d.verdict === Verdict.ADMITTED;
  return {
    policy: { id: p.id, title: p.title, hash: p.hash },
    eligible,
    ...(eligible ? {} : { reasons }),
    standard: c.standardFen as Fen,
    pays: d.paysFen as Fen,
    subsidies: eligible ? subsidies : [],
    refundLater: d.refundLaterFen as Fen,
    benefitStart: Number.isNaN(d.benefitStartDay) ? null : formatDate(fromEpochDay(d.benefitStartDay)),
    benefitEnd: eligible && !Number.isNaN(d.benefitStartDay) ? formatDate(p.benefitPeriod.end) : null,
    notSpecified,
    rules,
    why: whyCode(c, d),
  };
}

const VERDICT_CODES: Record<number, string> = {
  [Verdict.PAID_BEFORE_COLLECTION]: 'paid-before-collection',
  [Verdict.PAID_AFTER_BENEFIT_END]: 'paid-after-benefit-end',
  [Verdict.NEWBORN_OTHER_YEAR]: 'newborn-other-year',
  [Verdict.START_AFTER_BENEFIT_END]: 'start-after-benefit-end',
};

const FAILURES: Record<number, (c: CompiledPolicy) => string> = {
  [Verdict.PAID_BEFORE_COLLECTION]: (c) => `缴费日期早于集中参保期开始日 ${c.policy.collection.start}`,
  [Verdict.PAID_AFTER_BENEFIT_END]: (c) =>
    `缴费日期晚于待遇期结束日 ${c.policy.benefitPeriod.end}，本年度已无法参保`,
  [Verdict.NEWBORN_OTHER_YEAR]: (c) =>
    `父母选择的参保年度不是 ${c.policy.benefitYear} 年度，应适用所选年度的政策`,
  [Verdict.START_AFTER_BENEFIT_END]: (c) =>
    `待遇起始日将晚于待遇期结束日 ${c.policy.benefitPeriod.end}，本年度无法享受待遇`,
};

type Cite = (id: string, cite: readonly string[], text: string) => void;

function presentSubsidies(
  c: CompiledPolicy,
  d: Decision,
  mask: number,
  out: Subsidy[],
  cited: Cite,
  notSpecified: NotSpecified[],
): void {
  const p = c.policy;
  const matching = p.subsidies.rules.filter((_, i) =>
    c.subsidies.some((s) => s.index === i && (s.mask & mask) !== 0),
  );
  const chosen = p.subsidies.rules[d.subsidyIndex];
  if (chosen) {
    const group =
      chosen.groups.find((g) => groupsOfMask(mask).includes(g)) ?? (chosen.groups[0] as GroupCode);
    out.push({
      group,
      funder: chosen.funder,
      amount: d.subsidyFen as Fen,
      mode: chosen.mode,
      rule: chosen.id,
    });
    const funder = FUNDERS[chosen.funder];
    cited(
      `subsidy:${chosen.id}`,
      chosen.cite,
      chosen.mode === 'direct'
        ? `${chosen.label}：${funder}资助 ${yuan(d.subsidyFen)}，个人缴纳 ${yuan(d.paysFen)}`
        : `${chosen.label}（先缴后补）：个人先全额缴纳 ${yuan(d.paysFen)}，之后由${funder}补助 ${yuan(d.refundLaterFen)}`,
    );
  }
  if (matching.length > 1 && chosen) {
    cited(
      'subsidy:combine-highest',
      p.subsidies.combine.cite,
      `同时属于多个资助人群（${matching.map((r) => r.label).join('、')}），不重复享受，按就高原则适用“${chosen.label}”`,
    );
  }
  for (const r of matching) {
    if (r !== chosen && r.hukouLocalOnly && !chosen) {
      cited(`subsidy:${r.id}`, r.cite, `${r.label}仅限本地户籍人员，非本地户籍不享受`);
    }
  }
  for (const none of p.subsidies.none) {
    const held = none.groups.filter((g) => groupsOfMask(mask).includes(g));
    if (held.length === 0) continue;
    cited(`subsidy-none:${none.id}`, none.cite, `${held.map(groupLabel).join('、')}：${none.reason}`);
    if (none.delegated)
      notSpecified.push({ topic: 'department_subsidy', text: none.reason, cite: refs(p, none.cite) });
  }
}

function presentTiming(
  c: CompiledPolicy,
  d: Decision,
  paidOn: PlainDate | null,
  birthDate: PlainDate | null,
  cited: Cite,
  notSpecified: NotSpecified[],
): void {
  const p = c.policy;
  const period = `集中参保期 ${p.collection.start} 至 ${p.collection.end}`;
  const benefit = `待遇期 ${p.benefitPeriod.start} 至 ${p.benefitPeriod.end}`;
  const paid = paidOn ? `缴费日 ${paidOn}` : '缴费日';
  const window = p.newborn.window;
  switch (d.timing) {
    case Timing.ASSUMED_IN_PERIOD:
      cited(
        'timing:assumed-in-period',
        [...p.collection.cite, ...p.benefitPeriod.cite],
        `未提供缴费日期，按${period}内缴费计算：${benefit}`,
      );
      break;
    case Timing.IN_PERIOD:
      cited(
        'timing:in-period',
        [...p.collection.cite, ...p.benefitPeriod.cite],
        `${paid}在${period}内：${benefit}`,
      );
      break;
    case Timing.EXTENSION: {
      const e = p.collection.extensions[d.timingIndex];
      if (e)
        cited(
          `timing:extension:${e.id}`,
          [...e.cite, ...p.benefitPeriod.cite],
          `${e.label}；${paid}在延长期内，视同集中参保期缴费：${benefit}`,
        );
      break;
    }
    case Timing.NEWBORN_WINDOW:
    case Timing.NEWBORN_ASSUMED_WINDOW:
      if (window) {
        const assumed =
          d.timing === Timing.NEWBORN_ASSUMED_WINDOW
            ? '未提供缴费日期，按出生后'
            : `${paid}在出生（${birthDate}）后`;
        cited(
          'timing:newborn-window',
          [...window.cite, ...p.newborn.cite],
          `新生儿：${assumed}${window.days}天内缴费计算，自出生之日起享受待遇（不早于待遇期开始）`,
        );
      }
      break;
    case Timing.NEWBORN_NEXT_DAY:
      cited(
        'timing:newborn-next-day',
        p.newborn.otherwise.cite,
        `新生儿超过${window?.days ?? ''}天参保缴费：${paid}次日起享受待遇`,
      );
      break;
    case Timing.LATE_RULE: {
      const r = p.lateEnrollment.rules[d.timingIndex];
      if (r)
        cited(
          `timing:late:${r.id}`,
          r.cite,
          `集中参保期后缴费（${paid}）：${r.label}${startText(r.start, d)}`,
        );
      break;
    }
    case Timing.LATE_OTHERWISE: {
      const o = p.lateEnrollment.otherwise;
      if ('start' in o)
        cited(
          'timing:late-otherwise',
          o.cite,
          `集中参保期后缴费（${paid}）：${o.label}${startText(o.start, d)}`,
        );
      break;
    }
    case Timing.NOT_SPECIFIED: {
      const o = p.lateEnrollment.otherwise;
      if ('notSpecified' in o) {
        const text = `集中参保期后缴费（${paid}）：${o.reason}。本政策未规定待遇起始时间`;
        cited('timing:not-specified', o.cite, text);
        notSpecified.push({ topic: 'late_enrollment', text, cite: refs(p, o.cite) });
      }
      break;
    }
  }
  if (d.waitMonths > 0 && p.waiting && d.timing !== Timing.LATE_OTHERWISE) {
    cited(
      'timing:national-waiting',
      p.waiting.cite,
      `未连续参保，按国家规定设置 ${d.waitMonths} 个月待遇等待期`,
    );
  }
  if (
    d.timing === Timing.IN_PERIOD &&
    p.newborn.yearChoice &&
    birthDate &&
    toEpochDay(birthDate) >= c.newbornFromDay
  ) {
    cited('newborn:year-choice', p.newborn.yearChoice.cite, `新生儿父母选择 ${p.benefitYear} 年度参保`);
  }
}

function startText(start: StartRule, d: Decision): string {
  switch (start.rule) {
    case 'next_day':
      return '';
    case 'next_month':
      return '';
    case 'wait_months':
      return `（等待期 ${start.months} 个月）`;
    case 'national_waiting':
      return d.waitMonths > 0
        ? `（国家规定待遇等待期 ${d.waitMonths} 个月）`
        : '（特殊群体不设等待期，缴费次日起享受待遇）';
  }
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** The clause refs of a cite list in the notice's numbering: "一（三）2；canbao 解读". */
export function refs(policy: Policy, cite: readonly string[]): string {
  return unique(cite.map((key) => policy.clauses[key]?.ref ?? key)).join('；');
}

export function rule(policy: Policy, id: string, cite: readonly string[], text: string): AppliedRule {
  return {
    id,
    cite: refs(policy, cite),
    text,
    quote: unique(cite.map((key) => policy.clauses[key]?.text ?? '')).join(' '),
    clauses: unique(cite),
  };
}
