import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { type CollectionContext, CollectionError } from '../src/collection/context.ts';
import { enroll, enrollmentHistory, getEnrollment, renewEnrollments } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import {
  addAgreement,
  applyAgreements,
  batchItems,
  changeAgreement,
  exportWithholdingBatch,
  importAgreements,
  importWithholdingResult,
  listAgreements,
  listWithholdingBatches,
  listWithholdingConflicts,
  reconcileWithholdingBatches,
  returnConflictDebit,
  setWithholding,
  WithholdingFileError,
} from '../src/collection/withholding.ts';
import { openTable } from '../src/files/read-table.ts';
import { accountBalances, checkJournal } from '../src/ledger/journal.ts';
import { campaignWorld, csvFile, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const ZHANG = idNumber('34130219800101001'); // 低保: pays 40
const LI = idNumber('34130219820202002'); // pays 320; holds the card for 张三 too
const WANG = idNumber('34130219400303003'); // 特困: full subsidy
const ZHAO = idNumber('34130219900404004'); // no agreement
const QIAN = idNumber('34130219910505005'); // agreement, withholding turned off
const SUN = idNumber('34130219920606006'); // agreement with another bank
const ZHOU = idNumber('34130219930707007'); // agreement, paid in cash before the export

const out = mkdtempSync(join(tmpdir(), 'canbao-withholding-'));
let outCounter = 0;
const outFile = (ext: 'xlsx' | 'csv') => join(out, `batch-${outCounter++}.${ext}`);

interface BankRow {
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

async function readBatch(file: string): Promise<BankRow[]> {
  const table = await openTable(file, { requiredHeaders: [['批次号'], ['序号'], ['应扣金额（元）']] });
  const rows: BankRow[] = [];
  for await (const row of table.rows()) rows.push(row);
  return rows;
}

const HEADERS = [
  '批次号',
  '序号',
  '开户银行',
  '银行卡号',
  '持卡人',
  '持卡人证件号码',
  '参保人姓名',
  '证件号码',
  '应扣金额（元）',
  '扣款结果',
  '失败原因',
];

/**
 * The bank's answer to an exported file, as CSV: `decide` fills result and reason per row (by
 * insured name) and may change other cells.
 */
async function bankResult(
  exported: string,
  decide: (row: Record<string, string>) => Readonly<Record<string, string | undefined>>,
  extraHeaders: readonly string[] = [],
): Promise<string> {
  const rows = await readBatch(exported);
  const headers = [...HEADERS, ...extraHeaders];
  return csvFile([
    '银行代扣结果',
    headers.join(','),
    ...rows.map((r) => {
      const filled = { ...r.values, ...decide({ ...r.values }) };
      return headers.map((h) => filled[h] ?? '').join(',');
    }),
  ]);
}

const ok = () => ({ 扣款结果: '成功' });

describeEachEngine('bank withholding', (engine) => {
  const fresh = useFreshDatabases(engine);

  async function qixian(): Promise<World> {
    const world = await campaignWorld(await fresh(), 'qixian-2022', '341302', '2021-09-01');
    await world.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      `张三,${ZHANG},H1,户主,蕲县村`,
      `李四,${LI},H1,配偶,蕲县村`,
      `王五,${WANG},H2,户主,邱元村`,
      `赵六,${ZHAO},H3,户主,邱元村`,
      `钱七,${QIAN},H4,户主,邱元村`,
      `孙八,${SUN},H5,户主,蕲县村`,
      `周九,${ZHOU},H6,户主,蕲县村`,
    ]);
    await world.importKind(
      'groups',
      [
        '姓名,公民身份号码,人员类别,认定日期',
        `张三,${ZHANG},低保,2021-01-10`,
        `王五,${WANG},特困供养人员,2020-05-01`,
      ],
      { department: 'civil_affairs' },
    );
    return world;
  }

  /** Everyone enrolled; agreements as the persons' comments above say. */
  async function signed(w: World, ctx: CollectionContext) {
    const ids = {} as Record<'ZHANG' | 'LI' | 'WANG' | 'ZHAO' | 'QIAN' | 'SUN' | 'ZHOU', number>;
    for (const [key, doc] of Object.entries({ ZHANG, LI, WANG, ZHAO, QIAN, SUN, ZHOU })) {
      const personId = await w.personId(doc);
      const { enrollment } = await enroll(ctx, { personId, source: 'renewal', withhold: key === 'ZHAO' });
      ids[key as keyof typeof ids] = enrollment.id;
    }
    const card = (personId: number, cardNumber: string, holderName: string, bank = '中国农业银行宿州分行') =>
      addAgreement(ctx, { personId, bank, cardNumber, holderName });
    await card(await w.personId(ZHANG), '6228480000000000011', '李四');
    await addAgreement(ctx, {
      personId: await w.personId(LI),
      bank: '中国农业银行宿州分行',
      cardNumber: '6228 4800 0000 0000 029',
      holderName: '李四',
      holderDocNumber: LI,
    });
    await card(await w.personId(WANG), '6228480000000000037', '王五');
    await card(await w.personId(QIAN), '6228480000000000045', '钱七');
    await card(await w.personId(SUN), '6217990000000000052', '孙八', '中国邮政储蓄银行');
    await card(await w.personId(ZHOU), '6228480000000000060', '周九');
    await setWithholding(ctx, await w.personId(QIAN), false, '户主核实：今年自行缴费');
    await recordPayment(ctx, {
      channel: 'cash_collection',
      txnId: 'R-ZHOU',
      enrollmentIds: [ids.ZHOU],
      amountFen: 32000,
      paidOn: ctx.today,
      collector: 'qx-001',
      receiptNo: 'R-ZHOU',
    });
    return ids;
  }

  /** Payments recorded through the withholding channel (one per debited row). */
  async function withheldPayments(w: World): Promise<number> {
    const rows = await w.handle.db
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel', '=', 'bank_withholding')
      .executeTakeFirstOrThrow();
    return Number(rows.n);
  }

  it('exports exactly the people to withhold, with the holder of each card, and writes the bank file', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08', 'township-1');
    const ids = await signed(w, ctx);

    // Signing marked the open enrollments for withholding (with an event); the full-subsidy one is
    // confirmed already and stays as it was.
    expect((await getEnrollment(w.handle.db, '341302', ids.ZHANG)).withhold).toBe(1);
    expect((await getEnrollment(w.handle.db, '341302', ids.WANG)).withhold).toBe(0);
    expect((await getEnrollment(w.handle.db, '341302', ids.QIAN)).withhold).toBe(0);
    const events = await enrollmentHistory(w.handle.db, '341302', ids.QIAN);
    expect(events.map((e) => [e.event, e.reason, e.actor])).toEqual([
      ['created', null, 'township-1'],
      ['withholding_on', '签订银行代扣协议（中国农业银行宿州分行）', 'township-1'],
      ['withholding_off', '户主核实：今年自行缴费', 'township-1'],
    ]);

    const file = outFile('xlsx');
    const batch = await exportWithholdingBatch(ctx, { out: file });
    expect(batch).toMatchObject({
      batchNo: '341302-20211008-1',
      benefitYear: 2022,
      rows: 3,
      totalFen: 4000 + 32000 + 32000,
      retried: 0,
    });
    const rows = await readBatch(file);
    // Ordered by bank, then village, then enrollment: the two 农行 rows of 蕲县村, then 邮储.
    expect(rows.map((r) => Object.values(r.values))).toEqual([
      [
        '341302-20211008-1',
        '1',
        '中国农业银行宿州分行',
        '6228480000000000011',
        '李四',
        '',
        '张三',
        ZHANG,
        '40.00',
        '',
        '',
      ],
      [
        '341302-20211008-1',
        '2',
        '中国农业银行宿州分行',
        '6228480000000000029',
        '李四',
        LI,
        '李四',
        LI,
        '320.00',
        '',
        '',
      ],
      [
        '341302-20211008-1',
        '3',
        '中国邮政储蓄银行',
        '6217990000000000052',
        '孙八',
        '',
        '孙八',
        SUN,
        '320.00',
        '',
        '',
      ],
    ]);
    expect(rows[0]?.line).toBe(4); // title, summary line, header, then data
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.worksheets[0] as ExcelJS.Worksheet;
    expect(String(sheet.getCell('A1').value)).toMatch(
      /^埇桥区.*银行代扣清单.*批次号 341302-20211008-1.*生成日期 2021-10-08/,
    );
    expect(String(sheet.getCell('A2').value)).toContain('2022 年度，共 3 笔，合计 680.00 元');
    // The lean writer's sheet as Excel shows it: titles merged across the 11 columns, the header
    // bold on grey and frozen, every column text so card and ID numbers stay digits.
    expect(sheet.getCell('K1').isMerged && sheet.getCell('K2').isMerged).toBe(true);
    expect(sheet.getCell('A3').value).toBe('批次号');
    expect(sheet.getCell('A3').font?.bold).toBe(true);
    expect(sheet.getCell('A3').fill).toMatchObject({ pattern: 'solid', fgColor: { argb: 'FFE7E6E6' } });
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    expect([sheet.getCell('D4').numFmt, sheet.getColumn(11).numFmt, sheet.getColumn(4).width]).toEqual([
      '@',
      '@',
      24,
    ]);
    expect(sheet.getCell('D4').value).toBe('6228480000000000011');

    // Everyone is in a batch waiting for its result: the next export has nobody.
    expect(await exportWithholdingBatch(ctx, { out: outFile('xlsx') })).toBeNull();
    expect((await listWithholdingBatches(ctx)).map((b) => b.batchNo)).toEqual(['341302-20211008-1']);
  });

  it('filters by bank, numbers batches per day, and writes CSV with the title first', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    await signed(w, ctx);
    const postal = outFile('csv');
    const first = await exportWithholdingBatch(ctx, { out: postal, bank: '中国邮政储蓄银行' });
    expect(first).toMatchObject({
      batchNo: '341302-20211008-1',
      rows: 1,
      totalFen: 32000,
      bank: '中国邮政储蓄银行',
    });
    const text = readFileSync(postal, 'utf8');
    expect(text.split('\r\n')[0]).toMatch(/^\uFEFF埇桥区.*批次号 341302-20211008-1/);
    expect(text).toContain('开户银行：中国邮政储蓄银行');
    expect((await readBatch(postal)).map((r) => r.values.参保人姓名)).toEqual(['孙八']);
    const rest = await exportWithholdingBatch(ctx, { out: outFile('xlsx') });
    expect(rest).toMatchObject({ batchNo: '341302-20211008-2', rows: 2, totalFen: 36000, bank: null });
    const nextDay = await exportWithholdingBatch(w.ctx('2021-10-09'), { out: outFile('xlsx') });
    expect(nextDay).toBeNull();
  });

  it('records debited rows as payments and keeps failures, balancing the books to the fen', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    const ids = await signed(w, ctx);
    const file = outFile('xlsx');
    await exportWithholdingBatch(ctx, { out: file });
    const result = await bankResult(file, (r) =>
      r.参保人姓名 === '李四' ? { 扣款结果: '扣款失败', 失败原因: '余额不足' } : { 扣款结果: '扣款成功' },
    );
    const later = w.ctx('2021-10-12', 'tax-1');
    const summary = await importWithholdingResult(later, { file: result, on: '2021-10-11' });
    expect(summary).toMatchObject({
      status: 'completed',
      batchNo: '341302-20211008-1',
      rows: 3,
      succeeded: 2,
      succeededFen: 36000,
      failed: 1,
      failedFen: 32000,
      failureReasons: { 余额不足: 1 },
      conflicts: [],
    });
    const zhang = await getEnrollment(w.handle.db, '341302', ids.ZHANG);
    expect(zhang).toMatchObject({
      status: 'paid',
      paid_fen: 4000,
      assessed_on: '2021-10-11',
      benefit_start: '2022-01-01',
    });
    expect((await getEnrollment(w.handle.db, '341302', ids.SUN)).status).toBe('paid');
    expect((await getEnrollment(w.handle.db, '341302', ids.LI)).status).toBe('awaiting_payment');

    const orders = await w.handle.db
      .selectFrom('payment_orders')
      .select(['channel_txn_id', 'amount_fen', 'paid_on', 'payer', 'actor'])
      .where('channel', '=', 'bank_withholding')
      .orderBy('channel_txn_id')
      .execute();
    // The bank settled the day's debits as one amount: one order for the file's debit date.
    expect(orders).toEqual([
      {
        channel_txn_id: '341302-20211008-1@2021-10-11',
        amount_fen: 36000,
        paid_on: '2021-10-11',
        payer: null,
        actor: 'tax-1',
      },
    ]);
    // Each debited row is its own payment under that order, with its own event.
    const paid = await w.handle.db
      .selectFrom('payments')
      .select(['enrollment_id', 'amount_fen', 'paid_on', 'channel'])
      .where('channel', '=', 'bank_withholding')
      .orderBy('enrollment_id')
      .execute();
    expect(paid).toEqual(
      [
        { enrollment_id: ids.ZHANG, amount_fen: 4000, paid_on: '2021-10-11', channel: 'bank_withholding' },
        { enrollment_id: ids.SUN, amount_fen: 32000, paid_on: '2021-10-11', channel: 'bank_withholding' },
      ].sort((a, b) => a.enrollment_id - b.enrollment_id),
    );
    const events = await w.handle.db
      .selectFrom('enrollment_events')
      .select(['enrollment_id', 'detail'])
      .where('event', '=', 'paid')
      .where('enrollment_id', 'in', [ids.ZHANG, ids.SUN])
      .orderBy('enrollment_id')
      .execute();
    expect(events.map((e) => JSON.parse(e.detail as string).txnId).sort()).toEqual([
      '341302-20211008-1-1',
      '341302-20211008-1-3',
    ]);
    const items = await batchItems(later, '341302-20211008-1');
    expect(items.map((i) => [i.seq, i.result, i.failureReason, i.resultOn])).toEqual([
      [1, 'succeeded', null, '2021-10-11'],
      [2, 'failed', '余额不足', '2021-10-11'],
      [3, 'succeeded', null, '2021-10-11'],
    ]);
    const linked = await w.handle.db
      .selectFrom('withholding_items')
      .select('order_id')
      .orderBy('seq')
      .execute();
    expect(linked.map((l) => l.order_id === null)).toEqual([false, true, false]);

    // The books: cash of 周九 is with the collector; 待报解 holds exactly what the bank debited.
    const balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get('pending_remittance')).toBe(36000);
    expect(balances.get('collector:qx-001')).toBe(32000);
    expect(balances.get(`enrollment:${ids.ZHANG}`)).toBe(-32000); // 40 paid + 280 subsidy
    expect(balances.get(`enrollment:${ids.SUN}`)).toBe(-32000);
    expect(balances.get(`enrollment:${ids.LI}`)).toBeUndefined();
    expect((await checkJournal(w.handle.db, '341302')).unbalanced).toEqual([]);

    const [recon] = await reconcileWithholdingBatches(later);
    expect(recon).toMatchObject({
      batchNo: '341302-20211008-1',
      status: 'completed',
      succeeded: 2,
      succeededFen: 36000,
      payments: 2,
      paymentsFen: 36000,
      journalFen: 36000,
      failed: 1,
      pending: 0,
      differences: [],
    });
    expect(JSON.parse(JSON.stringify(recon))).toEqual(recon);
    const [listed] = await listWithholdingBatches(later);
    expect(listed).toMatchObject({
      status: 'completed',
      succeeded: 2,
      succeededFen: 36000,
      failed: 1,
      conflicts: 0,
    });
  });

  it('tries failed rows again in the next batch, and records them when they succeed', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    const ids = await signed(w, ctx);
    const first = outFile('xlsx');
    await exportWithholdingBatch(ctx, { out: first });
    await importWithholdingResult(w.ctx('2021-10-12'), {
      file: await bankResult(first, (r) =>
        r.参保人姓名 === '孙八' ? { 扣款结果: '失败', 失败原因: '卡已冻结' } : ok(),
      ),
      on: '2021-10-11',
    });

    const second = outFile('xlsx');
    const retry = await exportWithholdingBatch(w.ctx('2021-11-01'), { out: second });
    expect(retry).toMatchObject({ batchNo: '341302-20211101-1', rows: 1, totalFen: 32000, retried: 1 });
    expect(
      (await readBatch(second)).map((r) => [r.values.序号, r.values.参保人姓名, r.values['应扣金额（元）']]),
    ).toEqual([['1', '孙八', '320.00']]);
    const summary = await importWithholdingResult(w.ctx('2021-11-03'), {
      file: await bankResult(second, ok, ['扣款日期']).then((f) => f),
      on: '2021-11-02',
    });
    expect(summary).toMatchObject({ status: 'completed', succeeded: 1, succeededFen: 32000, failed: 0 });
    expect(await getEnrollment(w.handle.db, '341302', ids.SUN)).toMatchObject({
      status: 'paid',
      paid_fen: 32000,
      assessed_on: '2021-11-02',
    });
    const balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get('pending_remittance')).toBe(4000 + 32000 + 32000);
    expect(
      (await reconcileWithholdingBatches(ctx)).map((r) => [
        r.batchNo,
        r.succeededFen,
        r.journalFen,
        r.differences,
      ]),
    ).toEqual([
      ['341302-20211008-1', 36000, 36000, []],
      ['341302-20211101-1', 32000, 32000, []],
    ]);
    // Nobody is left to withhold.
    expect(await exportWithholdingBatch(w.ctx('2021-11-04'), { out: outFile('xlsx') })).toBeNull();
  });

  it('rejects a bad result file naming file, line and column, and writes nothing', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    await signed(w, ctx);
    const file = outFile('xlsx');
    await exportWithholdingBatch(ctx, { out: file });
    const bad = await bankResult(file, (r) => {
      if (r.序号 === '1') return { 扣款结果: '成功', '应扣金额（元）': '400.00' };
      if (r.序号 === '2') return { 扣款结果: '已退回' };
      return { 扣款结果: '成功', 序号: '9' };
    });
    const error = await importWithholdingResult(w.ctx('2021-10-12'), { file: bad, on: '2021-10-11' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WithholdingFileError);
    const message = (error as Error).message;
    const name = bad.split('/').at(-1);
    expect(message).toContain(
      `${name} 第 3 行“应扣金额（元）”：金额 400.00 元与批次中序号 1 的应扣金额 40.00 元不符`,
    );
    expect(message).toContain(`${name} 第 4 行“扣款结果”：无法识别的扣款结果“已退回”`);
    expect(message).toContain(
      `${name} 第 5 行“序号”：序号 9 不属于批次 341302-20211008-1（该批次序号为 1–3）`,
    );
    expect((error as WithholdingFileError).errors.map((e) => e.line)).toEqual([3, 4, 5]);

    // A failure without reason, a name that is not the exported one, an unknown batch.
    const noReason = await bankResult(file, (r) =>
      r.序号 === '2'
        ? { 扣款结果: '失败' }
        : r.序号 === '3'
          ? { 扣款结果: '成功', 参保人姓名: '孙九' }
          : ok(),
    );
    await expect(
      importWithholdingResult(w.ctx('2021-10-12'), { file: noReason, on: '2021-10-11' }),
    ).rejects.toThrow(
      /第 4 行“失败原因”：扣款失败的行必须填写失败原因[\s\S]*第 5 行“参保人姓名”：姓名“孙九”与批次中序号 3 的“孙八”不符/,
    );
    const unknown = await bankResult(file, () => ({ 扣款结果: '成功', 批次号: '341302-20990101-1' }));
    await expect(
      importWithholdingResult(w.ctx('2021-10-12'), { file: unknown, on: '2021-10-11' }),
    ).rejects.toThrow(/第 3 行“批次号”：代扣批次 341302-20990101-1 不存在/);
    // Without a debit date for a debited row.
    await expect(
      importWithholdingResult(w.ctx('2021-10-12'), { file: await bankResult(file, ok) }),
    ).rejects.toThrow(/缺少扣款日期/);

    expect(await withheldPayments(w)).toBe(0);
    const items = await w.handle.db.selectFrom('withholding_items').select('result').execute();
    expect(items.map((i) => i.result)).toEqual(['pending', 'pending', 'pending']);
    const [batch] = await listWithholdingBatches(ctx);
    expect(batch?.status).toBe('exported');
    expect((await accountBalances(w.handle.db, '341302')).get('pending_remittance')).toBeUndefined();
  });

  it('writes nothing at all when a row cannot be recorded for a reason other than the person', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    const ids = await signed(w, ctx);
    const file = outFile('xlsx');
    await exportWithholdingBatch(ctx, { out: file });
    // Someone recorded another payment under the transaction id of the file's order (a clerk
    // typing it in).
    await recordPayment(ctx, {
      channel: 'bank_withholding',
      txnId: '341302-20211008-1@2021-10-11',
      enrollmentIds: [ids.ZHAO],
      amountFen: 32000,
      paidOn: '2021-10-08',
      reference: '手工录入',
    });
    await expect(
      importWithholdingResult(w.ctx('2021-10-12'), { file: await bankResult(file, ok), on: '2021-10-11' }),
    ).rejects.toThrow(/渠道流水号 341302-20211008-1@2021-10-11 已用于另一笔缴费/);
    // Nothing of the file was written.
    expect(await withheldPayments(w)).toBe(1);
    const items = await w.handle.db.selectFrom('withholding_items').select('result').execute();
    expect(items.map((i) => i.result)).toEqual(['pending', 'pending', 'pending']);
    expect((await getEnrollment(w.handle.db, '341302', ids.ZHANG)).status).toBe('awaiting_payment');
    expect((await accountBalances(w.handle.db, '341302')).get('pending_remittance')).toBe(32000);
    const [recon] = await reconcileWithholdingBatches(ctx);
    // The reconciliation sees the stray payment under the batch's transaction id.
    expect(recon?.differences).toEqual([
      '扣款成功 0 笔 0.00 元，代扣缴费记录 1 笔 320.00 元，相差 -320.00 元',
    ]);
  });

  it('changes nothing when the same result file comes again', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    await signed(w, ctx);
    const file = outFile('xlsx');
    await exportWithholdingBatch(ctx, { out: file });
    const result = await bankResult(
      file,
      (r) =>
        r.序号 === '3' ? { 扣款结果: 'F', 失败原因: '卡已注销' } : { 扣款结果: 'S', 扣款日期: '2021-10-10' },
      ['扣款日期'],
    );
    const first = await importWithholdingResult(w.ctx('2021-10-12'), { file: result });
    expect(first).toMatchObject({ status: 'completed', succeeded: 2, failed: 1 });
    const transfers = await w.handle.db.selectFrom('journal_transfers').select('id').execute();
    const again = await importWithholdingResult(w.ctx('2021-10-13'), { file: result });
    expect(again).toMatchObject({ status: 'unchanged', succeeded: 2, succeededFen: 36000, failed: 1 });
    // A copy with the same content (another file, another checksum) is recognised too.
    const copy = await bankResult(
      file,
      (r) =>
        r.序号 === '3'
          ? { 扣款结果: '失败', 失败原因: '卡已注销' }
          : { 扣款结果: '成功', 扣款日期: '2021/10/10' },
      ['扣款日期', '备用'],
    );
    expect(await importWithholdingResult(w.ctx('2021-10-13'), { file: copy })).toMatchObject({
      status: 'unchanged',
    });
    // Changing a result after the fact is refused.
    const changed = await bankResult(file, (r) => (r.序号 === '3' ? ok() : ok()), []);
    await expect(
      importWithholdingResult(w.ctx('2021-10-13'), { file: changed, on: '2021-10-10' }),
    ).rejects.toThrow(/第 5 行“扣款结果”：序号 3 已于先前导入为“扣款失败”（卡已注销）/);
    expect((await w.handle.db.selectFrom('journal_transfers').select('id').execute()).length).toBe(
      transfers.length,
    );
    expect(await withheldPayments(w)).toBe(2);
  });

  it('lists a person who paid in cash after the export as a debit to return, without a second payment', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    const ids = await signed(w, ctx);
    const file = outFile('xlsx');
    await exportWithholdingBatch(ctx, { out: file });
    // 孙八 pays at the village before the bank's result comes back.
    await recordPayment(w.ctx('2021-10-09'), {
      channel: 'cash_collection',
      txnId: 'R-SUN',
      enrollmentIds: [ids.SUN],
      amountFen: 32000,
      paidOn: '2021-10-09',
      collector: 'qx-001',
      receiptNo: 'R-SUN',
    });
    const summary = await importWithholdingResult(w.ctx('2021-10-12'), {
      file: await bankResult(file, ok),
      on: '2021-10-11',
    });
    expect(summary).toMatchObject({ status: 'completed', succeeded: 2, succeededFen: 36000 });
    expect(summary.conflicts).toHaveLength(1);
    expect(summary.conflicts[0]).toMatchObject({
      batchNo: '341302-20211008-1',
      seq: 3,
      name: '孙八',
      holderName: '孙八',
      cardNumber: '6217990000000000052',
      amountFen: 32000,
      debitedOn: '2021-10-11',
      returnedOn: null,
    });
    expect(summary.conflicts[0]?.note).toMatch(
      /孙八 本年度已缴费（2021-10-09，村（社区）现金代收，代收员 qx-001/,
    );
    // Paid once, by cash.
    const payments = await w.handle.db
      .selectFrom('payments')
      .select(['channel', 'amount_fen'])
      .where('enrollment_id', '=', ids.SUN)
      .execute();
    expect(payments).toEqual([{ channel: 'cash_collection', amount_fen: 32000 }]);
    expect((await getEnrollment(w.handle.db, '341302', ids.SUN)).paid_fen).toBe(32000);

    // The 待报解 account holds everything the bank debited; the clearing account owes 320 back.
    let balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get('pending_remittance')).toBe(36000 + 32000);
    expect(balances.get('channel:bank_withholding')).toBe(-32000);
    expect(balances.get(`enrollment:${ids.SUN}`)).toBe(-32000);
    expect((await checkJournal(w.handle.db, '341302')).unbalanced).toEqual([]);
    let [recon] = await reconcileWithholdingBatches(ctx);
    expect(recon).toMatchObject({
      succeeded: 2,
      succeededFen: 36000,
      journalFen: 36000,
      conflicts: 1,
      conflictFen: 32000,
      conflictOpenFen: 32000,
      journalConflictOpenFen: 32000,
      differences: [],
    });
    expect(await listWithholdingConflicts(ctx)).toHaveLength(1);

    // The bank returns the money to the card: the conflict is settled.
    const back = w.ctx('2021-10-20');
    expect(
      await returnConflictDebit(back, { batchNo: '341302-20211008-1', seq: 3, returnedOn: '2021-10-20' }),
    ).toEqual({
      replayed: false,
      amountFen: 32000,
    });
    expect(
      await returnConflictDebit(back, { batchNo: '341302-20211008-1', seq: 3, returnedOn: '2021-10-20' }),
    ).toEqual({
      replayed: true,
      amountFen: 32000,
    });
    await expect(
      returnConflictDebit(back, { batchNo: '341302-20211008-1', seq: 1, returnedOn: '2021-10-20' }),
    ).rejects.toThrow(/不是待退还的重复扣款/);
    balances = await accountBalances(w.handle.db, '341302');
    expect(balances.get('pending_remittance')).toBe(36000);
    expect(balances.get('channel:bank_withholding')).toBe(0);
    expect(await listWithholdingConflicts(back)).toEqual([]);
    expect(await listWithholdingConflicts(back, { all: true })).toHaveLength(1);
    [recon] = await reconcileWithholdingBatches(back);
    expect(recon).toMatchObject({ conflictOpenFen: 0, journalConflictOpenFen: 0, differences: [] });
  });

  it('changes a card by closing the old agreement and opening a new one, and debits the new card next', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    await signed(w, ctx);
    const sun = await w.personId(SUN);
    const first = outFile('xlsx');
    await exportWithholdingBatch(ctx, { out: first });
    await importWithholdingResult(w.ctx('2021-10-12'), {
      file: await bankResult(first, (r) =>
        r.参保人姓名 === '孙八' ? { 扣款结果: '失败', 失败原因: '卡已注销' } : ok(),
      ),
      on: '2021-10-11',
    });
    const township = w.ctx('2021-10-15', 'township-2');
    await expect(
      changeAgreement(township, {
        personId: sun,
        bank: '中国邮政储蓄银行',
        cardNumber: '6217990000000000052',
        holderName: '孙八',
        reason: '卡已注销',
      }),
    ).rejects.toThrow(/现有协议就是这张卡/);
    await expect(
      addAgreement(township, {
        personId: sun,
        bank: '中国农业银行',
        cardNumber: '6228480000000000078',
        holderName: '孙八',
      }),
    ).rejects.toThrow(/已有代扣协议（中国邮政储蓄银行 6217\*+0052/);
    const changed = await changeAgreement(township, {
      personId: sun,
      bank: '中国农业银行宿州分行',
      cardNumber: '6228480000000000078',
      holderName: '孙小八',
      holderDocNumber: idNumber('34130220100808008'),
      reason: '卡已注销',
    });
    expect(changed.closed).toMatchObject({ valid_to: '2021-10-15', close_reason: '卡已注销' });
    expect(changed.pendingBatches).toEqual([]);
    const history = await listAgreements(township, { personId: sun, history: true });
    expect(
      history.map((a) => [a.bank, a.cardNumber, a.holderName, a.validFrom, a.validTo, a.closeReason]),
    ).toEqual([
      ['中国邮政储蓄银行', '6217990000000000052', '孙八', '2021-10-08', '2021-10-15', '卡已注销'],
      ['中国农业银行宿州分行', '6228480000000000078', '孙小八', '2021-10-15', null, null],
    ]);
    expect(await listAgreements(township, { personId: sun })).toHaveLength(1);

    const second = outFile('xlsx');
    await exportWithholdingBatch(township, { out: second });
    const rows = await readBatch(second);
    expect(
      rows.map((r) => [r.values.参保人姓名, r.values.开户银行, r.values.银行卡号, r.values.持卡人]),
    ).toEqual([['孙八', '中国农业银行宿州分行', '6228480000000000078', '孙小八']]);
    // A change while a batch is with the bank: that batch still names the old card, and says so.
    const again = await changeAgreement(w.ctx('2021-10-16'), {
      personId: sun,
      bank: '中国农业银行宿州分行',
      cardNumber: '6228480000000000086',
      holderName: '孙八',
      reason: '卡被冻结',
    });
    expect(again.pendingBatches).toEqual(['341302-20211015-1']);
    // The batch's item still shows the card it was exported with.
    expect((await batchItems(ctx, '341302-20211015-1')).map((i) => i.cardNumber)).toEqual([
      '6228480000000000078',
    ]);
  });

  it('imports agreements from a township file, all or nothing, marking withholding', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    for (const doc of [ZHANG, LI, SUN])
      await enroll(ctx, { personId: await w.personId(doc), source: 'renewal' });
    const bad = csvFile([
      '代扣协议登记表',
      '姓名,证件号码,开户银行,银行卡号,持卡人姓名,持卡人证件号码',
      `张三,${ZHANG},中国农业银行,6228480000000000011,李四,${LI}`,
      `李四,${LI},中国农业银行,62284800,李四,`,
      `孙九,${SUN},中国邮政储蓄银行,6217990000000000052,孙八,`,
      `张三,${ZHANG},中国农业银行,6228480000000000011,李四,`,
      `无名,${idNumber('34130219990909009')},中国农业银行,6228480000000000094,无名,`,
    ]);
    const error = await importAgreements(ctx, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WithholdingFileError);
    expect((error as WithholdingFileError).errors).toEqual([
      { line: 4, column: '银行卡号', reason: '银行卡号应为 10–30 位数字：“62284800”' },
      { line: 5, column: '姓名', reason: '姓名“孙九”与登记的“孙八”不一致' },
      { line: 6, column: '证件号码', reason: '与第 3 行是同一参保人，一人只能有一张代扣卡' },
      { line: 7, column: '证件号码', reason: `登记中没有证件号码为 ${idNumber('34130219990909009')} 的人员` },
    ]);
    expect(await listAgreements(ctx)).toEqual([]);

    const good = csvFile([
      '姓名,证件号码,开户银行,银行卡号,持卡人姓名,持卡人证件号码',
      `张三,${ZHANG},中国农业银行,6228480000000000011,李四,${LI}`,
      `孙八,${SUN},中国邮政储蓄银行,6217990000000000052,孙八,`,
    ]);
    expect(await importAgreements(ctx, good)).toMatchObject({
      rows: 2,
      added: 2,
      changed: 0,
      unchanged: 0,
      withholdMarked: 2,
    });
    expect(await importAgreements(ctx, good)).toMatchObject({
      rows: 2,
      added: 0,
      changed: 0,
      unchanged: 2,
      withholdMarked: 0,
    });
    const changed = csvFile([
      '姓名,证件号码,开户银行,银行卡号,持卡人姓名',
      `孙八,${SUN},中国农业银行,6228480000000000102,孙八`,
    ]);
    expect(await importAgreements(w.ctx('2021-10-09'), changed)).toMatchObject({ added: 0, changed: 1 });
    const sun = await listAgreements(ctx, { personId: await w.personId(SUN), history: true });
    expect(
      sun.map((a) => [a.cardNumber, a.validTo, a.closeReason?.replace(/f\d+\.csv/, 'F') ?? null]),
    ).toEqual([
      ['6217990000000000052', '2021-10-09', '换卡（F 第 2 行）'],
      ['6228480000000000102', null, null],
    ]);
    const zhang = await listAgreements(ctx, { personId: await w.personId(ZHANG) });
    expect(zhang[0]).toMatchObject({ holderName: '李四', holderDocNumber: LI });
    const batch = await exportWithholdingBatch(w.ctx('2021-10-09'), { out: outFile('xlsx') });
    expect(batch).toMatchObject({ rows: 2, totalFen: 36000 });
  });

  it('marks enrollments created after the agreement, but not those the household turned off', async () => {
    const w = await qixian();
    const ctx = w.ctx('2021-10-08');
    const li = await w.personId(LI);
    const sun = await w.personId(SUN);
    await addAgreement(ctx, {
      personId: li,
      bank: '农行',
      cardNumber: '6228480000000000029',
      holderName: '李四',
    });
    await addAgreement(ctx, {
      personId: sun,
      bank: '农行',
      cardNumber: '6228480000000000052',
      holderName: '孙八',
    });
    const e1 = await enroll(ctx, { personId: li, source: 'renewal' });
    const e2 = await enroll(ctx, { personId: sun, source: 'renewal' });
    await setWithholding(ctx, sun, true, '户主核实：代扣');
    await setWithholding(ctx, sun, false, '户主核实：自行缴费');
    expect(e1.enrollment.withhold).toBe(0);
    expect(await applyAgreements(ctx)).toBe(1);
    expect((await getEnrollment(w.handle.db, '341302', e1.enrollment.id)).withhold).toBe(1);
    expect((await getEnrollment(w.handle.db, '341302', e2.enrollment.id)).withhold).toBe(0);
    await expect(setWithholding(ctx, await w.personId(ZHAO), true, '代扣')).rejects.toBeInstanceOf(
      CollectionError,
    );
  });
  it('exports and imports a batch larger than one page, every row once and in order', async () => {
    // The batch file and the result check read the items a page (5,000) at a time.
    const count = 5_003;
    const w = await campaignWorld(await fresh(), 'qixian-2022', '341302', '2021-09-01');
    const pad = (n: number) => String(n).padStart(2, '0');
    const docs = Array.from({ length: count }, (_, i) =>
      idNumber(
        `341302${1950 + (i % 50)}${pad(1 + (Math.floor(i / 50) % 12))}${pad(1 + Math.floor(i / 600))}001`,
      ),
    );
    expect(new Set(docs).size).toBe(count);
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      ...docs.map((doc, i) => `居民${i},${doc},P${i},户主,蕲县村`),
    ]);
    await w.importKind('enrollment', [
      '姓名,公民身份号码,参保年度,个人缴费金额,村（社区）',
      ...docs.map((doc, i) => `居民${i},${doc},2021,280,蕲县村`),
    ]);
    const ctx = w.ctx('2021-10-08');
    expect(await renewEnrollments(ctx)).toMatchObject({ created: count, skipped: [] });
    const cards = csvFile([
      '姓名,证件号码,开户银行,银行卡号,持卡人姓名',
      ...docs.map((doc, i) => `居民${i},${doc},中国农业银行,62284800${String(i).padStart(11, '0')},居民${i}`),
    ]);
    expect(await importAgreements(ctx, cards)).toMatchObject({ added: count, withholdMarked: count });
    if (engine.name === 'postgres') {
      // The export joins these two tables: PostgreSQL must know how large they now are
      // (db/statistics.ts; planned as if empty, the join visited 25 million index entries).
      const { rows: sizes } = await sql<{ relname: string; reltuples: number }>`
        select relname, reltuples from pg_class where relname in ('enrollments', 'bank_agreements')`.execute(
        w.handle.db,
      );
      for (const table of sizes) expect(Number(table.reltuples), table.relname).toBeGreaterThanOrEqual(count);
    }

    const batch = await exportWithholdingBatch(ctx, { out: outFile('csv') });
    expect(batch).toMatchObject({ rows: count, totalFen: count * 32000 });
    const rows = await readBatch((batch as { file: string }).file);
    expect(rows.map((r) => Number(r.values['序号']))).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.values['证件号码'])).size).toBe(count);

    const result = await bankResult((batch as { file: string }).file, (row) =>
      row['序号'] === '5001' ? { 扣款结果: '失败', 失败原因: '余额不足' } : { 扣款结果: '成功' },
    );
    const summary = await importWithholdingResult(w.ctx('2021-10-09'), { file: result, on: '2021-10-09' });
    expect(summary).toMatchObject({ succeeded: count - 1, succeededFen: (count - 1) * 32000, failed: 1 });
    expect((await checkJournal(w.handle.db, '341302')).unbalanced).toEqual([]);
  });
});
