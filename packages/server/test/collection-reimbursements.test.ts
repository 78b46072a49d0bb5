/**
 * 先缴后补 under 达拉特旗 2023 (低保 and monitored people pay 380 in full; civil affairs and rural
 * revitalisation pay 330 back): batches per funder, payout and confirmation with the books to the
 * fen, the funder's .xlsx, the order of steps, and refunds of people in a batch.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { enroll } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import { listRefunds, requestRefund } from '../src/collection/refunds.ts';
import {
  confirmReimbursementBatch,
  createReimbursementBatch,
  exportReimbursementBatch,
  funderFromLabel,
  listReimbursementBatches,
  payReimbursementBatch,
} from '../src/collection/reimbursements.ts';
import { accountBalances } from '../src/ledger/journal.ts';
import { expectEnrollmentBalances, failure, transferCount } from './books-harness.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const COUNTY = '150621';
const LIU = idNumber('15062119600101001'); // 低保
const MA = idNumber('15062119650202002'); // 监测对象
const YANG = idNumber('15062119400303003'); // 特困: full direct subsidy, never in a batch
const WU = idNumber('15062119800404004'); // no group
const ZHENG = idNumber('15062119700505005'); // 低保, not paid
const CHEN = idNumber('15062119720606006'); // 低保
const HUANG = idNumber('15062119750707007'); // 低保

const files = mkdtempSync(join(tmpdir(), 'canbao-reimburse-'));

/**
 * 达拉特旗 2023 with refund rules added (the notice has none), to exercise refunds of people in a
 * batch: before the benefit start approved with termination; for death an approval without
 * termination, which canbao refuses to book.
 */
function dalateWithRefunds(): string {
  const text = readFileSync(resolve(import.meta.dirname, '../../../policies/dalate-2023.yaml'), 'utf8');
  const from = 'refunds:\n  rules: []\n';
  expect(text).toContain(from);
  const dir = mkdtempSync(join(files, 'policy-'));
  const path = join(dir, 'dalate-2023.yaml');
  writeFileSync(
    path,
    text.replace(
      from,
      [
        'refunds:',
        '  rules:',
        '    - id: before-start',
        '      reasons: [duplicate, employee_insurance, insured_elsewhere]',
        '      requested: before_benefit_start',
        '      decision: approve',
        '      terminate: true',
        '      label: 待遇期开始前终止参保并退还个人缴费',
        '      cite: 解读-退费',
        '    - id: death-keep',
        '      reasons: [death]',
        '      requested: any_time',
        '      decision: approve',
        '      terminate: false',
        '      label: 退还个人缴费但不终止参保',
        '      cite: 解读-退费',
        '',
      ].join('\n'),
    ),
  );
  return path;
}

