/**
 * The `canbao` command line, run as a real process: stdout JSON, stderr messages, exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const BIN = join(ROOT, 'packages/server/bin/canbao.js');
const QIMEN = join(ROOT, 'policies/qimen-2023.yaml');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function canbao(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Run {
  const env = { ...process.env, ...options.env };
  if (!options.env?.CANBAO_POLICIES) delete env.CANBAO_POLICIES;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    env,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'canbao-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tempFile(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

/** A copy of qimen-2023.yaml with `from` replaced by `to` (which must occur). */
function qimenWith(name: string, ...edits: [from: string, to: string][]): string {
  let text = readFileSync(QIMEN, 'utf8');
  for (const [from, to] of edits) {
    expect(text, `qimen-2023.yaml should contain ${JSON.stringify(from)}`).toContain(from);
    text = text.replace(from, to);
  }
  return tempFile(name, text);
}

/** The 1-based line of the first line of `path` containing `needle`. */
function lineOf(path: string, needle: string): number {
  const index = readFileSync(path, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(needle));
  expect(index, `${needle} not in ${path}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** No stack trace: expected errors are reported as plain messages. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('内部错误');
}

describe('canbao --help / --version', () => {
  it('prints Chinese help listing the commands and exits 0', () => {
    const run = canbao(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('用法：');
    for (const command of ['quote', 'policy', 'refund']) expect(run.stdout).toContain(command);
    expect(run.stdout).toContain('按政策测算参保结果');
  });

  it('prints help for a subcommand', () => {
    const run = canbao(['policy', 'diff', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('逐条比较两个政策');
    expect(run.stdout).toContain('--json');
  });

  it('prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages/server/package.json'), 'utf8'));
    const run = canbao(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('exits 2 with a Chinese message for an unknown command', () => {
    const run = canbao(['quot']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('未知命令 quot');
    expect(run.stderr).toContain('quote');
  });

  it('exits 2 when no command is given', () => {
    const run = canbao([]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('用法：');
  });
});

describe('canbao quote', () => {
  it('assesses one facts object from a file, as 2-space JSON', () => {
    const facts = tempFile('dibao.json', '{"groups":["dibao"]}');
    const run = canbao(['quote', '--policy', 'qimen-2023', '--facts', facts]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.startsWith('{\n  "policy": {\n    "id": "qimen-2023"')).toBe(true);
    const assessment = JSON.parse(run.stdout);
    expect(assessment.eligible).toBe(true);
    expect(assessment.standard).toBe(35000);
    expect(assessment.pays).toBe(4000);
    expect(assessment.subsidies).toEqual([
      expect.objectContaining({ group: 'dibao', amount: 31000, rule: 'dibao-fixed' }),
    ]);
    expect(assessment.benefitStart).toBe('2023-01-01');
  });

  it('accepts a policy file path as well as an id', () => {
    const run = canbao(['quote', '--policy', 'policies/qimen-2023.yaml', '--facts', '-'], {
      input: '{"groups":["tekun"]}',
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ policy: { id: 'qimen-2023' }, pays: 0 });
  });

  it('reads an array from stdin and answers in the same order', () => {
    const people = [{ idNumber: '11010519491231002X' }, { groups: ['dibao'] }, { groups: ['fanpin'] }];
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: JSON.stringify(people) });
    expect(run.status).toBe(0);
    const answers = JSON.parse(run.stdout);
    expect(answers.map((a: { pays: number }) => a.pays)).toEqual([35000, 4000, 7000]);
    // Each element is exactly what quoting that person alone gives.
    people.forEach((person, index) => {
      const single = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: JSON.stringify(person) });
      expect(answers[index]).toEqual(JSON.parse(single.stdout));
    });
  });

  it('prints an empty array for an empty array', () => {
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: '[]' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
  });

  it('names the field of an unknown group', () => {
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: '{"groups":["nope"]}' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('字段 groups[0] 有误');
    expect(run.stderr).toContain('未知的人群代码“nope”');
    expectNoStack(run.stderr);
  });

  it('names the failed check of an invalid ID number', () => {
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], {
      input: '{"idNumber":"110105194912310021"}',
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('字段 idNumber 有误');
    expect(run.stderr).toContain('校验');
    expect(run.stderr).toContain('checksum');
    expectNoStack(run.stderr);
  });

  it('refuses an impossible date, naming the field', () => {
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: '{"birthDate":"2023-02-30"}' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('字段 birthDate 有误');
    expect(run.stderr).toContain('2023-02-30');
  });

  it('prefixes the field with the element index and prints nothing when one element fails', () => {
    const input = JSON.stringify([{ groups: ['dibao'] }, {}, { groups: ['dibao', 'nope'] }, {}]);
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('第 3 条 facts（下标 2）');
    expect(run.stderr).toContain('[2].groups[1]');
    expect(run.stderr).toContain('未输出任何测算结果');
    expectNoStack(run.stderr);
  });

  it('prefixes nested fields of an array element', () => {
    const input = JSON.stringify([{ employeeInsurance: { consecutiveYears: 3, stoppedOn: '2022-13-01' } }]);
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('[0].employeeInsurance.stoppedOn');
  });

  it('refuses facts that are not an object', () => {
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: '"dibao"' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('facts 应为 JSON 对象');
    const inArray = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: '[{}, 3]' });
    expect(inArray.status).toBe(2);
    expect(inArray.stdout).toBe('');
    expect(inArray.stderr).toContain('第 2 条 facts（下标 1）应为 JSON 对象');
  });

  it('says which file is not valid JSON', () => {
    const bad = tempFile('bad.json', '{"groups": [');
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', bad]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`facts 文件 ${bad} 不是有效的 JSON`);
    expectNoStack(run.stderr);
    const stdin = canbao(['quote', '-p', 'qimen-2023', '-f', '-'], { input: 'not json' });
    expect(stdin.status).toBe(2);
    expect(stdin.stderr).toContain('标准输入的 facts 不是有效的 JSON');
  });

  it('reports a missing facts file', () => {
    const run = canbao(['quote', '-p', 'qimen-2023', '-f', join(tmp, 'missing.json')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('找不到 facts 文件');
    expectNoStack(run.stderr);
  });

  it('lists the available policies for an unknown policy id', () => {
    const run = canbao(['quote', '-p', 'nowhere-2023', '-f', '-'], { input: '{}' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('未知的政策“nowhere-2023”');
    expect(run.stderr).toContain('qimen-2023');
    expectNoStack(run.stderr);
  });

  it('reports an invalid policy file with file:line:column', () => {
    const policy = qimenWith('broken-quote.yaml', ['cite: 一（三）1\n', 'cite: 不存在的条款\n']);
    const run = canbao(['quote', '-p', policy, '-f', '-'], { input: '{}' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('政策文件有误');
    expect(run.stderr).toContain(`${policy}:${lineOf(policy, '不存在的条款')}:`);
    expectNoStack(run.stderr);
  });

  it('exits 2 with a Chinese message when a required option is missing', () => {
    const run = canbao(['quote', '--policy', 'qimen-2023']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('缺少必填选项');
    expect(run.stderr).toContain('--facts');
  });
});

describe('canbao policy check', () => {
  it('passes qimen-2023 and counts its clauses', () => {
    const run = canbao(['policy', 'check', 'policies/qimen-2023.yaml']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^✓ qimen-2023：校验通过（\d+ 条条款，\d+ 处条款引用）\n$/);
  });

  it('accepts a policy id', () => {
    const run = canbao(['policy', 'check', 'qimen-2023']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('✓ qimen-2023');
  });

  it('reports every schema problem (unknown key, bad date, missing cite) at its line', () => {
    const policy = qimenWith(
      'schema-errors.yaml',
      ['benefitYear: 2023\n', 'benefitYear: 2023\nfavouriteColour: red\n'],
      ["start: '2022-09-01'", "start: '2022-09-31'"],
      ['  financing: null\n  cite: 一（二）标准\n', '  financing: null\n'],
    );
    const run = canbao(['policy', 'check', policy]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toContain(
      `${policy}:${lineOf(policy, 'favouriteColour')}:1 字段 favouriteColour：未知字段“favouriteColour”（格式见 docs/POLICY-FORMAT.md）`,
    );
    const dateLine = lineOf(policy, "start: '2022-09-31'");
    expect(lines.find((l) => l.includes('字段 collection.start'))).toMatch(
      new RegExp(
        `^${escapeRegExp(policy)}:${dateLine}:\\d+ 字段 collection\\.start：不存在的日期：“2022-09-31”$`,
      ),
    );
    // A missing cite is reported on the mapping that lacks it.
    expect(lines).toContain(
      `${policy}:${lineOf(policy, '  individual: 350')}:3 字段 standard.cite：缺少条款引用 cite：每条规则都必须引用通知条款`,
    );
    // Sorted by line.
    const numbers = lines.slice(0, -1).map((l) => Number(l.slice(policy.length + 1).split(':')[0]));
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(lines.at(-1)).toBe(`✗ ${policy}：3 个问题`);
    expectNoStack(run.stderr);
  });

  it('reports a citation of a clause that does not exist, at its line', () => {
    const policy = qimenWith('bad-cite.yaml', ['cite: 一（三）1\n', 'cite: 不存在的条款\n']);
    const run = canbao(['policy', 'check', policy]);
    expect(run.status).toBe(2);
    const line = lineOf(policy, 'cite: 不存在的条款');
    expect(run.stderr).toContain(`${policy}:${line}:`);
    expect(run.stderr).toContain('字段 subsidies.rules[0].cite[0]：引用的条款“不存在的条款”不在 clauses 中');
  });

  it('reports YAML syntax errors', () => {
    const policy = tempFile('syntax.yaml', 'id: x\nkind: [local\n');
    const run = canbao(['policy', 'check', policy]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${escapeRegExp(policy)}:\\d+:\\d+：YAML 语法错误`));
  });

  it('skips test-case files, so that policies/*.yaml can be checked', () => {
    const cases = tempFile('qimen-2023.test.yaml', 'policy: qimen-2023\ncases: []\n');
    const run = canbao(['policy', 'check', 'policies/qimen-2023.yaml', cases]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`- 跳过 ${cases}：这是测试用例文件，不是政策文件`);
  });

  it('checks every file given and fails if any fails', () => {
    const bad = qimenWith('one-bad.yaml', ['benefitYear: 2023\n', 'benefitYear: 2023\nextra: 1\n']);
    const run = canbao(['policy', 'check', bad, 'policies/qimen-2023.yaml', join(tmp, 'absent.yaml')]);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('✓ qimen-2023');
    expect(run.stderr).toContain('字段 extra');
    expect(run.stderr).toContain(`找不到政策文件：${join(tmp, 'absent.yaml')}`);
  });
});

