/**
 * 排位通报 (report `ranking`) on a 蕲县镇 campaign, both engines: the seeded villages and task
 * table (annex 2), people imported into villages, payments on different days; the rankings, ties,
 * the last three, the change since the day before and each incentive stage worked out by hand
 * (the rates are fractions of the annex's targets; the order of 1/x is the order of x).
 */
import ExcelJS from 'exceljs';
import { expect, it } from 'vitest';
import { enroll } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import { payRefund, requestRefund } from '../src/collection/refunds.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { displayWidth } from '../src/files/write-xlsx.ts';
import { ratePercent } from '../src/reports/progress.ts';
import { evaluateStage, type RankingReport, rankingDefinition } from '../src/reports/ranking.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { canbao, readSheet, reportEnv, xlsxPath } from './report-cli.ts';

const COUNTY = '341302';
const TOWN = '341302900';

/**
 * Who lives where, and when they pay (320.00 each; 大三 is 低保 and pays 40.00; 刘一 is 特困,
 * confirmed at enrollment on 10-31 without paying; 代二's payment of 10-31 is recorded on 11-01 and
 * counts on 10-31, the day it was made). Everyone is their own household.
 */
const PEOPLE: readonly {
  name: string;
  village: string;
  pays: string | null;
  group?: string;
  /** When the payment reached canbao, if later than it was made (a bank file). */
  recorded?: string;
}[] = [
  { name: '大一', village: '大江村', pays: '2021-10-30' },
  { name: '大二', village: '大江村', pays: '2021-10-30' },
  { name: '大三', village: '大江村', pays: '2021-10-31', group: '低保' },
  { name: '大四', village: '大江村', pays: '2021-11-10' },
  { name: '白一', village: '白安村', pays: '2021-10-30' },
  { name: '白二', village: '白安村', pays: '2021-10-31' },
  { name: '白三', village: '白安村', pays: '2021-10-31' },
  { name: '代一', village: '代安村', pays: '2021-10-31' },
  { name: '代二', village: '代安村', pays: '2021-10-31', recorded: '2021-11-01' },
  { name: '许一', village: '许寨村', pays: '2021-10-30' },
  { name: '许二', village: '许寨村', pays: '2021-10-30' },
  { name: '灯一', village: '灯塔村', pays: '2021-10-30' },
  { name: '邱一', village: '邱元村', pays: '2021-10-30' },
  { name: '徐一', village: '徐桥村', pays: '2021-10-30' },
  { name: '周一', village: '周王村', pays: '2021-10-30' },
  { name: '蕲一', village: '蕲县村', pays: '2021-10-30' },
  { name: '袁一', village: '袁小寨村', pays: '2021-10-30' },
  { name: '团一', village: '团结村', pays: '2021-10-30' },
  { name: '忠一', village: '忠陈村', pays: '2021-10-31' },
  { name: '刘一', village: '刘圩村', pays: null, group: '特困供养人员' },
  { name: '陈一', village: '白陈村', pays: '2021-11-20' },
];

const doc = (i: number) => idNumber(`34130219900101${String(i + 100).padStart(3, '0')}`);

/** The campaign; payments up to and including `until`. */
async function qixian(handle: DatabaseHandle, until: string): Promise<World> {
  const w = await campaignWorld(handle, 'qixian-2022', COUNTY, '2021-09-01');
  await w.importKind('population', [
    '姓名,公民身份号码,户号,与户主关系,村（社区）',
    ...PEOPLE.map((p, i) => `${p.name},${doc(i)},H${i},户主,${p.village}`),
  ]);
  await w.importKind(
    'groups',
    [
      '姓名,公民身份号码,人员类别,认定日期',
      ...PEOPLE.flatMap((p, i) => (p.group ? [`${p.name},${doc(i)},${p.group},2021-01-10`] : [])),
    ],
    { department: 'civil_affairs' },
  );
  for (const [i, p] of PEOPLE.entries()) {
    // The full-subsidy person is confirmed the day they are enrolled: 10-31.
    const day = p.pays === null ? '2021-10-31' : '2021-10-08';
    const { enrollment } = await enroll(w.ctx(day, 'clerk'), {
      personId: await w.personId(doc(i)),
      source: 'renewal',
    });
    if (p.pays === null) {
      expect(enrollment.status).toBe('confirmed');
      continue;
    }
    if (p.pays > until) continue;
    expect(enrollment.pays_fen).toBe(p.group === '低保' ? 4000 : 32000);
    await recordPayment(w.ctx(p.recorded ?? p.pays), {
      channel: 'online',
      txnId: `WX-${i}`,
      enrollmentIds: [enrollment.id],
      amountFen: enrollment.pays_fen,
      paidOn: p.pays,
    });
  }
  return w;
}

