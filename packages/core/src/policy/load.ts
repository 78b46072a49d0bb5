/**
 * Reading a policy file: YAML text → validated policy, with every problem reported by file, line,
 * column and field path. Pure: the caller reads the files and supplies their hash.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { compareDates, type PlainDate } from '../dates.ts';
import { subtractFen } from '../money.ts';
import {
  type LayerFile,
  type LocalFile,
  layerFileSchema,
  localFileSchema,
  POLICY_FORMAT,
  type Policy,
} from './schema.ts';

export interface PolicyIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted field path, e.g. subsidies.rules[1].subsidy.amount. */
  readonly path: string;
  readonly message: string;
}

export class PolicyLoadError extends Error {
  override name = 'PolicyLoadError';
  readonly issues: readonly PolicyIssue[];
  constructor(issues: readonly PolicyIssue[]) {
    super(issues.map(formatPolicyIssue).join('\n'));
    this.issues = issues;
  }
}

export function formatPolicyIssue(issue: PolicyIssue): string {
  const where = issue.path ? ` 字段 ${issue.path}` : '';
  return `${issue.file}:${issue.line}:${issue.column}${where}：${issue.message}`;
}

type PathPart = string | number;

export function formatPath(path: readonly PathPart[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );
}

/** Parses and validates one policy file (local or layer). Throws PolicyLoadError. */
export function parsePolicyFile(text: string, file: string): LocalFile | LayerFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    throw new PolicyLoadError(
      doc.errors.map((error) => {
        const pos = at(error.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: '',
          message: `YAML 语法错误：${error.message}`,
        };
      }),
    );
  }
  const data: unknown = doc.toJS();
  const locate = (path: readonly PathPart[], key?: string): { line: number; column: number } => {
    const node = nodeAt(doc.contents, path, key);
    const pos = at(node?.range?.[0] ?? 0);
    return { line: pos.line, column: pos.col };
  };
  const issue = (path: readonly PathPart[], message: string, key?: string): PolicyIssue => ({
    file,
    ...locate(path, key),
    path: formatPath(key ? [...path, key] : path),
    message,
  });

  const kind = (data as { kind?: unknown } | null)?.kind;
  const schema = kind === 'layer' ? layerFileSchema : localFileSchema;
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new PolicyLoadError(
      parsed.error.issues.flatMap((zodIssue) => zodIssueToPolicyIssues(zodIssue, issue)),
    );
  }
  const problems = parsed.data.kind === 'local' ? checkLocal(parsed.data) : [];
  problems.push(...checkCitations(parsed.data));
  if (problems.length > 0) {
    throw new PolicyLoadError(problems.map((p) => issue(p.path, p.message)));
  }
  return parsed.data;
}

function zodIssueToPolicyIssues(
  zodIssue: z.core.$ZodIssue,
  issue: (path: readonly PathPart[], message: string, key?: string) => PolicyIssue,
  parentPath: readonly PathPart[] = [],
): PolicyIssue[] {
  const path = [...parentPath, ...zodIssue.path.filter((p): p is PathPart => typeof p !== 'symbol')];
  if (zodIssue.code === 'unrecognized_keys') {
    return zodIssue.keys.map((key) => issue(path, `未知字段“${key}”（格式见 docs/POLICY-FORMAT.md）`, key));
  }
  if (
    (zodIssue.code === 'invalid_type' || zodIssue.code === 'invalid_union') &&
    zodIssue.input === undefined
  ) {
    const message =
      path.at(-1) === 'cite'
        ? '缺少条款引用 cite：每条规则都必须引用通知条款'
        : '缺少必填字段（不设默认值：请写明取值，或声明 notSpecified）';
    return [issue(path, message)];
  }
  if (zodIssue.code === 'invalid_union' && zodIssue.errors.length > 0) {
    // Report the branch that got furthest (fewest problems): the one the author meant.
    const best = zodIssue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    if (best.length > 0 && best.length < 4) {
      return best.flatMap((inner) => zodIssueToPolicyIssues(inner, issue, path));
    }
  }
  return [issue(path, zodIssue.message)];
}

