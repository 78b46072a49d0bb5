import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  diffPolicies,
  type LayerFile,
  type LocalFile,
  PolicyLoadError,
  parsePolicyFile,
  resolvePolicy,
} from '../src/index.ts';

const policies = join(import.meta.dirname, '../../../policies');
const text = (id: string) => readFileSync(join(policies, `${id}.yaml`), 'utf8');
const local = (id: string, source = text(id)) => parsePolicyFile(source, `${id}.yaml`) as LocalFile;
const layer = parsePolicyFile(text('national-2025'), 'national-2025.yaml') as LayerFile;

/** Loads a modified copy and returns the issues, or fails the test when it loads. */
function issuesOf(source: string) {
  try {
    parsePolicyFile(source, 'edited.yaml');
  } catch (error) {
    if (error instanceof PolicyLoadError) return error.issues;
    throw error;
  }
  throw new Error('the edited policy loaded without error');
}

/** The 1-based line of the first line containing `needle`. */
const lineOf = (source: string, needle: string) =>
  source.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('parsePolicyFile', () => {
  it('loads each shipped policy with its amounts in fen', () => {
    expect(local('qimen-2023').standard.individual).toBe(35000);
    expect(local('qixian-2022').standard.financing).toEqual({
      total: 90000,
      government: 58000,
      individual: 32000,
    });
    expect(local('dalate-2023').subsidies.rules.find((r) => r.id === 'dibao-refund-later')?.mode).toBe(
      'refund_later',
    );
    expect(local('yaohai-2024').subsidies.rules.find((r) => r.id === 'percent-90')?.subsidy).toEqual({
      kind: 'percent',
      percent: 9000,
    });
  });

  it('sums the 蕲县镇 task table: 14 villages, 63 018 people, 15 754 500 yuan', () => {
    const table = local('qixian-2022').taskTable;
    expect(table?.rows).toHaveLength(14);
    expect(table?.total).toEqual({ eligiblePeople: 63018, amount: 15_754_500_00 });
  });

  it('reports an unknown key at its own line', () => {
    const source = text('qimen-2023').replace(
      '    - id: tekun-full\n',
      '    - id: tekun-full\n      colour: red\n',
    );
    const [issue] = issuesOf(source);
    expect(issue?.path).toBe('subsidies.rules[0].colour');
    expect(issue?.line).toBe(lineOf(source, 'colour: red'));
    expect(issue?.message).toContain('未知字段');
  });

  it('refuses a rule without a citation, naming the rule', () => {
    const source = text('qimen-2023').replace('      cite: 一（三）2返贫\n', '');
    const [issue] = issuesOf(source);
    expect(issue?.path).toBe('subsidies.rules[2].cite');
    expect(issue?.message).toContain('cite');
  });

  it('refuses a citation of a clause the file does not have', () => {
    const source = text('qimen-2023').replace('cite: 一（三）2返贫', 'cite: 一（三）9');
    const issues = issuesOf(source);
    expect(issues.map((i) => i.path)).toEqual(['subsidies.rules[2].cite[0]']);
    expect(issues[0]?.line).toBe(lineOf(source, 'cite: 一（三）9'));
  });

  it('refuses an impossible date and a float amount', () => {
    const source = text('qimen-2023')
      .replace("  start: '2022-09-01'\n  end: '2022-12-31'", "  start: '2022-09-31'\n  end: '2022-12-31'")
      .replace('individual: 350', 'individual: 350.5');
    const issues = issuesOf(source);
    expect(issues.map((i) => i.path).sort()).toEqual(['collection.start', 'standard.individual']);
  });

  it('cross-checks a fixed subsidy against what the notice says the person pays', () => {
    const source = text('qimen-2023').replace('amount: 310, personPays: 40', 'amount: 310, personPays: 45');
    expect(issuesOf(source).map((i) => i.path)).toEqual(['subsidies.rules[1].subsidy.personPays']);
  });

  it('refuses a group in two subsidy rules', () => {
    const source = text('qimen-2023').replace('groups: [fanpin]', 'groups: [fanpin, dibao]');
    expect(issuesOf(source)[0]?.message).toContain('dibao');
  });

  it('refuses a task table whose rows do not sum to its total', () => {
    const source = text('qixian-2022').replace('eligiblePeople: 5167', 'eligiblePeople: 5168');
    expect(issuesOf(source).map((i) => i.path)).toEqual(['taskTable.total']);
  });

  it('refuses a financing split that does not add up', () => {
    const source = text('qixian-2022').replace('government: 580', 'government: 570');
    expect(issuesOf(source).map((i) => i.path)).toEqual(['standard.financing']);
  });

  it('reports YAML syntax errors with a line', () => {
    const issues = issuesOf('format: canbao-policy/1\nid: [unclosed\n');
    expect(issues[0]?.message).toContain('YAML');
    expect(issues[0]?.line).toBeGreaterThan(0);
  });

  it('requires every section: a missing one is an error, never a silent default', () => {
    const source = text('qimen-2023').replace(/\ntargets: \[\]\n/, '\n');
    expect(issuesOf(source).map((i) => i.path)).toEqual(['targets']);
  });
});

describe('resolvePolicy', () => {
  const example = readFileSync(
    join(import.meta.dirname, '../../server/test/fixtures/example-2026.yaml'),
    'utf8',
  );

  it('brings in the national waiting rules for a benefit year they apply to', () => {
    const policy = resolvePolicy(local('example-2026', example), layer, 'hash');
    expect(policy.waiting?.fixedMonths).toBe(3);
    expect(policy.clauses['national-2025:固定等待期']?.kind).toBe('national');
    expect(policy.waiting?.cite.every((key) => key.startsWith('national-2025:'))).toBe(true);
  });

  it('refuses national_waiting without an applicable layer', () => {
    const file = local('example-2026', example);
    expect(() => resolvePolicy({ ...file, inherits: null }, null, 'hash')).toThrow(PolicyLoadError);
    expect(() => resolvePolicy({ ...file, benefitYear: 2024 }, layer, 'hash')).toThrow('national_waiting');
  });

  it('refuses an inherited layer that was not supplied', () => {
    expect(() => resolvePolicy(local('example-2026', example), null, 'hash')).toThrow('national-2025');
  });
});

describe('diffPolicies', () => {
  it('lists what changed between two counties rule by rule', () => {
    const a = resolvePolicy(local('qimen-2023'), null, 'a');
    const b = resolvePolicy(local('dalate-2023'), null, 'b');
    const diff = diffPolicies(a, b);
    const byKey = new Map(diff.map((d) => [d.key, d]));
    expect(byKey.get('standard.individual')).toMatchObject({ change: 'changed' });
    expect(byKey.get('standard.individual')?.before).toContain('350.00');
    expect(byKey.get('standard.individual')?.after).toContain('380.00');
    expect(byKey.get('subsidy.disabled_severe')?.change).toBe('added');
    expect(byKey.get('subsidy.youfu')?.change).toBe('removed');
    expect(byKey.get('subsidy.dibao')?.after).toContain('先缴后补');
  });

  it('finds nothing between a policy and itself', () => {
    const a = resolvePolicy(local('yaohai-2024'), null, 'a');
    expect(diffPolicies(a, a)).toEqual([]);
  });
});