/** [rank, change, name, enrolled, rate, collected fen, money rank, money change, last three]. */
function rankingRows(r: RankingReport) {
  return r.villages.map((v) => [
    v.collection.rank,
    v.collection.change,
    v.regionName,
    v.enrolled,
    v.peopleRate,
    v.collectedFen,
    v.money.rank,
    v.money.change,
    [v.collection.lastThree, v.money.lastThree],
  ]);
}

describeEachEngine('report ranking (排位通报)', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('ranks the villages on the annex targets as of 10-31, with ties, the last three and the change since 10-30', async () => {
    const w = await qixian(await fresh(), '2021-10-31');
    const result = await rankingDefinition.run(w.ctx('2021-10-31'), { regionCode: TOWN, asOf: '2021-10-31' });
    const r = result.data;
    expect([r.measure, r.previousDay, r.benefitYear]).toEqual(['people', '2021-10-30', 2022]);
    expect(r.measureNote).toContain('参保人数占任务人数');
    expect(r.measureNote).toContain('二：以2021年核定的参保人数为各村新农合筹资的任务数');
    // People: 大江 3/3102, 白安 3/3719, 代安 = 许寨 2/4220 (tied: the same target and count), then
    // one person each against 3997 (灯塔) < 4263 (邱元) < 4358 (徐桥) < 4488 (忠陈) < 4970 (周王)
    // < 5167 (蕲县) < 5229 (袁小寨) < 5267 (刘圩, the 特困 confirmed on 10-31) < 5514 (团结); 白陈 0.
    // 10-30: 大江 2/3102, 许寨 2/4220, 白安 1/3719, 灯塔, 邱元, 徐桥, 周王, 蕲县, 袁小寨, 团结 one
    // each (ranks 4–10), 代安, 忠陈, 白陈, 刘圩 none (tied 11th).
    // Money (amount paid / annex amount, 250.00 a head): 白安 960.00/929 750 = 0.1032%, 大江
    // (320 + 320 + 40 低保) 680.00/775 500 = 0.0876%, 代安 = 许寨 640.00/1 055 000; the one-person
    // villages in the same order as for people; 刘圩 (特困 pays nothing) and 白陈 tied last at 0.
    // 10-30 money: the same order as people that day (everyone paid 320.00).
    expect(rankingRows(r)).toEqual([
      [1, 0, '大江村', 3, 0.09, 68000, 2, -1, [false, false]],
      [2, 1, '白安村', 3, 0.08, 96000, 1, 2, [false, false]],
      [3, 8, '代安村', 2, 0.04, 64000, 3, 8, [false, false]],
      [3, -1, '许寨村', 2, 0.04, 64000, 3, -1, [false, false]],
      [5, -1, '灯塔村', 1, 0.02, 32000, 5, -1, [false, false]],
      [6, -1, '邱元村', 1, 0.02, 32000, 6, -1, [false, false]],
      [7, -1, '徐桥村', 1, 0.02, 32000, 7, -1, [false, false]],
      [8, 3, '忠陈村', 1, 0.02, 32000, 8, 3, [false, false]],
      [9, -2, '周王村', 1, 0.02, 32000, 9, -2, [false, false]],
      [10, -2, '蕲县村', 1, 0.01, 32000, 10, -2, [false, false]],
      [11, -2, '袁小寨村', 1, 0.01, 32000, 11, -2, [false, false]],
      [12, -1, '刘圩村', 1, 0.01, 0, 13, -2, [true, true]],
      [13, -3, '团结村', 1, 0.01, 32000, 12, -2, [true, true]],
      [14, -3, '白陈村', 0, 0, 0, 13, -2, [true, true]],
    ]);
    expect(r.villages.map((v) => v.regionCode).slice(0, 2)).toEqual(['341302900008', '341302900011']);
    expect(r.villages[0]).toMatchObject({ targetPeople: 3102, targetFen: 77_550_000, amountRate: 0.08 });
    expect(r.totals).toEqual({
      targetPeople: 63018,
      targetFen: 1_575_450_000,
      enrolled: 21 - 2, // 大四 and 陈一 pay later
      collectedFen: 17 * 32000 + 4000,
    });

    // Stage 1 is due on 10-31: nobody reaches 60%, the last three speak at the town meeting.
    const [s1, s2, s3] = r.stages;
    expect(s1).toMatchObject({
      id: 'stage-1',
      label: '第1阶段',
      by: '2021-10-31',
      due: true,
      rewardsFen: 0,
      finesFen: 0,
    });
    expect(s1?.cite).toEqual(['十一（三）']);
    expect(s1?.quote).toContain('完成总任务的80%、70%、60%的村，分别给予8000元、7000元、6000元奖励');
    expect(
      s1?.villages.filter((v) => v.lastThreePlace !== null).map((v) => [v.regionName, v.lastThreePlace]),
    ).toEqual([
      ['刘圩村', 3],
      ['团结村', 2],
      ['白陈村', 1],
    ]);
    expect(s1?.villages.every((v) => v.tierPercent === null && v.reachedRequired === null)).toBe(true);
    // Stages 2 and 3 are after the report date.
    expect([s2?.due, s2?.villages.length, s3?.due, s3?.by]).toEqual([false, 0, false, '2021-11-30']);

    const stageSheet = result.tables[1];
    expect(stageSheet?.rows.at(-1)).toEqual([
      '第3阶段',
      '2021-11-30',
      null,
      '（未到期）',
      null,
      '',
      null,
      null,
      '',
      '十一（三）',
    ]);
    expect(stageSheet?.rows.find((row) => row[3] === '白陈村')).toEqual([
      '第1阶段',
      '2021-10-31',
      14,
      '白陈村',
      0,
      '未达奖励档次',
      0,
      0,
      '倒数第1名：包村干部、村书记在镇大会上表态发言',
      '十一（三）',
    ]);

    // The county ranks the same 14 villages; a village is refused.
    const county = await rankingDefinition.run(w.ctx('2021-10-31'), {
      regionCode: COUNTY,
      asOf: '2021-10-31',
    });
    expect(rankingRows(county.data)).toEqual(rankingRows(r));
    await expect(
      rankingDefinition.run(w.ctx('2021-10-31'), { regionCode: '341302900001', asOf: '2021-10-31' }),
    ).rejects.toThrow('排位通报对乡镇或全县内的各村排名：蕲县村（341302900001）是村级区划');
  });

  it('evaluates each stage as of its own date: rewards by tier, and the last three not at 100% fined', async () => {
    const handle = await fresh();
    const w = await qixian(handle, '2021-11-30');
    // A task table a test campaign can complete: three villages' people targets made small, as a
    // targets import would store them (the measure is people; the amounts stay the annex's).
    for (const [code, people] of [
      ['341302900008', 4], // 大江
      ['341302900011', 3], // 白安
      ['341302900007', 2], // 代安
    ] as const) {
      await handle.db
        .updateTable('task_targets')
        .set({ eligible_people: people })
        .where('region_code', '=', code)
        .execute();
    }
    // 许二 joins employee insurance: refund approved on 11-05 (no longer enrolled from that day),
    // 320.00 paid back on 11-08 (off the money collected from that day).
    const refund = await requestRefund(w.ctx('2021-11-05', 'clerk'), {
      personId: await w.personId(doc(PEOPLE.findIndex((p) => p.name === '许二'))),
      reason: 'employee_insurance',
    });
    expect(refund.refund).toMatchObject({ status: 'approved', amount_fen: 32000 });
    await payRefund(w.ctx('2021-11-08', 'clerk'), refund.refund.id, {
      paidOn: '2021-11-08',
      reference: 'TK-1',
    });
    const xuzhai = async (asOf: string) => {
      const day = await rankingDefinition.run(w.ctx('2021-12-01'), { regionCode: TOWN, asOf });
      const v = day.data.villages.find((x) => x.regionName === '许寨村');
      return [v?.enrolled, v?.collectedFen];
    };
    expect(await xuzhai('2021-11-04')).toEqual([2, 64000]);
    expect(await xuzhai('2021-11-06')).toEqual([1, 64000]);
    expect(await xuzhai('2021-11-08')).toEqual([1, 32000]);

    const r = (await rankingDefinition.run(w.ctx('2021-12-01'), { regionCode: TOWN, asOf: '2021-11-30' }))
      .data;
    const [s1, s2, s3] = r.stages;
    const outcome = (s: (typeof r.stages)[number] | undefined) =>
      s?.villages
        .filter((v) => v.rewardFen > 0 || v.fineFen > 0 || v.lastThreePlace !== null)
        .map((v) => [
          v.rank,
          v.regionName,
          v.rate,
          v.tierPercent,
          v.rewardFen,
          v.reachedRequired,
          v.lastThreePlace,
          v.fineFen,
        ]);
    // 10-31: 白安 3/3 and 代安 2/2 = 100% (≥80: 8000.00), 大江 3/4 = 75% (≥70: 7000.00); the last
    // three as on the annex targets (刘圩, 团结, 白陈 with nobody by then).
    expect(outcome(s1)).toEqual([
      [1, '代安村', 100, 80, 800000, null, null, 0],
      [1, '白安村', 100, 80, 800000, null, null, 0],
      [3, '大江村', 75, 70, 700000, null, null, 0],
      [12, '刘圩村', 0.01, null, 0, null, 3, 0],
      [13, '团结村', 0.01, null, 0, null, 2, 0],
      [14, '白陈村', 0, null, 0, null, 1, 0],
    ]);
    expect([s1?.rewardsFen, s1?.finesFen]).toEqual([2_300_000, 0]);
    // 11-15: 大四 paid on 11-10, so 大江 4/4; the three at 100% earn the ≥90% tier, 5000.00 each.
    expect(outcome(s2)?.slice(0, 3)).toEqual([
      [1, '代安村', 100, 90, 500000, null, null, 0],
      [1, '大江村', 100, 90, 500000, null, null, 0],
      [1, '白安村', 100, 90, 500000, null, null, 0],
    ]);
    expect(s2?.rewardsFen).toBe(1_500_000);
    // 许寨 after the refund: 1/4220 on 11-15, below 灯塔 1/3997.
    expect(s2?.villages.slice(3, 5).map((v) => [v.rank, v.regionName, v.rate])).toEqual([
      [4, '灯塔村', 0.02],
      [5, '许寨村', 0.02],
    ]);
    // 11-30: 陈一 paid on 11-20 (白陈 1/4504 now ranks above 蕲县 1/5167); of the eleven villages
    // not at 100% the last three are 团结 1/5514 (倒数第一: 800.00), 刘圩 1/5267 (500.00) and
    // 袁小寨 1/5229 (300.00) — the policy lists 300, 500, 800 in the last three's ranking order.
    expect(outcome(s3)).toEqual([
      [12, '袁小寨村', 0.01, null, 0, false, 3, 30000],
      [13, '刘圩村', 0.01, null, 0, false, 2, 50000],
      [14, '团结村', 0.01, null, 0, false, 1, 80000],
    ]);
    expect(s3?.villages.filter((v) => v.reachedRequired).map((v) => v.regionName)).toEqual([
      '代安村',
      '大江村',
      '白安村',
    ]);
    expect([s3?.rewardsFen, s3?.finesFen]).toEqual([0, 160_000]);
    expect(s3?.consequence).toContain('通知未写明名次与金额的对应');
  });
});

