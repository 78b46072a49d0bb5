/**
 * 资助结算 (report `subsidies`) on 瑶海区 2024 and 达拉特旗 2023 (先缴后补), and 基金收缴 (report
 * `funds`) on the paid 蕲县 2022 campaign with tax confirmations and a refund, both engines; every
 * figure worked out by hand in the comments; the funds export read back through the CLI.
 */
import { maskIdNumber } from '@canbao/core';
import { expect, it } from 'vitest';
import { enrollSubsidised } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import { payRefund, requestRefund } from '../src/collection/refunds.ts';
import { createReimbursementBatch, payReimbursementBatch } from '../src/collection/reimbursements.ts';
import { confirmTaxPayments } from '../src/collection/tax.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { fundsDefinition } from '../src/reports/funds.ts';
import { type SubsidyReport, subsidiesDefinition } from '../src/reports/subsidies.ts';
import { failure } from './books-harness.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { canbao, readSheet, reportEnv, xlsxPath } from './report-cli.ts';
import { COUNTY, LI, type PaidCampaign, paidCampaign, ZHANG, ZHAO } from './tax-harness.ts';

// ---------------------------------------------------------------------------------------------
// 瑶海区: direct subsidies from the medical assistance fund, to be transferred by 2023-12-31.

const YH = '340102';
const EAST = '340102001001';
const WEST = '340102001002';
const DIBAO = idNumber('34010219700101001'); // 东村 低保 90%: subsidy 342.00, pays 38.00 on 10-01
const TEKUN = idNumber('34010219450202002'); // 东村 特困: 380.00, confirmed at enrollment 09-05
const FANPIN = idNumber('34010219650303003'); // 西村 返贫致贫 80%: 304.00, pays 76.00 on 10-02
const JIANCE = idNumber('34010219750404004'); // 西村 监测 50%: 190.00, never pays
const DIBAO2 = idNumber('34010219800505005'); // 西村 低保: 342.00, pays 38.00 on 11-25

async function yaohai(handle: DatabaseHandle): Promise<{ w: World; enrollments: Map<string, number> }> {
  const w = await campaignWorld(handle, 'yaohai-2024', YH, '2023-09-01');
  await w.importKind('regions', [
    '统计用区划代码,名称',
    '340102001,测试街道',
    `${EAST},东村`,
    `${WEST},西村`,
  ]);
  await w.importKind('population', [
    '姓名,公民身份号码,户号,村（社区）',
    `低一,${DIBAO},Y1,东村`,
    `特二,${TEKUN},Y2,东村`,
    `返三,${FANPIN},Y3,西村`,
    `监四,${JIANCE},Y4,西村`,
    `低五,${DIBAO2},Y5,西村`,
  ]);
  await w.importKind(
    'groups',
    ['姓名,公民身份号码,人员类别', `低一,${DIBAO},低保`, `特二,${TEKUN},特困人员`, `低五,${DIBAO2},低保`],
    { department: 'civil_affairs' },
  );
  await w.importKind(
    'groups',
    ['姓名,公民身份号码,人员类别', `返三,${FANPIN},返贫致贫人口`, `监四,${JIANCE},监测对象`],
    { department: 'rural_revitalisation' },
  );
  expect(await enrollSubsidised(w.ctx('2023-09-05', 'bureau'))).toMatchObject({ confirmed: 1 });
  const rows = await handle.db
    .selectFrom('enrollments')
    .innerJoin('people', 'people.id', 'enrollments.person_id')
    .select(['enrollments.id', 'people.doc_number'])
    .execute();
  const enrollments = new Map(rows.map((r) => [r.doc_number, r.id]));
  expect(enrollments.size).toBe(5);
  const pay = (doc: string, txn: string, fen: number, day: string) =>
    recordPayment(w.ctx(day), {
      channel: 'online',
      txnId: txn,
      enrollmentIds: [enrollments.get(doc) as number],
      amountFen: fen,
      paidOn: day,
    });
  await pay(DIBAO, 'W-1', 3800, '2023-10-01');
  await pay(FANPIN, 'W-2', 7600, '2023-10-02');
  await pay(DIBAO2, 'W-3', 3800, '2023-11-25');
  return { w, enrollments };
}

const lines = (r: SubsidyReport) =>
  r.lines.map((l) => [l.funder, l.mode, l.group, l.rule, l.perPersonFen, l.people, l.totalFen]);

