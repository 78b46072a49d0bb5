/**
 * One small campaign per notice, run through the services as the people in USERS.md would: a
 * village with ordinary, subsidised, late, newborn and refunded people across the channels the
 * notice names. Every amount and date is the notice's (DOMAIN.md §2), written out here rather than
 * taken from the engine, and the books must balance to the fen at the end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { checkLedger } from '../src/collection/books.ts';
import { enroll, enrollSubsidised, getEnrollment } from '../src/collection/enrollments.ts';
import { GatewaySimulator, handleGatewayCallback, startCheckout } from '../src/collection/gateway.ts';
import { recordPayment, recordRemittance } from '../src/collection/payments.ts';
import { payRefund, requestRefund } from '../src/collection/refunds.ts';
import {
  confirmReimbursementBatch,
  createReimbursementBatch,
  payReimbursementBatch,
} from '../src/collection/reimbursements.ts';
import { confirmTaxPayments } from '../src/collection/tax.ts';
import {
  addAgreement,
  exportWithholdingBatch,
  importWithholdingResult,
} from '../src/collection/withholding.ts';
import { openTable } from '../src/files/read-table.ts';
import { accountBalances } from '../src/ledger/journal.ts';
import { expectEnrollmentBalances, failure } from './books-harness.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

/** An identity number for someone of this county born on `birth` (YYYY-MM-DD), the n-th such. */
function id(county: string, birth: string, n: number): string {
  return idNumber(`${county}${birth.replaceAll('-', '')}${String(n).padStart(3, '0')}`);
}

async function enrollOf(w: World, doc: string, today: string, extra: { coverageYear?: number } = {}) {
  return (await enroll(w.ctx(today), { personId: await w.personId(doc), source: 'new', ...extra }))
    .enrollment;
}

async function balances(w: World) {
  return accountBalances(w.handle.db, w.countyCode);
}

/** `ledger check` finds nothing to report: every difference it lists fails the test by name. */
async function expectLedgerClean(w: World, today: string) {
  const check = await checkLedger(w.ctx(today, 'bureau'));
  expect(check.differences).toEqual([]);
  expect(check.ok).toBe(true);
}

