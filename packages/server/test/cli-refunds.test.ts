/**
 * Refunds and 先缴后补 from the command line, as a county clerk would run them on a throwaway SQLite
 * folder (the services are tested on both engines in collection-refunds / -reimbursements):
 * `canbao refund request|pay|list` through the real binary, `canbao reimburse …` through its
 * registered commands in this process (CANBAO_TODAY fixes the date as in a drill).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { maskIdNumber } from '@canbao/core';
import { Command } from 'commander';
import ExcelJS from 'exceljs';
import { afterEach, expect, it, vi } from 'vitest';
import { registerReimburse } from '../src/cli/reimburse.ts';
import { idNumber } from './collection-harness.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/canbao.js');

function workspace() {
  const work = mkdtempSync(join(tmpdir(), 'canbao-cli-refunds-'));
  const env = (today: string) => ({
    CANBAO_DATA: join(work, 'data'),
    DATABASE_URL: '',
    CANBAO_TODAY: today,
    CANBAO_ACTOR: 'clerk',
  });
  return {
    work,
    canbao(today: string, ...args: string[]) {
      const result = spawnSync(process.execPath, [BIN, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env(today) },
        cwd: work,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    file(name: string, lines: string[]): string {
      const path = join(work, name);
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    },
    /** `canbao reimburse …` in this process: resolves to stdout, rejects with the command's error. */
    async reimburse(today: string, ...args: string[]): Promise<string> {
      const saved = { ...process.env };
      Object.assign(process.env, env(today));
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        out += String(chunk);
        return true;
      });
      try {
        const program = new Command('canbao').exitOverride();
        registerReimburse(program);
        await program.parseAsync(['reimburse', ...args], { from: 'user' });
        return out;
      } finally {
        spy.mockRestore();
        process.env = saved;
      }
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

