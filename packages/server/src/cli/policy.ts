/**
 * `canbao policy check|explain|diff|list`: validating policy files and reading them in plain Chinese.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  describePolicy,
  diffPolicies,
  formatPolicyIssue,
  type LayerFile,
  type LocalFile,
  type PolicyDiffEntry,
  type PolicyEntry,
  PolicyLoadError,
} from '@canbao/core';
import type { Command } from 'commander';
import {
  listPolicyIds,
  loadPolicy,
  PolicyNotFoundError,
  policiesDir,
  readPolicyFile,
} from '../policy/repository.ts';
import { EXIT_BAD_INPUT, InputError, writeJson, writeLines } from './io.ts';

interface JsonOption {
  readonly json?: boolean;
}

export function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .summary('校验、解读和比较政策文件')
    .description('政策文件（policies/*.yaml）的校验、白话解读、比较和列表。')
    .usage('<命令> [选项]');

  policy
    .command('check')
    .summary('校验政策文件')
    .description(
      '校验一个或多个政策文件：格式、必填字段、日期、金额及每条条款引用。有问题时逐条列出“文件:行:列”。',
    )
    .usage('<文件...>')
    .argument('<files...>', '政策文件路径（也可以写政策 id）')
    .action((refs: string[]) => {
      let failed = false;
      for (const ref of refs) failed = !checkOne(ref) || failed;
      if (failed) process.exitCode = EXIT_BAD_INPUT;
    });

  policy
    .command('explain')
    .summary('用白话列出政策的全部规则及依据')
    .description('用白话列出政策的全部规则，按类别分组，每条注明所依据的条款。')
    .usage('<政策> [--json]')
    .argument('<policy>', '政策 id 或政策文件路径')
    .option('--json', '以 JSON 输出条目（key、section、text、cite）')
    .action((ref: string, options: JsonOption) => {
      const p = loadPolicy(ref);
      const entries = describePolicy(p);
      if (options.json) writeJson(entries);
      else writeLines([`${p.title}（${p.id}）`, ...explainLines(entries)]);
    });

  policy
    .command('diff')
    .summary('逐条比较两个政策')
    .description('逐条比较两个政策（如两个县，或同一县的两个年度）：~ 改变，+ 新增，- 删除。')
    .usage('<政策a> <政策b> [--json]')
    .argument('<policy-a>', '原政策 id 或文件路径')
    .argument('<policy-b>', '新政策 id 或文件路径')
    .option('--json', '以 JSON 输出差异（key、section、change、before、after）')
    .action((refA: string, refB: string, options: JsonOption) => {
      const a = loadPolicy(refA);
      const b = loadPolicy(refB);
      const entries = diffPolicies(a, b);
      if (options.json) writeJson(entries);
      else writeLines([`${policyLabel(a.id, refA)} → ${policyLabel(b.id, refB)}`, ...diffLines(entries)]);
    });

  policy
    .command('list')
    .summary('列出可用的政策')
    .description(
      '列出政策目录（默认为仓库的 policies/，可用环境变量 CANBAO_POLICIES 指定）中的政策：id、地区和标题。',
    )
    .usage('[--json]')
    .option('--json', '以 JSON 输出（id、kind、region、title）')
    .action((options: JsonOption) => {
      const dir = policiesDir();
      if (!existsSync(dir)) throw new InputError(`政策目录不存在：${dir}`);
      const rows = listPolicyIds(dir).map(listRow);
      if (options.json) {
        writeJson(rows);
        return;
      }
      const width = Math.max(0, ...rows.map((r) => r.id.length));
      writeLines(
        rows.map((r) => {
          const where = r.kind === 'layer' ? '（政策层）' : (r.region ?? '—');
          return `${r.id.padEnd(width)}  ${where}  ${r.title ?? '（无法加载）'}`;
        }),
      );
    });
}

interface ListRow {
  readonly id: string;
  readonly kind: 'local' | 'layer' | null;
  readonly region: string | null;
  readonly title: string | null;
}

/** One policy of the folder; a file that does not load is listed with a warning on stderr. */
function listRow(id: string): ListRow {
  try {
    const { file } = readPolicyFile(join(policiesDir(), `${id}.yaml`));
    if (file.kind === 'layer') return { id, kind: 'layer', region: null, title: file.title };
    const p = loadPolicy(id);
    return { id, kind: 'local', region: p.region.name, title: p.title };
  } catch (error) {
    if (!(error instanceof PolicyLoadError)) throw error;
    process.stderr.write(`警告：政策 ${id} 无法加载，请运行 canbao policy check ${id} 查看问题\n`);
    return { id, kind: null, region: null, title: null };
  }
}