describeEachEngine('report subsidies (资助结算)', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('people × subsidy per group and funder, the transfer due by 12-31, checked with the journal (瑶海区)', async () => {
    const { w } = await yaohai(await fresh());
    const ctx = w.ctx('2023-11-30');
    const result = await subsidiesDefinition.run(ctx, { regionCode: YH, asOf: '2023-11-30' });
    const r = result.data;
    // 特困 380.00 + 低保 2 × 342.00 + 返贫 304.00 = 1368.00; 监四 has not paid.
    expect(lines(r)).toEqual([
      ['medical_assistance', 'direct', 'tekun', 'tekun-full', 38000, 1, 38000],
      ['medical_assistance', 'direct', 'dibao', 'percent-90', 34200, 2, 68400],
      ['medical_assistance', 'direct', 'fanpin', 'fanpin-80', 30400, 1, 30400],
    ]);
    expect(r.totals).toEqual([
      {
        funder: 'medical_assistance',
        funderName: '医疗救助资金',
        mode: 'direct',
        people: 4,
        totalFen: 136800,
      },
    ]);
    expect(r.transfers).toEqual([
      {
        deadlineId: 'subsidy-transfer',
        label: '资助参保缴费金额从医疗救助资金帐户划转到市居民医保财政专户',
        cite: '五（五）',
        dueOn: '2023-12-31',
        funder: 'medical_assistance',
        funderName: '医疗救助资金',
        people: 4,
        amountFen: 136800,
        daysLeft: 31,
      },
    ]);
    expect(r.reimbursements).toEqual([]);
    expect(r.journal).toEqual({
      ok: true,
      funders: [
        {
          funder: 'medical_assistance',
          funderName: '医疗救助资金',
          enrollmentsFen: 136800,
          journalFen: 136800,
          differenceFen: 0,
        },
      ],
      differences: [],
    });
    expect(result.tables.map((t) => t.name)).toEqual(['资助结算', '资金划转', '先缴后补', '日记账核对']);
    expect(result.tables[1]?.rows).toEqual([
      [
        '资助参保缴费金额从医疗救助资金帐户划转到市居民医保财政专户',
        '五（五）',
        '2023-12-31',
        '医疗救助资金',
        4,
        1368,
        '距截止 31 天',
      ],
    ]);

    // As of 11-20 低五 had not paid: 3 people, 1026.00, on both sides of the check.
    const earlier = await subsidiesDefinition.run(ctx, { regionCode: YH, asOf: '2023-11-20' });
    expect(earlier.data.transfers.map((t) => [t.people, t.amountFen, t.daysLeft])).toEqual([[3, 102600, 41]]);
    expect(earlier.data.journal.funders.map((f) => [f.enrollmentsFen, f.journalFen])).toEqual([
      [102600, 102600],
    ]);
    // Past the deadline the table says by how much.
    const january = await subsidiesDefinition.run(w.ctx('2024-01-03'), {
      regionCode: YH,
      asOf: '2024-01-03',
    });
    expect(january.tables[1]?.rows[0]?.[6]).toBe('已过截止日 3 天');

    // 西村: 返三 304.00 + 低五 342.00.
    const west = await subsidiesDefinition.run(ctx, { regionCode: WEST, asOf: '2023-11-30' });
    expect(lines(west.data).map((l) => [l[2], l[5], l[6]])).toEqual([
      ['dibao', 1, 34200],
      ['fanpin', 1, 30400],
    ]);
    expect(west.data.journal).toMatchObject({
      ok: true,
      funders: [{ enrollmentsFen: 64600, journalFen: 64600 }],
    });
  });

  it('shows a difference with the journal per person', async () => {
    const { w, enrollments } = await yaohai(await fresh());
    const db = w.handle.db;
    const dibao = enrollments.get(DIBAO) as number;
    // One more line on 低一's subsidy transfer: the fund's debit becomes 343.00.
    const transfer = await db
      .selectFrom('journal_transfers')
      .select('id')
      .where('idempotency_key', '=', `subsidy:${dibao}:medical_assistance`)
      .executeTakeFirstOrThrow();
    await db
      .insertInto('journal_lines')
      .values({
        county_code: YH,
        transfer_id: transfer.id,
        account: 'funder:medical_assistance',
        amount_fen: 100,
      })
      .execute();
    const result = await subsidiesDefinition.run(w.ctx('2023-11-30'), { regionCode: YH, asOf: '2023-11-30' });
    expect(result.data.journal.ok).toBe(false);
    expect(result.data.journal.funders).toMatchObject([
      { enrollmentsFen: 136800, journalFen: 136900, differenceFen: 100 },
    ]);
    expect(result.data.journal.differences).toEqual([
      {
        enrollmentId: dibao,
        name: '低一',
        docNumber: maskIdNumber(DIBAO),
        funder: 'medical_assistance',
        enrollmentsFen: 34200,
        journalFen: 34300,
        differenceFen: 100,
      },
    ]);
    expect(result.tables.at(-1)?.rows).toEqual([
      [dibao, '低一', maskIdNumber(DIBAO), '医疗救助资金', 342, 343, 1],
    ]);
  });

  it('先缴后补 per funder: owed, batched, paid out, not yet batched (达拉特旗)', async () => {
    const w = await campaignWorld(await fresh(), 'dalate-2023', '150621', '2022-09-01');
    const liu = idNumber('15062119600101001');
    const chen = idNumber('15062119720606006');
    const ma = idNumber('15062119650202002');
    const yang = idNumber('15062119400303003');
    await w.importKind('population', [
      '姓名,公民身份号码,户号',
      `刘一,${liu},D1`,
      `陈二,${chen},D2`,
      `马三,${ma},D3`,
      `杨四,${yang},D4`,
    ]);
    await w.importKind(
      'groups',
      [
        '姓名,公民身份号码,人员类别,认定日期',
        `刘一,${liu},低保,2022-01-10`,
        `陈二,${chen},低保,2022-01-10`,
        `杨四,${yang},特困,2021-05-01`,
      ],
      { department: 'civil_affairs' },
    );
    await w.importKind('groups', ['姓名,公民身份号码,人员类别,认定日期', `马三,${ma},监测对象,2022-03-01`], {
      department: 'rural_revitalisation',
    });
    await enrollSubsidised(w.ctx('2022-09-05', 'bureau'));
    const id = async (doc: string) => {
      const row = await w.handle.db
        .selectFrom('enrollments')
        .select('id')
        .where('person_id', '=', await w.personId(doc))
        .executeTakeFirstOrThrow();
      return row.id;
    };
    const pay = async (doc: string, txn: string, day: string) =>
      recordPayment(w.ctx(day), {
        channel: 'online',
        txnId: txn,
        enrollmentIds: [await id(doc)],
        amountFen: 38000,
        paidOn: day,
      });
    await pay(liu, 'D-1', '2022-10-01');
    await pay(ma, 'D-2', '2022-10-01');
    const batch = await createReimbursementBatch(w.ctx('2022-10-10'), { funder: 'civil_affairs' });
    expect(batch.batch.people).toBe(1);
    await pay(chen, 'D-3', '2022-10-15');
    await payReimbursementBatch(w.ctx('2022-10-20'), batch.batch.batch_no, { paidOn: '2022-10-20' });

    const late = await subsidiesDefinition.run(w.ctx('2022-10-31'), {
      regionCode: '150621',
      asOf: '2022-10-31',
    });
    const row = (r: SubsidyReport) =>
      r.reimbursements.map((x) => [
        x.funder,
        x.owedPeople,
        x.owedFen,
        x.batchedPeople,
        x.batchedFen,
        x.paidPeople,
        x.paidFen,
        x.notBatchedPeople,
        x.notBatchedFen,
      ]);
    // 刘一 and 陈二 owed 330.00 each by civil affairs, 刘一 batched and paid out; 马三 by rural revitalisation.
    expect(row(late.data)).toEqual([
      ['civil_affairs', 2, 66000, 1, 33000, 1, 33000, 1, 33000],
      ['rural_revitalisation', 1, 33000, 0, 0, 0, 0, 1, 33000],
    ]);
    // 杨四's full subsidy comes from the banner's finance, directly; the policy sets no transfer deadline.
    expect(late.data.totals.map((t) => [t.funder, t.mode, t.people, t.totalFen])).toEqual([
      ['finance', 'direct', 1, 38000],
      ['civil_affairs', 'refund_later', 2, 66000],
      ['rural_revitalisation', 'refund_later', 1, 33000],
    ]);
    expect(late.data.transfers).toEqual([]);
    expect(late.tables[1]?.notes?.[0]).toContain('政策未规定资助资金划转期限');
    expect(late.data.journal.ok).toBe(true);
    // On 10-12 the batch had been created but not paid out, and 陈二 had not paid.
    const early = await subsidiesDefinition.run(w.ctx('2022-10-31'), {
      regionCode: '150621',
      asOf: '2022-10-12',
    });
    expect(row(early.data)).toEqual([
      ['civil_affairs', 1, 33000, 1, 33000, 0, 0, 0, 0],
      ['rural_revitalisation', 1, 33000, 0, 0, 0, 0, 1, 33000],
    ]);
  });

  it('nets the subsidies a refund returned (蕲县 2022: 张三 refunded)', async () => {
    const campaign = await paidCampaign(await fresh());
    await settle(campaign);
    const r = (
      await subsidiesDefinition.run(campaign.world.ctx('2021-10-31'), {
        regionCode: COUNTY,
        asOf: '2021-10-31',
      })
    ).data;
    // 王五 特困 320.00 remains; 张三's 280.00 was booked and returned, and he is no longer enrolled.
    expect(r.totals.map((t) => [t.funder, t.people, t.totalFen])).toEqual([['medical_assistance', 1, 32000]]);
    expect(r.journal.ok).toBe(true);
    expect(r.journal.funders.map((f) => [f.enrollmentsFen, f.journalFen])).toEqual([[32000, 32000]]);
    // Before the refund (10-19) 张三 was enrolled: 280.00 more on both sides.
    const before = (
      await subsidiesDefinition.run(campaign.world.ctx('2021-10-31'), {
        regionCode: COUNTY,
        asOf: '2021-10-19',
      })
    ).data;
    expect(before.journal.funders.map((f) => [f.enrollmentsFen, f.journalFen])).toEqual([[60000, 60000]]);
  });
});