describe('canbao policy explain', () => {
  it('prints the rules grouped by section, each with its clause', () => {
    const run = canbao(['policy', 'explain', 'qimen-2023']);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('祁门县2023年度城乡居民基本医疗保险（qimen-2023）');
    const standard = lines.indexOf('【缴费标准】');
    expect(standard).toBeGreaterThan(0);
    expect(lines[standard + 1]).toBe('- 个人缴费标准 350.00 元（依据：一（二））');
    expect(lines).toContain('【资助参保】');
    expect(lines).toContain(
      '- 城乡低保对象：定额资助 310.00 元，个人缴 40.00 元；出资：医疗救助资金；直接减免（依据：一（三）2）',
    );
    // Every section header appears once.
    const headers = lines.filter((l) => l.startsWith('【'));
    expect(new Set(headers).size).toBe(headers.length);
  });

  it('prints the entries as JSON with --json', () => {
    const run = canbao(['policy', 'explain', 'qimen-2023', '--json']);
    expect(run.status).toBe(0);
    const entries = JSON.parse(run.stdout);
    expect(entries).toContainEqual(
      expect.objectContaining({ key: 'standard.individual', section: '缴费标准', cite: '一（二）' }),
    );
  });

  it('exits 2 for an unknown policy', () => {
    const run = canbao(['policy', 'explain', 'nowhere-2023']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('可用的政策');
  });
});

describe('canbao policy diff', () => {
  const raised = () =>
    qimenWith(
      'raised.yaml',
      ['  individual: 350\n', '  individual: 380\n'],
      ['amount: 310, personPays: 40 }', 'amount: 310, personPays: 70 }'],
      ['amount: 280, personPays: 70 }', 'amount: 280, personPays: 100 }'],
      ['amount: 175, personPays: 175 }', 'amount: 175, personPays: 205 }'],
    );

  it('prints what changed, rule by rule', () => {
    const b = raised();
    const run = canbao(['policy', 'diff', 'qimen-2023', b]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(`qimen-2023 → qimen-2023（${b}）`);
    expect(lines).toContain(
      '~ 缴费标准 standard.individual：个人缴费标准 350.00 元 → 个人缴费标准 380.00 元',
    );
    expect(
      lines.some((l) => l.startsWith('~ 资助参保 subsidy.dibao：') && l.includes('个人缴 70.00 元')),
    ).toBe(true);
    expect(lines.some((l) => l.includes('collection.period'))).toBe(false);
    expect(lines.at(-1)).toBe(`共 ${lines.length - 2} 处差别。`);
  });

  it('marks added and removed rules', () => {
    const without = qimenWith('no-extension.yaml', [
      "  extensions:\n    - id: migrant-workers\n      groups: [migrant_worker]\n      until: '2023-02-28'\n      label: 外出务工人员春节返乡缴费可延长至2023年2月底\n      cite: 一（二）务工延期\n",
      '  extensions: []\n',
    ]);
    const removed = canbao(['policy', 'diff', 'qimen-2023', without]);
    expect(removed.status).toBe(0);
    expect(removed.stdout).toContain(
      '- 期限 collection.extension.migrant_worker：外出务工人员可延长至 2023-02-28',
    );
    const added = canbao(['policy', 'diff', without, 'qimen-2023']);
    expect(added.stdout).toContain(
      '+ 期限 collection.extension.migrant_worker：外出务工人员可延长至 2023-02-28',
    );
  });

  it('prints the differences as JSON with --json', () => {
    const run = canbao(['policy', 'diff', 'qimen-2023', raised(), '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toContainEqual({
      key: 'standard.individual',
      section: '缴费标准',
      change: 'changed',
      before: '个人缴费标准 350.00 元',
      after: '个人缴费标准 380.00 元',
    });
  });

  it('says so when two policies are the same', () => {
    const run = canbao(['policy', 'diff', 'qimen-2023', 'policies/qimen-2023.yaml']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('没有差别');
    expect(JSON.parse(canbao(['policy', 'diff', 'qimen-2023', 'qimen-2023', '--json']).stdout)).toEqual([]);
  });
});

describe('canbao policy list', () => {
  const dir = join(tmp, 'policies');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'qimen-2023.yaml'), readFileSync(QIMEN, 'utf8'));
  writeFileSync(join(dir, 'broken-2024.yaml'), 'format: canbao-policy/1\nid: broken-2024\n');
  writeFileSync(join(dir, 'notes.txt'), 'not a policy');

  it('lists the ids with region and title, warning about files that do not load', () => {
    const run = canbao(['policy', 'list'], { env: { CANBAO_POLICIES: dir } });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^broken-2024 {2}— {2}（无法加载）$/);
    expect(lines[1]).toMatch(/^qimen-2023 {3}祁门县 {2}祁门县2023年度城乡居民基本医疗保险$/);
    expect(run.stderr).toContain('政策 broken-2024 无法加载');
  });

  it('prints JSON with --json', () => {
    const run = canbao(['policy', 'list', '--json'], { env: { CANBAO_POLICIES: dir } });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { id: 'broken-2024', kind: null, region: null, title: null },
      { id: 'qimen-2023', kind: 'local', region: '祁门县', title: '祁门县2023年度城乡居民基本医疗保险' },
    ]);
  });

  it('lists the repository policies by default', () => {
    const run = canbao(['policy', 'list', '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toContainEqual(
      expect.objectContaining({ id: 'qimen-2023', region: '祁门县' }),
    );
  });

  it('exits 2 when the policies folder does not exist', () => {
    const missing = join(tmp, 'no-such-folder');
    const run = canbao(['policy', 'list'], { env: { CANBAO_POLICIES: missing } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`政策目录不存在：${missing}`);
  });
});