describeEachEngine('campaign 蕲县镇 2022 (qixian-2022)', (engine) => {
  const fresh = useFreshDatabases(engine);
  const C = '341302';
  const zhang = id(C, '1970-03-01', 11); // 低保, pays 40
  const li = id(C, '1972-05-02', 22); // ordinary, same household
  const wang = id(C, '1940-07-03', 31); // 特困, full subsidy
  const zhao = id(C, '1990-01-04', 41); // rural migrant worker, pays in the extension
  const qian = id(C, '1985-02-05', 51); // certified 低保 after the period: late, next day
  const baby = id(C, '2022-01-05', 61); // newborn, pays within 90 days
  const sun = id(C, '1988-06-06', 71); // pays, joins employee insurance, refunded
  const zhou = id(C, '1995-08-07', 81); // ordinary, pays after everything: not specified

  it('runs cash, online and POS payments, subsidies, late and newborn rules, a refund, to the fen', async () => {
    const w = await campaignWorld(await fresh(), 'qixian-2022', C, '2021-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      `张三,${zhang},Q1,户主,蕲县村`,
      `李四,${li},Q1,配偶,蕲县村`,
      `王五,${wang},Q2,户主,蕲县村`,
      `赵六,${zhao},Q3,户主,蕲县村`,
      `钱七,${qian},Q4,户主,蕲县村`,
      `孙八,${sun},Q5,户主,蕲县村`,
      `周九,${zhou},Q6,户主,蕲县村`,
    ]);
    await w.importKind(
      'groups',
      [
        '姓名,公民身份号码,人员类别,认定日期',
        `张三,${zhang},低保,2020-03-01`,
        `王五,${wang},特困供养人员,2019-01-01`,
      ],
      {
        department: 'civil_affairs',
      },
    );
    await w.importKind('groups', ['姓名,公民身份号码,人员类别', `赵六,${zhao},外出务工人员`], {
      department: 'human_resources',
    });

    // The bureau enrolls the subsidised: 王五 confirmed without paying, 张三 awaits 40.
    const bureau = await enrollSubsidised(w.ctx('2021-09-10', 'bureau'));
    expect(bureau).toMatchObject({ confirmed: 1, created: 2 }); // 张三 and 赵六 (migrant worker) await payment
    const wangE = await getEnrollment(w.handle.db, C, (await enrollOf(w, wang, '2021-09-10')).id);
    expect(wangE).toMatchObject({
      status: 'confirmed',
      pays_fen: 0,
      subsidy_fen: 32000,
      benefit_start: '2022-01-01',
    });

    // Household Q1 pays in cash to the village collector: 40 + 320, one receipt, then remitted.
    const zhangE = await enrollOf(w, zhang, '2021-10-08');
    const liE = await enrollOf(w, li, '2021-10-08');
    const cash = await recordPayment(w.ctx('2021-10-08', 'collector-qx'), {
      channel: 'cash_collection',
      txnId: 'QX-R-0001',
      enrollmentIds: [zhangE.id, liE.id],
      amountFen: 36000,
      paidOn: '2021-10-08',
      collector: 'qx-01',
      receiptNo: 'QX-R-0001',
    });
    expect(cash.lines.map((l) => [l.name, l.amountFen, l.benefitStart, l.benefitEnd])).toEqual([
      ['张三', 4000, '2022-01-01', '2022-12-31'],
      ['李四', 32000, '2022-01-01', '2022-12-31'],
    ]);
    await recordRemittance(w.ctx('2021-10-08', 'collector-qx'), {
      collector: 'qx-01',
      slipNo: 'S-1008',
      amountFen: 36000,
      remittedOn: '2021-10-08',
    });

    // 孙八 pays by POS in the period, then joins employee insurance and asks for his money back
    // before the benefit year: approved with termination (五（四）), paid out.
    const sunE = await enrollOf(w, sun, '2021-10-10');
    await recordPayment(w.ctx('2021-10-10'), {
      channel: 'pos',
      txnId: 'POS-77-000123',
      enrollmentIds: [sunE.id],
      amountFen: 32000,
      paidOn: '2021-10-10',
      reference: 'POS-77',
    });
    const refund = await requestRefund(w.ctx('2021-12-15', 'bureau'), {
      enrollmentId: sunE.id,
      reason: 'employee_insurance',
      requestedOn: '2021-12-15',
    });
    expect(refund.refund).toMatchObject({ decision: 'approve', amount_fen: 32000, status: 'approved' });
    await payRefund(w.ctx('2021-12-20', 'bureau'), refund.refund.id, {
      paidOn: '2021-12-20',
      reference: 'TK-1',
    });
    expect((await getEnrollment(w.handle.db, C, sunE.id)).status).toBe('refunded');

    // 赵六, a rural migrant worker, pays online in the extension (until 2022-02-28): as in the period.
    const zhaoE = await enrollOf(w, zhao, '2022-02-10');
    const gateway = { merchantKey: 'e2e' };
    const checkout = await startCheckout(w.ctx('2022-02-10', 'resident'), gateway, {
      name: '赵六',
      docNumber: zhao,
    });
    expect(checkout.amountFen).toBe(32000);
    const online = await handleGatewayCallback(
      w.ctx('2022-02-10', 'gateway'),
      gateway,
      new GatewaySimulator(gateway).pay(checkout, '2022-02-10T02:00:00Z'),
    );
    expect(online.lines[0]).toMatchObject({ enrollmentId: zhaoE.id, benefitStart: '2022-01-01' });

    // 钱七 is certified 低保 on 2021-12-20 (after the period) and pays 40 on 2022-01-15: covered
    // from the next day (动态新增, 五（三）).
    await w.importKind('groups', ['姓名,公民身份号码,人员类别,认定日期', `钱七,${qian},低保,2021-12-20`], {
      department: 'civil_affairs',
      today: '2021-12-21',
    });
    const qianE = await enrollOf(w, qian, '2022-01-10');
    expect(qianE.pays_fen).toBe(4000);
    const late = await recordPayment(w.ctx('2022-01-15'), {
      channel: 'online',
      txnId: 'WX-QIAN',
      enrollmentIds: [qianE.id],
      amountFen: 4000,
      paidOn: '2022-01-15',
    });
    expect(late.lines[0]?.benefitStart).toBe('2022-01-16');

    // A newborn registered on 2022-02-20 and paid on 2022-03-01 (55 days after birth): from birth.
    await w.importKind(
      'population',
      ['姓名,公民身份号码,户号,与户主关系,村（社区）', `小明,${baby},Q5,子,蕲县村`],
      { today: '2022-02-20' },
    );
    const babyE = (await enroll(w.ctx('2022-02-20'), { personId: await w.personId(baby), source: 'newborn' }))
      .enrollment;
    const newborn = await recordPayment(w.ctx('2022-03-01'), {
      channel: 'online',
      txnId: 'WX-BABY',
      enrollmentIds: [babyE.id],
      amountFen: 32000,
      paidOn: '2022-03-01',
    });
    expect(newborn.lines[0]?.benefitStart).toBe('2022-01-05');

    // 周九, an ordinary resident, comes on 2022-03-10: the notice does not say when he would be
    // covered, so no money is taken.
    const zhouE = await enrollOf(w, zhou, '2022-03-10');
    const refused = await failure(
      recordPayment(w.ctx('2022-03-10'), {
        channel: 'online',
        txnId: 'WX-ZHOU',
        enrollmentIds: [zhouE.id],
        amountFen: 32000,
        paidOn: '2022-03-10',
      }),
    );
    expect(refused.code).toBe('benefit_start_not_specified');
    expect((await getEnrollment(w.handle.db, C, zhouE.id)).status).toBe('awaiting_payment');

    // Tax confirms the household's two payments (by document number and amount) and 赵六's (by the
    // gateway's transaction id); a receipt for money nobody recorded lands in the discrepancies.
    const confirmed = await confirmTaxPayments(w.ctx('2022-03-15', 'tax'), [
      { receiptNo: 'T-0001', docNumber: zhang, amountFen: 4000, paidOn: '2021-10-08' },
      { receiptNo: 'T-0002', docNumber: li, amountFen: 32000, paidOn: '2021-10-08' },
      {
        receiptNo: 'T-0003',
        docNumber: zhao,
        amountFen: 32000,
        paidOn: '2022-02-10',
        channelTxnId: await orderTxn(w, online.orderId),
      },
      { receiptNo: 'T-0004', docNumber: zhou, amountFen: 32000, paidOn: '2022-03-10' },
    ]);
    expect(confirmed).toMatchObject({ status: 'completed', matched: 3, matchedFen: 68000, discrepancies: 1 });
    expect((await getEnrollment(w.handle.db, C, zhangE.id)).status).toBe('confirmed');
    expect((await getEnrollment(w.handle.db, C, qianE.id)).status).toBe('paid'); // not confirmed yet

    // The books: 待报解 received everything paid (cash once remitted) and passed the confirmed 680 to
    // the treasury, which paid 孙八's refund; the medical assistance fund owes 张三's and 钱七's 280
    // and 王五's 320; the collector holds nothing.
    const b = await balances(w);
    expect(b.get('pending_remittance')).toBe(36000 + 32000 + 32000 + 4000 + 32000 - 68000);
    expect(b.get('collector:qx-01') ?? 0).toBe(0);
    expect(b.get('funder:medical_assistance')).toBe(28000 + 28000 + 32000);
    expect(b.get('refunds_payable') ?? 0).toBe(0);
    expect(b.get('treasury')).toBe(68000 - 32000);
    await expectEnrollmentBalances(w.handle, C);
    await expectLedgerClean(w, '2022-03-15');
  });
});

