/**
 * The policy file format (docs/POLICY-FORMAT.md): one YAML file per region and benefit year.
 *
 * The schema is strict: unknown keys are errors, and nothing has a default — a value the notice
 * fixes must be written down, and a value the notice leaves open must be declared as not
 * specified. Every rule carries `cite`, the id of a clause in the file's `clauses` table, whose
 * text is quoted from the notice (checked against the stored notice by the tests).
 */
import { z } from 'zod';
import { type PlainDate, parseDate } from '../dates.ts';
import { FUNDERS, type FunderCode, GROUP_CODES, type GroupCode } from '../groups.ts';
import { type Fen, MoneyError, yuanFromInput } from '../money.ts';

export const POLICY_FORMAT = 'canbao-policy/1';

// Validation messages in Chinese for the people who write and check policy files and facts.
z.config(z.locales.zhCN());

const text = z.string().trim().min(1, '不能为空');

const date = z
  .string({ error: '应为日期 YYYY-MM-DD（请加引号或直接书写）' })
  .transform((value, ctx): PlainDate => {
    try {
      return parseDate(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const yuan = z.union([z.number(), z.string()], { error: '应为金额（元）' }).transform((value, ctx): Fen => {
  try {
    const amount = yuanFromInput(value);
    if (amount < 0) throw new MoneyError('金额不能为负数');
    return amount;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** A percentage written as 90, "90" or "87.5": stored in hundredths of a percent (9000). */
const percent = z.union([z.number(), z.string()], { error: '应为百分比数值' }).transform((value, ctx) => {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(String(value).trim());
  const hundredths = match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : Number.NaN;
  if (!(hundredths >= 0 && hundredths <= 10_000)) {
    ctx.addIssue({ code: 'custom', message: `百分比应在 0 到 100 之间，最多两位小数：${value}` });
    return z.NEVER;
  }
  return hundredths;
});

const year = z.number().int().min(2000).max(2100);
const group = z.enum(GROUP_CODES as [GroupCode, ...GroupCode[]], {
  error: '不是规范的人群代码（见 DOMAIN.md §4）',
});
const groups = z.array(group).min(1);
const funder = z.enum(Object.keys(FUNDERS) as [FunderCode, ...FunderCode[]], { error: '未知的资助出资方' });
const ruleId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'id 只能用小写字母、数字、- 和 _');

/** One clause id or several; always an array after parsing. */
const cite = z
  .union([text, z.array(text).min(1)], { error: '缺少条款引用 cite' })
  .transform((value) => (Array.isArray(value) ? value : [value]));

const clause = z.strictObject({
  /** Where the clause stands in its notice, in the notice's own numbering (一（三）2). */
  ref: text,
  /** Quoted from the notice, or for an interpretation, the reading canbao applies. */
  text,
  kind: z.enum(['notice', 'interpretation', 'national']),
});

const source = z.strictObject({
  title: text,
  documentNumber: text.nullable(),
  issuer: text,
  /** Null where the notice carries no date. */
  date: date.nullable(),
  /** The notice's text, stored under policies/notices/. */
  notice: text,
});

/** When benefits start for a rule that applies after the collection period. */
export const startRule = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('next_day') }),
  z.strictObject({ rule: z.literal('next_month') }),
  z.strictObject({ rule: z.literal('wait_months'), months: z.number().int().min(1).max(24) }),
  z.strictObject({ rule: z.literal('national_waiting') }),
]);
export type StartRule = z.infer<typeof startRule>;

const notSpecified = z.strictObject({
  notSpecified: z.literal(true),
  /** What the notice says instead, in Chinese (e.g. 按国家和省有关规定执行). */
  reason: text,
  cite,
});

const lateCondition = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('groups'), groups }),
  z.strictObject({ kind: z.literal('newly_certified'), groups, certifiedOnOrAfter: date }),
  z.strictObject({
    kind: z.literal('employee_insurance'),
    minConsecutiveYears: z.number().int().min(0),
    stopped: z.enum(['within', 'beyond']),
    months: z.number().int().min(1),
  }),
]);
export type LateCondition = z.infer<typeof lateCondition>;

const admitRule = z.union([
  z.strictObject({ id: ruleId, fact: z.enum(['hukouLocal', 'residencePermit']), label: text, cite }),
  z.strictObject({ id: ruleId, group, label: text, cite }),
]);

