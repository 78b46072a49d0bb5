/**
 * A 蕲县镇 campaign day by day through the `canbao` command, as township and village staff run it
 * (both engines): the population roster of three villages, last year's roster, 民政's 低保 and
 * 特困 lists, the annex 2 task table; the campaign opened with qixian-2022; renewal and subsidised
 * enrollment; cash collected on several days (one payment of the 31st recorded on 1 November);
 * e-certificates; then every report as of 31 October, the first incentive stage's date, checked
 * against figures worked out by hand from the story below (not copied from output).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { idNumber } from './collection-harness.ts';
import { describeEachEngine } from './db-harness.ts';
import { ANNEX2, readSheet, reportEnv, canbao as run, xlsxPath } from './report-cli.ts';

const TOWN = '341302900';
const QIXIAN = '341302900001'; // 蕲县村
const QIUYUAN = '341302900002'; // 邱元村
const XUQIAO = '341302900003'; // 徐桥村

/** The people: birth date in the ID number; 张大山 is 低保, 王老汉 特困. */
const P = {
  dashan: idNumber('34130219600301001'), // 蕲县村 H1 户主, 低保: pays 40
  xiuying: idNumber('34130219620505002'), // 蕲县村 H1 配偶: 320
  xiaoming: idNumber('34130219850707003'), // 蕲县村 H2 户主: renewed, has not paid by 10-31
  xiao: idNumber('34130220100909004'), // 蕲县村 H2 子女: new, not on last year's roster
  laohan: idNumber('34130219450101005'), // 邱元村 H3 户主, 特困: full subsidy, confirmed at enrollment
  gang: idNumber('34130219800202006'), // 邱元村 H4 户主: 320
  li: idNumber('34130219820303007'), // 邱元村 H4 配偶: 320
  qiang: idNumber('34130219750404008'), // 徐桥村 H5 户主: paid in cash 10-31, recorded 11-01
  laotai: idNumber('34130219500606009'), // 徐桥村 H6 户主: on last year's roster, never pays
};

