/**
 * Facts about one person, as JSON: validated with a clear message naming the field, then packed
 * into CompactFacts (epoch days and a group bit mask), the form the evaluator runs on — for one
 * person or a million.
 */
import { z } from 'zod';
import { DateError, type PlainDate, parseDate, toEpochDay } from '../dates.ts';
import { GROUP_CODES, type GroupCode, isGroupCode } from '../groups.ts';
import { IdNumberError, parseIdNumber } from '../id-number.ts';

export class FactsError extends Error {
  override name = 'FactsError';
  /** The field at fault, as a path: groups[2], employeeInsurance.stoppedOn. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}：${message}`);
    this.field = field;
  }
}

const dateText = z.string({ error: '应为日期 YYYY-MM-DD' });
const yearNumber = z.number({ error: '应为年份（整数）' }).int('应为年份（整数）').min(1900).max(2200);

export const factsSchema = z.strictObject({
  idNumber: z.string({ error: '应为身份证号码字符串' }).optional(),
  birthDate: dateText.optional(),
  groups: z.array(z.string({ error: '应为人群代码' }), { error: '应为人群代码数组' }).optional(),
  groupsSince: z.record(z.string(), dateText, { error: '应为 {人群代码: 认定日期}' }).optional(),
  hukouLocal: z.boolean({ error: '应为 true 或 false' }).optional(),
  residencePermit: z.boolean({ error: '应为 true 或 false' }).optional(),
  inEmployeeInsurance: z.boolean({ error: '应为 true 或 false' }).optional(),
  insuredElsewhere: z.boolean({ error: '应为 true 或 false' }).optional(),
  employeeInsurance: z
    .strictObject({
      consecutiveYears: z.number({ error: '应为整数' }).int('应为整数').min(0, '不能为负数'),
      stoppedOn: dateText,
    })
    .optional(),
  paidOn: dateText.optional(),
  coverageYear: yearNumber.optional(),
  lastCoveredYear: yearNumber.optional(),
  madeUpYears: z.number({ error: '应为整数' }).int('应为整数').min(0, '不能为负数').optional(),
});

export type Facts = z.input<typeof factsSchema>;

export const GROUP_INDEX: Readonly<Record<GroupCode, number>> = Object.fromEntries(
  GROUP_CODES.map((code, index) => [code, index]),
) as Record<GroupCode, number>;

export function groupMask(groups: readonly GroupCode[]): number {
  let mask = 0;
  for (const g of groups) mask |= 1 << GROUP_INDEX[g];
  return mask;
}

export function groupsOfMask(mask: number): GroupCode[] {
  return GROUP_CODES.filter((_, index) => (mask & (1 << index)) !== 0);
}

/**
 * The packed form. NaN marks an unknown date; 0 an unknown year. A plain class so that V8 sees
 * one shape for every person in a batch.
 */
export class CompactFacts {
  birthDay = Number.NaN;
  groupMask = 0;
  /** Certification day per group index, or null when no dates were given. */
  sinceDays: Float64Array | null = null;
  hukouLocal = true;
  residencePermit = false;
  inEmployeeInsurance = false;
  insuredElsewhere = false;
  employeeYears = 0;
  employeeStoppedDay = Number.NaN;
  paidDay = Number.NaN;
  coverageYear = 0;
  lastCoveredYear = 0;
  madeUpYears = 0;
}

/** The facts as the explanation needs them back (dates as PlainDate). */
export interface ReadFacts {
  readonly compact: CompactFacts;
  readonly birthDate: PlainDate | null;
  readonly groups: readonly GroupCode[];
  readonly paidOn: PlainDate | null;
}

function date(field: string, text: string): PlainDate {
  try {
    return parseDate(text);
  } catch (error) {
    if (error instanceof DateError) throw new FactsError(field, error.message);
    throw error;
  }
}

/** Validates facts JSON. Throws FactsError naming the first field at fault. */
export function readFacts(input: unknown, fieldPrefix = ''): ReadFacts {
  const at = (field: string) => `${fieldPrefix}${field}`;
  const parsed = factsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw new FactsError(at('facts'), '无效的输入');
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    if (issue.code === 'unrecognized_keys') {
      throw new FactsError(at(`${path.slice(1)}${path ? '.' : ''}${issue.keys[0]}`), '未知字段');
    }
    throw new FactsError(at(path.slice(1) || 'facts'), issue.message);
  }
  const f = parsed.data;
  const compact = new CompactFacts();
  let birthDate: PlainDate | null = null;
  if (f.idNumber !== undefined) {
    try {
      birthDate = parseIdNumber(f.idNumber).birthDate;
    } catch (error) {
      if (error instanceof IdNumberError)
        throw new FactsError(at('idNumber'), `${error.message}（${error.check}）`);
      throw error;
    }
  }
  if (f.birthDate !== undefined) {
    const given = date(at('birthDate'), f.birthDate);
    if (birthDate && !birthDate.equals(given)) {
      throw new FactsError(at('birthDate'), `与身份证号码中的出生日期 ${birthDate} 不一致`);
    }
    birthDate = given;
  }
  if (birthDate) compact.birthDay = toEpochDay(birthDate);

  const groups: GroupCode[] = [];
  (f.groups ?? []).forEach((code, index) => {
    if (!isGroupCode(code)) {
      throw new FactsError(at(`groups[${index}]`), `未知的人群代码“${code}”（规范代码见 DOMAIN.md §4）`);
    }
    if (!groups.includes(code)) groups.push(code);
  });
  compact.groupMask = groupMask(groups);
  if (f.groupsSince) {
    compact.sinceDays = new Float64Array(GROUP_CODES.length).fill(Number.NaN);
    for (const [code, text] of Object.entries(f.groupsSince)) {
      if (!isGroupCode(code)) {
        throw new FactsError(at(`groupsSince.${code}`), `未知的人群代码“${code}”`);
      }
      if (!groups.includes(code)) {
        throw new FactsError(at(`groupsSince.${code}`), '该人群不在 groups 中');
      }
      compact.sinceDays[GROUP_INDEX[code]] = toEpochDay(date(at(`groupsSince.${code}`), text));
    }
  }
  compact.hukouLocal = f.hukouLocal ?? true;
  compact.residencePermit = f.residencePermit ?? false;
  compact.inEmployeeInsurance = f.inEmployeeInsurance ?? false;
  compact.insuredElsewhere = f.insuredElsewhere ?? false;
  if (f.employeeInsurance) {
    compact.employeeYears = f.employeeInsurance.consecutiveYears;
    compact.employeeStoppedDay = toEpochDay(
      date(at('employeeInsurance.stoppedOn'), f.employeeInsurance.stoppedOn),
    );
  }
  const paidOn = f.paidOn === undefined ? null : date(at('paidOn'), f.paidOn);
  if (paidOn) compact.paidDay = toEpochDay(paidOn);
  if (paidOn && birthDate && paidOn.until(birthDate).days > 0) {
    throw new FactsError(at('paidOn'), '缴费日期早于出生日期');
  }
  compact.coverageYear = f.coverageYear ?? 0;
  compact.lastCoveredYear = f.lastCoveredYear ?? 0;
  compact.madeUpYears = f.madeUpYears ?? 0;
  return { compact, birthDate, groups, paidOn };
}