function nodeAt(root: unknown, path: readonly PathPart[], key?: string): YamlNode | undefined {
  let node = root as YamlNode | undefined;
  let last = node;
  for (const part of [...path, ...(key === undefined ? [] : [key])]) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === part);
      if (!pair) break;
      // For an unknown key, point at the key itself.
      node = (part === key ? pair.key : pair.value) as YamlNode | undefined;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part] as YamlNode | undefined;
    } else {
      break;
    }
    if (node?.range) last = node;
  }
  return last;
}

interface Problem {
  path: PathPart[];
  message: string;
}

/** Cross-field checks the schema cannot express. */
function checkLocal(policy: LocalFile): Problem[] {
  const problems: Problem[] = [];
  const before = (a: PlainDate, b: PlainDate) => compareDates(a, b) <= 0;
  const { benefitPeriod, collection, benefitYear, campaignYear } = policy;
  if (!before(benefitPeriod.start, benefitPeriod.end)) {
    problems.push({ path: ['benefitPeriod', 'end'], message: '待遇期结束日期早于开始日期' });
  }
  if (benefitPeriod.start.year !== benefitYear) {
    problems.push({ path: ['benefitPeriod', 'start'], message: `待遇期开始日期不在待遇年度 ${benefitYear}` });
  }
  if (campaignYear > benefitYear || campaignYear < benefitYear - 1) {
    problems.push({ path: ['campaignYear'], message: '征缴年度应为待遇年度或其上一年' });
  }
  if (!before(collection.start, collection.end)) {
    problems.push({ path: ['collection', 'end'], message: '集中参保期结束日期早于开始日期' });
  }
  if (!before(collection.end, benefitPeriod.end)) {
    problems.push({ path: ['collection', 'end'], message: '集中参保期结束日期晚于待遇期结束日期' });
  }
  collection.extensions.forEach((extension, index) => {
    if (!before(collection.end, extension.until) || !before(extension.until, benefitPeriod.end)) {
      problems.push({
        path: ['collection', 'extensions', index, 'until'],
        message: '延长期截止日期应在集中参保期结束之后、待遇期结束之前',
      });
    }
  });
  const { financing, individual } = policy.standard;
  if (
    financing &&
    (financing.individual !== individual || financing.government + financing.individual !== financing.total)
  ) {
    problems.push({ path: ['standard', 'financing'], message: '筹资构成与个人缴费标准或筹资总额不符' });
  }
  const seenGroups = new Map<string, string>();
  const claim = (group: string, owner: string, path: PathPart[]) => {
    const first = seenGroups.get(group);
    if (first) problems.push({ path, message: `人群 ${group} 同时出现在 ${first} 和 ${owner}，规则不明确` });
    else seenGroups.set(group, owner);
  };
  policy.subsidies.rules.forEach((rule, index) => {
    const path = ['subsidies', 'rules', index];
    for (const g of rule.groups) claim(g, `subsidies.rules.${rule.id}`, [...path, 'groups']);
    const { subsidy } = rule;
    if (subsidy.kind === 'fixed') {
      if (subsidy.amount > individual) {
        problems.push({ path: [...path, 'subsidy', 'amount'], message: '定额资助超过个人缴费标准' });
      } else if (subtractFen(individual, subsidy.amount) !== subsidy.personPays) {
        problems.push({
          path: [...path, 'subsidy', 'personPays'],
          message: '个人缴费标准减去定额资助不等于文件所写的个人缴费',
        });
      }
    }
    if (subsidy.kind === 'person_pays' && subsidy.personPays > individual) {
      problems.push({ path: [...path, 'subsidy', 'personPays'], message: '个人缴费超过个人缴费标准' });
    }
  });
  policy.subsidies.none.forEach((rule, index) => {
    for (const g of rule.groups)
      claim(g, `subsidies.none.${rule.id}`, ['subsidies', 'none', index, 'groups']);
  });
  const ids = new Set<string>();
  const uniqueId = (id: string, path: PathPart[]) => {
    if (ids.has(id)) problems.push({ path, message: `规则 id “${id}” 重复` });
    ids.add(id);
  };
  const ruleLists: [PathPart[], readonly { id: string }[]][] = [
    [['eligibility', 'admit'], policy.eligibility.admit],
    [['eligibility', 'exclude'], policy.eligibility.exclude],
    [['subsidies', 'rules'], policy.subsidies.rules],
    [['subsidies', 'none'], policy.subsidies.none],
    [['lateEnrollment', 'rules'], policy.lateEnrollment.rules],
    [['collection', 'extensions'], policy.collection.extensions],
    [['refunds', 'rules'], policy.refunds.rules],
  ];
  for (const [path, list] of ruleLists) {
    for (const [i, r] of list.entries()) uniqueId(r.id, [...path, i, 'id']);
  }
  if (policy.taskTable) {
    const people = policy.taskTable.rows.reduce((sum, row) => sum + row.eligiblePeople, 0);
    const amount = policy.taskTable.rows.reduce((sum, row) => sum + row.amount, 0);
    if (people !== policy.taskTable.total.eligiblePeople || amount !== policy.taskTable.total.amount) {
      problems.push({
        path: ['taskTable', 'total'],
        message: `任务分解表合计不符：各行合计 ${people} 人、${amount / 100} 元`,
      });
    }
  }
  return problems;
}