describeEachEngine('campaign 祁门县 2023 (qimen-2023)', (engine) => {
  const fresh = useFreshDatabases(engine);
  const C = '341024';
  const dibao = id(C, '1960-01-01', 11); // 低保 fixed 310: pays 40
  const jiance = id(C, '1965-02-02', 21); // 监测 fixed 175: pays 175
  const tekun = id(C, '1945-03-03', 31); // 特困: full
  const worker = id(C, '1980-04-04', 41); // ≥2 years employee insurance, stopped ≤3 months: next day
  const former = id(C, '1982-05-05', 51); // stopped more than 3 months before paying: next month
  const baby = id(C, '2023-01-10', 61); // newborn within 90 days: from birth
  const late = id(C, '2022-10-01', 71); // newborn paying after 90 days: next day
  const xin = id(C, '1970-06-06', 81); // ordinary, withheld from her son's card
  const ren = id(C, '1972-07-07', 91); // ordinary, card empty the first time, retried

  it('withholding, subsidies, employee-insurance and newborn timing, refunds the notice does not cover', async () => {
    const w = await campaignWorld(await fresh(), 'qimen-2023', C, '2022-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号',
      `甲,${dibao},M1`,
      `乙,${jiance},M2`,
      `丙,${tekun},M3`,
      `丁,${worker},M4`,
      `戊,${former},M5`,
      `辛,${xin},M6`,
      `壬,${ren},M7`,
    ]);
    await w.importKind('groups', ['姓名,公民身份号码,人员类别', `甲,${dibao},低保`, `丙,${tekun},特困人员`], {
      department: 'civil_affairs',
    });
    await w.importKind('groups', ['姓名,公民身份号码,人员类别', `乙,${jiance},监测对象`], {
      department: 'rural_revitalisation',
    });
    await w.importKind(
      'external',
      [
        '姓名,公民身份号码,参保类型,连续缴费年限,停保日期',
        `丁,${worker},职工医保,3,2023-01-20`,
        `戊,${former},职工医保,5,2022-10-01`,
      ],
      { today: '2023-03-01' },
    );
    const bureau = await enrollSubsidised(w.ctx('2022-09-05', 'bureau'));
    expect(bureau).toMatchObject({ confirmed: 1, created: 2 });
    const dibaoE = await enrollOf(w, dibao, '2022-09-05');
    const jianceE = await enrollOf(w, jiance, '2022-09-05');
    expect([dibaoE.pays_fen, dibaoE.subsidy_fen, jianceE.pays_fen, jianceE.subsidy_fen]).toEqual([
      4000, 31000, 17500, 17500,
    ]);
    await recordPayment(w.ctx('2022-10-01'), {
      channel: 'bank_counter',
      txnId: 'BC-1',
      enrollmentIds: [dibaoE.id],
      amountFen: 4000,
      paidOn: '2022-10-01',
    });
    await recordPayment(w.ctx('2022-10-01'), {
      channel: 'bank_counter',
      txnId: 'BC-2',
      enrollmentIds: [jianceE.id],
      amountFen: 17500,
      paidOn: '2022-10-01',
    });

    // The notice's main channel (一（六）): the tax side sends the bank a withholding file from the
    // agreement cards; 辛's card is her son's. The bank debits, returns the result; 壬's card is
    // empty and is tried again in the next batch.
    const bank = w.ctx('2022-10-10', 'tax');
    const xinE = await enrollOf(w, xin, '2022-09-20');
    const renE = await enrollOf(w, ren, '2022-09-20');
    await addAgreement(bank, {
      personId: await w.personId(xin),
      bank: '祁门农商银行',
      cardNumber: '6228480000000000011',
      holderName: '辛子',
    });
    await addAgreement(bank, {
      personId: await w.personId(ren),
      bank: '祁门农商银行',
      cardNumber: '6228480000000000029',
      holderName: '壬',
    });
    const first = join(mkdtempSync(join(tmpdir(), 'canbao-e2e-')), 'qimen-batch-1.csv');
    expect(await exportWithholdingBatch(bank, { out: first })).toMatchObject({ rows: 2, totalFen: 70000 });
    const firstResult = await bankAnswer(first, (name) =>
      name === '壬' ? ['失败', '余额不足'] : ['成功', ''],
    );
    expect(
      await importWithholdingResult(w.ctx('2022-10-12', 'tax'), { file: firstResult, on: '2022-10-11' }),
    ).toMatchObject({ succeeded: 1, succeededFen: 35000, failed: 1 });
    const second = join(dirname(first), 'qimen-batch-2.csv');
    expect(await exportWithholdingBatch(w.ctx('2022-11-01', 'tax'), { out: second })).toMatchObject({
      rows: 1,
      retried: 1,
    });
    await importWithholdingResult(w.ctx('2022-11-03', 'tax'), {
      file: await bankAnswer(second, () => ['成功', '']),
      on: '2022-11-02',
    });
    for (const e of [xinE, renE]) {
      expect(await getEnrollment(w.handle.db, C, e.id)).toMatchObject({
        status: 'paid',
        paid_fen: 35000,
        benefit_start: '2023-01-01',
      });
    }

    // After the period: 丁 stopped employee insurance on 2023-01-20 and pays 2023-03-10 → next day;
    // 戊 stopped on 2022-10-01 (more than 3 months) → first day of the next month.
    const workerE = await enrollOf(w, worker, '2023-03-10');
    const formerE = await enrollOf(w, former, '2023-03-10');
    const paid = await recordPayments2(w, [
      ['BC-3', workerE.id, '2023-03-10'],
      ['BC-4', formerE.id, '2023-03-10'],
    ]);
    expect(paid).toEqual(['2023-03-11', '2023-04-01']);

    // Newborns: registered and paid within 90 days → from birth; after → the day after payment.
    await w.importKind('population', ['姓名,公民身份号码,户号', `己,${baby},M1`, `庚,${late},M2`], {
      today: '2023-04-01',
    });
    const babyE = (await enroll(w.ctx('2023-04-05'), { personId: await w.personId(baby), source: 'newborn' }))
      .enrollment;
    const lateE = (await enroll(w.ctx('2023-04-05'), { personId: await w.personId(late), source: 'newborn' }))
      .enrollment;
    expect(await recordPayments2(w, [['BC-5', babyE.id, '2023-04-05']])).toEqual(['2023-01-10']);
    expect(await recordPayments2(w, [['BC-6', lateE.id, '2023-04-05']])).toEqual(['2023-04-06']);

    // The notice has no refund rule: the request is recorded as not specified, nothing moves.
    const refund = await requestRefund(w.ctx('2022-12-01', 'bureau'), {
      enrollmentId: dibaoE.id,
      reason: 'duplicate',
      requestedOn: '2022-12-01',
    });
    expect(refund.refund).toMatchObject({ decision: 'not_specified', amount_fen: 0 });
    expect((await getEnrollment(w.handle.db, C, dibaoE.id)).status).toBe('paid');

    const b = await balances(w);
    expect(b.get('pending_remittance')).toBe(4000 + 17500 + 35000 * 4 + 35000 * 2);
    expect(b.get('funder:medical_assistance')).toBe(31000 + 17500 + 35000);
    await expectEnrollmentBalances(w.handle, C);
    await expectLedgerClean(w, '2023-04-05');
  });
});