describeEachEngine('canbao report ranking --xlsx', (engine) => {
  it('exports the bulletin and the stage results ready to print, and reads them back', async () => {
    const handle = await engine.open();
    await qixian(handle, '2021-10-31');
    await handle.close();
    const xlsx = xlsxPath('排位通报.xlsx');
    const run = await canbao(
      reportEnv(engine, '2021-11-01'),
      'report',
      'ranking',
      '--region',
      TOWN,
      '--as-of',
      '2021-10-31',
      '--xlsx',
      xlsx,
    );
    expect(run.error).toBe('');
    expect(run.stdout).toContain('蕲县镇（341302900）城乡居民医保征缴排位通报');
    const sheet = await readSheet(xlsx, '排位通报', ['筹资排名', '村（社区）', '人数完成率（%）', '后三名']);
    expect(sheet.headerLine).toBe(3);
    const cols = (row: Record<string, string>) => [
      row.筹资排名,
      row.较上日,
      row['村（社区）'],
      row.任务人数,
      row.参保人数,
      row['人数完成率（%）'],
      row['任务金额（元）'],
      row['已缴金额（元）'],
      row['金额完成率（%）'],
      row.入库排名,
      row.入库较上日,
      row.后三名,
    ];
    expect(sheet.rows.slice(0, 4).map(cols)).toEqual([
      ['1', '—', '大江村', '3102', '3', '0.09', '775500', '680', '0.08', '2', '↓1', ''],
      ['2', '↑1', '白安村', '3719', '3', '0.08', '929750', '960', '0.1', '1', '↑2', ''],
      ['3', '↑8', '代安村', '4220', '2', '0.04', '1055000', '640', '0.06', '3', '↑8', ''],
      ['3', '↓1', '许寨村', '4220', '2', '0.04', '1055000', '640', '0.06', '3', '↓1', ''],
    ]);
    expect(sheet.rows.slice(11, 15).map(cols)).toEqual([
      ['12', '↓1', '刘圩村', '5267', '1', '0.01', '1316750', '0', '0', '13', '↓2', '筹资后三名、入库后三名'],
      [
        '13',
        '↓3',
        '团结村',
        '5514',
        '1',
        '0.01',
        '1378500',
        '320',
        '0.02',
        '12',
        '↓2',
        '筹资后三名、入库后三名',
      ],
      ['14', '↓3', '白陈村', '4504', '0', '0', '1126000', '0', '0', '13', '↓2', '筹资后三名、入库后三名'],
      ['', '', '合计', '63018', '19', '0.03', '15754500', '5480', '0.03', '', '', ''],
    ]);
    expect(sheet.rows[15]?.筹资排名).toContain('筹资排名：完成率按参保人数占任务人数计算');
    await expectPrintable(xlsx, '排位通报', 15);
    const stages = await readSheet(xlsx, '分阶段奖惩', [
      '阶段',
      '村（社区）',
      '奖励（元）',
      '罚款（元）',
      '条款',
    ]);
    expect(
      stages.rows
        .filter((row) => row.后三名处理 !== '')
        .map((row) => [row.阶段, row['村（社区）'], row.后三名处理]),
    ).toEqual([
      ['第1阶段', '刘圩村', '倒数第3名：包村干部、村书记在镇大会上表态发言'],
      ['第1阶段', '团结村', '倒数第2名：包村干部、村书记在镇大会上表态发言'],
      ['第1阶段', '白陈村', '倒数第1名：包村干部、村书记在镇大会上表态发言'],
    ]);
    expect(
      stages.rows.filter((row) => row['村（社区）'] === '（未到期）').map((row) => [row.阶段, row.截止日期]),
    ).toEqual([
      ['第2阶段', '2021-11-15'],
      ['第3阶段', '2021-11-30'],
    ]);
  });
});