const excludeRule = z.strictObject({
  id: ruleId,
  fact: z.enum(['inEmployeeInsurance', 'insuredElsewhere']),
  reason: text,
  cite,
});

const subsidyAmount = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('full') }),
  /** A fixed subsidy; `personPays` repeats what the notice says the person pays, as a check. */
  z.strictObject({ kind: z.literal('fixed'), amount: yuan, personPays: yuan }),
  z.strictObject({ kind: z.literal('percent'), percent }),
  z.strictObject({ kind: z.literal('person_pays'), personPays: yuan }),
]);

const subsidyRule = z.strictObject({
  id: ruleId,
  groups,
  label: text,
  subsidy: subsidyAmount,
  funder,
  mode: z.enum(['direct', 'refund_later']),
  /** Only residents with local hukou (达拉特旗: 具有我旗户籍的…). */
  hukouLocalOnly: z.boolean(),
  cite,
});
export type SubsidyRule = z.infer<typeof subsidyRule>;

const noSubsidy = z.strictObject({
  id: ruleId,
  groups,
  reason: text,
  /** True where the notice hands the matter to another rule (另行规定): "not specified" here. */
  delegated: z.boolean(),
  cite,
});

const lateRule = z.strictObject({ id: ruleId, label: text, when: lateCondition, start: startRule, cite });

const refundReason = z.enum(['duplicate', 'employee_insurance', 'insured_elsewhere', 'death']);
export type RefundReason = z.infer<typeof refundReason>;

const refundRule = z.strictObject({
  id: ruleId,
  reasons: z.array(refundReason).min(1),
  /** before_benefit_start: requested before the enrollment's benefits start; after: on or after. */
  requested: z.enum(['before_benefit_start', 'after_benefit_start', 'any_time']),
  decision: z.enum(['approve', 'refuse']),
  terminate: z.boolean(),
  label: text,
  cite,
});

const target = z.strictObject({
  metric: z.enum([
    'enrollment_rate',
    'coverage_rate',
    'ecert_activation',
    'subsidised_group_coverage',
    'enrolled_people_vs_last_year',
    'fund_income_vs_last_year',
  ]),
  atLeastPercent: percent,
  /** The date by which the target is to be reached, where the notice gives one. */
  by: date.nullable(),
  label: text,
  cite,
});

const taskTable = z.strictObject({
  rows: z
    .array(z.strictObject({ region: text, eligiblePeople: z.number().int().min(0), amount: yuan }))
    .min(1),
  total: z.strictObject({ eligiblePeople: z.number().int().min(0), amount: yuan }),
  cite,
});

/** Dates the campaign runs by (department lists, transfers, reports): what reminders and reports use. */
const deadline = z
  .strictObject({
    id: ruleId,
    kind: z.enum([
      'roster_publication',
      'subsidy_list_submission',
      'subsidy_list_additions',
      'subsidy_transfer',
      'department_monthly_update',
      'student_report',
    ]),
    label: text,
    date: date.nullable(),
    /** For a monthly deadline: the day of each month. */
    dayOfMonth: z.number().int().min(1).max(31).nullable(),
    cite,
  })
  .refine((d) => (d.date === null) !== (d.dayOfMonth === null), '应填写 date 或 dayOfMonth 其中之一');

const screening = z.strictObject({
  from: date,
  to: date,
  /** Compare with this many previous years' enrollment, and the household register. */
  previousYears: z.number().int().min(0),
  flagAgeAtLeast: z.number().int().min(0),
  flagGroups: z.array(group),
  cite,
});

const channel = z.strictObject({
  channel: z.enum([
    'online',
    'bank_withholding',
    'cash_collection',
    'tax_hall',
    'bank_counter',
    'pos',
    'school',
  ]),
  label: text,
  cite,
});

const incentiveStage = z.strictObject({
  id: ruleId,
  by: date,
  tiers: z.array(z.strictObject({ atLeastPercent: percent, reward: yuan })),
  requiredPercent: percent.nullable(),
  lastThree: z.strictObject({ consequence: text, fines: z.array(yuan) }),
  cite,
});

const incentives = z.strictObject({
  /** Whether "完成任务的 N%" counts people or money; the notice may leave it open. */
  measure: z.enum(['people', 'amount']),
  measureCite: cite,
  stages: z.array(incentiveStage).min(1),
});