describe('canbao refund check', () => {
  const refundable = () =>
    qimenWith('refundable.yaml', [
      'refunds:\n  rules: []\n',
      'refunds:\n  rules:\n    - id: duplicate-before-start\n      reasons: [duplicate]\n      requested: before_benefit_start\n      decision: approve\n      terminate: true\n      label: 待遇期开始前重复缴费的，退还个人缴费\n      cite: 解读-退费\n',
    ]);

  it('answers "not specified" where the policy has no refund rule', () => {
    const run = canbao([
      'refund',
      'check',
      '--policy',
      'qimen-2023',
      '--paid',
      '350',
      '--reason',
      'duplicate',
      '--requested-on',
      '2022-12-01',
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      decision: 'not_specified',
      amount: 0,
      terminate: false,
      rule: { id: 'refund:not-specified', cite: 'canbao 解读' },
    });
  });

  it('approves under the matching rule and pays back the exact fen', () => {
    const policy = refundable();
    const args = ['refund', 'check', '-p', policy, '--paid', '350.07', '--reason', 'duplicate'];
    const before = canbao([...args, '--requested-on', '2022-12-31']);
    expect(before.status).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({
      decision: 'approve',
      amount: 35007,
      terminate: true,
      rule: { id: 'refund:duplicate-before-start' },
    });
    // On or after the benefit start the rule no longer applies.
    const after = canbao([...args, '--requested-on', '2023-01-01']);
    expect(JSON.parse(after.stdout)).toMatchObject({ decision: 'not_specified', amount: 0 });
    // A later benefit start of this enrollment moves the line.
    const late = canbao([...args, '--requested-on', '2023-01-01', '--benefit-start', '2023-03-01']);
    expect(JSON.parse(late.stdout)).toMatchObject({ decision: 'approve', amount: 35007 });
  });

  it.each([
    [['--paid', '350.123'], '选项 --paid 有误：不是有效的金额'],
    [['--paid', '-5'], '选项 --paid 有误：已缴金额不能为负数'],
    [['--reason', 'boredom'], '选项 --reason 有误：未知的退费原因“boredom”'],
    [['--requested-on', '2022-02-30'], '选项 --requested-on 有误：不存在的日期：“2022-02-30”'],
    [['--benefit-start', '2023/01/01'], '选项 --benefit-start 有误：日期格式应为 YYYY-MM-DD'],
  ])('refuses bad input %j', (override, message) => {
    const options: Record<string, string> = {
      '--policy': 'qimen-2023',
      '--paid': '350',
      '--reason': 'duplicate',
      '--requested-on': '2022-12-01',
    };
    options[override[0] as string] = override[1] as string;
    const run = canbao(['refund', 'check', ...Object.entries(options).flat()]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expectNoStack(run.stderr);
  });
});