/**
 * The sheet prints on A4, one page wide, with its title, header lines and column headers (rows 1–3)
 * on every page, borders around the table (not the notes under it), and every column wide enough
 * for its longest value (a CJK character counts two).
 */
async function expectPrintable(path: string, name: string, tableRows: number) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const sheet = workbook.getWorksheet(name);
  if (!sheet) throw new Error(`no sheet ${name}`);
  const setup = sheet.pageSetup;
  expect([setup.paperSize, setup.orientation, setup.fitToPage, setup.fitToWidth, setup.fitToHeight]).toEqual([
    9,
    'landscape',
    true,
    1,
    0,
  ]);
  expect(setup.printTitlesRow).toBe('1:3');
  expect(setup.margins?.left).toBe(0.4);
  expect(sheet.headerFooter.oddFooter).toBe('第 &P 页，共 &N 页');
  const header = sheet.getRow(3);
  const columns = header.cellCount;
  expect(header.getCell(1).border?.top?.style).toBe('thin');
  expect(sheet.getRow(3 + tableRows).getCell(columns).border?.bottom?.style).toBe('thin');
  // The first note under the table: merged across the table, no border.
  expect(sheet.getRow(4 + tableRows).getCell(1).border?.top).toBeUndefined();
  for (let c = 1; c <= columns; c++) {
    const longest = Math.max(
      ...Array.from({ length: tableRows }, (_, r) =>
        displayWidth(String(sheet.getRow(4 + r).getCell(c).value ?? '')),
      ),
    );
    expect(sheet.getColumn(c).width, `column ${c}`).toBeGreaterThanOrEqual(longest + 2);
  }
  // 村（社区）: the longest village name (four characters) fits; the header wraps on two lines.
  expect(sheet.getColumn(3).width).toBe(10);
  expect(sheet.getRow(3).height).toBe(30);
}