describeEachEngine('a 蕲县镇 campaign through the command line', (engine) => {
  it('runs from the registry to every report, with figures worked out by hand', {
    timeout: 300_000,
  }, async () => {
    const handle = await engine.open();
    await handle.close();
    const dir = xlsxPath('x').replace(/\/x$/, '');
    const file = (name: string, lines: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    };
    const canbao = (today: string, ...args: string[]) => run(reportEnv(engine, today), ...args);
    const ok = async (today: string, ...args: string[]) => {
      const r = await canbao(today, ...args);
      expect(r.error, `canbao ${args.join(' ')}`).toBe('');
      return r.stdout;
    };
    const json = async (today: string, ...args: string[]) => JSON.parse(await ok(today, ...args, '--json'));

    const start = '2021-09-01';
    // As annex 2 of the notice has it: its title above, its own headings, the 合计 row last.
    const annexFile = () =>
      file('附件2.csv', [
        '蕲县镇2022年度城乡居民基本医疗保险征缴工作任务分解表,,',
        '村名,符合参保人数,参保金额',
        ...ANNEX2.map(([name, people, amount]) => `${name},${people},${amount}`),
        '合计,63018,15754500',
      ]);
    const registered = await ok(
      start,
      'import',
      'population',
      file('花名册.csv', [
        '姓名,公民身份号码,户号,与户主关系,村（社区）',
        `张大山,${P.dashan},QX-01,户主,蕲县村`,
        `李秀英,${P.xiuying},QX-01,配偶,蕲县村`,
        `张小明,${P.xiaoming},QX-02,户主,蕲县村`,
        `张晓,${P.xiao},QX-02,子女,蕲县村`,
        `王老汉,${P.laohan},QY-01,户主,邱元村`,
        `赵刚,${P.gang},QY-02,户主,邱元村`,
        `赵丽,${P.li},QY-02,配偶,邱元村`,
        `孙强,${P.qiang},XQ-01,户主,徐桥村`,
        `周老太,${P.laotai},XQ-02,户主,徐桥村`,
      ]),
      '--region',
      '341302',
    );
    expect(registered).toContain('新建户 6，新增 9');
    await ok(
      start,
      'import',
      'enrollment',
      file('2021年度参保名单.csv', [
        '姓名,公民身份号码,参保年度,个人缴费金额,村（社区）',
        ...Object.entries({
          张大山: P.dashan,
          李秀英: P.xiuying,
          张小明: P.xiaoming,
          王老汉: P.laohan,
          赵刚: P.gang,
          赵丽: P.li,
          孙强: P.qiang,
          周老太: P.laotai,
        }).map(([name, id]) => `${name},${id},2021,280,`),
      ]),
      '--region',
      '341302',
    );
    await ok(
      start,
      'import',
      'groups',
      file('民政.csv', [
        '姓名,公民身份号码,人员类别',
        `张大山,${P.dashan},低保`,
        `王老汉,${P.laohan},特困供养人员`,
      ]),
      '--region',
      '341302',
      '--department',
      '民政',
    );
    // The task table is for the campaign's year: imported before the campaign is opened, it is
    // refused row by row with an error report (the file's own headings are aliases of the template's).
    const early = await ok(start, 'import', 'targets', annexFile(), '--region', '341302');
    expect(early).toContain('第 3 行 年度：本县还没有征缴年度，请填写“年度”');
    expect(existsSync(join(dir, '附件2-错误报告.xlsx'))).toBe(true);
    await ok(start, 'campaign', 'open', '--policy', 'qixian-2022');
    const table = await ok(start, 'import', 'targets', annexFile(), '--region', '341302');
    // The 合计 row checked against the 14 villages: it is not itself a target.
    expect(table).toContain('表头在第 2 行');
    expect(table).toContain('已导入 15 行');
    // 特困 王老汉 confirmed at once (full subsidy); 低保 张大山 registered to pay 40.00.
    expect(await ok('2021-09-15', 'enroll', 'subsidised')).toContain(
      '新登记待缴费 1 人，全额资助直接参保 1 人',
    );
    // Last year's eight, less the two just registered; 张晓 was not on the roster.
    expect(await ok('2021-09-15', 'enroll', 'renew')).toContain(
      '新登记待缴费 6 人，全额资助直接参保 0 人，已有登记 2 人',
    );
    const shown = await ok('2021-09-15', 'campaign', 'show');
    expect(shown).toMatch(/待缴费：7 人/);
    expect(shown).toMatch(/已确认参保：1 人/);
    expect(await ok('2021-09-15', 'household', '--person', P.dashan)).toContain(
      '户成员 2 人，合计应缴 360.00 元',
    );

    // Cash taken by the village collector, a household at a time.
    const cash = (today: string, person: string, yuan: string, receipt: string, ...more: string[]) =>
      ok(
        today,
        'pay',
        '--channel',
        'cash_collection',
        '--person',
        person,
        '--household',
        '--amount',
        yuan,
        '--txn',
        receipt,
        '--collector',
        'qx-01',
        '--receipt',
        receipt,
        ...more,
      );
    await cash('2021-10-28', P.dashan, '360', 'R-001');
    await cash('2021-10-30', P.gang, '640', 'R-002');
    // 孙强 paid on the 31st; the receipt reached the township the next morning.
    await cash('2021-11-01', P.qiang, '320', 'R-003', '--on', '2021-10-31');
    expect(
      await ok(
        '2021-11-01',
        'collector',
        'remit',
        '--collector',
        'qx-01',
        '--slip',
        'S-1',
        '--amount',
        '1320',
      ),
    ).toContain('手中尚有现金 0.00 元');
    // 张晓 is new this year: registered, and the household pays on 11-02.
    await ok('2021-11-02', 'enroll', 'person', '--person', P.xiao);
    await cash('2021-11-02', P.xiaoming, '640', 'R-004');
    await ok(
      '2021-11-02',
      'import',
      'ecert',
      file('电子凭证.csv', [
        '姓名,公民身份号码,激活日期',
        `张大山,${P.dashan},2021-10-29`,
        `赵刚,${P.gang},2021-10-31`,
        `张小明,${P.xiaoming},2021-11-02`,
      ]),
      '--region',
      '341302',
    );

    const day = '2021-11-03';
    const asOf = ['--as-of', '2021-10-31'];

    // 征缴进度 as of 10-31. Enrolled: 张大山 and 李秀英 (10-28), 王老汉 (confirmed 09-15), 赵刚 and
    // 赵丽 (10-30), 孙强 (10-31, recorded 11-01) = 6 of 9 registered; paid 5 (王老汉 paid nothing);
    // 40 + 320 + 640 + 320 = 1,320.00 yuan. Since 10-30: 孙强, +1 and +320.00. E-certificates:
    // 张大山 (10-29) and 赵刚 (10-31) of the 6 enrolled (张小明's of 11-02 not yet).
    const progress = (await json(day, 'report', 'progress', '--region', TOWN, ...asOf)).data;
    const line = (code: string) => {
      const r = progress.rows.find((x: { regionCode: string }) => x.regionCode === code);
      return [
        r.today.enrolled,
        r.today.paid,
        r.today.collectedFen,
        r.change.enrolled,
        r.change.collectedFen,
        r.today.population,
        r.coverage,
        r.today.ecertActivated,
        r.targetPeople,
        r.targetFen,
      ];
    };
    expect(line(TOWN)).toEqual([6, 5, 132_000, 1, 32_000, 9, 66.66, 2, 63_018, 1_575_450_000]);
    // 蕲县村: 2 of 4 (张小明 and 张晓 not yet); 2 / 5167 = 0.0387%, shown 0.03 like the ranking.
    expect(line(QIXIAN)).toEqual([2, 2, 36_000, 0, 0, 4, 50, 1, 5167, 129_175_000]);
    expect(progress.rows[1].percentOfTargetPeople).toBe(0.03);
    expect(line(QIUYUAN)).toEqual([3, 2, 64_000, 0, 0, 3, 100, 1, 4263, 106_575_000]);
    expect(line(XUQIAO)).toEqual([1, 1, 32_000, 1, 32_000, 2, 50, 0, 4358, 108_950_000]);
    const groups = progress.rows[0].groups.filter((g: { members: number }) => g.members > 0);
    expect(
      groups.map((g: { group: string; members: number; enrolled: number }) => [
        g.group,
        g.members,
        g.enrolled,
      ]),
    ).toEqual([
      ['dibao', 1, 1],
      ['tekun', 1, 1],
    ]);

    // 排位通报 with the first stage (10-31) judged. People: 邱元村 3/4263 = 0.0703%, 蕲县村 2/5167 =
    // 0.0387%, 徐桥村 1/4358 = 0.0229%, eleven villages at 0 tied 4th and all named among the last
    // three. Money: 邱元村 640/1,065,750 = 0.060%, 徐桥村 320/1,089,500 = 0.0294%, 蕲县村 360/1,291,750
    // = 0.0279%. On 10-30 徐桥村 had nothing: third in money then (tied), second now (↑1).
    const xlsx = join(dir, '排位通报.xlsx');
    await ok(day, 'report', 'ranking', '--region', TOWN, ...asOf, '--xlsx', xlsx);
    const bulletin = await readSheet(xlsx, '排位通报', ['筹资排名', '村（社区）', '后三名']);
    expect(
      bulletin.rows
        .slice(0, 4)
        .map((r) => [
          r.筹资排名,
          r.较上日,
          r['村（社区）'],
          r.参保人数,
          r['已缴金额（元）'],
          r.入库排名,
          r.入库较上日,
          r.后三名,
        ]),
    ).toEqual([
      ['1', '—', '邱元村', '3', '640', '1', '—', ''],
      ['2', '—', '蕲县村', '2', '360', '3', '↓1', ''],
      ['3', '—', '徐桥村', '1', '320', '2', '↑1', ''],
      ['4', '↓1', '灯塔村', '0', '0', '4', '↓1', '筹资后三名、入库后三名'],
    ]);
    expect(bulletin.rows.slice(0, 14).filter((r) => r.后三名 !== '')).toHaveLength(11);
    expect(bulletin.rows[14]).toMatchObject({
      '村（社区）': '合计',
      任务人数: '63018',
      参保人数: '6',
      '已缴金额（元）': '1320',
    });
    const ranking = (await json(day, 'report', 'ranking', '--region', TOWN, ...asOf)).data;
    const [stage1, stage2, stage3] = ranking.stages;
    // Nobody reached 60% by 10-31: no rewards; the last three speak at the township meeting, no fines.
    expect([stage1.due, stage1.rewardsFen, stage1.finesFen]).toEqual([true, 0, 0]);
    expect(
      stage1.villages.filter((v: { lastThreePlace: number | null }) => v.lastThreePlace !== null),
    ).toHaveLength(11);
    expect([stage2.due, stage3.due]).toEqual([false, false]);

    // 未参保排查: the 蕲县镇 notice sets no screening rules, and the report says so.
    const screening = await canbao(day, 'report', 'screening', '--region', TOWN, ...asOf);
    expect(screening.error).toContain('政策 qixian-2022 没有规定未参保排查');

    // 资助结算: 特困 王老汉 320.00 (full) and 低保 张大山 280.00, both from medical assistance, as booked.
    const subsidies = await ok(day, 'report', 'subsidies', '--region', TOWN, ...asOf);
    expect(subsidies).toMatch(/特困人员（特困供养人员、五保）\s+医疗救助全额资助320元\s+320\s+1\s+320/);
    expect(subsidies).toMatch(/城乡低保对象\s+低保对象定额资助280元\s+280\s+1\s+280/);
    expect(subsidies).toContain('医疗救助资金（直接资助）合计：2 人，600.00 元');
    expect(subsidies).toMatch(/医疗救助资金\s+600\s+600\s+0/);

    // 基金收缴: cash per day as collected (the 31st's receipt on its day), remitted on 11-01, each
    // day agreeing with the journal; by 11-02 张小明's household's 640.00 too.
    const funds = (await json(day, 'report', 'funds', '--as-of', '2021-11-02')).data;
    expect(
      funds.days.map(
        (d: {
          date: string;
          collectedCount: number;
          collectedFen: number;
          remittedFen: number;
          differences: string;
        }) => [d.date, d.collectedCount, d.collectedFen, d.remittedFen, d.differences],
      ),
    ).toEqual([
      ['2021-10-28', 2, 36_000, 0, ''],
      ['2021-10-30', 2, 64_000, 0, ''],
      ['2021-10-31', 1, 32_000, 0, ''],
      ['2021-11-01', 0, 0, 132_000, ''],
      ['2021-11-02', 2, 64_000, 0, ''],
    ]);
    expect(
      funds.reconciliation.map((r: { measure: string; recordsFen: number; differenceFen: number }) => [
        r.measure,
        r.recordsFen,
        r.differenceFen,
      ]),
    ).toEqual([
      ['collectedFen', 196_000, 0],
      ['remittedFen', 132_000, 0],
      ['confirmedFen', 0, 0],
      ['refundsPaidFen', 0, 0],
    ]);
    expect(await ok(day, 'report', 'funds', ...asOf)).toMatch(/村（社区）现金代收\s+5\s+1320\s+0/);
  });
});