describeEachEngine('先缴后补 reimbursement batches', (engine) => {
  const fresh = useFreshDatabases(engine);

  async function dalate(policy = 'dalate-2023'): Promise<World> {
    const w = await campaignWorld(await fresh(), policy, COUNTY, '2022-09-01');
    await w.importKind('regions', [
      '统计用区划代码,名称',
      '150621100,树林召镇',
      '150621100001,林原村',
      '150621100002,新民村',
    ]);
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      `刘一,${LIU},D1,户主,林原村`,
      `马三,${MA},D2,户主,新民村`,
      `杨四,${YANG},D3,户主,新民村`,
      `吴五,${WU},D4,户主,新民村`,
      `郑六,${ZHENG},D5,户主,林原村`,
      `陈二,${CHEN},D6,户主,林原村`,
      `黄七,${HUANG},D7,户主,林原村`,
    ]);
    await w.importKind(
      'groups',
      [
        '姓名,公民身份号码,人员类别,认定日期',
        `刘一,${LIU},低保,2022-01-10`,
        `郑六,${ZHENG},低保,2022-01-10`,
        `陈二,${CHEN},低保,2022-01-10`,
        `黄七,${HUANG},低保,2022-01-10`,
        `杨四,${YANG},特困,2021-05-01`,
      ],
      { department: 'civil_affairs' },
    );
    await w.importKind('groups', ['姓名,公民身份号码,人员类别,认定日期', `马三,${MA},监测对象,2022-03-01`], {
      department: 'rural_revitalisation',
    });
    return w;
  }

  /** Enrolls and pays 380 online for each person (one order each). */
  async function pay(w: World, paidOn: string, ...docs: string[]): Promise<number[]> {
    const ids: number[] = [];
    for (const doc of docs) {
      const ctx = w.ctx(paidOn);
      const e = await enroll(ctx, { personId: await w.personId(doc), source: 'renewal' });
      await recordPayment(ctx, {
        channel: 'online',
        txnId: `WX-${doc}`,
        enrollmentIds: [e.enrollment.id],
        amountFen: 38000,
        paidOn,
      });
      ids.push(e.enrollment.id);
    }
    return ids;
  }

  it('a 低保 person pays 380 in full; civil affairs pays 330 back through a batch, to the fen', async () => {
    const w = await dalate();
    const db = w.handle.db;
    const [liu, ma, wu] = (await pay(w, '2022-10-01', LIU, MA, WU)) as [number, number, number];
    const yang = await enroll(w.ctx('2022-10-01'), { personId: await w.personId(YANG), source: 'bureau' });
    expect(yang.enrollment).toMatchObject({
      status: 'confirmed',
      pays_fen: 0,
      subsidy_fen: 38000,
      refund_later_fen: 0,
    });
    await enroll(w.ctx('2022-10-01'), { personId: await w.personId(ZHENG), source: 'renewal' }); // never pays
    const stored = await db
      .selectFrom('enrollments')
      .selectAll()
      .where('id', '=', liu)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      status: 'paid',
      paid_fen: 38000,
      pays_fen: 38000,
      subsidy_fen: 0,
      refund_later_fen: 33000,
    });

    const ctx = w.ctx('2022-11-01', 'bureau-clerk');
    const missing = await failure(payReimbursementBatch(ctx, 'NO-SUCH', { paidOn: '2022-11-01' }));
    expect(missing.message).toBe('没有批次号为“NO-SUCH”的先缴后补批次（canbao reimburse list 可查看）');

    const civil = await createReimbursementBatch(ctx, { funder: 'civil_affairs' });
    expect(civil.batch).toMatchObject({
      batch_no: '150621-civil_affairs-20221101-1',
      funder: 'civil_affairs',
      benefit_year: 2023,
      status: 'created',
      people: 1,
      total_fen: 33000,
      created_on: '2022-11-01',
      actor: 'bureau-clerk',
    });
    expect(civil.items).toEqual([{ enrollmentId: liu, personId: await w.personId(LIU), amountFen: 33000 }]);
    let balances = await accountBalances(db, COUNTY);
    expect(balances.get('funder:civil_affairs')).toBe(33000);
    expect(balances.get('reimbursements_payable')).toBe(-33000);
    expect(balances.get(`enrollment:${liu}`)).toBe(-38000);

    // Nobody is taken twice; paying people who have none of this funder's subsidy is never listed.
    const again = await failure(createReimbursementBatch(ctx, { funder: 'civil_affairs' }));
    expect(again.message).toBe('2023 年度没有待民政部门先缴后补的已缴费人员（已入批次或已退费的不再计入）');
    const rural = await createReimbursementBatch(ctx, { funder: 'rural_revitalisation' });
    expect(rural.batch).toMatchObject({
      batch_no: '150621-rural_revitalisation-20221101-1',
      people: 1,
      total_fen: 33000,
    });
    expect(rural.items.map((i) => i.enrollmentId)).toEqual([ma]);
    expect(wu).toBeGreaterThan(0);

    // Confirmation before payout is out of order.
    const early = await failure(
      confirmReimbursementBatch(ctx, civil.batch.batch_no, { confirmedOn: '2022-11-01' }),
    );
    expect(early.message).toBe(
      '批次 150621-civil_affairs-20221101-1 尚未拨付，不能确认（请先登记拨付：canbao reimburse pay 150621-civil_affairs-20221101-1）',
    );
    const beforeCreated = await failure(
      payReimbursementBatch(ctx, rural.batch.batch_no, { paidOn: '2022-10-31' }),
    );
    expect(beforeCreated.message).toBe('拨付日期 2022-10-31 早于批次生成日期（2022-11-01）');
    const future = await failure(payReimbursementBatch(ctx, rural.batch.batch_no, { paidOn: '2022-11-02' }));
    expect(future.message).toBe('拨付日期 2022-11-02 晚于今天（2022-11-01）');

    const later = w.ctx('2022-11-20');
    const paid = await payReimbursementBatch(later, civil.batch.batch_no, { paidOn: '2022-11-10' });
    expect(paid).toMatchObject({ replayed: false, batch: { status: 'paid', paid_on: '2022-11-10' } });
    balances = await accountBalances(db, COUNTY);
    expect(balances.get('funder:civil_affairs')).toBe(0);
    expect(balances.get('reimbursements_payable')).toBe(-33000); // the rural batch is still owed
    const transfers = await transferCount(w.handle);
    expect(await payReimbursementBatch(later, civil.batch.batch_no, { paidOn: '2022-11-10' })).toMatchObject({
      replayed: true,
      batch: { status: 'paid' },
    });
    expect(await transferCount(w.handle)).toBe(transfers);
    const twice = await failure(payReimbursementBatch(later, civil.batch.batch_no, { paidOn: '2022-11-11' }));
    expect(twice.message).toBe('批次 150621-civil_affairs-20221101-1 已于 2022-11-10 拨付，不能再次拨付');

    const beforePaid = await failure(
      confirmReimbursementBatch(later, civil.batch.batch_no, { confirmedOn: '2022-11-09' }),
    );
    expect(beforePaid.message).toBe('确认日期 2022-11-09 早于拨付日期（2022-11-10）');
    const confirmed = await confirmReimbursementBatch(later, civil.batch.batch_no, {
      confirmedOn: '2022-11-15',
    });
    expect(confirmed).toMatchObject({
      replayed: false,
      batch: { status: 'confirmed', confirmed_on: '2022-11-15' },
    });
    expect(
      (await confirmReimbursementBatch(later, civil.batch.batch_no, { confirmedOn: '2022-11-15' })).replayed,
    ).toBe(true);
    expect(await transferCount(w.handle)).toBe(transfers);

    await payReimbursementBatch(later, rural.batch.batch_no, { paidOn: '2022-11-18' });
    balances = await accountBalances(db, COUNTY);
    expect(balances.get('funder:rural_revitalisation')).toBe(0);
    expect(balances.get('reimbursements_payable')).toBe(0);
    expect(balances.get(`enrollment:${liu}`)).toBe(-38000); // the person's contribution is unchanged
    expect(balances.get(`enrollment:${ma}`)).toBe(-38000);
    await expectEnrollmentBalances(w.handle, COUNTY);

    const listed = await listReimbursementBatches(later);
    expect(listed.map((b) => [b.batch_no, b.status, b.people, b.total_fen])).toEqual([
      ['150621-civil_affairs-20221101-1', 'confirmed', 1, 33000],
      ['150621-rural_revitalisation-20221101-1', 'paid', 1, 33000],
    ]);
    expect(await listReimbursementBatches(later, { funder: 'rural_revitalisation' })).toHaveLength(1);

    // The funder's list: full ID numbers, village, group, yuan; a header naming county, funder, batch, date.
    const out = join(files, `civil-${engine.name}.xlsx`);
    const exported = await exportReimbursementBatch(later, civil.batch.batch_no, out);
    expect(exported.rows).toBe(1);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    const sheet = book.worksheets[0] as ExcelJS.Worksheet;
    const values = (n: number) => (sheet.getRow(n).values as unknown[]).slice(1);
    expect(values(1)[0]).toBe('达拉特旗2023年度城乡居民医保先缴后补资助发放名单');
    expect(values(2)[0]).toBe(
      '资助部门：民政部门　批次号：150621-civil_affairs-20221101-1　生成日期：2022-11-01　状态：已确认',
    );
    expect(values(3)[0]).toBe('人数：1　合计：330.00 元');
    expect(values(4)).toEqual(['序号', '姓名', '证件号码', '村（社区）', '人员类别', '金额（元）']);
    expect(values(5)).toEqual([1, '刘一', LIU, '林原村', '城乡低保对象', '330.00']);
    expect(sheet.rowCount).toBe(5);
  });

  it('refunds people before and after their batch: pending batch blocks, a paid one splits the refund', async () => {
    const w = await dalate(dalateWithRefunds());
    const db = w.handle.db;
    const [liu, chen, huang] = (await pay(w, '2022-10-01', LIU, CHEN, HUANG)) as [number, number, number];

    // 陈二 leaves before any batch: all 380 back to him, and he never enters a batch.
    const chenRefund = await requestRefund(w.ctx('2022-10-20'), {
      enrollmentId: chen,
      reason: 'employee_insurance',
    });
    expect(chenRefund.refund).toMatchObject({
      status: 'approved',
      amount_fen: 38000,
      subsidy_reversed_fen: 0,
    });
    expect(chenRefund.returned).toEqual([]);

    const batch = await createReimbursementBatch(w.ctx('2022-11-01'), { funder: 'civil_affairs' });
    expect(batch.items.map((i) => i.enrollmentId)).toEqual([liu, huang]);
    expect(batch.batch).toMatchObject({ people: 2, total_fen: 66000 });

    // 刘一 while the funder has not paid yet: refused, nothing stored.
    const refundsBefore = (await listRefunds(w.ctx('2022-11-05'))).length;
    const pending = await failure(
      requestRefund(w.ctx('2022-11-05'), { enrollmentId: liu, reason: 'insured_elsewhere' }),
    );
    expect(pending.code).toBe('reimbursement_pending');
    expect(pending.message).toBe(
      '刘一 在先缴后补批次 150621-civil_affairs-20221101-1 中（民政部门补助 330.00 元，尚未拨付）：请待该批次拨付后再办理退费',
    );
    expect(await listRefunds(w.ctx('2022-11-05'))).toHaveLength(refundsBefore);

    await payReimbursementBatch(w.ctx('2022-11-10'), batch.batch.batch_no, { paidOn: '2022-11-10' });
    // Once paid: 刘一 has had 330 from civil affairs, so 50 goes back to him and 330 to civil affairs.
    const liuRefund = await requestRefund(w.ctx('2022-12-01'), {
      enrollmentId: liu,
      reason: 'insured_elsewhere',
    });
    expect(liuRefund.refund).toMatchObject({
      decision: 'approve',
      status: 'approved',
      amount_fen: 5000,
      subsidy_reversed_fen: 33000,
      rule_id: 'refund:before-start',
    });
    expect(liuRefund.returned).toEqual([{ funder: 'civil_affairs', amountFen: 33000, mode: 'refund_later' }]);
    expect(liuRefund.message).toContain('退还个人缴费 50.00 元，已拨付的先缴后补 330.00 元退回民政部门');
    expect(liuRefund.enrollment.status).toBe('refunded');
    const balances = await accountBalances(db, COUNTY);
    expect(balances.get(`enrollment:${liu}`)).toBe(0);
    expect(balances.get(`enrollment:${chen}`)).toBe(0);
    expect(balances.get(`enrollment:${huang}`)).toBe(-38000);
    expect(balances.get('refunds_payable')).toBe(-(38000 + 5000));
    expect(balances.get('funder:civil_affairs')).toBe(-33000); // the fund owes civil affairs its 330 back
    expect(balances.get('reimbursements_payable')).toBe(0);

    // An approval that keeps the cover is not booked (nothing stored, nothing in the books).
    const transfers = await transferCount(w.handle);
    const keep = await failure(requestRefund(w.ctx('2022-12-01'), { enrollmentId: huang, reason: 'death' }));
    expect(keep.code).toBe('refund_without_termination');
    expect(keep.message).toMatch(
      /^政策准予退费但不终止参保关系（死亡，.*退还个人缴费但不终止参保，canbao 解读）/,
    );
    expect(await transferCount(w.handle)).toBe(transfers);
    expect((await listRefunds(w.ctx('2022-12-01'))).map((r) => r.enrollment_id)).toEqual([chen, liu]);
    await expectEnrollmentBalances(w.handle, COUNTY);
  });

  it('never both refunds someone and takes them into a batch created at the same moment', async () => {
    const w = await dalate(dalateWithRefunds());
    const [liu] = (await pay(w, '2022-10-01', LIU, HUANG)) as [number, number];
    const [batch, refund] = await Promise.allSettled([
      createReimbursementBatch(w.ctx('2022-11-01', 'clerk-a'), { funder: 'civil_affairs' }),
      requestRefund(w.ctx('2022-11-01', 'clerk-b'), { enrollmentId: liu, reason: 'duplicate' }),
    ]);
    const items = await w.handle.db.selectFrom('reimbursement_items').selectAll().execute();
    const inBatch = items.some((i) => i.enrollment_id === liu);
    const refunded = refund.status === 'fulfilled';
    expect(inBatch && refunded).toBe(false);
    expect(batch.status === 'fulfilled' || refunded).toBe(true);
    if (!refunded)
      expect((refund as PromiseRejectedResult).reason.code).toMatch(/reimbursement_pending|concurrent/);
    await expectEnrollmentBalances(w.handle, COUNTY);

    // Two clerks creating the same funder's batch at once: one batch, nobody twice.
    const w2 = await dalate();
    await pay(w2, '2022-10-01', LIU, CHEN, HUANG);
    const attempts = await Promise.allSettled([
      createReimbursementBatch(w2.ctx('2022-11-01', 'clerk-a'), { funder: 'civil_affairs' }),
      createReimbursementBatch(w2.ctx('2022-11-01', 'clerk-b'), { funder: 'civil_affairs' }),
    ]);
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const batches = await w2.handle.db.selectFrom('reimbursement_batches').selectAll().execute();
    expect(batches.map((b) => [b.people, b.total_fen])).toEqual([[3, 99000]]);
    expect((await accountBalances(w2.handle.db, COUNTY)).get('funder:civil_affairs')).toBe(99000);
  });

  it('refuses an unknown funder', async () => {
    const w = await dalate();
    const error = await failure(
      createReimbursementBatch(w.ctx('2022-11-01'), { funder: 'nobody' as 'finance' }),
    );
    expect(error.message).toMatch(/^未知的资助部门“nobody”（可选：medical_assistance（医疗救助资金）、/);
  });
});

describe('funderFromLabel', () => {
  it.each([
    ['civil_affairs', 'civil_affairs'],
    ['民政', 'civil_affairs'],
    ['民政局', 'civil_affairs'],
    ['民政部门', 'civil_affairs'],
    ['乡村振兴统筹发展中心', 'rural_revitalisation'],
    ['乡村振兴局', 'rural_revitalisation'],
    ['财政局', 'finance'],
    ['医疗救助', 'medical_assistance'],
    ['残联', 'disabled_federation'],
    ['教育局', null],
    ['', null],
  ])('%s → %s', (label, code) => {
    expect(funderFromLabel(label)).toBe(code);
  });
});