// Pure rules of a stage: tier boundaries compared exactly, ties at the boundary of the last three.
it('evaluateStage: exact tier boundaries, a tie for last named together, fines by 倒数名次', () => {
  const stage = {
    tiers: [
      { atLeastPercent: 6000, reward: 600000 },
      { atLeastPercent: 8000, reward: 800000 },
    ],
    requiredPercent: 10000,
    lastThree: { consequence: '处罚', fines: [30000, 50000, 80000] },
  } as unknown as Parameters<typeof evaluateStage>[0];
  const v = (code: string, part: number, whole: number | null) => ({ code, name: code, part, whole });
  const result = evaluateStage(stage, [
    v('a', 8, 10), // exactly 80%
    v('b', 7999, 10000), // 79.99%: the 60% tier
    v('c', 10, 10), // done: not among the fined
    v('d', 1, 10),
    v('e', 1, 10), // tied with d for last: both 倒数第一
    v('f', 2, 10), // 倒数第3 (two behind it)
    v('g', 5, 0), // no target: not evaluated
  ]);
  expect(
    result.map((x) => [
      x.regionCode,
      x.rank,
      x.rate,
      x.rewardFen,
      x.reachedRequired,
      x.lastThreePlace,
      x.fineFen,
    ]),
  ).toEqual([
    ['c', 1, 100, 800000, true, null, 0],
    ['a', 2, 80, 800000, false, null, 0],
    ['b', 3, 79.99, 600000, false, null, 0],
    ['f', 4, 20, 0, false, 3, 30000],
    ['d', 5, 10, 0, false, 1, 80000],
    ['e', 5, 10, 0, false, 1, 80000],
  ]);
  expect(ratePercent(99999, 100000)).toBe(99.99);
  expect(ratePercent(1, null)).toBeNull();
});
