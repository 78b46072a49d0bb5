import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fen } from '@canbao/core';
import ExcelJS from 'exceljs';
import { expect, it } from 'vitest';
import {
  checkLedger,
  type LedgerCheckResult,
  reconciliationReport,
  writeReportXlsx,
} from '../src/collection/books.ts';
import { enroll } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import { payRefund, requestRefund } from '../src/collection/refunds.ts';
import { createReimbursementBatch, payReimbursementBatch } from '../src/collection/reimbursements.ts';
import { confirmTaxPayments } from '../src/collection/tax.ts';
import { openTable } from '../src/files/read-table.ts';
import { recordTransfer } from '../src/ledger/journal.ts';
import { campaignWorld, idNumber } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { COUNTY, LI, type PaidCampaign, paidCampaign, STRANGER, ZHANG, ZHAO } from './tax-harness.ts';

/** The paid campaign, all three payments confirmed by tax, and 张三's contribution refunded and paid out. */
async function settledCampaign(campaign: PaidCampaign) {
  const { world } = campaign;
  const confirmed = await confirmTaxPayments(world.ctx('2021-10-12', 'tax'), [
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
  expect(confirmed.matched).toBe(3);
  const ctx = world.ctx('2021-10-20', 'bureau');
  const refund = await requestRefund(ctx, {
    enrollmentId: campaign.enrollments.zhang,
    reason: 'employee_insurance',
  });
  expect(refund.refund).toMatchObject({ status: 'approved', amount_fen: 4000, subsidy_reversed_fen: 28000 });
  await payRefund(ctx, refund.refund.id, { paidOn: '2021-10-20', reference: 'TK-1' });
}

const summary = (result: LedgerCheckResult) =>
  result.differences.map((d) => [
    d.check,
    d.subject,
    d.expectedFen,
    d.actualFen,
    d.differenceFen,
    d.person?.name ?? null,
  ]);

describeEachEngine('ledger check and reconciliation', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('finds a consistent campaign clean, with each total to the fen, through payments, tax, cash and a refund', async () => {
    const handle = await fresh();
    const campaign = await paidCampaign(handle);
    await settledCampaign(campaign);
    const result = await checkLedger(campaign.world.ctx('2021-10-21'));
    expect(result.differences).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => [c.code, c.ok])).toEqual([
      ['journal', true],
      ['enrollments', true],
      ['channels', true],
      ['tax', true],
      ['cash', true],
      ['accounts', true],
    ]);
    const figures = Object.fromEntries(result.checks.map((c) => [c.code, c.figures]));
    // 李四, 赵六 paid 320.00 each, 王五 subsidised 320.00 in full; 张三 refunded (0), 孙七 unpaid (0).
    expect(figures.enrollments).toEqual({
      enrollments: 5,
      enrolled: 3,
      expectedFen: 96000,
      bookedFen: 96000,
    });
    expect(figures.channels).toEqual({
      'cash_collection.orders': 1,
      'cash_collection.recordedFen': 36000,
      'cash_collection.paymentsFen': 36000,
      'cash_collection.journalFen': 36000,
      'online.orders': 1,
      'online.recordedFen': 32000,
      'online.paymentsFen': 32000,
      'online.journalFen': 32000,
    });
    expect(figures.tax).toEqual({
      confirmedPayments: 3,
      confirmedPaymentsFen: 68000,
      matchedConfirmations: 3,
      matchedConfirmationsFen: 68000,
      treasuryFromTaxFen: 68000,
    });
    expect(figures.cash).toEqual({ collectors: 1, heldFen: 0 });
    expect(figures.accounts).toMatchObject({
      'pending_remittance.expectedFen': 0,
      'pending_remittance.balanceFen': 0,
      // 680.00 confirmed − 40.00 refunded to 张三.
      'treasury.expectedFen': 64000,
      'treasury.balanceFen': 64000,
      'refunds_payable.balanceFen': 0,
    });
  });

  it('lists every difference to the fen, with the person, when the records are changed behind its back', async () => {
    const handle = await fresh();
    const campaign = await paidCampaign(handle);
    await settledCampaign(campaign);
    const { enrollments } = campaign;
    const ctx = campaign.world.ctx('2021-10-21', 'intruder');
    const db = handle.db;
    const extra = (
      kind: string,
      businessId: string,
      key: string,
      lines: { account: string; amount: number }[],
    ) =>
      recordTransfer(db, {
        countyCode: COUNTY,
        kind,
        businessType: 'manual',
        businessId,
        idempotencyKey: key,
        occurredOn: '2021-10-21',
        lines: lines as { account: 'treasury'; amount: Fen }[],
        actor: 'intruder',
        recordedAt: ctx.now,
      });
    // A transfer moving 1.50 from 待报解 into 赵六's enrollment account.
    await extra('adjustment', 'x', 'adjust-1', [
      { account: `enrollment:${enrollments.zhao}`, amount: 150 },
      { account: 'pending_remittance', amount: -150 },
    ]);
    // A tax-confirmation transfer with no confirmation behind it: 5.00 into the treasury.
    await extra('tax_confirmation', '9999', 'tax:FAKE', [
      { account: 'treasury', amount: 500 },
      { account: 'pending_remittance', amount: -500 },
    ]);
    // Rows edited directly.
    await db.updateTable('enrollments').set({ paid_fen: 31000 }).where('id', '=', enrollments.li).execute();
    await db
      .updateTable('payments')
      .set({ amount_fen: 32100 })
      .where('enrollment_id', '=', enrollments.zhao)
      .execute();
    await db.updateTable('remittances').set({ amount_fen: 30000 }).execute();
    await db.updateTable('enrollments').set({ status: 'paid' }).where('id', '=', enrollments.sun).execute();

    const result = await checkLedger(ctx);
    expect(result.ok).toBe(false);
    const wx1 = await db
      .selectFrom('payment_orders')
      .select('id')
      .where('channel_txn_id', '=', 'WX-1')
      .executeTakeFirstOrThrow();
    expect(summary(result)).toEqual([
      ['enrollments', `enrollment:${enrollments.li}`, 31000, 32000, 1000, '李四'],
      ['enrollments', `enrollment:${enrollments.zhao}`, 32000, 31850, -150, '赵六'],
      ['enrollments', `enrollment:${enrollments.zhao}`, 32000, 32100, 100, '赵六'],
      ['enrollments', `enrollment:${enrollments.zhao}`, 32000, 32100, 100, '赵六'],
      ['enrollments', `enrollment:${enrollments.sun}`, 32000, 0, -32000, '孙七'],
      ['enrollments', `enrollment:${enrollments.sun}`, 32000, 0, -32000, '孙七'],
      ['channels', `order:${wx1.id}`, 32000, 32100, 100, null],
      ['tax', 'receipt:T-002', 32000, 32100, 100, '赵六'],
      ['tax', 'transfer:tax_confirmation:9999', 0, 500, 500, null],
      ['cash', 'collector:qx-001', 6000, 0, -6000, null],
      // 待报解: 320.00 online + 300.00 remitted − 680.00 confirmed = −60.00; holds −1.50 − 5.00.
      ['accounts', 'pending_remittance', -6000, -650, 5350, null],
      ['accounts', 'treasury', 64000, 64500, 500, null],
    ]);
    const messages = result.differences.map((d) => d.message);
    expect(messages[1]).toBe(
      `赵六（${ZHAO}，参保登记 #${enrollments.zhao}，2022 年度，已确认参保）账户余额应为 320.00 元，实为 318.50 元，差 -1.50 元（个人缴费 320.00 元 + 资助 0.00 元）`,
    );
    expect(messages[0]).toContain(
      '缴费明细合计与已缴金额不符：已缴金额 310.00 元，缴费明细 320.00 元，差 +10.00 元',
    );
    expect(messages[4]).toContain('孙七');
    expect(messages[6]).toBe(
      `线上缴费（支付网关）缴费 #${wx1.id}（流水号 WX-1，2021-10-08，320.00 元）的缴费明细合计应为 320.00 元，实为 321.00 元，差 +1.00 元`,
    );
    expect(messages[9]).toBe(
      '代收员 qx-001 现金（收取 360.00 元 − 解缴 300.00 元）应为 60.00 元，实为 0.00 元，差 -60.00 元',
    );
    expect(result.checks.map((c) => [c.code, c.ok])).toEqual([
      ['journal', true],
      ['enrollments', false],
      ['channels', false],
      ['tax', false],
      ['cash', false],
      ['accounts', false],
    ]);
  });

  it('names an unbalanced transfer and a confirmation booked without its payment', async () => {
    const handle = await fresh();
    const campaign = await paidCampaign(handle);
    await settledCampaign(campaign);
    const db = handle.db;
    // Lines can only be added (the journal refuses edits): one more line unbalances transfer T-002's.
    const t2 = await db
      .selectFrom('journal_transfers')
      .select('id')
      .where('idempotency_key', '=', 'tax:T-002')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('journal_lines')
      .values({ county_code: COUNTY, transfer_id: t2.id, account: 'treasury', amount_fen: 1 })
      .execute();
    // A payment un-confirmed behind canbao's back while its confirmation stands.
    await db
      .updateTable('payments')
      .set({ status: 'recorded', tax_receipt_no: null, confirmed_on: null })
      .where('enrollment_id', '=', campaign.enrollments.li)
      .execute();
    const result = await checkLedger(campaign.world.ctx('2021-10-21'));
    expect(summary(result)).toEqual([
      ['journal', `transfer:${t2.id}`, 0, 1, 1, null],
      ['tax', 'receipt:T-003', null, null, null, '李四'],
      ['tax', 'receipt:T-002', 32000, 32001, 1, null],
      ['accounts', 'treasury', 64000, 64001, 1, null],
    ]);
    expect(result.differences[0]?.message).toBe(`转账 #${t2.id} 借贷不平衡：分录合计 +0.01 元`);
    expect(result.differences[1]?.message).toMatch(
      /税票号 T-003 确认了 李四 的缴费 #\d+，但该缴费记录的税票号为 （空）/,
    );
  });

  it('includes the bank withholding batches, and counts money awaiting return to card holders in 待报解', async () => {
    const handle = await fresh();
    const campaign = await paidCampaign(handle);
    const ctx = campaign.world.ctx('2021-10-21');
    // A bank debit that could not be applied to anyone waits in 待报解 against the clearing account.
    await recordTransfer(handle.db, {
      countyCode: COUNTY,
      kind: 'withholding_conflict',
      businessType: 'withholding_item',
      businessId: '1',
      idempotencyKey: 'withholding-conflict:TEST-1',
      occurredOn: '2021-10-21',
      lines: [
        { account: 'pending_remittance', amount: 500 as Fen },
        { account: 'channel:bank_withholding', amount: -500 as Fen },
      ],
      actor: 'bank',
      recordedAt: ctx.now,
    });
    const clean = await checkLedger(ctx);
    expect(clean.differences).toEqual([]);
    expect(clean.checks.map((c) => c.code)).not.toContain('withholding');
    const accounts = clean.checks.find((c) => c.code === 'accounts');
    expect(accounts?.figures['pending_remittance.expectedFen']).toBe(68500);
    expect(accounts?.lines[0]).toContain('+ 待退还的渠道重复扣款 5.00 元');

    // A batch recorded as completed with a debited row that has no item, no payment, no transfer.
    await handle.db
      .insertInto('withholding_batches')
      .values({
        county_code: COUNTY,
        batch_no: 'DK-TEST',
        benefit_year: 2022,
        bank: null,
        status: 'completed',
        rows: 1,
        total_fen: 32000,
        succeeded: 1,
        succeeded_fen: 32000,
        failed: 0,
        result_sha256: null,
        result_file: null,
        created_on: '2021-10-20',
        created_at: ctx.now,
        completed_at: ctx.now,
        actor: 'bank',
      })
      .execute();
    const result = await checkLedger(ctx);
    expect(result.ok).toBe(false);
    const withholding = result.checks.find((c) => c.code === 'withholding');
    expect(withholding?.ok).toBe(false);
    expect(withholding?.lines).toEqual([
      '代扣批次 DK-TEST（1 行，320.00 元）：扣款成功 0 笔 0.00 元，缴费记录 0 笔 0.00 元，记账 0.00 元',
    ]);
    expect(result.differences.length).toBeGreaterThan(0);
    for (const d of result.differences) {
      expect(d).toMatchObject({ check: 'withholding', subject: 'batch:DK-TEST' });
      expect(d.message).toMatch(/^代扣批次 DK-TEST：/);
    }
  });

  it('stays clean through a 先缴后补 reimbursement batch, created and paid out', async () => {
    const world = await campaignWorld(await fresh(), 'dalate-2023', '150621', '2022-09-01');
    const liu = idNumber('15062119600101001');
    await world.importKind('population', ['姓名,公民身份号码,户号', `刘一,${liu},D1`]);
    await world.importKind('groups', ['姓名,公民身份号码,人员类别,认定日期', `刘一,${liu},低保,2022-01-10`], {
      department: 'civil_affairs',
    });
    const ctx = world.ctx('2022-10-10');
    const { enrollment } = await enroll(ctx, { personId: await world.personId(liu), source: 'renewal' });
    // 低保 pays the whole 380.00; civil affairs pays 330.00 back afterwards.
    expect(enrollment).toMatchObject({ pays_fen: 38000, subsidy_fen: 0, refund_later_fen: 33000 });
    await recordPayment(ctx, {
      channel: 'online',
      txnId: 'WX-D1',
      enrollmentIds: [enrollment.id],
      amountFen: 38000,
      paidOn: '2022-10-10',
    });
    const batch = await createReimbursementBatch(world.ctx('2022-10-20'), { funder: 'civil_affairs' });
    const created = await checkLedger(world.ctx('2022-10-20'));
    expect(created.differences).toEqual([]);
    const accounts = created.checks.find((c) => c.code === 'accounts')?.figures;
    expect(accounts?.['reimbursements_payable.balanceFen']).toBe(-33000);
    expect(accounts?.['pending_remittance.balanceFen']).toBe(38000);
    await payReimbursementBatch(world.ctx('2022-11-01'), batch.batch.batch_no, { paidOn: '2022-11-01' });
    const paid = await checkLedger(world.ctx('2022-11-01'));
    expect(paid.differences).toEqual([]);
    expect(paid.checks.find((c) => c.code === 'accounts')?.figures['reimbursements_payable.balanceFen']).toBe(
      0,
    );
    // The enrollment still holds what the person paid: the reimbursement is between funder and person.
    expect(paid.checks.find((c) => c.code === 'enrollments')?.figures).toMatchObject({
      expectedFen: 38000,
      bookedFen: 38000,
    });
  });

  it('reports per day and channel, tax confirmations against payments, and writes the report as .xlsx', async () => {
    const handle = await fresh();
    const { world } = await paidCampaign(handle);
    await confirmTaxPayments(world.ctx('2021-10-11'), [
      { receiptNo: 'T-001', docNumber: ZHANG, amountFen: 4000, paidOn: '2021-10-08' },
      { receiptNo: 'T-002', docNumber: ZHAO, amountFen: 32000, paidOn: '2021-10-08' },
      { receiptNo: 'T-009', docNumber: STRANGER, amountFen: 12300, paidOn: '2021-10-08' },
    ]);
    const ctx = world.ctx('2021-10-20');
    const report = await reconciliationReport(ctx, { from: '2021-10-01', to: '2021-10-31' });
    expect(report).toMatchObject({
      countyCode: COUNTY,
      benefitYear: 2022,
      policy: { id: 'qixian-2022' },
      from: '2021-10-01',
      to: '2021-10-31',
      generatedOn: '2021-10-20',
    });
    const days = report.days.map((d) => [
      d.date,
      d.channel,
      d.collectedCount,
      d.collectedFen,
      d.confirmedCount,
      d.confirmedFen,
      d.remittedFen,
      d.refundsPaidFen,
    ]);
    expect(days).toEqual([
      ['2021-10-08', 'cash_collection', 2, 36000, 0, 0, 0, 0],
      ['2021-10-08', 'online', 1, 32000, 0, 0, 0, 0],
      ['2021-10-09', 'cash_collection', 0, 0, 0, 0, 36000, 0],
      ['2021-10-11', 'cash_collection', 0, 0, 1, 4000, 0, 0],
      ['2021-10-11', 'online', 0, 0, 1, 32000, 0, 0],
    ]);
    expect(report.totals.map((t) => [t.channel, t.collectedFen, t.confirmedFen, t.remittedFen])).toEqual([
      ['cash_collection', 36000, 4000, 36000],
      ['online', 32000, 32000, 0],
      ['all', 68000, 36000, 36000],
    ]);
    expect(report.tax).toMatchObject({
      paymentsCount: 3,
      paymentsFen: 68000,
      matchedCount: 2,
      matchedFen: 36000,
      discrepancyCount: 1,
      discrepancyFen: 12300,
      olderThanDays: 7,
      unconfirmedFen: 32000,
    });
    // 李四's cash payment of 10-08 is still unconfirmed twelve days later.
    expect(report.tax.unconfirmed).toEqual([
      expect.objectContaining({
        name: '李四',
        docNumber: LI,
        txnId: 'R-0001',
        amountFen: 32000,
        paidOn: '2021-10-08',
        days: 12,
      }),
    ]);
    const patient = await reconciliationReport(ctx, {
      from: '2021-10-01',
      to: '2021-10-31',
      olderThanDays: 13,
    });
    expect(patient.tax.unconfirmed).toEqual([]);
    const narrow = await reconciliationReport(ctx, { from: '2021-10-09', to: '2021-10-09' });
    expect(narrow.days.map((d) => [d.date, d.channel, d.remittedFen])).toEqual([
      ['2021-10-09', 'cash_collection', 36000],
    ]);
    await expect(reconciliationReport(ctx, { from: '2021-10-31', to: '2021-10-01' })).rejects.toThrow(
      '开始日期 2021-10-31 晚于结束日期 2021-10-01',
    );

    const out = join(mkdtempSync(join(tmpdir(), 'canbao-report-')), '对账.xlsx');
    await writeReportXlsx(report, out);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    expect(book.worksheets.map((s) => s.name)).toEqual([
      '按日按渠道',
      '渠道合计',
      '税务确认与缴费',
      '未确认缴费',
      '税务确认差异',
    ]);
    const first = book.worksheets[0] as ExcelJS.Worksheet;
    expect(first.getCell('A1').value).toBe('埇桥区（341302） 城乡居民医保 2022 年度征缴对账报表');
    expect(first.getCell('A2').value).toBe('期间 2021-10-01 至 2021-10-31；生成日期 2021-10-20');
    expect(String(first.getCell('A3').value)).toMatch(/^政策 .+（qixian-2022，哈希 [0-9a-f]{16}）$/);
    const table = await openTable(out, { requiredHeaders: ['日期', '渠道', '缴费金额（元）'] });
    expect(table.headerLine).toBe(4);
    const rows = [];
    for await (const row of table.rows())
      rows.push([row.values.日期, row.values.渠道, row.values['缴费金额（元）']]);
    expect(rows[0]).toEqual(['2021-10-08', '村（社区）现金代收', '360']);
    expect(rows).toHaveLength(5);
  });
});
