/**
 * 征缴进度 (report `progress`) and 任务分解表 (import kind `targets`) on 蕲县镇 2022, both engines:
 * the 14-village task table loaded from a file and summed; a small campaign worked out by hand
 * (a refund, a full-subsidy person, dates before some payments, the change since the day before);
 * targets derived from last year's roster and the population; the .xlsx export read back.
 */
import { expect, it } from 'vitest';
import type { CollectionContext } from '../src/collection/context.ts';
import { enroll, enrollSubsidised } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import { payRefund, requestRefund } from '../src/collection/refunds.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/open.ts';
import { openTable } from '../src/files/read-table.ts';
import { importFile } from '../src/registry/import.ts';
import { IMPORT_KINDS } from '../src/registry/kinds/index.ts';
import {
  type ProgressReport,
  type ProgressRow,
  progressDefinition,
  progressReport,
  progressTuning,
} from '../src/reports/progress.ts';
import { campaignWorld, csvFile, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { ANNEX2, canbao, readSheet, reportEnv, xlsxPath } from './report-cli.ts';

const COUNTY = '341302';
const TOWNSHIP = '341302900';
const QIXIAN = '341302900001'; // 蕲县村
const QIUYUAN = '341302900002'; // 邱元村
const ZHANG = idNumber('34130219800101011'); // 蕲县村 低保: pays 40.00 on 10-08; e-certificate 10-09
const LI = idNumber('34130219820202022'); // 蕲县村: pays 320.00 on 10-10
const WANG = idNumber('34130219400303033'); // 邱元村 特困: full subsidy, confirmed 10-05
const ZHAO = idNumber('34130219900404044'); // 邱元村: pays 320.00 on 10-08, refund approved 10-12, paid out 10-15
const SUN = idNumber('34130219920606066'); // 邱元村: enrolled, never pays

const targetsFile = (rows: readonly (readonly [string, number | string, number | string])[], total: string) =>
  csvFile([
    '序号,村名,应参保人数,任务金额（元）',
    ...rows.map(([name, people, amount], i) => `${i + 1},${name},${people},${amount}`),
    total,
  ]);

const importTargets = (handle: DatabaseHandle, file: string) =>
  importFile({ handle, kind: IMPORT_KINDS.targets as never, file, countyCode: COUNTY, today: '2021-09-01' });

async function targetRows(handle: DatabaseHandle) {
  return handle.db
    .selectFrom('task_targets')
    .select(['region_code', 'eligible_people', 'amount_fen'])
    .where('county_code', '=', COUNTY)
    .where('benefit_year', '=', 2022)
    .orderBy('region_code')
    .execute();
}

async function campaign(handle: DatabaseHandle): Promise<{ w: World; ids: Record<string, number> }> {
  const w = await campaignWorld(handle, 'qixian-2022', COUNTY, '2021-09-01');
  await w.importKind('population', [
    '姓名,公民身份号码,户号,与户主关系,村（社区）',
    `张三,${ZHANG},H1,户主,蕲县村`,
    `李四,${LI},H5,户主,蕲县村`,
    `王五,${WANG},H2,户主,邱元村`,
    `赵六,${ZHAO},H3,户主,邱元村`,
    `孙七,${SUN},H4,户主,邱元村`,
  ]);
  await w.importKind(
    'groups',
    ['姓名,公民身份号码,人员类别', `张三,${ZHANG},低保`, `王五,${WANG},特困供养人员`],
    { department: 'civil_affairs' },
  );
  // Full subsidy (王五) is confirmed at once; 张三's 低保 subsidy is partial: he still pays.
  expect(await enrollSubsidised(w.ctx('2021-10-05', 'bureau'))).toMatchObject({ confirmed: 1 });
  const ctx5 = w.ctx('2021-10-05', 'clerk');
  for (const doc of [LI, ZHAO, SUN])
    await enroll(ctx5, { personId: await w.personId(doc), source: 'renewal' });
  const rows = await handle.db
    .selectFrom('enrollments')
    .innerJoin('people', 'people.id', 'enrollments.person_id')
    .select(['enrollments.id', 'people.doc_number', 'enrollments.pays_fen'])
    .execute();
  const ids = Object.fromEntries(rows.map((r) => [r.doc_number, r.id]));
  expect(Object.fromEntries(rows.map((r) => [r.doc_number, r.pays_fen]))).toEqual({
    [ZHANG]: 4000,
    [LI]: 32000,
    [WANG]: 0,
    [ZHAO]: 32000,
    [SUN]: 32000,
  });
  const pay = (doc: string, fen: number, day: string) =>
    recordPayment(w.ctx(day), {
      channel: 'online',
      txnId: `WX-${doc}`,
      enrollmentIds: [ids[doc] as number],
      amountFen: fen,
      paidOn: day,
    });
  await pay(ZHANG, 4000, '2021-10-08');
  await pay(ZHAO, 32000, '2021-10-08');
  await pay(LI, 32000, '2021-10-10');
  const refund = await requestRefund(w.ctx('2021-10-12'), {
    enrollmentId: ids[ZHAO] as number,
    reason: 'employee_insurance',
  });
  expect(refund.refund).toMatchObject({ status: 'approved', amount_fen: 32000 });
  await payRefund(w.ctx('2021-10-15'), refund.refund.id, { paidOn: '2021-10-15', reference: 'TK-1' });
  await w.importKind(
    'ecert',
    ['姓名,公民身份号码,激活日期', `张三,${ZHANG},2021-10-09`, `赵六,${ZHAO},2021-10-08`],
    { today: '2021-10-20' },
  );
  return { w, ids };
}

/** 孙七 pays 320.00 online on the 16th. */
const sunPays = (w: World, ids: Record<string, number>) =>
  recordPayment(w.ctx('2021-10-16'), {
    channel: 'online',
    txnId: 'WX-SUN',
    enrollmentIds: [ids[SUN] as number],
    amountFen: 32000,
    paidOn: '2021-10-16',
  });

const run = async (w: World, region: string, asOf: string): Promise<ProgressReport> =>
  (await progressDefinition.run(w.ctx('2021-10-20'), { regionCode: region, asOf })).data;

const row = (report: ProgressReport, code: string): ProgressRow => {
  const r = report.rows.find((x) => x.regionCode === code);
  if (!r) throw new Error(`no row ${code}`);
  return r;
};

/** The figures checked by hand: enrolled, paid, collected fen, and their changes since the day before. */
const figures = (r: ProgressRow) => [
  r.today.enrolled,
  r.today.paid,
  r.today.collectedFen,
  r.change.enrolled,
  r.change.paid,
  r.change.collectedFen,
];

describeEachEngine('task table (targets import)', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('loads the 14 villages of annex 2 from a file: 63,018 people and 15,754,500 yuan, as the seed has them', async () => {
    const handle = await fresh();
    await campaignWorld(handle, 'qixian-2022', COUNTY, '2021-09-01');
    const seeded = await targetRows(handle);
    expect(seeded).toHaveLength(14);
    await handle.db.deleteFrom('task_targets').where('county_code', '=', COUNTY).execute();
    const result = await importTargets(handle, targetsFile(ANNEX2, ',合计,63018,15754500'));
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ status: 'completed', rowsTotal: 15, counts: { targets: 14 } });
    const imported = await targetRows(handle);
    expect(imported).toEqual(seeded);
    expect(imported.map((r) => r.region_code)).toEqual(
      Array.from({ length: 14 }, (_, i) => `${TOWNSHIP}${String(i + 1).padStart(3, '0')}`),
    );
    expect(imported.reduce((n, r) => n + r.eligible_people, 0)).toBe(63018);
    expect(imported.reduce((n, r) => n + r.amount_fen, 0)).toBe(1_575_450_000);
  });

  it('rejects a file with bad rows or a wrong total, naming the lines, and writes nothing', async () => {
    const handle = await fresh();
    await campaignWorld(handle, 'qixian-2022', COUNTY, '2021-09-01');
    await handle.db.deleteFrom('task_targets').where('county_code', '=', COUNTY).execute();
    const rows: [string, number | string, number | string][] = ANNEX2.map(([a, b, c]) => [a, b, c]);
    rows[2] = ['徐桥村', '四千', 1089500]; // line 4
    rows[5] = ['团结庄', 5514, 1378500]; // line 7: no such village
    const result = await importTargets(handle, targetsFile(rows, ',合计,63018,15754501'));
    expect(result.status).toBe('rejected');
    expect(result.errors.map((e) => [e.line, e.column])).toEqual([
      [4, '应参保人数'],
      [7, '村名'],
    ]);
    expect(result.errors[1]?.reason).toContain('团结庄');
    expect(await targetRows(handle)).toEqual([]);

    // Rows right, total wrong: the total row is named.
    const wrongTotal = await importTargets(handle, targetsFile(ANNEX2, ',合计,63017,15754500'));
    expect(wrongTotal.status).toBe('rejected');
    expect(wrongTotal.errors).toEqual([
      expect.objectContaining({
        line: 16,
        column: '应参保人数',
        reason: '合计 63017 人与各行之和 63018 人不符',
      }),
    ]);
    expect(await targetRows(handle)).toEqual([]);

    // 合计 in the 序号 column, the village name left empty: the row is named and told where it goes.
    const misplaced = await importTargets(
      handle,
      csvFile([
        '序号,村名,应参保人数,任务金额（元）',
        ...ANNEX2.map(([name, people, amount], i) => `${i + 1},${name},${people},${amount}`),
        '合计,,63018,15754500',
      ]),
    );
    expect(misplaced.errors).toEqual([
      expect.objectContaining({ line: 16, column: '村名', reason: '村名为空（合计行请把“合计”写在村名列）' }),
    ]);
  });
});

