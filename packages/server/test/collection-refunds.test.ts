/**
 * Refund requests decided by the policy's refund rules, on both engines: 蕲县 2022 (refund before
 * the benefit start with termination, none after), a policy without refund rules (not specified),
 * the books to the fen (payment, direct subsidy returned to its funder, payout), and the errors.
 */
import { expect, it } from 'vitest';
import { type CollectionContext, CollectionError } from '../src/collection/context.ts';
import { enroll, enrollmentHistory, getEnrollment } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import { listRefunds, payRefund, requestRefund } from '../src/collection/refunds.ts';
import { accountBalances } from '../src/ledger/journal.ts';
import { expectEnrollmentBalances, failure, transferCount } from './books-harness.ts';
import { campaignWorld, idNumber } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const ZHANG = idNumber('34130219800101001');
const LI = idNumber('34130219820202002');
const WANG = idNumber('34130219400303003');
const ZHAO = idNumber('34130219900404004');
const SUN = idNumber('34130219910505005');

describeEachEngine('refund requests', (engine) => {
  const fresh = useFreshDatabases(engine);

  /** 蕲县: 张三 (低保, pays 40, 280 from medical assistance) and 李四 (pays 320) in one household, paid. */
  async function qixian() {
    const w = await campaignWorld(await fresh(), 'qixian-2022', '341302', '2021-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      `张三,${ZHANG},H1,户主,蕲县村`,
      `李四,${LI},H1,配偶,蕲县村`,
      `王五,${WANG},H2,户主,邱元村`,
      `赵六,${ZHAO},H3,户主,邱元村`,
      `孙七,${SUN},H4,户主,邱元村`,
    ]);
    await w.importKind(
      'groups',
      [
        '姓名,公民身份号码,人员类别,认定日期',
        `张三,${ZHANG},低保,2021-01-10`,
        `王五,${WANG},特困供养人员,2020-05-01`,
      ],
      { department: 'civil_affairs' },
    );
    const ctx = w.ctx('2021-10-08', 'collector-1');
    const ids = {
      zhang: (await enroll(ctx, { personId: await w.personId(ZHANG), source: 'renewal' })).enrollment.id,
      li: (await enroll(ctx, { personId: await w.personId(LI), source: 'renewal' })).enrollment.id,
      wang: (await enroll(ctx, { personId: await w.personId(WANG), source: 'bureau' })).enrollment.id,
      zhao: (await enroll(ctx, { personId: await w.personId(ZHAO), source: 'renewal' })).enrollment.id,
      sun: (await enroll(ctx, { personId: await w.personId(SUN), source: 'renewal' })).enrollment.id,
    };
    await recordPayment(ctx, {
      channel: 'cash_collection',
      txnId: 'R-0001',
      enrollmentIds: [ids.zhang, ids.li],
      amountFen: 36000,
      paidOn: '2021-10-08',
      collector: 'qx-001',
      receiptNo: 'R-0001',
    });
    await recordPayment(ctx, {
      channel: 'online',
      txnId: 'WX-0001',
      enrollmentIds: [ids.sun],
      amountFen: 32000,
      paidOn: '2021-10-08',
    });
    return { w, ids };
  }

  it('approves a refund before the benefit start, returns the subsidy to its funder and terminates (蕲县 八)', async () => {
    const { w, ids } = await qixian();
    const db = w.handle.db;
    const before = await accountBalances(db, '341302');
    expect(before.get(`enrollment:${ids.zhang}`)).toBe(-32000);
    expect(before.get('funder:medical_assistance')).toBe(28000 + 32000); // 张三's 280 and 王五's full 320

    const ctx = w.ctx('2021-12-01', 'clerk');
    const outcome = await requestRefund(ctx, {
      personId: await w.personId(ZHANG),
      reason: 'employee_insurance',
    });
    expect(outcome.refund).toMatchObject({
      enrollment_id: ids.zhang,
      reason: 'employee_insurance',
      requested_on: '2021-12-01',
      decision: 'approve',
      status: 'approved',
      amount_fen: 4000,
      subsidy_reversed_fen: 28000,
      rule_id: 'refund:before-benefit-start',
      cite: '八',
      actor: 'clerk',
    });
    expect(outcome.refund.rule_text).toContain('待遇期开始（2022-01-01）前申请');
    expect(outcome.refund.rule_quote).toContain('在终止相关居民医保参保关系的同时，依申请为个人办理退费');
    expect(outcome.returned).toEqual([{ funder: 'medical_assistance', amountFen: 28000, mode: 'direct' }]);
    expect(outcome.message).toMatch(
      /^准予退费：张三（参加职工医保）退还个人缴费 40\.00 元，资助 280\.00 元退回医疗救助资金，终止本年度参保。.*依据 八：“参保人在居民医保缴费后/,
    );
    expect(outcome.enrollment.status).toBe('refunded');

    const history = await enrollmentHistory(db, '341302', ids.zhang);
    expect(history.at(-1)).toMatchObject({
      event: 'refunded',
      from_status: 'paid',
      to_status: 'refunded',
      actor: 'clerk',
    });
    const payments = await db.selectFrom('payments').selectAll().orderBy('id').execute();
    expect(payments.map((p) => [p.enrollment_id, p.status])).toEqual([
      [ids.zhang, 'refunded'],
      [ids.li, 'recorded'],
      [ids.sun, 'recorded'],
    ]);

    const after = await accountBalances(db, '341302');
    expect(after.get(`enrollment:${ids.zhang}`)).toBe(0);
    expect(after.get(`enrollment:${ids.li}`)).toBe(-32000);
    expect(after.get('refunds_payable')).toBe(-4000);
    expect(after.get('funder:medical_assistance')).toBe(32000); // only 王五's remains
    expect(after.get('collector:qx-001')).toBe(36000); // the cash collected is not touched
    await expectEnrollmentBalances(w.handle, '341302');

    // A second request for the same enrollment is refused clearly, and nothing is stored.
    const again = await failure(requestRefund(ctx, { enrollmentId: ids.zhang, reason: 'duplicate' }));
    expect(again.code).toBe('already_refunded');
    expect(again.message).toBe(
      `张三 2022 年度已退费（退费申请 #${outcome.refund.id}，2021-12-01 申请，退还 40.00 元，准予退费（待支付）），不能再次申请`,
    );
    expect(await listRefunds(ctx)).toHaveLength(1);

    // Paid out: refunds_payable → treasury; the same payout again changes nothing.
    const paid = await payRefund(w.ctx('2021-12-05'), outcome.refund.id, {
      paidOn: '2021-12-05',
      reference: 'TK-1',
    });
    expect(paid).toMatchObject({
      replayed: false,
      refund: { status: 'paid', paid_on: '2021-12-05', payout_reference: 'TK-1' },
    });
    const transfers = await transferCount(w.handle);
    const replay = await payRefund(w.ctx('2021-12-06'), outcome.refund.id, {
      paidOn: '2021-12-05',
      reference: 'TK-1',
    });
    expect(replay).toEqual({ replayed: true, refund: paid.refund });
    expect(await transferCount(w.handle)).toBe(transfers);
    const other = await failure(
      payRefund(w.ctx('2021-12-06'), outcome.refund.id, { paidOn: '2021-12-06', reference: 'TK-2' }),
    );
    expect(other.message).toBe(
      `退费申请 #${outcome.refund.id} 已于 2021-12-05 支付（凭证 TK-1），不能再次支付`,
    );
    const settled = await accountBalances(db, '341302');
    expect(settled.get('refunds_payable')).toBe(0);
    expect(settled.get('treasury')).toBe(-4000);
    await expectEnrollmentBalances(w.handle, '341302');
    const listed = await listRefunds(ctx, { status: 'paid' });
    expect(listed.map((r) => [r.name, r.doc_number, r.benefit_year, r.amount_fen])).toEqual([
      ['张三', ZHANG, 2022, 4000],
    ]);
  });

  it('refuses after the benefit start, stores the rule, and books nothing (蕲县 八 不退)', async () => {
    const { w, ids } = await qixian();
    const transfers = await transferCount(w.handle);
    const ctx = w.ctx('2022-01-10');
    const outcome = await requestRefund(ctx, {
      enrollmentId: ids.li,
      reason: 'duplicate',
      requestedOn: '2022-01-10',
    });
    expect(outcome.refund).toMatchObject({
      decision: 'refuse',
      status: 'refused',
      amount_fen: 0,
      subsidy_reversed_fen: 0,
      rule_id: 'refund:after-benefit-start',
      cite: '八',
    });
    expect(outcome.refund.rule_quote).toContain('原则上个人缴费不再退回');
    expect(outcome.message).toMatch(
      /^不予退费：李四（重复缴费）。重复缴费，待遇期开始（2022-01-01）后申请：/,
    );
    expect(outcome.enrollment).toMatchObject({ status: 'paid', paid_fen: 32000 });
    expect(outcome.returned).toEqual([]);
    expect(await transferCount(w.handle)).toBe(transfers);
    await expectEnrollmentBalances(w.handle, '341302');

    // A refused refund cannot be paid.
    const pay = await failure(payRefund(ctx, outcome.refund.id, { paidOn: '2022-01-10' }));
    expect(pay.code).toBe('refund_not_approved');
    expect(pay.message).toContain(`退费申请 #${outcome.refund.id} 的结果为“不予退费”`);
    // The same enrollment may be asked about again (another reason); it is still paid.
    const death = await requestRefund(ctx, {
      enrollmentId: ids.li,
      reason: 'death',
      requestedOn: '2022-01-10',
    });
    expect(death.refund.status).toBe('refused');
    expect(await listRefunds(ctx, { status: 'refused' })).toHaveLength(2);
  });

  it('answers "not specified" where the rule does not cover the case, citing the reading (蕲县 death before the start)', async () => {
    const { w, ids } = await qixian();
    // The registry knows the death; the refund decision does not change the registry.
    await w.importKind(
      'population',
      ['姓名,公民身份号码,户号,与户主关系,村（社区）,死亡日期', `孙七,${SUN},H4,户主,邱元村,2021-11-20`],
      {
        today: '2021-11-25',
      },
    );
    const transfers = await transferCount(w.handle);
    const outcome = await requestRefund(w.ctx('2021-11-25'), { enrollmentId: ids.sun, reason: 'death' });
    expect(outcome.refund).toMatchObject({
      decision: 'not_specified',
      status: 'not_specified',
      amount_fen: 0,
      rule_id: 'refund:not-specified',
      cite: 'canbao 解读',
      requested_on: '2021-11-25',
    });
    expect(outcome.person.deceased_on).toBe('2021-11-20');
    expect(outcome.refund.rule_quote).toContain('其他原因（如死亡）在待遇期开始前的退费，本政策未规定');
    expect(outcome.message).toMatch(
      /^政策未规定：孙七（死亡）。死亡：方案未规定该情形的退费，本政策未规定；未办理退费/,
    );
    expect(outcome.enrollment.status).toBe('paid');
    expect(await transferCount(w.handle)).toBe(transfers);
    const person = await w.handle.db
      .selectFrom('people')
      .selectAll()
      .where('doc_number', '=', SUN)
      .executeTakeFirstOrThrow();
    expect(person.deceased_on).toBe('2021-11-20');
  });

  it('refunds a full-subsidy person: nothing to pay back, the whole subsidy returns to its funder', async () => {
    const { w, ids } = await qixian();
    const ctx = w.ctx('2021-11-01');
    expect((await getEnrollment(w.handle.db, '341302', ids.wang)).status).toBe('confirmed');
    const outcome = await requestRefund(ctx, { enrollmentId: ids.wang, reason: 'insured_elsewhere' });
    expect(outcome.refund).toMatchObject({ status: 'approved', amount_fen: 0, subsidy_reversed_fen: 32000 });
    expect(outcome.enrollment.status).toBe('refunded');
    const balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get(`enrollment:${ids.wang}`)).toBe(0);
    expect(balances.get('funder:medical_assistance')).toBe(28000);
    expect(balances.get('refunds_payable')).toBeUndefined();
    // Paying out nothing closes the refund without a journal line.
    const transfers = await transferCount(w.handle);
    const paid = await payRefund(ctx, outcome.refund.id, { paidOn: '2021-11-01' });
    expect(paid.refund.status).toBe('paid');
    expect(await transferCount(w.handle)).toBe(transfers);
    await expectEnrollmentBalances(w.handle, '341302');
  });

  it('answers "not specified" under a policy without refund rules (达拉特旗 2023)', async () => {
    const w = await campaignWorld(await fresh(), 'dalate-2023', '150621', '2022-09-01');
    const ZHOU = idNumber('15062119800101001');
    await w.importKind('population', ['姓名,公民身份号码,户号,与户主关系', `周八,${ZHOU},D1,户主`]);
    const ctx = w.ctx('2022-10-01');
    const e = await enroll(ctx, { personId: await w.personId(ZHOU), source: 'new' });
    await recordPayment(ctx, {
      channel: 'online',
      txnId: 'WX-D1',
      enrollmentIds: [e.enrollment.id],
      amountFen: 38000,
      paidOn: '2022-10-01',
    });
    const outcome = await requestRefund(w.ctx('2022-10-20'), {
      personId: await w.personId(ZHOU),
      reason: 'duplicate',
    });
    expect(outcome.refund).toMatchObject({
      decision: 'not_specified',
      status: 'not_specified',
      rule_id: 'refund:not-specified',
      cite: 'canbao 解读',
      rule_quote: '通知没有退费规则，退费申请按“本政策未规定”答复，不作推定。',
    });
    expect(outcome.enrollment.status).toBe('paid');
    expect((await accountBalances(w.handle.db, '150621')).get(`enrollment:${e.enrollment.id}`)).toBe(-38000);
  });

  it('refuses requests that are not for a paid enrollment, or are malformed, writing nothing', async () => {
    const { w, ids } = await qixian();
    const ctx = w.ctx('2021-11-01');
    const unpaid = await failure(requestRefund(ctx, { enrollmentId: ids.zhao, reason: 'duplicate' }));
    expect(unpaid.message).toBe('赵六 的参保记录为“待缴费”，尚未缴费参保，无需退费');
    const reason = await failure(requestRefund(ctx, { enrollmentId: ids.li, reason: 'boredom' as 'death' }));
    expect(reason.message).toMatch(/^未知的退费原因“boredom”（可选：duplicate（重复缴费）、/);
    const future = await failure(
      requestRefund(ctx, { enrollmentId: ids.li, reason: 'duplicate', requestedOn: '2021-11-02' }),
    );
    expect(future.message).toBe('申请日期 2021-11-02 晚于今天（2021-11-01）');
    const bad = await failure(
      requestRefund(ctx, { enrollmentId: ids.li, reason: 'duplicate', requestedOn: '2021-02-30' }),
    );
    expect(bad.code).toBe('bad_date');
    const unknown = await failure(requestRefund(ctx, { enrollmentId: 99999, reason: 'duplicate' }));
    expect(unknown.message).toBe('参保记录 #99999 不存在');
    const missing = await failure(payRefund(ctx, 4242, { paidOn: '2021-11-01' }));
    expect(missing.message).toBe('退费申请 #4242 不存在');
    expect(await listRefunds(ctx)).toEqual([]);
    // Paying before the request date is refused.
    const approved = await requestRefund(ctx, {
      enrollmentId: ids.li,
      reason: 'duplicate',
      requestedOn: '2021-10-30',
    });
    const early = await failure(payRefund(ctx, approved.refund.id, { paidOn: '2021-10-29' }));
    expect(early.message).toBe('退费支付日期 2021-10-29 早于申请日期（2021-10-30）');
  });

  it('lets exactly one of concurrent refund requests for one person through', async () => {
    const { w, ids } = await qixian();
    const ctxs: CollectionContext[] = Array.from({ length: 4 }, (_, i) => w.ctx('2021-11-01', `clerk-${i}`));
    const attempts = await Promise.allSettled(
      ctxs.map((ctx) => requestRefund(ctx, { enrollmentId: ids.li, reason: 'duplicate' })),
    );
    const ok = attempts.filter((a) => a.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const a of attempts) {
      if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(CollectionError);
    }
    const refunds = await w.handle.db.selectFrom('refunds').selectAll().execute();
    expect(refunds).toHaveLength(1);
    expect((await accountBalances(w.handle.db, '341302')).get('refunds_payable')).toBe(-32000);
    await expectEnrollmentBalances(w.handle, '341302');
  });
});
