/**
 * Bank withholding from the command line, as a township clerk and the tax bureau would run it:
 * import agreement cards, export a batch for the bank, import the bank's result (a bad file is
 * refused naming the line; the same file twice changes nothing), change a card, retry the
 * failures, reconcile. Runs canbao in a child process on a throwaway SQLite folder (the services
 * under it are tested on both engines in collection-withholding.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { openTable } from '../src/files/read-table.ts';
import { idNumber } from './collection-harness.ts';

const BIN = resolve(import.meta.dirname, 'cli-withholding-bin.ts');
const work = mkdtempSync(join(tmpdir(), 'canbao-cli-withholding-'));

function canbao(today: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      CANBAO_DATA: join(work, 'data'),
      DATABASE_URL: '',
      CANBAO_TODAY: today,
      CANBAO_ACTOR: 'qx-township',
    },
    cwd: work,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, lines: string[]): string {
  const path = join(work, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** The bank's result: the exported rows with 扣款结果 and 失败原因 filled by `decide`. */
async function bankResult(exported: string, name: string, decide: (name: string) => [string, string]) {
  const table = await openTable(exported, { requiredHeaders: [['批次号'], ['序号']] });
  const lines = [table.headers.join(',')];
  for await (const row of table.rows()) {
    const [result, reason] = decide(row.values.参保人姓名 ?? '');
    lines.push(
      table.headers
        .map((h) => (h === '扣款结果' ? result : h === '失败原因' ? reason : row.values[h]))
        .join(','),
    );
  }
  return file(name, lines);
}

const ZHANG = idNumber('34130219800101001');
const LI = idNumber('34130219820202002');
const SUN = idNumber('34130219920606006');