// ---------------------------------------------------------------------------------------------
// 蕲县 2022: the paid campaign (tax-harness), confirmed by tax, 张三 refunded and paid out.

/** T-001 (张三 40.00 cash) confirmed 10-11; T-002 (赵六 320.00 online), T-003 (李四 320.00 cash) 10-12. */
async function settle(campaign: PaidCampaign): Promise<void> {
  const { world } = campaign;
  await confirmTaxPayments(world.ctx('2021-10-12', 'tax'), [
    {
      receiptNo: 'T-001',
      docNumber: ZHANG,
      amountFen: 4000,
      paidOn: '2021-10-08',
      confirmedOn: '2021-10-11',
    },
    { receiptNo: 'T-002', docNumber: ZHAO, amountFen: 32000, paidOn: '2021-10-08' },
    { receiptNo: 'T-003', docNumber: LI, amountFen: 32000, paidOn: '2021-10-08', channelTxnId: 'R-0001' },
  ]);
  const ctx = world.ctx('2021-10-20', 'bureau');
  const refund = await requestRefund(ctx, {
    enrollmentId: campaign.enrollments.zhang,
    reason: 'employee_insurance',
  });
  await payRefund(ctx, refund.refund.id, { paidOn: '2021-10-20', reference: 'TK-1' });
}

