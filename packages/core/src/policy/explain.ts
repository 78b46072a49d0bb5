/**
 * A policy described in plain Chinese, one entry per rule, each with its clause: what
 * `canbao policy explain` prints and what `policy diff` compares. Entries are keyed by meaning
 * (subsidy.dibao, late.employee_insurance.within.3) rather than by position, so two counties or
 * two years compare rule by rule.
 */

import { refs } from '../engine/assess.ts';
import { REFUND_REASONS } from '../engine/refund.ts';
import { FUNDERS, type GroupCode, groupLabel } from '../groups.ts';
import { type Fen, formatYuan } from '../money.ts';
import type { LateCondition, Policy, StartRule, SubsidyRule } from './schema.ts';

export interface PolicyEntry {
  readonly key: string;
  readonly section: string;
  readonly text: string;
  /** The clause refs in the notice's numbering. */
  readonly cite: string;
  /** The keys of the cited clauses in the policy file's `clauses` table. */
  readonly clauses: readonly string[];
}

const yuan = (amount: number) => `${formatYuan(amount as Fen)} 元`;
const pct = (hundredths: number) => `${hundredths / 100}%`;
const groupNames = (groups: readonly GroupCode[]) => groups.map(groupLabel).join('、');

export function describeStart(start: StartRule): string {
  switch (start.rule) {
    case 'next_day':
      return '缴费次日起享受待遇';
    case 'next_month':
      return '缴费次月1日起享受待遇';
    case 'wait_months':
      return `设 ${start.months} 个月待遇等待期`;
    case 'national_waiting':
      return '按国家规定的固定及可变待遇等待期';
  }
}

function describeCondition(when: LateCondition): { key: string; text: string } {
  switch (when.kind) {
    case 'groups':
      return { key: `groups.${when.groups.join(',')}`, text: groupNames(when.groups) };
    case 'newly_certified':
      return {
        key: `newly_certified.${when.groups.join(',')}`,
        text: `${when.certifiedOnOrAfter} 以后动态新增的${groupNames(when.groups)}`,
      };
    case 'employee_insurance': {
      const years =
        when.minConsecutiveYears > 0 ? `连续参加职工医保 ${when.minConsecutiveYears} 年以上、` : '职工医保';
      const stop =
        when.stopped === 'within' ? `中断缴费不超过 ${when.months} 个月` : `中断缴费超过 ${when.months} 个月`;
      return { key: `employee_insurance.${when.stopped}.${when.months}`, text: `${years}${stop}的人员` };
    }
  }
}

function describeSubsidy(rule: SubsidyRule, standardFen: number): string {
  const s = rule.subsidy;
  const amount =
    s.kind === 'full'
      ? `全额资助 ${yuan(standardFen)}`
      : s.kind === 'fixed'
        ? `定额资助 ${yuan(s.amount)}，个人缴 ${yuan(s.personPays)}`
        : s.kind === 'percent'
          ? `按个人缴费标准的 ${pct(s.percent)} 资助`
          : `个人缴 ${yuan(s.personPays)}`;
  const mode = rule.mode === 'direct' ? '直接减免' : '先缴后补';
  const local = rule.hukouLocalOnly ? '，仅限本地户籍' : '';
  return `${amount}；出资：${FUNDERS[rule.funder]}；${mode}${local}`;
}

