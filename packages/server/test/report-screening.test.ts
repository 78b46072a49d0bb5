/**
 * 未参保排查 (report `screening`) on 瑶海区 2024 (yaohai-2024: previous 2 years, flag 60+ and
 * students, collection ends 2023-12-31), both engines, figures worked out by hand below; and the
 * CLI's .xlsx export read back.
 *
 *   东村 340102001001: 甲 1950 (户籍 + 2022年参保, 60+, not enrolled, 380.00)
 *                      婴 2023-06-01, a newborn: quoted for the campaign's year 2024 (380.00)
 *                      乙 1990 paid online 2023-10-01 (not listed)
 *                      戊 1970 低保 (not enrolled, assessed 38.00)
 *                      壬 1988 enrolled 11-10, paid 11-25 (listed as of 11-20 only, 380.00)
 *                      己 1960 died 2023-10-01 (excluded: 已死亡)
 *   西村 340102001002: 丙 2010 student (380.00), 丁 1985 enrolled not paid (待缴费, 380.00),
 *                      庚 1975 employee insurance (excluded: 已参加职工医保)
 *   no village:        辛 1980 on the roster, enrolled in 2023 (户籍、2023年参保, 380.00); 癸 1982 on
 *                      the roster, enrolled in 2021 only (outside the 2 previous years): 户籍 (380.00)
 */
import { maskIdNumber } from '@canbao/core';
import { expect, it } from 'vitest';
import { enroll } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { type ScreeningReport, screeningDefinition } from '../src/reports/screening.ts';
import { failure } from './books-harness.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { canbao, readSheet, reportEnv, xlsxPath } from './report-cli.ts';

const C = '340102';
const EAST = '340102001001';
const WEST = '340102001002';
const JIA = idNumber('34010219500301001');
const YI = idNumber('34010219900101002');
const BING = idNumber('34010220100505003');
const DING = idNumber('34010219850202004');
const WU = idNumber('34010219700303005');
const JI = idNumber('34010219600404006');
const GENG = idNumber('34010219750606007');
const XIN = idNumber('34010219800707008');
const REN = idNumber('34010219880808009');
const GUI = idNumber('34010219820909010');
const YING = idNumber('34010220230601011');

async function screeningWorld(handle: DatabaseHandle): Promise<World> {
  const w = await campaignWorld(handle, 'yaohai-2024', C, '2023-09-01');
  await w.importKind('regions', [
    '统计用区划代码,名称',
    '340102001,测试街道',
    `${EAST},东村`,
    `${WEST},西村`,
  ]);
  await w.importKind(
    'population',
    [
      '姓名,公民身份号码,户号,与户主关系,村（社区）,联系电话,死亡日期',
      `甲,${JIA},H1,户主,东村,13800000001,`,
      `乙,${YI},H1,子,东村,,`,
      `戊,${WU},H4,户主,东村,13800000005,`,
      `壬,${REN},H5,户主,东村,,`,
      `己,${JI},H6,户主,东村,,2023-10-01`,
      `丙,${BING},H2,户主,西村,,`,
      `丁,${DING},H3,户主,西村,,`,
      `庚,${GENG},H7,户主,西村,,`,
      `辛,${XIN},H9,户主,,,`,
      `癸,${GUI},H10,户主,,,`,
      `婴,${YING},H1,子,东村,,`,
    ],
    { today: '2023-10-02' },
  );
  await w.importKind('students', ['姓名,公民身份号码,学校', `丙,${BING},瑶海实验小学`]);
  await w.importKind('groups', ['姓名,公民身份号码,人员类别', `戊,${WU},低保`], {
    department: 'civil_affairs',
  });
  await w.importKind('external', [
    '姓名,公民身份号码,参保类型,参保单位或地区,参保日期',
    `庚,${GENG},职工医保,某公司,2020-01-01`,
  ]);
  await w.importKind('enrollment', [
    '姓名,公民身份号码,参保年度,个人缴费金额',
    `甲,${JIA},2022,350`,
    `辛,${XIN},2023,380`,
    `癸,${GUI},2021,320`,
  ]);
  const enrollOn = async (doc: string, day: string) =>
    (await enroll(w.ctx(day, 'clerk'), { personId: await w.personId(doc), source: 'renewal' })).enrollment;
  const yi = await enrollOn(YI, '2023-09-10');
  await recordPayment(w.ctx('2023-10-01'), {
    channel: 'online',
    txnId: 'W-1',
    enrollmentIds: [yi.id],
    amountFen: 38000,
    paidOn: '2023-10-01',
  });
  await enrollOn(DING, '2023-09-10');
  const ren = await enrollOn(REN, '2023-11-10');
  await recordPayment(w.ctx('2023-11-25'), {
    channel: 'cash_collection',
    txnId: 'R-1',
    enrollmentIds: [ren.id],
    amountFen: 38000,
    paidOn: '2023-11-25',
    collector: 'yh-01',
    receiptNo: 'R-1',
  });
  return w;
}

const listed = (r: ScreeningReport) =>
  r.people.map((p) => [
    p.villageName,
    p.name,
    p.sources.join('、'),
    p.status,
    p.flags.join('、'),
    p.dueFen,
    p.basis,
  ]);