/** The national long-term layer (国办发〔2024〕38号): waiting periods a local policy inherits. */
const waiting = z.strictObject({
  appliesFromBenefitYear: year,
  fixedMonths: z.number().int().min(0),
  /** Extra months for each year without enrollment beyond the first. */
  monthsPerFurtherGapYear: z.number().int().min(0),
  /** Months taken off the variable part for each year made up by paying. */
  monthsOffPerMadeUpYear: z.number().int().min(0),
  minimumTotal: z.strictObject({ gapYearsAtLeast: z.number().int().min(1), months: z.number().int().min(0) }),
  exemptGroups: z.array(group),
  exemptNewborns: z.boolean(),
  cite,
});
export type WaitingRules = z.infer<typeof waiting>;

const header = {
  format: z.literal(POLICY_FORMAT, { error: `format 应为 ${POLICY_FORMAT}` }),
  id: z.string().regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d{4}$/, 'id 应为 <地名>-<待遇年度>，如 qimen-2023'),
  title: text,
  source,
  clauses: z.record(text, clause),
};

export const layerFileSchema = z.strictObject({
  ...header,
  kind: z.literal('layer'),
  waiting,
});

export const localFileSchema = z.strictObject({
  ...header,
  kind: z.literal('local'),
  inherits: text.nullable(),
  region: z.strictObject({
    code: z.string().regex(/^\d{6}(\d{3}(\d{3})?)?$/, '区划代码应为6、9或12位数字'),
    name: text,
  }),
  campaignYear: year,
  benefitYear: year,
  standard: z.strictObject({
    individual: yuan,
    financing: z.strictObject({ total: yuan, government: yuan, individual: yuan }).nullable(),
    cite,
  }),
  benefitPeriod: z.strictObject({ start: date, end: date, cite }),
  collection: z.strictObject({
    start: date,
    end: date,
    cite,
    extensions: z.array(z.strictObject({ id: ruleId, groups, until: date, label: text, cite })),
    /** Present when the notice requires a household to pay for all its members at once (整户缴费). */
    wholeHousehold: z.strictObject({ label: text, cite }).nullable(),
  }),
  eligibility: z.strictObject({ admit: z.array(admitRule).min(1), exclude: z.array(excludeRule) }),
  subsidies: z.strictObject({
    combine: z.strictObject({ rule: z.literal('highest'), cite }),
    rules: z.array(subsidyRule),
    none: z.array(noSubsidy),
  }),
  lateEnrollment: z.strictObject({
    rules: z.array(lateRule),
    otherwise: z.union([z.strictObject({ label: text, start: startRule, cite }), notSpecified]),
  }),
  newborn: z.strictObject({
    /** Born on or after this date counts as a newborn of this campaign. */
    bornOnOrAfter: date,
    /** Paying within `days` of birth (the first day not counted): covered from birth. */
    window: z.strictObject({ days: z.number().int().min(1), cite }).nullable(),
    /** Newborns past the window (or all, where there is no window): next day, or the general rules. */
    otherwise: z.union([
      z.strictObject({ rule: z.literal('general'), cite }),
      z.strictObject({ rule: z.literal('next_day'), cite }),
    ]),
    /** Parents choose the year: birth year plus each offset (瑶海区: this year and next). */
    yearChoice: z.strictObject({ yearsAfterBirth: z.array(z.number().int().min(0)).min(1), cite }).nullable(),
    cite,
  }),
  refunds: z.strictObject({ rules: z.array(refundRule), otherwise: notSpecified }),
  targets: z.array(target),
  taskTable: taskTable.nullable(),
  incentives: incentives.nullable(),
  channels: z.array(channel),
  deadlines: z.array(deadline),
  screening: screening.nullable(),
});

export type LayerFile = z.infer<typeof layerFileSchema>;
export type LocalFile = z.infer<typeof localFileSchema>;
export type Clause = z.infer<typeof clause>;

/** A local policy with its inherited layers resolved: what the engine runs on. */
export interface Policy extends LocalFile {
  /** The national waiting rules, when a layer is inherited and in force for this benefit year. */
  readonly waiting: WaitingRules | null;
  /** sha256 of the file text(s), so a stored assessment names the exact rules it came from. */
  readonly hash: string;
}
