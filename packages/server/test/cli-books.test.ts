/**
 * `canbao confirm …` and `canbao ledger …` as the tax side and the bureau would use them, on a small
 * paid campaign (both engines). The commands run in this process on the program `canbao` builds, so
 * stdout, stderr and the exit code are exactly what the binary gives; the database is set up through
 * the services and closed before each command (the embedded database admits one process at a time).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerBooks } from '../src/cli/books.ts';
import { InputError } from '../src/cli/io.ts';
import { buildProgram } from '../src/cli/main.ts';
import { CollectionError } from '../src/collection/context.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/open.ts';
import { csvFile } from './collection-harness.ts';
import { describeEachEngine } from './db-harness.ts';
import { COUNTY, paidCampaign, STRANGER, TAX_HEADER, ZHANG, ZHAO } from './tax-harness.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `canbao <args>` in this process, as bin/canbao.js would. */
async function canbao(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const program = buildProgram();
  if (!program.commands.some((c) => c.name() === 'ledger')) registerBooks(program);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (!(error instanceof CollectionError || error instanceof InputError)) throw error;
    stderr += `${error.message}\n`;
    code = 2;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return { code, stdout, stderr };
}

describeEachEngine('canbao confirm / ledger', (engine) => {
  const files = mkdtempSync(join(tmpdir(), 'canbao-cli-books-'));
  let env: Record<string, string> = {};
  let handle: DatabaseHandle | null = null;
  const reopen = async () => {
    const location = engine.lastLocation();
    handle = await openDatabase(
      location.url ? { url: location.url } : { dataDir: location.dataDir as string },
    );
    return handle;
  };
  const close = async () => {
    await handle?.close();
    handle = null;
  };
  beforeAll(async () => {
    handle = await engine.open();
    await paidCampaign(handle);
    await close();
    const location = engine.lastLocation();
    env = {
      ...(location.url
        ? { DATABASE_URL: location.url }
        : { DATABASE_URL: '', CANBAO_DATA: location.dataDir as string }),
      CANBAO_TODAY: '2021-10-20',
      CANBAO_ACTOR: 'tax-clerk',
    };
  });
  afterAll(close);

  it('imports a confirmation file, says what matched and what did not, and changes nothing the second time', async () => {
    const file = csvFile([
      TAX_HEADER,
      `T-001,${ZHANG},张三,40.00,2021-10-08,R-0001,2021-10-11`,
      `T-002,${ZHAO},赵六,320.00,2021-10-08,,2021-10-11`,
      `T-009,${STRANGER},路人甲,123.00,2021-10-08,,2021-10-11`,
    ]);
    const first = await canbao(env, 'confirm', 'import', file);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('（2022 年度）：共 3 行');
    expect(first.stdout).toContain('已匹配入账 2 笔，360.00 元；确认参保 2 人');
    expect(first.stdout).toContain('差异 1 笔（未入账');
    expect(first.stdout).toContain(`! 第 4 行 税票号 T-009：登记中没有证件号码为 ${STRANGER} 的人员`);
    const again = await canbao(env, 'confirm', 'import', file, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      status: 'completed',
      matched: 0,
      discrepancies: 0,
      unchanged: 3,
    });
  });

  it('rejects a malformed file with each line and column, and an error report beside it', async () => {
    const file = join(files, '确认.csv');
    writeFileSync(
      file,
      [TAX_HEADER, `,${ZHAO},赵六,320.00,2021-10-08,,`, `T-020,${ZHAO},赵六,abc,2021-10-08,,`].join('\n'),
    );
    const run = await canbao(env, 'confirm', 'import', file);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('✗ 确认.csv：共 2 行，有 2 处错误，未写入任何数据。');
    expect(run.stdout).toContain('第 2 行 税票号：税票号为空');
    expect(run.stdout).toContain('第 3 行 缴费金额（元）：金额格式不正确：“abc”');
    expect(existsSync(join(files, '确认-错误报告.xlsx'))).toBe(true);
    const missing = await canbao(env, 'confirm', 'import', join(files, 'none.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('none.csv：无法打开文件');
  });

  it('lists the discrepancies and exports them', async () => {
    const xlsx = join(files, '差异.xlsx');
    const run = await canbao(env, 'confirm', 'discrepancies', '--xlsx', xlsx);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('税务确认差异：1 条，合计 123.00 元');
    expect(run.stdout).toContain('税票号 T-009｜路人甲');
    expect(existsSync(xlsx)).toBe(true);
    const json = await canbao(env, 'confirm', 'discrepancies', '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ receiptNo: 'T-009', amountFen: 12300 }),
    ]);
  });

  it('checks the books: exit 0 when they balance, 2 with every difference when they do not', async () => {
    const clean = await canbao(env, 'ledger', 'check');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`账簿核对（${COUNTY}，2021-10-20）`);
    expect(clean.stdout).toContain('✓ 每笔转账借贷平衡');
    expect(clean.stdout).toContain('账簿平衡，未发现差异。');

    const db = await reopen();
    await db.db.updateTable('remittances').set({ amount_fen: 35000 }).execute();
    await close();
    const tampered = await canbao(env, 'ledger', 'check');
    expect(tampered.code).toBe(2);
    expect(tampered.stdout).toContain('✗ 代收员现金：收取 − 解缴 = 账上余额：1 处差异');
    expect(tampered.stdout).toContain('发现 2 处差异：');
    expect(tampered.stdout).toContain(
      '· 代收员 qx-001 现金（收取 360.00 元 − 解缴 350.00 元）应为 10.00 元，实为 0.00 元，差 -10.00 元',
    );
    const json = await canbao(env, 'ledger', 'check', '--json');
    expect(json.code).toBe(2);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.ok).toBe(false);
    expect(
      parsed.differences.map((d: { subject: string; differenceFen: number }) => [d.subject, d.differenceFen]),
    ).toEqual([
      ['collector:qx-001', -1000],
      ['pending_remittance', 1000],
    ]);
    const fix = await reopen();
    await fix.db.updateTable('remittances').set({ amount_fen: 36000 }).execute();
    await close();
    expect((await canbao(env, 'ledger', 'check')).code).toBe(0);
  });

  it('writes the reconciliation report with the county, the period and the policy', async () => {
    const xlsx = join(files, '对账.xlsx');
    const run = await canbao(
      env,
      'ledger',
      'report',
      '--from',
      '2021-10-01',
      '--to',
      '2021-10-31',
      '--xlsx',
      xlsx,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('埇桥区（341302） 城乡居民医保 2022 年度征缴对账报表');
    expect(run.stdout).toContain('期间 2021-10-01 至 2021-10-31；生成日期 2021-10-20');
    expect(run.stdout).toMatch(/政策 .+（qixian-2022，哈希 [0-9a-f]{16}）/);
    expect(run.stdout).toContain(
      '合计：缴费 3 笔 680.00 元；税务确认 2 笔 360.00 元；现金解缴 360.00 元；退费支付 0.00 元',
    );
    expect(run.stdout).toContain(
      '  2021-10-09 村（社区）现金代收：缴费 0 笔 0.00 元；税务确认 0 笔 0.00 元；现金解缴 360.00 元；退费支付 0.00 元',
    );
    expect(run.stdout).toContain('缴费后超过 7 天仍未确认：1 笔 320.00 元');
    expect(run.stdout).toContain('    2021-10-08 李四 村（社区）现金代收 流水号 R-0001 320.00 元（12 天）');
    expect(existsSync(xlsx)).toBe(true);
    const bad = await canbao(env, 'ledger', 'report', '--from', '2021-13-01', '--to', '2021-10-31');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('选项 --from 有误');
  });
});