const dayRows = (
  days: readonly {
    date: string;
    channel: string;
    collectedFen: number;
    remittedFen: number;
    confirmedFen: number;
    refundsPaidFen: number;
    differences: string;
  }[],
) =>
  days.map((d) => [
    d.date,
    d.channel,
    d.collectedFen,
    d.remittedFen,
    d.confirmedFen,
    d.refundsPaidFen,
    d.differences,
  ]);

describeEachEngine('report funds (基金收缴)', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('per day and channel: collected, remitted, confirmed, refunded, each agreeing with the journal', async () => {
    const campaign = await paidCampaign(await fresh());
    await settle(campaign);
    const ctx = campaign.world.ctx('2021-10-31');
    const result = await fundsDefinition.run(ctx, { regionCode: COUNTY, asOf: '2021-10-31' });
    const r = result.data;
    expect([r.from, r.to]).toEqual(['2021-09-01', '2021-10-31']);
    expect(dayRows(r.days)).toEqual([
      ['2021-10-08', 'cash_collection', 36000, 0, 0, 0, ''],
      ['2021-10-08', 'online', 32000, 0, 0, 0, ''],
      ['2021-10-09', 'cash_collection', 0, 36000, 0, 0, ''],
      ['2021-10-11', 'cash_collection', 0, 0, 4000, 0, ''],
      ['2021-10-12', 'cash_collection', 0, 0, 32000, 0, ''],
      ['2021-10-12', 'online', 0, 0, 32000, 0, ''],
      ['2021-10-20', 'cash_collection', 0, 0, 0, 4000, ''],
    ]);
    expect(r.days.every((d) => d.journal.collectedFen === d.collectedFen)).toBe(true);
    expect(r.reconciliation.map((x) => [x.measure, x.recordsFen, x.journalFen, x.differenceFen])).toEqual([
      ['collectedFen', 68000, 68000, 0],
      ['remittedFen', 36000, 36000, 0],
      ['confirmedFen', 68000, 68000, 0],
      ['refundsPaidFen', 4000, 4000, 0],
    ]);
    expect(r.ok).toBe(true);
    expect(r.tax).toMatchObject({
      paymentsCount: 3,
      paymentsFen: 68000,
      matchedCount: 3,
      matchedFen: 68000,
      unconfirmedFen: 0,
    });
    expect(result.tables.map((t) => t.name)).toEqual([
      '按日按渠道',
      '渠道合计',
      '日记账核对',
      '税务确认',
      '未确认缴费',
    ]);
    expect(result.tables[1]?.rows.at(-1)).toEqual(['合计', 3, 680, 360, 3, 680, 40, '一致']);

    // As of 10-10: only the payments and the remittance.
    const early = await fundsDefinition.run(ctx, { regionCode: COUNTY, asOf: '2021-10-10' });
    expect(early.data.reconciliation.map((x) => x.recordsFen)).toEqual([68000, 36000, 0, 0]);
    expect(early.data.ok).toBe(true);
  });

  it('names the day and channel where a payment differs from the journal; refuses a village', async () => {
    const campaign = await paidCampaign(await fresh());
    await settle(campaign);
    await campaign.world.handle.db
      .updateTable('payments')
      .set({ amount_fen: 32100 })
      .where('enrollment_id', '=', campaign.enrollments.zhao)
      .execute();
    const ctx = campaign.world.ctx('2021-10-31');
    const r = (await fundsDefinition.run(ctx, { regionCode: COUNTY, asOf: '2021-10-31' })).data;
    expect(r.ok).toBe(false);
    expect(r.days[1]?.differences).toBe('缴费：业务 321.00 元，日记账 320.00 元');
    expect(r.reconciliation[0]).toMatchObject({ recordsFen: 68100, journalFen: 68000, differenceFen: -100 });
    const refused = await failure(fundsDefinition.run(ctx, { regionCode: '341302900', asOf: '2021-10-31' }));
    expect(refused.code).toBe('region_level');
    expect(refused.message).toContain('基金收缴报表只按县级统筹区（341302）出具');
  });
});