// Many process starts each: allow for a busy machine.
it('requests a refund, shows the rule, pays it once, lists it (蕲县 2022)', { timeout: 180_000 }, () => {
  const w = workspace();
  const ZHANG = idNumber('34130219800101001');
  const LI = idNumber('34130219820202002');
  const day = '2021-10-08';
  const pop = w.file('pop.csv', [
    '姓名,公民身份号码,户号,与户主关系,村（社区）',
    `张三,${ZHANG},H1,户主,蕲县村`,
    `李四,${LI},H2,户主,蕲县村`,
  ]);
  expect(w.canbao(day, 'import', 'population', pop, '--region', '341302').code).toBe(0);
  expect(w.canbao(day, 'campaign', 'open', '--policy', 'qixian-2022').code).toBe(0);
  for (const [doc, txn] of [
    [ZHANG, 'W-1'],
    [LI, 'W-2'],
  ] as const) {
    expect(w.canbao(day, 'enroll', 'person', '--person', doc).code).toBe(0);
    const paid = w.canbao(
      day,
      'pay',
      '--channel',
      'online',
      '--person',
      doc,
      '--amount',
      '320',
      '--txn',
      txn,
    );
    expect(paid.stderr).toBe('');
  }

  const request = w.canbao('2021-12-01', 'refund', 'request', '--person', ZHANG, '--reason', '参加职工医保');
  expect(request.stderr).toBe('');
  expect(request.code).toBe(0);
  expect(request.stdout).toContain(
    `退费申请 #1：张三（${maskIdNumber(ZHANG)}）2022 年度，准予退费（待支付）`,
  );
  expect(request.stdout).toContain('准予退费：张三（参加职工医保）退还个人缴费 320.00 元，终止本年度参保。');
  expect(request.stdout).toContain('依据 八：“参保人在居民医保缴费后');
  expect(request.stdout).toContain('canbao refund pay 1 --on <支付日期> --reference <凭证号>');
  expect(request.stdout).not.toContain(ZHANG);

  const again = w.canbao('2021-12-02', 'refund', 'request', '--person', ZHANG, '--reason', 'duplicate');
  expect(again.code).toBe(2);
  expect(again.stderr).toContain('张三 2022 年度已退费（退费申请 #1');

  const refused = w.canbao(
    '2022-01-05',
    'refund',
    'request',
    '--person',
    LI,
    '--reason',
    'duplicate',
    '--json',
  );
  expect(refused.code).toBe(0);
  expect(JSON.parse(refused.stdout)).toMatchObject({
    refund: { id: 2, status: 'refused', rule_id: 'refund:after-benefit-start', cite: '八' },
    enrollmentStatus: 'paid',
    returned: [],
  });
  const badReason = w.canbao('2022-01-05', 'refund', 'request', '--person', LI, '--reason', '搬家');
  expect(badReason.code).toBe(2);
  expect(badReason.stderr).toContain('选项 --reason 有误：未知的退费原因“搬家”');

  const pay = ['refund', 'pay', '1', '--on', '2021-12-05', '--reference', 'TK-1'];
  expect(w.canbao('2021-12-05', ...pay).stdout).toBe(
    '退费申请 #1 已支付：张三 320.00 元，2021-12-05，凭证 TK-1\n',
  );
  expect(w.canbao('2021-12-06', ...pay).stdout).toContain('（此前已登记，未重复支付）');
  const payRefused = w.canbao('2022-01-05', 'refund', 'pay', '2');
  expect(payRefused.code).toBe(2);
  expect(payRefused.stderr).toContain('退费申请 #2 的结果为“不予退费”');

  const list = w.canbao('2022-01-06', 'refund', 'list');
  expect(list.stdout).toContain('退费申请 2 笔');
  expect(list.stdout).toContain(
    `#1 2021-12-01 张三（${maskIdNumber(ZHANG)}）2022 年度 参加职工医保：已退费，退还 320.00 元，2021-12-05 已支付〔八〕`,
  );
  expect(list.stdout).toMatch(/#2 2022-01-05 李四.*重复缴费：不予退费〔八〕/);
  expect(
    JSON.parse(w.canbao('2022-01-06', 'refund', 'list', '--status', 'paid', '--json').stdout),
  ).toHaveLength(1);
});

it('runs a 先缴后补 batch from the command line: batch, export, pay, confirm, list (达拉特旗 2023)', {
  timeout: 180_000,
}, async () => {
  const w = workspace();
  const LIU = idNumber('15062119600101001');
  const day = '2022-10-01';
  const regions = w.file('regions.csv', ['统计用区划代码,名称', '150621100,树林召镇', '150621100001,林原村']);
  expect(w.canbao(day, 'import', 'regions', regions, '--region', '150621').code).toBe(0);
  const pop = w.file('pop.csv', [
    '姓名,公民身份号码,户号,与户主关系,村（社区）',
    `刘一,${LIU},D1,户主,林原村`,
  ]);
  expect(w.canbao(day, 'import', 'population', pop, '--region', '150621').code).toBe(0);
  const dibao = w.file('dibao.csv', ['姓名,公民身份号码,人员类别,认定日期', `刘一,${LIU},低保,2022-01-10`]);
  expect(w.canbao(day, 'import', 'groups', dibao, '--region', '150621', '--department', '民政').code).toBe(0);
  expect(w.canbao(day, 'campaign', 'open', '--policy', 'dalate-2023').code).toBe(0);
  expect(w.canbao(day, 'enroll', 'person', '--person', LIU).stdout).toContain('个人缴费 380.00 元');
  expect(
    w.canbao(day, 'pay', '--channel', 'online', '--person', LIU, '--amount', '380', '--txn', 'W-1').code,
  ).toBe(0);

  await expect(w.reimburse('2022-11-01', 'batch', '--funder', '教育局')).rejects.toThrow(
    '选项 --funder 有误：未知的资助部门“教育局”',
  );
  const batch = await w.reimburse('2022-11-01', 'batch', '--funder', '民政局');
  const no = '150621-civil_affairs-20221101-1';
  expect(batch).toContain(
    `已生成先缴后补批次 ${no}：民政部门，2023 年度，1 人，合计 330.00 元，已生成（待拨付）（生成 2022-11-01）`,
  );
  await expect(w.reimburse('2022-11-02', 'confirm', no)).rejects.toThrow(`批次 ${no} 尚未拨付，不能确认`);

  const out = join(w.work, '民政补助.xlsx');
  expect(await w.reimburse('2022-11-02', 'export', no, '--out', out)).toContain(`已导出 1 人：${out}`);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(out);
  const row = (book.worksheets[0] as ExcelJS.Worksheet).getRow(5).values as unknown[];
  expect(row.slice(1)).toEqual([1, '刘一', LIU, '林原村', '城乡低保对象', '330.00']);
  await expect(w.reimburse('2022-11-02', 'export', no, '--out', join(w.work, 'x.csv'))).rejects.toThrow(
    '发放名单只导出为 .xlsx',
  );

  expect(await w.reimburse('2022-11-10', 'pay', no)).toContain('已登记拨付：');
  expect(await w.reimburse('2022-11-11', 'pay', no, '--on', '2022-11-10')).toContain(
    '此前已登记拨付，未重复记录',
  );
  await expect(w.reimburse('2022-11-11', 'pay', no)).rejects.toThrow(
    `批次 ${no} 已于 2022-11-10 拨付，不能再次拨付`,
  );
  expect(await w.reimburse('2022-11-15', 'confirm', no)).toContain(
    '已确认（生成 2022-11-01，拨付 2022-11-10，确认 2022-11-15）',
  );
  const listed = JSON.parse(await w.reimburse('2022-11-15', 'list', '--funder', 'civil_affairs', '--json'));
  expect(listed).toMatchObject([{ batch_no: no, status: 'confirmed', total_fen: 33000 }]);
});