describeEachEngine('progress report', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('counts enrolled, paid and collected per village as of each date, with the change since the day before', async () => {
    const { w, ids } = await campaign(await fresh());
    const r10 = await run(w, TOWNSHIP, '2021-10-10');
    expect(r10.previousDay).toBe('2021-10-09');
    // The township, then its 14 villages.
    expect(r10.rows.map((r) => r.regionCode)).toEqual([
      TOWNSHIP,
      ...Array.from({ length: 14 }, (_, i) => `${TOWNSHIP}${String(i + 1).padStart(3, '0')}`),
    ]);
    // 蕲县村: 张三 (10-08, 40.00) and 李四 (10-10, 320.00): +1 person and +320.00 on the 10th.
    expect(figures(row(r10, QIXIAN))).toEqual([2, 2, 36000, 1, 1, 32000]);
    // 邱元村: 王五 (confirmed 10-05, pays nothing) and 赵六 (10-08, 320.00); 孙七 has not paid.
    expect(figures(row(r10, QIUYUAN))).toEqual([2, 1, 32000, 0, 0, 0]);
    const t = row(r10, TOWNSHIP);
    expect(figures(t)).toEqual([4, 3, 68000, 1, 1, 32000]);
    // Targets from annex 2, money as given; percentages rounded down like the ranking's:
    // 4 / 63018 = 0.0063% → 0.00; 680 / 15,754,500 → 0.00.
    expect(t).toMatchObject({
      targetPeople: 63018,
      targetFen: 1_575_450_000,
      targetBasis: ['table'],
      percentOfTargetPeople: 0,
      percentOfTargetAmount: 0,
    });
    expect(row(r10, QIXIAN)).toMatchObject({
      targetPeople: 5167,
      targetFen: 129_175_000,
      percentOfTargetPeople: 0.03, // 2 / 5167 = 0.0387%, rounded down as the ranking shows it
      percentOfTargetAmount: 0.02, // 360 / 1,291,750 = 0.0279%
    });
    // Coverage: 4 of 5 registered; 蕲县村 2 of 2, 邱元村 2 of 3.
    expect([t.today.population, t.coverage]).toEqual([5, 80]);
    expect([row(r10, QIXIAN).coverage, row(r10, QIUYUAN).coverage]).toEqual([100, 66.66]);
    // E-certificates: 张三 (10-09) and 赵六 (10-08) of the 4 enrolled; the policy's target is 80%.
    expect([t.today.ecertActivated, t.ecertRate, r10.ecertTargetPercent]).toEqual([2, 50, 80]);
    // Subsidised groups: 低保 张三 and 特困 王五 both enrolled by the 10th.
    const groups = Object.fromEntries(t.groups.map((g) => [g.group, [g.members, g.enrolled, g.percent]]));
    expect(groups).toMatchObject({ dibao: [1, 1, 100], tekun: [1, 1, 100] });
    expect(r10.groupTargetPercent).toBe(100);

    // Before some payments: on the 7th only 王五's confirmation counts; 低保 张三 not yet enrolled.
    const r7 = await run(w, TOWNSHIP, '2021-10-07');
    expect(figures(row(r7, TOWNSHIP))).toEqual([1, 0, 0, 0, 0, 0]);
    expect(row(r7, TOWNSHIP).groups.find((g) => g.group === 'dibao')).toMatchObject({
      members: 1,
      enrolled: 0,
    });
    expect(row(r7, TOWNSHIP).today.ecertActivated).toBe(0);
    // The 8th: 张三 and 赵六 paid that day.
    expect(figures(row(await run(w, TOWNSHIP, '2021-10-08'), TOWNSHIP))).toEqual([3, 2, 36000, 2, 2, 36000]);
    // The 5th: 王五 confirmed that day.
    expect(figures(row(await run(w, TOWNSHIP, '2021-10-05'), QIUYUAN))).toEqual([1, 0, 0, 1, 0, 0]);

    // The refund approved on the 12th ends 赵六's enrollment; the money leaves when paid out on the 15th.
    expect(figures(row(await run(w, TOWNSHIP, '2021-10-12'), QIUYUAN))).toEqual([1, 0, 32000, -1, -1, 0]);
    expect(figures(row(await run(w, TOWNSHIP, '2021-10-14'), QIUYUAN))).toEqual([1, 0, 32000, 0, 0, 0]);
    const r15 = await run(w, TOWNSHIP, '2021-10-15');
    expect(figures(row(r15, QIUYUAN))).toEqual([1, 0, 0, 0, 0, -32000]);
    expect(figures(row(r15, TOWNSHIP))).toEqual([3, 2, 36000, 0, 0, -32000]);
    // 赵六's e-certificate no longer counts once he is not enrolled: 张三 of 3.
    expect([row(r15, TOWNSHIP).today.ecertActivated, row(r15, TOWNSHIP).ecertRate]).toEqual([1, 33.33]);

    // Recorded after the reports above (which the SQLite facts are kept from): 孙七 pays on the
    // 16th and activates his e-certificate; the next report sees both.
    await sunPays(w, ids);
    await w.importKind('ecert', ['姓名,公民身份号码,激活日期', `孙七,${SUN},2021-10-16`], {
      today: '2021-10-20',
    });
    const r16 = await run(w, TOWNSHIP, '2021-10-16');
    expect(figures(row(r16, QIUYUAN))).toEqual([2, 1, 32000, 1, 1, 32000]);
    expect([row(r16, TOWNSHIP).today.ecertActivated, row(r16, TOWNSHIP).ecertRate]).toEqual([2, 50]);
  });

  it('reports a village as itself and the county with its township', async () => {
    const { w } = await campaign(await fresh());
    const village = await run(w, QIXIAN, '2021-10-10');
    expect(village.rows.map((r) => [r.regionCode, r.level])).toEqual([[QIXIAN, 'village']]);
    expect(figures(village.rows[0] as ProgressRow)).toEqual([2, 2, 36000, 1, 1, 32000]);
    const county = await run(w, COUNTY, '2021-10-10');
    expect(county.rows.slice(0, 2).map((r) => [r.regionCode, r.level])).toEqual([
      [COUNTY, 'county'],
      [TOWNSHIP, 'township'],
    ]);
    expect(county.rows).toHaveLength(16);
    expect(figures(row(county, COUNTY))).toEqual([4, 3, 68000, 1, 1, 32000]);
  });

  it('derives a target from last year’s roster, else from the population, and says so', async () => {
    const { w } = await campaign(await fresh());
    await w.handle.db.deleteFrom('task_targets').where('region_code', 'in', [QIXIAN, QIUYUAN]).execute();
    // 2021 roster: two of 蕲县村 with their amounts; 邱元村 has no roster: its population (3).
    await w.importKind('enrollment', [
      '姓名,公民身份号码,参保年度,个人缴费金额,村（社区）',
      `张三,${ZHANG},2021,40,蕲县村`,
      `李四,${LI},2021,280,蕲县村`,
    ]);
    const r = await run(w, TOWNSHIP, '2021-10-10');
    expect(row(r, QIXIAN)).toMatchObject({ targetPeople: 2, targetFen: 32000, targetBasis: ['last_year'] });
    expect(row(r, QIUYUAN)).toMatchObject({
      targetPeople: 3,
      targetFen: null,
      targetBasis: ['population'],
      percentOfTargetPeople: 66.66,
      percentOfTargetAmount: null,
    });
    // The township: the 12 table villages plus the two derived; money only where there is some.
    expect(row(r, TOWNSHIP)).toMatchObject({
      targetPeople: 63018 - 5167 - 4263 + 2 + 3,
      targetFen: 1_575_450_000 - 129_175_000 - 106_575_000 + 32000,
      targetBasis: ['last_year', 'population', 'table'],
    });
    const tables = (
      await progressDefinition.run(w.ctx('2021-10-20'), { regionCode: TOWNSHIP, asOf: '2021-10-10' })
    ).tables;
    expect(tables[0]?.notes).toContain(
      '任务来源：上年度参保人数和缴费金额、户籍人口（无金额任务）、任务分解表。',
    );
  });
});

