/**
 * A village campaign from the command line, as a township officer and a village collector would run
 * it: open the campaign, import people and a 低保 list, enroll, see the household, take cash for the
 * whole household (a retried command records nothing twice), remit, pay online through the gateway
 * simulator. Runs the real `canbao` binary on a throwaway SQLite folder (the services under it are
 * tested on both engines elsewhere); CANBAO_TODAY fixes the date as in a drill.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { idNumber } from './collection-harness.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/canbao.js');
const work = mkdtempSync(join(tmpdir(), 'canbao-cli-collection-'));

function canbao(today: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      CANBAO_DATA: join(work, 'data'),
      DATABASE_URL: '',
      CANBAO_TODAY: today,
      CANBAO_ACTOR: 'qx-clerk',
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

const ZHANG = idNumber('34130219800101001');
const LI = idNumber('34130219820202002');
const WANG = idNumber('34130219400303003');
const ZHAO = idNumber('34130219900404004');

// Two dozen process starts: allow for a busy CI machine.
it('runs a village campaign: enroll, household cash with receipt, retry, remit, online', {
  timeout: 180_000,
}, () => {
  const day = '2021-10-08';
  expect(canbao(day, 'enroll', 'renew').stderr).toContain('尚未开启任何征缴');
  expect(
    canbao(
      day,
      'import',
      'population',
      file('pop.csv', [
        '姓名,公民身份号码,户号,与户主关系,村（社区）',
        `张三,${ZHANG},H1,户主,蕲县村`,
        `李四,${LI},H1,配偶,蕲县村`,
        `王五,${WANG},H2,户主,邱元村`,
        `赵六,${ZHAO},H3,户主,邱元村`,
      ]),
      '--region',
      '341302',
    ).code,
  ).toBe(0);
  const groups = file('dibao.csv', [
    '姓名,公民身份号码,人员类别',
    `张三,${ZHANG},低保`,
    `王五,${WANG},特困供养人员`,
  ]);
  expect(canbao(day, 'import', 'groups', groups, '--region', '341302', '--department', '民政').code).toBe(0);

  const opened = canbao(day, 'campaign', 'open', '--policy', 'qixian-2022');
  expect(opened.code).toBe(0);
  expect(opened.stdout).toContain('已开启：341302 2022 年度征缴，政策 qixian-2022');

  const subsidised = canbao(day, 'enroll', 'subsidised');
  expect(subsidised.stdout).toContain('新登记待缴费 1 人，全额资助直接参保 1 人');
  expect(canbao(day, 'enroll', 'person', '--person', LI).stdout).toContain('个人缴费 320.00 元');

  const household = canbao(day, 'household', '--person', LI);
  expect(household.stdout).toContain('户成员 2 人，合计应缴 360.00 元');
  expect(household.stdout).not.toContain(LI); // masked

  const mobilise = canbao(day, 'mobilise', '--xlsx', join(work, 'mobilise.xlsx'));
  expect(mobilise.stdout).toContain('动员名单：1 人');
  expect(mobilise.stdout).toContain('张三');
  expect(existsSync(join(work, 'mobilise.xlsx'))).toBe(true);

  const cash = ['pay', '--channel', 'cash_collection', '--person', ZHANG, '--household', '--amount', '360'];
  const wrong = canbao(
    day,
    ...cash.slice(0, -1),
    '350',
    '--txn',
    'R-1',
    '--collector',
    'qx-01',
    '--receipt',
    'R-1',
  );
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('应缴合计 360.00 元（张三 40.00 元、李四 320.00 元），实收 350.00 元');
  const paid = canbao(day, ...cash, '--txn', 'R-1', '--collector', 'qx-01', '--receipt', 'R-1');
  expect(paid.code).toBe(0);
  expect(paid.stdout).toContain('城乡居民医保缴费收据');
  expect(paid.stdout).toContain('合计：360.00 元');
  const retried = canbao(day, ...cash, '--txn', 'R-1', '--collector', 'qx-01', '--receipt', 'R-1');
  expect(retried.stdout).toContain('此流水号已记录，未重复收费');
  const twice = canbao(day, 'pay', '--channel', 'online', '--person', LI, '--amount', '320', '--txn', 'W-1');
  expect(twice.stderr).toContain('李四 本年度已缴费');

  expect(canbao(day, 'collector', 'balance', '--collector', 'qx-01').stdout).toContain('360.00 元');
  expect(
    canbao(day, 'collector', 'remit', '--collector', 'qx-01', '--slip', 'S-1', '--amount', '400').stderr,
  ).toContain('超出');
  expect(
    canbao(day, 'collector', 'remit', '--collector', 'qx-01', '--slip', 'S-1', '--amount', '360').stdout,
  ).toContain('手中尚有现金 0.00 元');

  // 赵六 pays online in the collection period through the gateway simulator; a wrong name is refused
  // with the same answer as an unknown number.
  expect(canbao(day, 'enroll', 'person', '--person', ZHAO).code).toBe(0);
  expect(canbao(day, 'online', 'pay', '--name', '赵七', '--id', ZHAO).stderr).toContain('未查到');
  // 民政's next list adds 赵六 as 低保 before he pays: his due drops to 40 at once.
  const nextList = file('dibao-2.csv', [
    '姓名,公民身份号码,人员类别',
    `张三,${ZHANG},低保`,
    `赵六,${ZHAO},低保`,
    `王五,${WANG},特困供养人员`,
  ]);
  const relisted = canbao(
    '2021-10-20',
    'import',
    'groups',
    nextList,
    '--region',
    '341302',
    '--department',
    '民政',
  );
  expect(relisted.stdout).toContain('已按新名单重新测算未缴费人员：1 人应缴金额有变化');
  expect(canbao('2021-10-20', 'household', '--person', ZHAO).stdout).toContain('应缴 40.00 元');
  const online = canbao('2021-11-02', 'online', 'pay', '--name', '赵六', '--id', ZHAO);
  expect(online.code).toBe(0);
  expect(online.stdout).toContain('线上缴费（支付网关）');
  expect(online.stdout).toContain('合计：40.00 元');

  const show = canbao('2021-11-02', 'enroll', 'show', '--person', ZHANG);
  expect(show.stdout).toContain('已缴费');
  expect(show.stdout).toContain('低保对象定额资助280元');
  expect(show.stdout).toContain('待缴费 → 已缴费');
  const status = canbao('2021-11-02', 'campaign', 'show');
  expect(status.stdout).toMatch(/已缴费：3 人，已缴 400\.00 元/);
  expect(status.stdout).toMatch(/已确认参保：1 人/);
});