describeEachEngine('report screening (未参保排查)', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('lists the unenrolled of the register and the two previous years, flags 60+ and students, excludes and counts', async () => {
    const w = await screeningWorld(await fresh());
    const result = await screeningDefinition.run(w.ctx('2023-11-30'), { regionCode: C, asOf: '2023-11-30' });
    const r = result.data;
    expect(result.meta).toMatchObject({ regionCode: C, regionName: '瑶海区', asOf: '2023-11-30' });
    expect(r.previousYears).toEqual([2022, 2023]);
    expect(r.flagLabels).toEqual(['60周岁以上', '学生']);
    expect(listed(r)).toEqual([
      ['东村', '甲', '户籍、2022年参保', null, '60周岁以上', 38000, '按政策测算（2023-11-30）'],
      ['东村', '婴', '户籍', null, '', 38000, '按政策测算（2023-11-30）'],
      ['东村', '戊', '户籍', null, '', 3800, '按政策测算（2023-11-30）'],
      ['西村', '丙', '户籍', null, '学生', 38000, '按政策测算（2023-11-30）'],
      ['西村', '丁', '户籍', 'awaiting_payment', '', 38000, '参保登记'],
      ['未落村（社区）', '癸', '户籍', null, '', 38000, '按政策测算（2023-11-30）'],
      ['未落村（社区）', '辛', '户籍、2023年参保', null, '', 38000, '按政策测算（2023-11-30）'],
    ]);
    expect(r.villages.map((v) => [v.villageCode, v.people, v.flagged, v.dueFen])).toEqual([
      [EAST, 3, [1, 0], 79800],
      [WEST, 2, [0, 1], 76000],
      [null, 2, [0, 0], 76000],
    ]);
    expect(r.excluded.reasons).toEqual([
      { reason: '已死亡', people: 1 },
      { reason: '已参加职工医保', people: 1 },
    ]);
    expect(r.excluded.people.map((x) => [x.villageName, x.name, x.docNumber])).toEqual([
      ['东村', '己', maskIdNumber(JI)],
      ['西村', '庚', maskIdNumber(GENG)],
    ]);
    const jia = r.people[0];
    expect(jia?.docNumber).toBe(maskIdNumber(JIA));
    expect(jia?.age).toBe(73);
    expect(jia?.phone).toBe('13800000001');
    expect(jia?.deadline).toBe('2023-12-31');
    expect(jia?.message).toMatch(
      /^【瑶海区医保】甲您好，您尚未参加2024年度城乡居民基本医疗保险，个人应缴 380\.00 元，请于2023年12月31日前缴费。缴费方式：合肥医保公众号.+办税服务厅。$/,
    );
    expect(jia?.message).not.toContain(JIA);

    // The tables: summary with notes, the list, one reminder sheet per village, the excluded.
    expect(result.tables.map((t) => t.name)).toEqual([
      '排查汇总',
      '未参保名单',
      '短信-东村',
      '短信-西村',
      '短信-未落村（社区）',
      '排除人员',
    ]);
    const summary = result.tables[0];
    expect(summary?.rows).toEqual([
      [EAST, '东村', 3, 1, 0, 798],
      [WEST, '西村', 2, 0, 1, 760],
      [null, '未落村（社区）', 2, 0, 0, 760],
    ]);
    expect(summary?.notes?.[0]).toBe('合计 7 人，应缴 2318.00 元。');
    expect(summary?.notes?.[1]).toBe(
      '排查范围：户籍人口及 2022、2023 年度参保人员中截至报表日期未参保（未缴费或未确认）的人员；排查期 2023-11-11 至 2023-12-31（yaohai-2024 七（三）、canbao 解读）。',
    );
    expect(summary?.notes?.[2]).toBe('已排除 2 人：已死亡 1 人，已参加职工医保 1 人（见“排除人员”）。');
    expect(result.tables[3]?.rows.map((row) => [row[1], row[3]])).toEqual([
      ['丙', 380],
      ['丁', 380],
    ]);
  });

  it('as of an earlier date: 壬 was enrolled but had not paid; a village narrows the list', async () => {
    const w = await screeningWorld(await fresh());
    const earlier = await screeningDefinition.run(w.ctx('2023-11-30'), { regionCode: C, asOf: '2023-11-20' });
    expect(listed(earlier.data).map((row) => row.slice(0, 6))).toEqual([
      ['东村', '甲', '户籍、2022年参保', null, '60周岁以上', 38000],
      ['东村', '婴', '户籍', null, '', 38000],
      ['东村', '戊', '户籍', null, '', 3800],
      ['东村', '壬', '户籍', 'awaiting_payment', '', 38000],
      ['西村', '丙', '户籍', null, '学生', 38000],
      ['西村', '丁', '户籍', 'awaiting_payment', '', 38000],
      ['未落村（社区）', '癸', '户籍', null, '', 38000],
      ['未落村（社区）', '辛', '户籍、2023年参保', null, '', 38000],
    ]);
    // Before 壬 was enrolled (11-10) they had no enrollment yet: null state, amount from it still.
    const before = await screeningDefinition.run(w.ctx('2023-11-30'), { regionCode: C, asOf: '2023-11-01' });
    expect(before.data.people.find((p) => p.name === '壬')?.status).toBeNull();
    // 乙 paid on 10-01: listed on 09-30.
    const september = await screeningDefinition.run(w.ctx('2023-11-30'), {
      regionCode: C,
      asOf: '2023-09-30',
    });
    expect(september.data.people.find((p) => p.name === '乙')?.status).toBe('awaiting_payment');

    const west = await screeningDefinition.run(w.ctx('2023-11-30'), { regionCode: WEST, asOf: '2023-11-30' });
    expect(west.data.people.map((p) => p.name)).toEqual(['丙', '丁']);
    expect(west.data.excluded.people.map((x) => [x.name, x.reason])).toEqual([['庚', '已参加职工医保']]);
    const township = await screeningDefinition.run(w.ctx('2023-11-30'), {
      regionCode: '340102001',
      asOf: '2023-11-30',
    });
    expect(township.data.people.map((p) => p.name)).toEqual(['甲', '婴', '戊', '丙', '丁']);
  });

  it('after the collection end the reminder says the period is over; a policy without screening is refused', async () => {
    const w = await screeningWorld(await fresh());
    const late = await screeningDefinition.run(w.ctx('2024-01-05'), { regionCode: EAST, asOf: '2024-01-05' });
    expect(late.tables[0]?.notes?.[1]).toMatch(
      /排查期 2023-11-11 至 2023-12-31（.+）。报表日期 2024-01-05 不在排查期内。$/,
    );
    expect(late.data.people.find((p) => p.name === '甲')?.message).toContain(
      '集中缴费期已于2023年12月31日结束，请尽快缴费',
    );
    const other = await campaignWorld(await fresh(), 'qixian-2022', '341302', '2021-09-01');
    const refused = await failure(
      screeningDefinition.run(other.ctx('2021-10-01'), { regionCode: '341302', asOf: '2021-10-01' }),
    );
    expect(refused.code).toBe('no_screening');
    expect(refused.message).toContain('qixian-2022 没有规定未参保排查');
  });

  it('counts people registered without a village or hukou code as the county register', async () => {
    const w = await campaignWorld(await fresh(), 'yaohai-2024', C, '2023-09-01');
    const old = idNumber('34010219500101001');
    const young = idNumber('34010219900505005');
    await w.importKind('population', ['姓名,公民身份号码,户号', `老人,${old},Z1`, `青年,${young},Z2`]);
    const report = await screeningDefinition.run(w.ctx('2023-11-20'), { regionCode: C, asOf: '2023-11-20' });
    expect(report.data.people.map((p) => [p.name, p.villageName, p.flags])).toEqual([
      ['老人', '未落村（社区）', ['60周岁以上']],
      ['青年', '未落村（社区）', []],
    ]);
  });
});