/** Every `cite` must name a clause of the file (or of an inherited layer, written `<layer id>:<clause>`). */
function checkCitations(policy: LocalFile | LayerFile): Problem[] {
  const problems: Problem[] = [];
  const visit = (value: unknown, path: PathPart[]) => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) visit(item, [...path, index]);
      return;
    }
    if (value === null || typeof value !== 'object' || 'calendarId' in value) return;
    for (const [key, inner] of Object.entries(value)) {
      if (path.length === 0 && key === 'clauses') continue;
      if ((key === 'cite' || key === 'measureCite') && Array.isArray(inner)) {
        inner.forEach((ref: string, index) => {
          const inherited =
            policy.kind === 'local' && policy.inherits && ref.startsWith(`${policy.inherits}:`);
          if (!inherited && !Object.hasOwn(policy.clauses, ref)) {
            problems.push({ path: [...path, key, index], message: `引用的条款“${ref}”不在 clauses 中` });
          }
        });
      } else {
        visit(inner, [...path, key]);
      }
    }
  };
  visit(policy, []);
  return problems;
}

/** Resolves inheritance: a local file plus the layer it names (if any) → the policy the engine runs. */
export function resolvePolicy(local: LocalFile, layer: LayerFile | null, hash: string): Policy {
  if (local.inherits && (!layer || layer.id !== local.inherits)) {
    throw new PolicyLoadError([
      {
        file: local.id,
        line: 1,
        column: 1,
        path: 'inherits',
        message: `找不到继承的政策层“${local.inherits}”`,
      },
    ]);
  }
  const inLayer = layer && local.inherits ? layer : null;
  const clauses = { ...local.clauses };
  if (inLayer) {
    for (const [ref, clause] of Object.entries(inLayer.clauses)) clauses[`${inLayer.id}:${ref}`] = clause;
  }
  const waiting =
    inLayer && local.benefitYear >= inLayer.waiting.appliesFromBenefitYear ? inLayer.waiting : null;
  const otherwise = local.lateEnrollment.otherwise;
  const starts = [
    ...local.lateEnrollment.rules.map((r) => r.start),
    ...('start' in otherwise ? [otherwise.start] : []),
  ];
  if (!waiting && starts.some((start) => start.rule === 'national_waiting')) {
    throw new PolicyLoadError([
      {
        file: local.id,
        line: 1,
        column: 1,
        path: 'lateEnrollment',
        message: '使用了 national_waiting，但没有继承适用于本待遇年度的国家政策层（inherits）',
      },
    ]);
  }
  return {
    ...local,
    clauses,
    waiting: waiting && { ...waiting, cite: waiting.cite.map((ref) => `${inLayer?.id}:${ref}`) },
    hash,
  };
}

export { POLICY_FORMAT };