/** A policy as the user named it: its id, and the file when given by path. */
function policyLabel(id: string, ref: string): string {
  return ref === id ? id : `${id}（${ref}）`;
}

/** The file a `policy check` argument names: a path, or the id of a policy in the policies folder. */
function checkPath(ref: string): string {
  if (existsSync(ref) || /[/\\]|\.ya?ml$/.test(ref)) return ref;
  const byId = join(policiesDir(), `${ref}.yaml`);
  if (existsSync(byId)) return byId;
  throw new PolicyNotFoundError(`找不到政策文件或政策“${ref}”。可用的政策：${listPolicyIds().join('、')}`);
}

/** Checks one file; prints ✓ on stdout or every issue on stderr. */
function checkOne(ref: string): boolean {
  if (/\.test\.ya?ml$/.test(ref)) {
    // Test cases as data (policies/<id>.test.yaml) sit beside the policies; a glob picks them up.
    writeLines([`- 跳过 ${ref}：这是测试用例文件，不是政策文件`]);
    return true;
  }
  let path = ref;
  try {
    path = checkPath(ref);
    const { file } = readPolicyFile(path);
    // A local file is also resolved with the layer it inherits.
    if (file.kind === 'local') loadPolicy(resolve(path));
    const layer = file.kind === 'layer' ? '（政策层）' : '';
    writeLines([
      `✓ ${file.id}${layer}：校验通过（${Object.keys(file.clauses).length} 条条款，${countCitations(file)} 处条款引用）`,
    ]);
    return true;
  } catch (error) {
    if (error instanceof PolicyNotFoundError) {
      process.stderr.write(`${error.message}\n`);
      return false;
    }
    if (!(error instanceof PolicyLoadError)) throw error;
    const issues = [...error.issues].sort((x, y) => x.line - y.line || x.column - y.column);
    process.stderr.write(
      `${[...issues.map(formatPolicyIssue), `✗ ${path}：${issues.length} 个问题`].join('\n')}\n`,
    );
    return false;
  }
}

/** The number of clause references (`cite`, `measureCite`) in a file. */
function countCitations(file: LocalFile | LayerFile): number {
  let count = 0;
  const visit = (value: unknown, top: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, false);
      return;
    }
    if (value === null || typeof value !== 'object' || 'calendarId' in value) return;
    for (const [key, inner] of Object.entries(value)) {
      if (top && key === 'clauses') continue;
      if ((key === 'cite' || key === 'measureCite') && Array.isArray(inner)) count += inner.length;
      else visit(inner, false);
    }
  };
  visit(file, true);
  return count;
}

export function explainLines(entries: readonly PolicyEntry[]): string[] {
  const sections = new Map<string, PolicyEntry[]>();
  for (const e of entries) sections.set(e.section, [...(sections.get(e.section) ?? []), e]);
  const lines: string[] = [];
  for (const [section, list] of sections) {
    lines.push('', `【${section}】`);
    for (const e of list) lines.push(`- ${e.text}${e.cite ? `（依据：${e.cite}）` : ''}`);
  }
  return lines;
}

const MARKS = { added: '+', removed: '-', changed: '~' } as const;

export function diffLines(entries: readonly PolicyDiffEntry[]): string[] {
  if (entries.length === 0) return ['两个政策的规则没有差别。'];
  const lines = entries.map((e) => {
    const what =
      e.change === 'changed'
        ? `${e.before} → ${e.after}`
        : e.change === 'added'
          ? `${e.after}`
          : `${e.before}`;
    return `${MARKS[e.change]} ${e.section} ${e.key}：${what}`;
  });
  return [...lines, `共 ${entries.length} 处差别。`];
}