describeEachEngine('progress from the stored summary', (engine) => {
  const DATES = [
    '2021-10-05',
    '2021-10-08',
    '2021-10-10',
    '2021-10-12',
    '2021-10-15',
    '2021-10-16',
    '2021-10-18',
  ];
  const ctxOf = (handle: DatabaseHandle): CollectionContext => ({
    db: handle.db,
    countyCode: COUNTY,
    actor: 'bureau',
    today: '2021-10-20',
    now: '2021-10-20T04:00:00.000Z',
  });
  const reports = async (handle: DatabaseHandle) => {
    const out: ProgressReport[] = [];
    for (const day of DATES) out.push(await progressReport(ctxOf(handle), TOWNSHIP, day));
    return out;
  };
  const stored = (handle: DatabaseHandle) =>
    handle.db.selectFrom('progress_checkpoints').selectAll().where('county_code', '=', COUNTY).execute();
  /** The stored changes of a measure summed: the count as of the end of time. */
  const storedTotal = async (handle: DatabaseHandle, measure: string) =>
    (
      await handle.db
        .selectFrom('progress_day_changes')
        .select('amount')
        .where('county_code', '=', COUNTY)
        .where('measure', '=', measure)
        .execute()
    ).reduce((n, r) => n + Number(r.amount), 0);

  it('a fresh process starts from the stored summary and the enrollments changed since, with the figures of a full read', async () => {
    const saved = progressTuning.saveAfter;
    progressTuning.saveAfter = 1;
    const handles: DatabaseHandle[] = [];
    try {
      const first = await engine.open();
      handles.push(first);
      const location = engine.lastLocation();
      const sqlite = location.url === undefined;
      const reopen = async () => {
        const h = await openDatabase(
          location.url ? { url: location.url } : { dataDir: location.dataDir as string },
        );
        handles.push(h);
        return h;
      };
      const { w, ids } = await campaign(first);
      await reports(first);
      // SQLite stores the summary after the first full read; PostgreSQL reads afresh every time.
      expect(await stored(first)).toHaveLength(sqlite ? 1 : 0);
      if (sqlite) {
        // Enrolled: 张三, 李四, 王五 (赵六 in, then out); collected: 40 + 320 + 320 (refunds are read
        // apart); e-certificates: 张三 (赵六's counted while he was enrolled).
        expect(await storedTotal(first, 'enrolled')).toBe(3);
        expect(await storedTotal(first, 'collected')).toBe(68000);
        expect(await storedTotal(first, 'ecert')).toBe(1);
      }
      // Recorded after the summary was stored: 孙七 pays on the 16th and activates his e-certificate.
      await sunPays(w, ids);
      // 李四, counted in the summary already, activates his on the 16th too: read again, his old
      // counts taken away first.
      await w.importKind(
        'ecert',
        ['姓名,公民身份号码,激活日期', `孙七,${SUN},2021-10-16`, `李四,${LI},2021-10-16`],
        {
          today: '2021-10-20',
        },
      );
      // Reports asked for at once (a web app's dashboards) after these were recorded: each sees them
      // once (they run one after the other on the kept facts).
      const together = await Promise.all(
        [1, 2, 3].map(() => progressReport(ctxOf(first), TOWNSHIP, '2021-10-16')),
      );
      for (const r of together) expect(figures(row(r, QIUYUAN))).toEqual([2, 1, 32000, 1, 1, 32000]);
      await first.close();
      handles.shift();

      // A fresh process: the stored summary, then 孙七's enrollment read again.
      const second = await reopen();
      const fromStored = await reports(second);
      const r16 = fromStored[5] as ProgressReport;
      expect(figures(row(r16, QIUYUAN))).toEqual([2, 1, 32000, 1, 1, 32000]);
      expect(figures(row(r16, TOWNSHIP))).toEqual([4, 3, 68000, 1, 1, 32000]);
      expect([row(r16, TOWNSHIP).today.ecertActivated, row(r16, TOWNSHIP).ecertRate]).toEqual([3, 75]);
      expect(figures(row(fromStored[2] as ProgressReport, TOWNSHIP))).toEqual([4, 3, 68000, 1, 1, 32000]);
      if (sqlite) {
        // Written back (saveAfter 1): the checkpoint is at the last event, the payment and the activation.
        const last = await second.db
          .selectFrom('enrollment_events')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirstOrThrow();
        expect(Number((await stored(second))[0]?.event_id)).toBe(Number(last.id));
        expect(await storedTotal(second, 'enrolled')).toBe(4);
        expect(await storedTotal(second, 'ecert')).toBe(3);
      }
      // 低保 张三's refund is approved on the 18th (no import: the registry's counts stand).
      await requestRefund(
        { ...ctxOf(second), today: '2021-10-18', now: '2021-10-18T04:00:00.000Z' },
        { enrollmentId: ids[ZHANG] as number, reason: 'employee_insurance' },
      );
      await second.close();
      handles.shift();

      // Another fresh process from the summary written back, 张三 read again.
      const third = await reopen();
      const afterRefund = await reports(third);
      expect(afterRefund.slice(0, 6)).toEqual(fromStored.slice(0, 6));
      const dibao = (r: ProgressReport) => row(r, TOWNSHIP).groups.find((g) => g.group === 'dibao');
      expect(dibao(afterRefund[5] as ProgressReport)).toMatchObject({ members: 1, enrolled: 1 });
      expect(dibao(afterRefund[6] as ProgressReport)).toMatchObject({ members: 1, enrolled: 0, percent: 0 });
      expect(figures(row(afterRefund[6] as ProgressReport, QIXIAN))).toEqual([1, 1, 36000, -1, -1, 0]);
      // And a full read with nothing stored gives the same.
      await third.db.deleteFrom('progress_day_changes').execute();
      await third.db.deleteFrom('progress_checkpoints').execute();
      await third.close();
      handles.shift();
      const fourth = await reopen();
      expect(await reports(fourth)).toEqual(afterRefund);
    } finally {
      progressTuning.saveAfter = saved;
      for (const h of handles) await h.close();
    }
  });
});