describeEachEngine('canbao report screening --xlsx', (engine) => {
  it('exports the list and the reminders per village, read back with their header lines', async () => {
    const handle = await engine.open();
    await screeningWorld(handle);
    await handle.close();
    const env = reportEnv(engine, '2023-11-30');
    const xlsx = xlsxPath('排查.xlsx');
    const run = await canbao(env, 'report', 'screening', '--as-of', '2023-11-30', '--xlsx', xlsx);
    expect(run.error).toBe('');
    expect(run.stdout).toContain('瑶海区（340102）未参保人员动员名单');
    expect(run.stdout).toContain(`已导出：${xlsx}`);

    const list = await readSheet(xlsx, '未参保名单', ['姓名', '证件号码', '应缴金额（元）']);
    expect(list.headerLine).toBe(3);
    expect(
      list.rows.map((r) => [r['村（社区）'], r.姓名, r.证件号码, r.重点标记, r['应缴金额（元）']]),
    ).toEqual([
      ['东村', '甲', maskIdNumber(JIA), '60周岁以上', '380'],
      ['东村', '婴', maskIdNumber(YING), '', '380'],
      ['东村', '戊', maskIdNumber(WU), '', '38'],
      ['西村', '丙', maskIdNumber(BING), '学生', '380'],
      ['西村', '丁', maskIdNumber(DING), '', '380'],
      ['未落村（社区）', '癸', maskIdNumber(GUI), '', '380'],
      ['未落村（社区）', '辛', maskIdNumber(XIN), '', '380'],
    ]);
    const sms = await readSheet(xlsx, '短信-东村', ['姓名', '短信内容']);
    expect(sms.rows.map((r) => [r.姓名, r.联系电话, r.缴费截止日期])).toEqual([
      ['甲', '13800000001', '2023-12-31'],
      ['婴', '', '2023-12-31'],
      ['戊', '13800000005', '2023-12-31'],
    ]);
    expect(sms.rows[2]?.短信内容).toContain('个人应缴 38.00 元，请于2023年12月31日前缴费');

    const refused = await canbao(env, 'report', 'screening', '--region', '341302');
    expect(refused.error).toBe('区划 341302 不在县级区划 340102 内');
  });
});
