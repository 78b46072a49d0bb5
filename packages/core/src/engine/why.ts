/**
 * The one-line "why" code: which rules decided a person's assessment, in a form a batch run can
 * store beside each person (e.g. `qimen-2023 A:hukou-local S:dibao-fixed T:late:newly-certified`)
 * and from which the full explanation is rebuilt on demand (explainWhy in assess.ts).
 */
import type { CompiledPolicy } from './compile.ts';
import { Decision, Timing, Verdict } from './evaluate.ts';

const VERDICT_WORDS: Record<number, string> = {
  [Verdict.NOT_ADMITTED]: 'X:not-admitted',
  [Verdict.PAID_BEFORE_COLLECTION]: 'X:paid-before-collection',
  [Verdict.PAID_AFTER_BENEFIT_END]: 'X:paid-after-benefit-end',
  [Verdict.NEWBORN_OTHER_YEAR]: 'X:newborn-other-year',
  [Verdict.START_AFTER_BENEFIT_END]: 'X:start-after-benefit-end',
};

const TIMING_WORDS: Record<number, string> = {
  [Timing.ASSUMED_IN_PERIOD]: 'T:assumed-in-period',
  [Timing.IN_PERIOD]: 'T:in-period',
  [Timing.NEWBORN_WINDOW]: 'T:newborn-window',
  [Timing.NEWBORN_ASSUMED_WINDOW]: 'T:newborn-assumed-window',
  [Timing.NEWBORN_NEXT_DAY]: 'T:newborn-next-day',
  [Timing.LATE_OTHERWISE]: 'T:late-otherwise',
  [Timing.NOT_SPECIFIED]: 'T:not-specified',
};

export class WhyCodeError extends Error {
  override name = 'WhyCodeError';
}

/** The why code for a decision; memoised per policy because a county has only a few hundred distinct ones. */
export function whyCode(c: CompiledPolicy, d: Decision): string {
  const numeric = d.code();
  let memo = memos.get(c);
  if (!memo) {
    memo = new Map();
    memos.set(c, memo);
  }
  let text = memo.get(numeric);
  if (text === undefined) {
    text = buildWhy(c, d);
    memo.set(numeric, text);
  }
  return text;
}

const memos = new WeakMap<CompiledPolicy, Map<number, string>>();

function buildWhy(c: CompiledPolicy, d: Decision): string {
  const p = c.policy;
  const parts = [p.id];
  if (d.verdict === Verdict.EXCLUDED) {
    parts.push(`X:excluded:${p.eligibility.exclude[d.ruleIndex]?.id}`);
    return parts.join(' ');
  }
  if (d.verdict === Verdict.NOT_ADMITTED) return `${p.id} ${VERDICT_WORDS[d.verdict]}`;
  parts.push(`A:${p.eligibility.admit[d.ruleIndex]?.id}`);
  parts.push(`S:${d.subsidyIndex >= 0 ? p.subsidies.rules[d.subsidyIndex]?.id : '-'}`);
  if (d.timing === Timing.EXTENSION) parts.push(`T:extension:${p.collection.extensions[d.timingIndex]?.id}`);
  else if (d.timing === Timing.LATE_RULE) parts.push(`T:late:${p.lateEnrollment.rules[d.timingIndex]?.id}`);
  else if (d.timing !== Timing.NONE) parts.push(TIMING_WORDS[d.timing] as string);
  if (d.waitMonths > 0) parts.push(`W:${d.waitMonths}`);
  if (d.verdict !== Verdict.ADMITTED) parts.push(VERDICT_WORDS[d.verdict] as string);
  return parts.join(' ');
}

/** Reads a why code back into the rule choices it names. Throws WhyCodeError on a code of another policy or a typo. */
export function parseWhyCode(c: CompiledPolicy, why: string): Decision {
  const p = c.policy;
  const [policyId, ...parts] = why.trim().split(/\s+/);
  if (policyId !== p.id) throw new WhyCodeError(`why 代码属于政策 ${policyId}，不是 ${p.id}`);
  const d = new Decision();
  const find = (list: readonly { id: string }[], id: string | undefined, what: string) => {
    const index = list.findIndex((r) => r.id === id);
    if (index < 0) throw new WhyCodeError(`why 代码中的${what}“${id}”不在政策 ${p.id} 中`);
    return index;
  };
  for (const part of parts) {
    const [tag, word, id] = part.split(':');
    if (tag === 'A') d.ruleIndex = find(p.eligibility.admit, word, '参保条件');
    else if (tag === 'S') d.subsidyIndex = word === '-' ? -1 : find(p.subsidies.rules, word, '资助规则');
    else if (tag === 'W') d.waitMonths = Number(word);
    else if (tag === 'X' && word === 'excluded') {
      d.verdict = Verdict.EXCLUDED;
      d.ruleIndex = find(p.eligibility.exclude, id, '排除条件');
    } else if (tag === 'X') {
      const entry = Object.entries(VERDICT_WORDS).find(([, w]) => w === part);
      if (!entry) throw new WhyCodeError(`无法识别的 why 片段“${part}”`);
      d.verdict = Number(entry[0]);
    } else if (tag === 'T' && word === 'extension') {
      d.timing = Timing.EXTENSION;
      d.timingIndex = find(p.collection.extensions, id, '延长期');
    } else if (tag === 'T' && word === 'late') {
      d.timing = Timing.LATE_RULE;
      d.timingIndex = find(p.lateEnrollment.rules, id, '补办规则');
    } else if (tag === 'T') {
      const entry = Object.entries(TIMING_WORDS).find(([, w]) => w === part);
      if (!entry) throw new WhyCodeError(`无法识别的 why 片段“${part}”`);
      d.timing = Number(entry[0]);
    } else {
      throw new WhyCodeError(`无法识别的 why 片段“${part}”`);
    }
  }
  return d;
}