describeEachEngine('canbao report funds --xlsx', (engine) => {
  it('exports the day-and-channel sheet with its header lines and reads it back', async () => {
    const handle = await engine.open();
    await settle(await paidCampaign(handle));
    await handle.close();
    const xlsx = xlsxPath('基金.xlsx');
    const run = await canbao(reportEnv(engine, '2021-10-31'), 'report', 'funds', '--xlsx', xlsx);
    expect(run.error).toBe('');
    expect(run.stdout).toContain('埇桥区（341302）基金收缴（按日按渠道）');
    const { headerLine, rows } = await readSheet(xlsx, '按日按渠道', ['日期', '渠道', '与日记账核对']);
    expect(headerLine).toBe(3);
    expect(
      rows.map((r) => [
        r.日期,
        r['缴费金额（元）'],
        r['现金解缴（元）'],
        r['税务确认金额（元）'],
        r['退费支付（元）'],
        r.与日记账核对,
      ]),
    ).toEqual([
      ['2021-10-08', '360', '0', '0', '0', '一致'],
      ['2021-10-08', '320', '0', '0', '0', '一致'],
      ['2021-10-09', '0', '360', '0', '0', '一致'],
      ['2021-10-11', '0', '0', '40', '0', '一致'],
      ['2021-10-12', '0', '0', '320', '0', '一致'],
      ['2021-10-12', '0', '0', '320', '0', '一致'],
      ['2021-10-20', '0', '0', '0', '40', '一致'],
      // The notes under the table.
      [
        '期间 2021-09-01 至 2021-10-31（自征缴期开始；按缴费、解缴、确认、退费支付的业务日期）。',
        '',
        '',
        '',
        '',
        '',
      ],
    ]);
  });
});