/** The bank's result file for an exported batch: `decide(insured name)` gives [result, reason]. */
async function bankAnswer(exported: string, decide: (name: string) => [string, string]): Promise<string> {
  const table = await openTable(exported, { requiredHeaders: [['批次号'], ['序号']] });
  const lines = [table.headers.join(',')];
  for await (const row of table.rows()) {
    const [result, reason] = decide(row.values['参保人姓名'] ?? '');
    lines.push(
      table.headers
        .map((h) => (h === '扣款结果' ? result : h === '失败原因' ? reason : row.values[h]))
        .join(','),
    );
  }
  const file = exported.replace(/\.csv$/, '-result.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The channel transaction id of a payment order. */
async function orderTxn(w: World, orderId: number): Promise<string> {
  const order = await w.handle.db
    .selectFrom('payment_orders')
    .select('channel_txn_id')
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  return order.channel_txn_id;
}

/** Pays each (txn, enrollment, date) at the bank counter for the enrollment's full due; returns benefit starts. */
async function recordPayments2(
  w: World,
  rows: readonly [string, number, string][],
): Promise<(string | null)[]> {
  const starts: (string | null)[] = [];
  for (const [txn, enrollmentId, paidOn] of rows) {
    const e = await getEnrollment(w.handle.db, w.countyCode, enrollmentId);
    const r = await recordPayment(w.ctx(paidOn), {
      channel: 'bank_counter',
      txnId: txn,
      enrollmentIds: [enrollmentId],
      amountFen: e.pays_fen,
      paidOn,
    });
    starts.push(r.lines[0]?.benefitStart ?? null);
  }
  return starts;
}

describeEachEngine('campaign 瑶海区 2024 (yaohai-2024)', (engine) => {
  const fresh = useFreshDatabases(engine);
  const C = '340102';
  const mother = id(C, '1990-01-01', 12); // 低保 90%: pays 38
  const child = id(C, '2015-02-02', 22); // ordinary child: 380
  const fanpin = id(C, '1970-03-03', 32); // 返贫致贫 80%: pays 76
  const jiance = id(C, '1975-04-04', 42); // 监测 50%: pays 190
  const baby = id(C, '2023-11-20', 52); // newborn: parents choose 2023 or 2024
  const late = id(C, '1985-05-05', 62); // pays in January of the benefit year: not specified

  it('percent subsidies paid online per household, the newborn year choice, late payment refused', async () => {
    const w = await campaignWorld(await fresh(), 'yaohai-2024', C, '2023-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系',
      `母,${mother},Y1,户主`,
      `子,${child},Y1,子`,
      `返,${fanpin},Y2,户主`,
      `监,${jiance},Y3,户主`,
      `迟,${late},Y4,户主`,
    ]);
    await w.importKind('groups', ['姓名,公民身份号码,人员类别', `母,${mother},低保`], {
      department: 'civil_affairs',
    });
    await w.importKind(
      'groups',
      ['姓名,公民身份号码,人员类别', `返,${fanpin},返贫致贫人口`, `监,${jiance},监测对象`],
      {
        department: 'rural_revitalisation',
      },
    );
    await enrollSubsidised(w.ctx('2023-09-05', 'bureau'));
    await enrollOf(w, child, '2023-09-05');
    const gateway = { merchantKey: 'e2e' };
    const simulator = new GatewaySimulator(gateway);
    const payOnline = async (name: string, doc: string, today: string) => {
      const checkout = await startCheckout(w.ctx(today, 'resident'), gateway, { name, docNumber: doc });
      return handleGatewayCallback(
        w.ctx(today, 'gateway'),
        gateway,
        simulator.pay(checkout, `${today}T03:00:00Z`),
      );
    };
    const family = await payOnline('母', mother, '2023-10-01');
    expect(family.lines.map((l) => [l.name, l.amountFen, l.benefitStart])).toEqual([
      ['母', 3800, '2024-01-01'],
      ['子', 38000, '2024-01-01'],
    ]);
    expect((await payOnline('返', fanpin, '2023-10-02')).amountFen).toBe(7600);
    expect((await payOnline('监', jiance, '2023-10-03')).amountFen).toBe(19000);

    // The newborn: the parents may choose 2023 or 2024 (五（二）); this campaign is for 2024.
    await w.importKind('population', ['姓名,公民身份号码,户号,与户主关系', `婴,${baby},Y1,子`], {
      today: '2023-12-01',
    });
    const babyId = await w.personId(baby);
    const wrongYear = await failure(
      enroll(w.ctx('2023-12-01'), { personId: babyId, source: 'newborn', coverageYear: 2023 }),
    );
    expect(wrongYear.message).toMatch(/不能参保/);
    const babyE = (
      await enroll(w.ctx('2023-12-01'), { personId: babyId, source: 'newborn', coverageYear: 2024 })
    ).enrollment;
    expect(babyE.pays_fen).toBe(38000);
    const babyPaid = await payOnline('婴', baby, '2023-12-02');
    expect(babyPaid.lines.map((l) => [l.name, l.benefitStart])).toEqual([['婴', '2024-01-01']]);

    // After 12-31 the notice defers to national and provincial rules: nothing is collected.
    await enrollOf(w, late, '2024-01-15');
    const refused = await failure(payOnline('迟', late, '2024-01-15'));
    expect(refused.code).toBe('benefit_start_not_specified');
    expect(refused.message).toContain('按国家和省有关规定执行');

    const b = await balances(w);
    expect(b.get('pending_remittance')).toBe(3800 + 38000 + 7600 + 19000 + 38000);
    expect(b.get('funder:medical_assistance')).toBe(34200 + 30400 + 19000);
    await expectEnrollmentBalances(w.handle, C);
    await expectLedgerClean(w, '2024-01-15');
  });
});

describeEachEngine('campaign 达拉特旗 2023 (dalate-2023)', (engine) => {
  const fresh = useFreshDatabases(engine);
  const C = '150621';
  const dibao = id(C, '1962-01-01', 13); // 低保: pays 380, civil affairs reimburses 330
  const tekun = id(C, '1950-02-02', 23); // 特困: banner finance pays 380
  const ordinary = id(C, '1980-03-03', 33); // pays after the period: 3-month waiting period
  const jiance = id(C, '1978-04-04', 43); // 监测 certified after the period: no waiting, 先缴后补 330
  const baby = id(C, '2023-02-01', 53); // newborn paid within 90 days: from birth

  it('先缴后补 reimbursement, full subsidy by finance, waiting period and newborns, POS and cash', async () => {
    const w = await campaignWorld(await fresh(), 'dalate-2023', C, '2022-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号',
      `一,${dibao},D1`,
      `二,${tekun},D2`,
      `三,${ordinary},D3`,
      `四,${jiance},D4`,
    ]);
    await w.importKind('groups', ['姓名,公民身份号码,人员类别', `一,${dibao},低保`, `二,${tekun},特困人员`], {
      department: 'civil_affairs',
    });
    const bureau = await enrollSubsidised(w.ctx('2022-09-05', 'bureau'));
    expect(bureau).toMatchObject({ confirmed: 1, created: 1 });
    const dibaoE = await enrollOf(w, dibao, '2022-09-05');
    expect([dibaoE.pays_fen, dibaoE.subsidy_fen, dibaoE.refund_later_fen]).toEqual([38000, 0, 33000]);
    await recordPayment(w.ctx('2022-10-01', 'gacha-01'), {
      channel: 'pos',
      txnId: 'POS-9-1',
      enrollmentIds: [dibaoE.id],
      amountFen: 38000,
      paidOn: '2022-10-01',
      reference: 'POS-9',
    });
    // Civil affairs reimburses 330 after payment: batch, paid, confirmed.
    const batch = await createReimbursementBatch(w.ctx('2022-11-01', 'bureau'), { funder: 'civil_affairs' });
    expect(batch.batch).toMatchObject({ people: 1, total_fen: 33000 });
    await payReimbursementBatch(w.ctx('2022-11-10', 'bureau'), batch.batch.batch_no, {
      paidOn: '2022-11-10',
    });
    await confirmReimbursementBatch(w.ctx('2022-11-15', 'bureau'), batch.batch.batch_no, {
      confirmedOn: '2022-11-15',
    });

    // An ordinary resident pays in cash on 2023-03-15, after the period: covered from 2023-06-15.
    const ordinaryE = await enrollOf(w, ordinary, '2023-03-15');
    const paid = await recordPayment(w.ctx('2023-03-15', 'gacha-01'), {
      channel: 'cash_collection',
      txnId: 'DL-R-1',
      enrollmentIds: [ordinaryE.id],
      amountFen: 38000,
      paidOn: '2023-03-15',
      collector: 'dl-01',
      receiptNo: 'DL-R-1',
    });
    expect(paid.lines[0]?.benefitStart).toBe('2023-06-15');

    // Newly certified 监测 on 2023-03-20 pays 2023-03-25: no waiting, from the next day; pays 380 and
    // is reimbursed 330 by rural revitalisation later.
    await w.importKind(
      'groups',
      ['姓名,公民身份号码,人员类别,认定日期', `四,${jiance},监测对象,2023-03-20`],
      {
        department: 'rural_revitalisation',
        today: '2023-03-21',
      },
    );
    const jianceE = await enrollOf(w, jiance, '2023-03-25');
    const jiancePaid = await recordPayment(w.ctx('2023-03-25'), {
      channel: 'online',
      txnId: 'WX-J',
      enrollmentIds: [jianceE.id],
      amountFen: 38000,
      paidOn: '2023-03-25',
    });
    expect(jiancePaid.lines[0]?.benefitStart).toBe('2023-03-26');

    // A newborn born 2023-02-01 registered with real name and ID and paid on 2023-04-20 (78 days),
    // after the collection period: covered from birth (三（三）).
    await w.importKind('population', ['姓名,公民身份号码,户号', `五,${baby},D3`], { today: '2023-04-20' });
    const babyE = (await enroll(w.ctx('2023-04-20'), { personId: await w.personId(baby), source: 'newborn' }))
      .enrollment;
    const babyPaid = await recordPayment(w.ctx('2023-04-20'), {
      channel: 'online',
      txnId: 'WX-B',
      enrollmentIds: [babyE.id],
      amountFen: 38000,
      paidOn: '2023-04-20',
    });
    expect(babyPaid.lines[0]?.benefitStart).toBe('2023-02-01');

    const b = await balances(w);
    expect(b.get('pending_remittance')).toBe(38000 * 3);
    expect(b.get('collector:dl-01')).toBe(38000);
    expect(b.get('funder:finance')).toBe(38000);
    expect(b.get('funder:civil_affairs') ?? 0).toBe(0); // reimbursed and settled
    expect(b.get('reimbursements_payable') ?? 0).toBe(0);
    await expectEnrollmentBalances(w.handle, C);
    await expectLedgerClean(w, '2023-04-20');
  });
});