export function describePolicy(p: Policy): PolicyEntry[] {
  const out: PolicyEntry[] = [];
  const add = (key: string, section: string, text: string, cite: readonly string[]) =>
    out.push({ key, section, text, cite: refs(p, cite), clauses: [...new Set(cite)] });
  const src = p.source;
  out.push({
    key: 'source',
    section: '文件',
    text: `${src.title}${src.documentNumber ? `（${src.documentNumber}）` : ''}，${src.issuer}，${src.date ?? '未载明印发日期'}`,
    cite: '',
    clauses: [],
  });
  out.push({
    key: 'region',
    section: '文件',
    text: `${p.region.name}（${p.region.code}）`,
    cite: '',
    clauses: [],
  });
  out.push({
    key: 'years',
    section: '文件',
    text: `征缴年度 ${p.campaignYear}，待遇年度 ${p.benefitYear}`,
    cite: '',
    clauses: [],
  });

  add('standard.individual', '缴费标准', `个人缴费标准 ${yuan(p.standard.individual)}`, p.standard.cite);
  const fin = p.standard.financing;
  if (fin) {
    add(
      'standard.financing',
      '缴费标准',
      `筹资标准 ${yuan(fin.total)}：财政补助 ${yuan(fin.government)}，个人缴费 ${yuan(fin.individual)}`,
      p.standard.cite,
    );
  }
  add(
    'benefitPeriod',
    '期限',
    `待遇期 ${p.benefitPeriod.start} 至 ${p.benefitPeriod.end}`,
    p.benefitPeriod.cite,
  );
  add(
    'collection.period',
    '期限',
    `集中参保期 ${p.collection.start} 至 ${p.collection.end}`,
    p.collection.cite,
  );
  if (p.collection.wholeHousehold) {
    const whole = p.collection.wholeHousehold;
    add('collection.wholeHousehold', '期限', `整户缴费：${whole.label}`, whole.cite);
  }
  for (const e of p.collection.extensions) {
    add(
      `collection.extension.${e.groups.join(',')}`,
      '期限',
      `${groupNames(e.groups)}可延长至 ${e.until}：${e.label}`,
      e.cite,
    );
  }

  for (const r of p.eligibility.admit) {
    add(`eligibility.admit.${'fact' in r ? r.fact : r.group}`, '参保范围', `可参保：${r.label}`, r.cite);
  }
  for (const r of p.eligibility.exclude)
    add(`eligibility.exclude.${r.fact}`, '参保范围', `不得参保：${r.reason}`, r.cite);

  for (const r of p.subsidies.rules) {
    for (const g of r.groups)
      add(
        `subsidy.${g}`,
        '资助参保',
        `${groupLabel(g)}：${describeSubsidy(r, p.standard.individual)}`,
        r.cite,
      );
  }
  for (const r of p.subsidies.none) {
    for (const g of r.groups) {
      add(
        `subsidy.${g}`,
        '资助参保',
        `${groupLabel(g)}：不予资助。${r.reason}${r.delegated ? '（本政策未规定）' : ''}`,
        r.cite,
      );
    }
  }
  add(
    'subsidy.combine',
    '资助参保',
    '属于多个资助人群的，不重复享受，按就高原则适用一项',
    p.subsidies.combine.cite,
  );

  for (const r of p.lateEnrollment.rules) {
    const c = describeCondition(r.when);
    add(`late.${c.key}`, '集中参保期后参保', `${c.text}：${describeStart(r.start)}`, r.cite);
  }
  const o = p.lateEnrollment.otherwise;
  add(
    'late.otherwise',
    '集中参保期后参保',
    'notSpecified' in o
      ? `其他人员：本政策未规定（${o.reason}）`
      : `其他人员：${describeStart(o.start)}（${o.label}）`,
    o.cite,
  );
  if (p.waiting) {
    const w = p.waiting;
    add(
      'late.national_waiting',
      '集中参保期后参保',
      `国家规定（${w.appliesFromBenefitYear} 年起）：固定待遇等待期 ${w.fixedMonths} 个月；断保每多 1 年增加 ${w.monthsPerFurtherGapYear} 个月；每补缴 1 年减少 ${w.monthsOffPerMadeUpYear} 个月；连续断保 ${w.minimumTotal.gapYearsAtLeast} 年及以上合计不少于 ${w.minimumTotal.months} 个月`,
      w.cite,
    );
  }

  const nb = p.newborn;
  add('newborn.scope', '新生儿', `${nb.bornOnOrAfter} 及以后出生的婴儿按新生儿规则参保`, nb.cite);
  if (nb.window)
    add(
      'newborn.window',
      '新生儿',
      `出生 ${nb.window.days} 天内参保缴费的，自出生之日起享受待遇`,
      nb.window.cite,
    );
  add(
    'newborn.otherwise',
    '新生儿',
    nb.otherwise.rule === 'next_day'
      ? '超过期限参保缴费的，缴费次日起享受待遇'
      : '超过期限的，按一般参保规则处理',
    nb.otherwise.cite,
  );
  if (nb.yearChoice) {
    add(
      'newborn.yearChoice',
      '新生儿',
      `父母可选择参保年度：出生当年${nb.yearChoice.yearsAfterBirth.includes(1) ? '或下一年度' : ''}`,
      nb.yearChoice.cite,
    );
  }

  for (const r of p.refunds.rules) {
    const when = {
      before_benefit_start: '待遇期开始前',
      after_benefit_start: '待遇期开始后',
      any_time: '任何时候',
    }[r.requested];
    add(
      `refund.${r.requested}.${r.reasons.join(',')}`,
      '退费',
      `${when}因${r.reasons.map((x) => REFUND_REASONS[x]).join('、')}申请：${r.decision === 'approve' ? '准予退费' : '不予退费'}${r.terminate ? '并终止参保关系' : ''}。${r.label}`,
      r.cite,
    );
  }
  add(
    'refund.otherwise',
    '退费',
    `其他情形：本政策未规定（${p.refunds.otherwise.reason}）`,
    p.refunds.otherwise.cite,
  );

  for (const t of p.targets) {
    const by = t.by ? `（${t.by} 前）` : '';
    add(`target.${t.metric}`, '目标', `${t.label}：不低于 ${pct(t.atLeastPercent)}${by}`, t.cite);
  }
  if (p.taskTable) {
    const t = p.taskTable;
    add(
      'taskTable',
      '目标',
      `任务分解表：${t.rows.length} 个单位，合计 ${t.total.eligiblePeople} 人、${yuan(t.total.amount)}`,
      t.cite,
    );
  }
  if (p.incentives) {
    const measure = p.incentives.measure === 'people' ? '参保人数' : '参保金额';
    add('incentive.measure', '奖惩', `完成任务比例按${measure}计算`, p.incentives.measureCite);
    for (const s of p.incentives.stages) {
      const tiers = s.tiers.map((x) => `≥${pct(x.atLeastPercent)} 奖 ${yuan(x.reward)}`).join('，');
      const required = s.requiredPercent === null ? '' : `须完成 ${pct(s.requiredPercent)}；`;
      const fines = s.lastThree.fines.length ? `；罚款 ${s.lastThree.fines.map(yuan).join('、')}` : '';
      add(
        `incentive.${s.id}`,
        '奖惩',
        `${s.by} 前：${required}${tiers || '无奖励'}；后三名：${s.lastThree.consequence}${fines}`,
        s.cite,
      );
    }
  }
  for (const ch of p.channels) add(`channel.${ch.channel}`, '缴费渠道', ch.label, ch.cite);
  for (const d of p.deadlines) {
    add(`deadline.${d.kind}`, '时间节点', `${d.label}：${d.date ?? `每月 ${d.dayOfMonth} 日前`}`, d.cite);
  }
  if (p.screening) {
    const s = p.screening;
    const flags = [`${s.flagAgeAtLeast} 岁以上`, ...s.flagGroups.map(groupLabel)].join('、');
    add(
      'screening',
      '排查',
      `${s.from} 至 ${s.to}：与前 ${s.previousYears} 个年度参保信息及户籍人口比对，重点标注${flags}`,
      s.cite,
    );
  }
  return out;
}

export interface PolicyDiffEntry {
  readonly key: string;
  readonly section: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly before: string | null;
  readonly after: string | null;
}

/** What changed from policy a to policy b, rule by rule. */
export function diffPolicies(a: Policy, b: Policy): PolicyDiffEntry[] {
  const group = (entries: PolicyEntry[]) => {
    const map = new Map<string, PolicyEntry[]>();
    for (const e of entries) map.set(e.key, [...(map.get(e.key) ?? []), e]);
    return map;
  };
  const before = group(describePolicy(a));
  const after = group(describePolicy(b));
  const text = (list: PolicyEntry[] | undefined) => (list ? list.map((e) => e.text).join('；') : null);
  const out: PolicyDiffEntry[] = [];
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  for (const key of keys) {
    const x = text(before.get(key));
    const y = text(after.get(key));
    if (x === y) continue;
    const section = (after.get(key) ?? before.get(key))?.[0]?.section ?? '';
    out.push({
      key,
      section,
      change: x === null ? 'added' : y === null ? 'removed' : 'changed',
      before: x,
      after: y,
    });
  }
  return out;
}
