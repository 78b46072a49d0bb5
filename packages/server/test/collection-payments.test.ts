import { expect, it } from 'vitest';
import { AlreadyPaidError, PaymentConflictError } from '../src/collection/context.ts';
import {
  enroll,
  enrollmentHistory,
  getEnrollment,
  reassessPending,
  staleAssessments,
} from '../src/collection/enrollments.ts';
import {
  collectorBalance,
  recordPayment,
  recordPayments,
  recordRemittance,
} from '../src/collection/payments.ts';
import { recordSchoolPayment } from '../src/collection/school.ts';
import { openDatabase } from '../src/db/open.ts';
import { accountBalances, checkJournal } from '../src/ledger/journal.ts';
import { campaignWorld, csvFile, idNumber } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const ZHANG = idNumber('34130219800101001');
const LI = idNumber('34130219820202002');
const WANG = idNumber('34130219400303003');
const ZHAO = idNumber('34130219900404004');

describeEachEngine('enrollment and payment', (engine) => {
  const fresh = useFreshDatabases(engine);

  async function qixian() {
    const world = await campaignWorld(await fresh(), 'qixian-2022', '341302', '2021-09-01');
    await world.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      `张三,${ZHANG},H1,户主,蕲县村`,
      `李四,${LI},H1,配偶,蕲县村`,
      `王五,${WANG},H2,户主,邱元村`,
      `赵六,${ZHAO},H3,户主,邱元村`,
    ]);
    await world.importKind(
      'groups',
      ['姓名,公民身份号码,人员类别,认定日期', `张三,${ZHANG},低保,2021-01-10`],
      {
        department: 'civil_affairs',
      },
    );
    await world.importKind(
      'groups',
      ['姓名,公民身份号码,人员类别,认定日期', `王五,${WANG},特困供养人员,2020-05-01`],
      {
        department: 'civil_affairs',
      },
    );
    return world;
  }

  it('enrolls with a stored assessment, takes a whole-household cash payment and books it to the fen', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08', 'collector-1');
    const zhang = await enroll(ctx, { personId: await w.personId(ZHANG), source: 'renewal' });
    const li = await enroll(ctx, { personId: await w.personId(LI), source: 'renewal' });
    expect(zhang.enrollment).toMatchObject({
      status: 'awaiting_payment',
      pays_fen: 4000,
      subsidy_fen: 28000,
    });
    expect(li.enrollment).toMatchObject({ status: 'awaiting_payment', pays_fen: 32000, subsidy_fen: 0 });
    expect(zhang.enrollment.policy_hash).toMatch(/^[0-9a-f]{64}$/);

    // 整户缴费: paying for one member of H1 alone is refused, citing the clause.
    await expect(
      recordPayment(ctx, {
        channel: 'cash_collection',
        txnId: 'R-0001',
        enrollmentIds: [zhang.enrollment.id],
        amountFen: 4000,
        paidOn: '2021-10-08',
        collector: 'qx-001',
        receiptNo: 'R-0001',
      }),
    ).rejects.toThrow(/整户.*李四/);
    // Wrong total: refused with each member's due.
    await expect(
      recordPayment(ctx, {
        channel: 'cash_collection',
        txnId: 'R-0001',
        enrollmentIds: [zhang.enrollment.id, li.enrollment.id],
        amountFen: 36100,
        paidOn: '2021-10-08',
        collector: 'qx-001',
        receiptNo: 'R-0001',
      }),
    ).rejects.toThrow(/应缴合计 360\.00 元（张三 40\.00 元、李四 320\.00 元），实收 361\.00 元/);

    const paid = await recordPayment(ctx, {
      channel: 'cash_collection',
      txnId: 'R-0001',
      enrollmentIds: [zhang.enrollment.id, li.enrollment.id],
      amountFen: 36000,
      paidOn: '2021-10-08',
      collector: 'qx-001',
      receiptNo: 'R-0001',
    });
    expect(paid.replayed).toBe(false);
    expect(paid.lines.map((l) => [l.name, l.amountFen, l.benefitStart])).toEqual([
      ['张三', 4000, '2022-01-01'],
      ['李四', 32000, '2022-01-01'],
    ]);
    const after = await getEnrollment(w.handle.db, '341302', zhang.enrollment.id);
    expect(after).toMatchObject({ status: 'paid', paid_fen: 4000, assessed_on: '2021-10-08' });
    const history = await enrollmentHistory(w.handle.db, '341302', zhang.enrollment.id);
    expect(history.map((e) => [e.event, e.from_status, e.to_status, e.actor])).toEqual([
      ['created', null, 'awaiting_payment', 'collector-1'],
      ['paid', 'awaiting_payment', 'paid', 'collector-1'],
    ]);

    const balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get('collector:qx-001')).toBe(36000);
    expect(balances.get(`enrollment:${zhang.enrollment.id}`)).toBe(-32000); // 40 paid + 280 subsidy
    expect(balances.get(`enrollment:${li.enrollment.id}`)).toBe(-32000);
    expect(balances.get('funder:medical_assistance')).toBe(28000);
    expect((await checkJournal(w.handle.db, '341302')).unbalanced).toEqual([]);

    // The same receipt again (a double tap) returns the first result; with another amount it is a conflict.
    const again = await recordPayment(ctx, {
      channel: 'cash_collection',
      txnId: 'R-0001',
      enrollmentIds: [li.enrollment.id, zhang.enrollment.id],
      amountFen: 36000,
      paidOn: '2021-10-08',
      collector: 'qx-001',
      receiptNo: 'R-0001',
    });
    expect(again).toMatchObject({ replayed: true, orderId: paid.orderId });
    await expect(
      recordPayment(ctx, {
        channel: 'cash_collection',
        txnId: 'R-0001',
        enrollmentIds: [li.enrollment.id],
        amountFen: 32000,
        paidOn: '2021-10-08',
        collector: 'qx-001',
        receiptNo: 'R-0001',
      }),
    ).rejects.toBeInstanceOf(PaymentConflictError);
    // Another receipt for an already paid person: "already paid", naming the first payment.
    await expect(
      recordPayment(ctx, {
        channel: 'online',
        txnId: 'WX-1',
        enrollmentIds: [zhang.enrollment.id, li.enrollment.id],
        amountFen: 36000,
        paidOn: '2021-10-08',
      }),
    ).rejects.toThrow(/张三 本年度已缴费（2021-10-08，村（社区）现金代收，代收员 qx-001，流水号 R-0001）/);

    // Remittance: never more than held; the same slip twice counts once.
    await expect(
      recordRemittance(ctx, {
        collector: 'qx-001',
        slipNo: 'S1',
        amountFen: 36001,
        remittedOn: '2021-10-08',
      }),
    ).rejects.toThrow(/超出/);
    await recordRemittance(ctx, {
      collector: 'qx-001',
      slipNo: 'S1',
      amountFen: 36000,
      remittedOn: '2021-10-08',
    });
    const replayed = await recordRemittance(ctx, {
      collector: 'qx-001',
      slipNo: 'S1',
      amountFen: 36000,
      remittedOn: '2021-10-08',
    });
    expect(replayed.replayed).toBe(true);
    expect(await collectorBalance(ctx, 'qx-001')).toBe(0);
    expect((await accountBalances(w.handle.db, '341302')).get('pending_remittance')).toBe(36000);
  });

  it('enrolls full-subsidy people confirmed without payment, and refuses to take money from them', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    const wang = await enroll(ctx, { personId: await w.personId(WANG), source: 'bureau' });
    expect(wang.enrollment).toMatchObject({ status: 'confirmed', pays_fen: 0, subsidy_fen: 32000 });
    const balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get(`enrollment:${wang.enrollment.id}`)).toBe(-32000);
    await expect(
      recordPayment(ctx, {
        channel: 'online',
        txnId: 'WX-9',
        enrollmentIds: [wang.enrollment.id],
        amountFen: 32000,
        paidOn: '2021-10-08',
      }),
    ).rejects.toBeInstanceOf(AlreadyPaidError);
  });

  it('recomputes an unpaid assessment when facts change, and uses the real payment date for late payers', async () => {
    const w = await qixian();
    const zhao = await enroll(w.ctx('2021-10-01'), { personId: await w.personId(ZHAO), source: 'new' });
    expect(zhao.enrollment.pays_fen).toBe(32000);
    // 赵六 is certified 低保 in December, after the collection period: now owes 40, late rule applies.
    await w.importKind('groups', ['姓名,公民身份号码,人员类别,认定日期', `赵六,${ZHAO},低保,2021-12-05`], {
      department: 'civil_affairs',
      today: '2021-12-06',
    });
    const changed = await reassessPending(w.ctx('2021-12-06'));
    expect(changed).toEqual([
      expect.objectContaining({
        enrollmentId: zhao.enrollment.id,
        before: expect.objectContaining({ pays: 32000 }),
      }),
    ]);
    const paid = await recordPayment(w.ctx('2022-03-10'), {
      channel: 'online',
      txnId: 'WX-77',
      enrollmentIds: [zhao.enrollment.id],
      amountFen: 4000,
      paidOn: '2022-03-10',
    });
    expect(paid.lines[0]?.benefitStart).toBe('2022-03-11');
    const stored = await getEnrollment(w.handle.db, '341302', zhao.enrollment.id);
    expect(stored.why).toContain('newly-certified');
  });

  it('lists paid people whose facts changed since payment, without changing them', async () => {
    const w = await qixian();
    const zhao = await enroll(w.ctx('2021-10-01'), { personId: await w.personId(ZHAO), source: 'new' });
    await recordPayment(w.ctx('2021-10-05'), {
      channel: 'online',
      txnId: 'WX-STALE',
      enrollmentIds: [zhao.enrollment.id],
      amountFen: 32000,
      paidOn: '2021-10-05',
    });
    expect(await staleAssessments(w.ctx('2021-10-20'))).toEqual([]);
    // 民政 later reports that 赵六 had been 低保 since January: at the payment date he owed 40.
    await w.importKind(
      'groups',
      [
        '姓名,公民身份号码,人员类别,认定日期',
        `张三,${ZHANG},低保,2021-01-10`,
        `赵六,${ZHAO},低保,2021-01-15`,
      ],
      {
        department: 'civil_affairs',
        today: '2021-10-20',
        effectiveDate: '2021-01-15',
      },
    );
    const stale = await staleAssessments(w.ctx('2021-10-20'));
    expect(stale).toEqual([
      {
        enrollmentId: zhao.enrollment.id,
        personId: zhao.enrollment.person_id,
        stored: { pays: 32000, why: expect.any(String) },
        now: { pays: 4000, why: expect.stringContaining('dibao'), eligible: true },
      },
    ]);
    expect(await getEnrollment(w.handle.db, '341302', zhao.enrollment.id)).toMatchObject({
      status: 'paid',
      pays_fen: 32000,
    });
  });

  it('lets exactly one of many concurrent collectors take the payment', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    const zhao = await enroll(ctx, { personId: await w.personId(ZHAO), source: 'renewal' });
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        recordPayment(w.ctx('2021-10-08', `collector-${i}`), {
          channel: 'cash_collection',
          txnId: `R-${i}`,
          enrollmentIds: [zhao.enrollment.id],
          amountFen: 32000,
          paidOn: '2021-10-08',
          collector: `c${i}`,
          receiptNo: `R-${i}`,
        }),
      ),
    );
    const ok = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a) => a.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(7);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyPaidError);
    const orders = await w.handle.db.selectFrom('payment_orders').selectAll().execute();
    expect(orders).toHaveLength(1);
    const payments = await w.handle.db.selectFrom('payments').selectAll().execute();
    expect(payments).toHaveLength(1);
    expect((await checkJournal(w.handle.db, '341302')).totalFen).toBe(0);
  });

  it('records a batch set-based with the same answers as one by one', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08', 'bank');
    const zhang = (await enroll(ctx, { personId: await w.personId(ZHANG), source: 'renewal' })).enrollment;
    const li = (await enroll(ctx, { personId: await w.personId(LI), source: 'renewal' })).enrollment;
    const zhao = (await enroll(ctx, { personId: await w.personId(ZHAO), source: 'renewal' })).enrollment;
    const pay = (txnId: string, ids: number[], amountFen: number) => ({
      channel: 'bank_withholding' as const,
      txnId,
      enrollmentIds: ids,
      amountFen,
      paidOn: '2021-10-08',
      reference: 'batch-1',
    });
    const results = await recordPayments(ctx, [
      pay('B-1', [zhang.id], 4000), // accepted (withholding is per member: no 整户 rule)
      pay('B-2', [li.id], 31000), // wrong amount
      pay('B-3', [li.id], 32000), // accepted
      pay('B-1', [zhang.id], 4000), // the same row twice in the file: a replay of B-1
      pay('B-4', [zhang.id], 4000), // 张三 again under another id: already paid in this batch
      pay('B-1', [zhao.id], 32000), // B-1 reused for another person: conflict
      pay('B-5', [zhao.id], 32000), // accepted
    ]);
    const shape = results.map((r) => ('orderId' in r ? (r.replayed ? 'replay' : 'paid') : r.code));
    expect(shape).toEqual([
      'paid',
      'amount_mismatch',
      'paid',
      'replay',
      'already_paid',
      'payment_conflict',
      'paid',
    ]);
    const first = results[0] as Exclude<(typeof results)[number], Error>;
    expect(results[3]).toMatchObject({ orderId: first.orderId, replayed: true });
    expect(first.lines[0]).toMatchObject({ name: '张三', amountFen: 4000, benefitStart: '2022-01-01' });
    expect(await w.handle.db.selectFrom('payments').selectAll().execute()).toHaveLength(3);
    const balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get('pending_remittance')).toBe(4000 + 32000 + 32000);
    expect(balances.get('funder:medical_assistance')).toBe(28000);
    for (const e of [zhang, li, zhao]) {
      expect(await getEnrollment(w.handle.db, '341302', e.id)).toMatchObject({
        status: 'paid',
        version: e.version + 1,
      });
    }
    // The same batch again (a bank resending its file): every accepted row replays, nothing new.
    const again = await recordPayments(ctx, [pay('B-1', [zhang.id], 4000), pay('B-3', [li.id], 32000)]);
    expect(again.map((r) => ('orderId' in r ? r.replayed : r.code))).toEqual([true, true]);
    expect((await checkJournal(w.handle.db, '341302')).transfers).toBe(4); // 3 payments + 1 subsidy
  });

  it('takes a school transfer for its pupils in one order; a bad list records nothing', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-20', 'school-clerk');
    const li = (await enroll(ctx, { personId: await w.personId(LI), source: 'renewal' })).enrollment;
    const zhao = (await enroll(ctx, { personId: await w.personId(ZHAO), source: 'renewal' })).enrollment;
    const pay = (lines: string[], amountFen: number) =>
      recordSchoolPayment(ctx, {
        file: csvFile(lines),
        school: '蕲县中学',
        txnId: 'SCH-2021-07',
        amountFen,
        paidOn: '2021-10-20',
      });
    const bad = await pay(
      ['学生名单', '姓名,证件号码', `李四,${LI}`, `赵七,${ZHAO}`, `钱八,${idNumber('34130220100101009')}`],
      64000,
    ).catch((e: unknown) => e as Error);
    expect((bad as Error).message).toContain('第 4 行：姓名“赵七”与登记的“赵六”不符');
    expect((bad as Error).message).toContain('第 5 行：登记中没有证件号码');
    expect(await w.handle.db.selectFrom('payment_orders').selectAll().execute()).toHaveLength(0);
    await expect(pay(['姓名,证件号码', `李四,${LI}`, `赵六,${ZHAO}`], 60000)).rejects.toThrow(
      /应缴合计 640\.00 元/,
    );

    // 李四's household (张三) is not asked for: the school pays for its pupils only.
    const paid = await pay(['姓名,证件号码', `李四,${LI}`, `赵六,${ZHAO}`], 64000);
    expect(paid.lines.map((l) => [l.enrollmentId, l.amountFen])).toEqual([
      [li.id, 32000],
      [zhao.id, 32000],
    ]);
    const order = await w.handle.db.selectFrom('payment_orders').selectAll().executeTakeFirstOrThrow();
    expect(order).toMatchObject({ channel: 'school', payer: '蕲县中学', amount_fen: 64000 });
    expect((await accountBalances(w.handle.db, '341302')).get('pending_remittance')).toBe(64000);
  });

  // Two canbao processes on one PostgreSQL database (SQLite admits one process: see db.test.ts).
  if (engine.name === 'postgres') {
    it('never records two payments for one person when two processes race', async () => {
      const w = await qixian();
      const ctx = w.ctx('2021-10-08');
      // 赵六 lives alone (张三 and 李四 must pay together under 整户缴费, 王五 is fully subsidised).
      const payable = [
        (await enroll(ctx, { personId: await w.personId(ZHAO), source: 'renewal' })).enrollment.id,
      ];
      const other = await openDatabase({ ...engine.lastLocation(), migrate: 'check' });
      try {
        const attempt = (db: typeof w.handle.db, tag: string, id: number, n: number) =>
          recordPayment(
            { ...ctx, db, actor: tag },
            {
              channel: 'online',
              txnId: `${tag}-${id}-${n}`,
              enrollmentIds: [id],
              amountFen: 32000,
              paidOn: '2021-10-08',
            },
          );
        const settled = await Promise.allSettled(
          payable.flatMap((id) =>
            Array.from({ length: 6 }, (_, n) =>
              attempt(n % 2 === 0 ? w.handle.db : other.db, n % 2 === 0 ? 'a' : 'b', id, n),
            ),
          ),
        );
        expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(payable.length);
        for (const s of settled) {
          if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(AlreadyPaidError);
        }
        const rows = await w.handle.db.selectFrom('payments').select('enrollment_id').execute();
        expect(rows.map((r) => r.enrollment_id).sort()).toEqual([...payable].sort());
        expect((await checkJournal(w.handle.db, '341302')).totalFen).toBe(0);
      } finally {
        await other.close();
      }
    });
  }
});