it('runs withholding: agreements, batch file, result, retry after a change of card, reconcile', {
  // Some forty child processes, each loading the program: 90 s on a shared 2-core machine, 150–210 s
  // while other test suites run beside it.
  timeout: 360_000,
}, async () => {
  const day = '2021-10-08';
  const population = file('pop.csv', [
    '姓名,公民身份号码,户号,与户主关系,村（社区）',
    `张三,${ZHANG},H1,户主,蕲县村`,
    `李四,${LI},H1,配偶,蕲县村`,
    `孙八,${SUN},H5,户主,蕲县村`,
  ]);
  expect(canbao(day, 'import', 'population', population, '--region', '341302').code).toBe(0);
  expect(canbao(day, 'campaign', 'open', '--policy', 'qixian-2022').code).toBe(0);
  for (const doc of [ZHANG, LI, SUN]) expect(canbao(day, 'enroll', 'person', '--person', doc).code).toBe(0);

  const badAgreements = file('协议-错.csv', [
    '姓名,证件号码,开户银行,银行卡号,持卡人姓名',
    `张三,${ZHANG},中国农业银行,62284800000000000X1,李四`,
  ]);
  const rejected = canbao(day, 'agreement', 'import', badAgreements);
  expect(rejected.code).toBe(2);
  expect(rejected.stderr).toContain('协议-错.csv 第 2 行“银行卡号”：银行卡号应为 10–30 位数字');
  const agreements = file('协议.csv', [
    '姓名,证件号码,开户银行,银行卡号,持卡人姓名,持卡人证件号码',
    `张三,${ZHANG},中国农业银行,6228480000000000011,李四,${LI}`,
    `李四,${LI},中国农业银行,6228480000000000029,李四,${LI}`,
  ]);
  const imported = canbao(day, 'agreement', 'import', agreements);
  expect(imported.stdout).toContain('✓ 2 行：新增协议 2，换卡 0，与现有协议相同 0');
  expect(imported.stdout).toContain('2 条待缴费参保记录已设为银行代扣');
  const added = canbao(
    day,
    'agreement',
    'add',
    '--person',
    SUN,
    '--bank',
    '中国邮政储蓄银行',
    '--card',
    '6217990000000000052',
    '--holder',
    '孙八',
  );
  expect(added.code).toBe(0);
  expect(added.stdout).toContain('已签订代扣协议：孙八');
  expect(added.stdout).toContain('6217***********0052');
  const list = canbao(day, 'agreement', 'list');
  expect(list.stdout).toContain('代扣协议 3 条');
  expect(list.stdout).not.toContain('6228480000000000011');

  const exported = canbao(day, 'batch', 'export');
  expect(exported.code).toBe(0);
  expect(exported.stdout).toContain('✓ 代扣批次 341302-20211008-1（2022 年度）：3 笔，合计 960.00 元');
  const batchFile = join(work, '341302-20211008-1.xlsx');
  expect(existsSync(batchFile)).toBe(true);
  expect(canbao(day, 'batch', 'export').stdout).toContain('没有需要代扣的人员，未生成批次');

  const bad = await bankResult(batchFile, '回盘-错.csv', (name) =>
    name === '孙八' ? ['失败', ''] : ['成功', ''],
  );
  const refused = canbao('2021-10-12', 'batch', 'import', bad, '--on', '2021-10-11');
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('回盘-错.csv 第 4 行“失败原因”：扣款失败的行必须填写失败原因');

  const result = await bankResult(batchFile, '回盘.csv', (name) =>
    name === '孙八' ? ['扣款失败', '卡已注销'] : ['扣款成功', ''],
  );
  const done = canbao('2021-10-12', 'batch', 'import', result, '--on', '2021-10-11');
  expect(done.code).toBe(0);
  expect(done.stdout).toContain('✓ 已导入批次 341302-20211008-1 的回盘结果（共 3 笔）');
  expect(done.stdout).toContain('扣款成功并记为缴费：2 笔，640.00 元');
  expect(done.stdout).toContain('扣款失败：1 笔，320.00 元（下一批次重扣）');
  expect(done.stdout).toContain('卡已注销：1 笔');
  const again = canbao('2021-10-12', 'batch', 'import', result, '--on', '2021-10-11');
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('导入过相同的回盘结果，未做任何更改');
  expect(canbao('2021-10-12', 'batch', 'show', '341302-20211008-1').stdout).toContain('扣款失败：卡已注销');

  const changed = canbao(
    '2021-10-15',
    'agreement',
    'change',
    '--person',
    SUN,
    '--bank',
    '中国农业银行',
    '--card',
    '6228480000000000078',
    '--holder',
    '孙八',
    '--reason',
    '卡已注销',
  );
  expect(changed.code).toBe(0);
  expect(changed.stdout).toContain(
    '原协议 中国邮政储蓄银行 6217***********0052 已于 2021-10-15 终止（卡已注销）',
  );
  const history = canbao('2021-10-15', 'agreement', 'list', '--person', SUN, '--history');
  expect(history.stdout).toContain('代扣协议 2 条（含已终止）');

  const retry = canbao('2021-10-15', 'batch', 'export', '--out', 'retry.csv');
  expect(retry.stdout).toContain(
    '代扣批次 341302-20211015-1（2022 年度）：1 笔，合计 320.00 元，其中上次扣款失败重扣 1 笔',
  );
  const retried = await bankResult(join(work, 'retry.csv'), '回盘2.csv', () => ['成功', '']);
  expect(canbao('2021-10-18', 'batch', 'import', retried, '--on', '2021-10-16').stdout).toContain(
    '扣款成功并记为缴费：1 笔，320.00 元',
  );

  const batches = canbao('2021-10-18', 'batch', 'list');
  expect(batches.stdout).toContain('代扣批次 2 个');
  expect(batches.stdout).toContain('成功 2 笔 640.00 元，失败 1 笔（回盘.csv）');
  const reconcile = canbao('2021-10-18', 'batch', 'reconcile');
  expect(reconcile.code).toBe(0);
  expect(reconcile.stdout).toContain(
    '✓ 341302-20211015-1｜已回盘｜成功 1 笔 320.00 元｜缴费记录 1 笔 320.00 元｜待报解入账 320.00 元',
  );
  expect(reconcile.stdout).toContain('全部批次与账簿一致。');
  const json = JSON.parse(canbao('2021-10-18', 'batch', 'reconcile', '--json').stdout) as {
    differences: string[];
  }[];
  expect(json.map((r) => r.differences)).toEqual([[], []]);
  expect(canbao('2021-10-18', 'batch', 'conflicts').stdout).toContain('待退还的重复扣款 0 笔，合计 0.00 元');
});