describeEachEngine('canbao report progress --xlsx', (engine) => {
  it('exports the progress sheet whose header names the region, the date and the policy', async () => {
    const handle = await engine.open();
    await campaign(handle);
    await handle.close();
    const xlsx = xlsxPath('进度.xlsx');
    const out = await canbao(
      reportEnv(engine, '2021-10-20'),
      'report',
      'progress',
      '--region',
      TOWNSHIP,
      '--as-of',
      '2021-10-10',
      '--xlsx',
      xlsx,
    );
    expect(out.error).toBe('');
    // The header lines, read as a table whose "header" is the title line.
    const title = '蕲县镇（341302900）征缴进度（截至 2021-10-10）';
    const head = await openTable(xlsx, { sheet: '征缴进度', requiredHeaders: [title] });
    expect(head.headerLine).toBe(1);
    // Header texts are read with their spaces taken out.
    const key = head.headers[0] as string;
    expect(key).toBe('蕲县镇（341302900）征缴进度（截至2021-10-10）');
    const lines: string[] = [];
    for await (const r of head.rows()) lines.push(r.values[key] as string);
    expect(lines[0]).toMatch(/^数据截至 2021-10-10；2022 年度；政策 .+（qixian-2022，[0-9a-f]{12}）$/);
    const { headerLine, rows } = await readSheet(xlsx, '征缴进度', ['区划代码', '名称', '已参保人数']);
    expect(headerLine).toBe(3);
    const byCode = Object.fromEntries(rows.map((r) => [r.区划代码, r]));
    expect(byCode[TOWNSHIP]).toMatchObject({
      名称: '蕲县镇',
      任务人数: '63018',
      已参保人数: '4',
      较前日: '1',
      已缴费人数: '3',
      '任务金额（元）': '15754500',
      '已收个人缴费（元）': '680',
      '较前日（元）': '320',
      '参保率%': '80',
      '激活率%': '50',
    });
    expect(byCode[QIUYUAN]).toMatchObject({ 名称: '邱元村', 已参保人数: '2', '参保率%': '66.66' });
  });
});
