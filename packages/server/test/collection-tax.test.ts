import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkLedger } from '../src/collection/books.ts';
import { CollectionError } from '../src/collection/context.ts';
import { enrollmentHistory, getEnrollment } from '../src/collection/enrollments.ts';
import {
  confirmTaxPayments,
  importTaxConfirmations,
  listDiscrepancies,
  writeDiscrepanciesXlsx,
} from '../src/collection/tax.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { openTable } from '../src/files/read-table.ts';
import { writeXlsx } from '../src/files/write-xlsx.ts';
import { accountBalances } from '../src/ledger/journal.ts';
import { csvFile } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { COUNTY, LI, paidCampaign, STRANGER, taxFile, WANG, ZHANG, ZHAO } from './tax-harness.ts';

async function balances(handle: DatabaseHandle) {
  const all = await accountBalances(handle.db, COUNTY);
  return { treasury: all.get('treasury') ?? 0, pending: all.get('pending_remittance') ?? 0 };
}

async function state(handle: DatabaseHandle) {
  const payments = await handle.db
    .selectFrom('payments')
    .select(['id', 'status', 'tax_receipt_no', 'confirmed_on'])
    .orderBy('id')
    .execute();
  const confirmations = await handle.db.selectFrom('tax_confirmations').selectAll().orderBy('id').execute();
  const transfers = await handle.db.selectFrom('journal_transfers').select('id').execute();
  const events = await handle.db.selectFrom('enrollment_events').select('id').execute();
  return { payments, confirmations, transfers: transfers.length, events: events.length };
}

describeEachEngine('tax confirmation', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('matches by transaction id or by document and amount, books each to the treasury, and confirms enrollments whose payments are all confirmed', async () => {
    const handle = await fresh();
    const { world, enrollments } = await paidCampaign(handle);
    // Before: 360.00 remitted + 320.00 online sit in 待报解.
    expect(await balances(handle)).toEqual({ treasury: 0, pending: 68000 });

    const ctx = world.ctx('2021-10-12', 'tax-clerk');
    const result = await importTaxConfirmations(
      ctx,
      taxFile([
        `T-001,${ZHANG},张三,40.00,2021-10-08,R-0001,2021-10-11`,
        `T-002,${ZHAO},赵六,320,2021/10/08 15:20:11,,`,
      ]),
    );
    expect(result).toMatchObject({
      status: 'completed',
      benefitYear: 2022,
      rowsTotal: 2,
      matched: 2,
      matchedFen: 36000,
      discrepancies: 0,
      unchanged: 0,
      enrollmentsConfirmed: 2,
    });
    expect(result.outcomes.map((o) => [o.line, o.receiptNo, o.outcome, o.enrollmentId])).toEqual([
      [2, 'T-001', 'matched', enrollments.zhang],
      [3, 'T-002', 'matched', enrollments.zhao],
    ]);
    // 40.00 + 320.00 moved from 待报解 to the treasury.
    expect(await balances(handle)).toEqual({ treasury: 36000, pending: 32000 });
    const transfers = await handle.db
      .selectFrom('journal_transfers')
      .select(['idempotency_key', 'kind', 'occurred_on', 'actor'])
      .where('kind', '=', 'tax_confirmation')
      .orderBy('id')
      .execute();
    expect(transfers).toEqual([
      {
        idempotency_key: 'tax:T-001',
        kind: 'tax_confirmation',
        occurred_on: '2021-10-11',
        actor: 'tax-clerk',
      },
      // No 确认日期: confirmed today.
      {
        idempotency_key: 'tax:T-002',
        kind: 'tax_confirmation',
        occurred_on: '2021-10-12',
        actor: 'tax-clerk',
      },
    ]);
    const payments = await handle.db
      .selectFrom('payments')
      .select(['enrollment_id', 'status', 'tax_receipt_no', 'confirmed_on'])
      .orderBy('enrollment_id')
      .execute();
    expect(payments).toEqual([
      {
        enrollment_id: enrollments.zhang,
        status: 'confirmed',
        tax_receipt_no: 'T-001',
        confirmed_on: '2021-10-11',
      },
      { enrollment_id: enrollments.li, status: 'recorded', tax_receipt_no: null, confirmed_on: null },
      {
        enrollment_id: enrollments.zhao,
        status: 'confirmed',
        tax_receipt_no: 'T-002',
        confirmed_on: '2021-10-12',
      },
    ]);
    // 张三 confirmed; 李四 paid in the same cash receipt, but her payment is not confirmed yet.
    expect((await getEnrollment(handle.db, COUNTY, enrollments.zhang)).status).toBe('confirmed');
    expect((await getEnrollment(handle.db, COUNTY, enrollments.li)).status).toBe('paid');
    expect((await getEnrollment(handle.db, COUNTY, enrollments.zhao)).status).toBe('confirmed');
    const history = await enrollmentHistory(handle.db, COUNTY, enrollments.zhang);
    expect(history.at(-1)).toMatchObject({
      event: 'tax_confirmed',
      from_status: 'paid',
      to_status: 'confirmed',
      actor: 'tax-clerk',
      reason: '税务确认缴费（税票号 T-001）',
    });

    // Through the API, 李四's confirmation completes the household.
    const api = await confirmTaxPayments(ctx, [
      {
        receiptNo: 'T-003',
        docNumber: LI.toLowerCase(),
        amountFen: 32000,
        paidOn: '2021-10-08',
        channelTxnId: 'R-0001',
      },
    ]);
    expect(api).toMatchObject({ status: 'completed', source: 'api', matched: 1, enrollmentsConfirmed: 1 });
    expect((await getEnrollment(handle.db, COUNTY, enrollments.li)).status).toBe('confirmed');
    expect(await balances(handle)).toEqual({ treasury: 68000, pending: 0 });
    expect((await checkLedger(ctx)).differences).toEqual([]);
  });

  it('keeps unknown people and payments, other amounts and second receipts out of the books as discrepancies', async () => {
    const handle = await fresh();
    const { world, enrollments } = await paidCampaign(handle);
    const ctx = world.ctx('2021-10-12');
    await importTaxConfirmations(ctx, taxFile([`T-001,${ZHANG},张三,40.00,2021-10-08,R-0001,2021-10-11`]));
    const before = await state(handle);
    const treasuryBefore = await balances(handle);

    const file = taxFile([
      `T-010,${STRANGER},路人甲,320.00,2021-10-08,,2021-10-12`,
      `T-011,${WANG},王五,320.00,2021-10-08,,2021-10-12`,
      `T-012,${ZHAO},赵六,350.00,2021-10-08,,2021-10-12`,
      `T-013,${ZHAO},赵六,320.00,2021-10-08,WX-404,2021-10-12`,
      `T-014,${ZHANG},张三,40.00,2021-10-08,,2021-10-12`,
      `T-001,${ZHANG},张三,41.00,2021-10-08,R-0001,2021-10-12`,
      `T-015,${ZHAO},赵六,330.00,2021-10-08,WX-1,2021-10-12`,
      `T-016,${ZHAO},赵六,320.00,2021-10-08,R-0001,2021-10-12`,
    ]);
    const result = await importTaxConfirmations(ctx, file);
    expect(result).toMatchObject({
      status: 'completed',
      matched: 0,
      discrepancies: 8,
      enrollmentsConfirmed: 0,
    });
    const problems = result.outcomes.map((o) => [o.line, o.receiptNo, o.problem]);
    expect(problems).toEqual([
      [2, 'T-010', `登记中没有证件号码为 ${STRANGER} 的人员`],
      [3, 'T-011', `王五（证件号码 ${WANG}） 2022 年度没有缴费记录`],
      [
        4,
        'T-012',
        `金额不符：税务确认 350.00 元，赵六（证件号码 ${ZHAO}） 2022 年度未确认的缴费为 320.00 元（2021-10-08）`,
      ],
      [5, 'T-013', '渠道流水号 WX-404 没有对应的缴费记录'],
      [
        6,
        'T-014',
        `张三（证件号码 ${ZHANG}） 2022 年度的该笔缴费（40.00 元，2021-10-08）已由税票号 T-001 于 2021-10-11 确认`,
      ],
      [
        7,
        'T-001',
        `税票号 T-001 已于 2021-10-11 导入（证件号码 ${ZHANG}，金额 40.00 元，缴费日期 2021-10-08，流水号 R-0001），本次内容不同（证件号码 ${ZHANG}，金额 41.00 元，缴费日期 2021-10-08，流水号 R-0001），未覆盖原记录`,
      ],
      [8, 'T-015', '金额不符：税务确认 330.00 元，缴费记录 320.00 元（2021-10-08）'],
      [9, 'T-016', `渠道流水号 R-0001 的缴费中没有 赵六（证件号码 ${ZHAO}）`],
    ]);

    // Nothing reached the books or the payments; the first T-001 stands as it was.
    expect(await balances(handle)).toEqual(treasuryBefore);
    const after = await state(handle);
    expect(after.payments).toEqual(before.payments);
    expect(after.transfers).toBe(before.transfers);
    expect(after.events).toBe(before.events);
    expect(after.confirmations[0]).toEqual(before.confirmations[0]);
    expect(
      after.confirmations.filter((c) => c.tax_receipt_no === 'T-001').map((c) => [c.status, c.amount_fen]),
    ).toEqual([
      ['matched', 4000],
      ['discrepancy', 4100],
    ]);
    expect((await getEnrollment(handle.db, COUNTY, enrollments.zhao)).status).toBe('paid');

    // The list: every discrepancy with its problem, the name from the file (or the registry).
    const list = await listDiscrepancies(ctx);
    expect(list.map((d) => [d.receiptNo, d.name, d.amountFen, d.sourceLine])).toEqual([
      ['T-010', '路人甲', 32000, 2],
      ['T-011', '王五', 32000, 3],
      ['T-012', '赵六', 35000, 4],
      ['T-013', '赵六', 32000, 5],
      ['T-014', '张三', 40_00, 6],
      ['T-001', '张三', 4100, 7],
      ['T-015', '赵六', 33000, 8],
      ['T-016', '赵六', 32000, 9],
    ]);
    expect(list.map((d) => d.problem)).toEqual(problems.map((p) => p[2]));
    expect(await listDiscrepancies(ctx, { from: '2021-10-13' })).toEqual([]);

    const out = join(mkdtempSync(join(tmpdir(), 'canbao-tax-')), '差异.xlsx');
    await writeDiscrepanciesXlsx(ctx, out, list);
    const table = await openTable(out, { requiredHeaders: ['税票号', '问题'] });
    expect(table.headerLine).toBe(3);
    const rows = [];
    for await (const row of table.rows()) rows.push(row.values);
    expect(rows).toHaveLength(8);
    expect(rows[2]).toMatchObject({
      税票号: 'T-012',
      证件号码: ZHAO,
      '缴费金额（元）': '350',
      问题: problems[2]?.[2],
    });
    expect(rows[0]?.来源).toMatch(/^f\d+\.csv 第 2 行$/);

    // Discrepancies never reach the books, so the books still check clean.
    expect((await checkLedger(ctx)).ok).toBe(true);
  });

  it('rejects a file with malformed rows, naming file, line and column, and writes nothing', async () => {
    const handle = await fresh();
    const { world } = await paidCampaign(handle);
    const ctx = world.ctx('2021-10-12');
    const before = await state(handle);
    const result = await importTaxConfirmations(
      ctx,
      taxFile([
        `T-001,${ZHANG},张三,40.00,2021-10-08,R-0001,2021-10-11`,
        `,${ZHAO},赵六,320.00,2021-10-08,,`,
        `T-003,${LI},李四,三百二,2021-10-08,,`,
        `T-004,${LI},李四,320.00,2021-02-30,,`,
        `T-005,${LI},李四,-320.00,2021-10-08,,2021-10-07`,
        `T-006,,李四,320.00,2021-10-08,,2021-10-13`,
      ]),
    );
    expect(result.status).toBe('rejected');
    expect(result.rowsTotal).toBe(6);
    expect(result.errors).toEqual([
      { line: 3, column: '税票号', reason: '税票号为空' },
      { line: 4, column: '缴费金额（元）', reason: '金额格式不正确：“三百二”（应为元，最多两位小数）' },
      { line: 5, column: '缴费日期', reason: '不存在的日期：“2021-02-30”' },
      { line: 6, column: '缴费金额（元）', reason: '缴费金额必须大于 0（收到 -320.00 元）' },
      { line: 6, column: '确认日期', reason: '确认日期 2021-10-07 早于缴费日期 2021-10-08' },
      { line: 7, column: '证件号码', reason: '证件号码为空' },
      { line: 7, column: '确认日期', reason: '确认日期 2021-10-13 晚于今天（2021-10-12）' },
    ]);
    expect(await state(handle)).toEqual(before);

    // A file without the required columns: refused as a whole, naming the file and the columns.
    const headless = csvFile(['税票号,姓名,金额', `T-1,张三,40`]);
    await expect(importTaxConfirmations(ctx, headless)).rejects.toThrow(
      /f\d+\.csv：找不到表头.*（税务确认文件须有列：税票号、证件号码、缴费金额（元）、缴费日期）/,
    );
    await expect(importTaxConfirmations(ctx, headless)).rejects.toBeInstanceOf(CollectionError);

    // The API checks its rows the same way; a row's line is its position.
    const api = await confirmTaxPayments(ctx, [
      { receiptNo: 'T-1', docNumber: ZHANG, amountFen: 4000, paidOn: '2021-10-08' },
      { receiptNo: 'T-2', docNumber: LI, amountFen: 320.5, paidOn: '2021-10-08' },
    ]);
    expect(api.status).toBe('rejected');
    expect(api.errors).toEqual([
      { line: 2, column: '缴费金额（元）', reason: '缴费金额必须是整数分（收到 320.5）' },
    ]);
    expect(await state(handle)).toEqual(before);
  });

  it('changes nothing when the same file or the same rows come again', async () => {
    const handle = await fresh();
    const { world } = await paidCampaign(handle);
    const rows = [
      `T-001,${ZHANG},张三,40.00,2021-10-08,R-0001,`,
      `T-002,${ZHAO},赵六,320.00,2021-10-08,,`,
      `T-009,${STRANGER},路人甲,320.00,2021-10-08,,`,
    ];
    const first = await importTaxConfirmations(world.ctx('2021-10-12'), taxFile(rows));
    expect(first).toMatchObject({ matched: 2, discrepancies: 1, unchanged: 0 });
    const before = await state(handle);
    const booksBefore = await balances(handle);

    // The next day (confirmation date defaults to today) the tax side sends the same file again.
    const again = await importTaxConfirmations(world.ctx('2021-10-13'), taxFile(rows));
    expect(again).toMatchObject({ matched: 0, discrepancies: 0, unchanged: 3, enrollmentsConfirmed: 0 });
    expect(again.outcomes.map((o) => [o.receiptNo, o.outcome, o.status])).toEqual([
      ['T-001', 'unchanged', 'matched'],
      ['T-002', 'unchanged', 'matched'],
      ['T-009', 'unchanged', 'discrepancy'],
    ]);
    // The same confirmations as the tax side's Excel export: a title row, other header spellings,
    // dates with times; still the same content.
    const xlsx = join(mkdtempSync(join(tmpdir(), 'canbao-tax-')), '税务确认.xlsx');
    await writeXlsx(xlsx, [
      {
        name: '确认明细',
        headerLines: ['城乡居民医保费税务确认明细'],
        columns: ['电子税票号码', '身份证号码', '缴费人姓名', '实缴金额', '缴款日期', '交易流水号'].map(
          (header) => ({ header }),
        ),
        rows: [
          ['T-001', ZHANG, '张三', '40', '2021-10-08 09:12:00', 'R-0001'],
          ['T-002', ZHAO, '赵六', '320.00', '2021-10-08', ''],
          ['T-009', STRANGER, '路人甲', '320', '2021-10-08', null],
        ],
      },
    ]);
    const excel = await importTaxConfirmations(world.ctx('2021-10-13'), xlsx);
    expect(excel).toMatchObject({
      status: 'completed',
      rowsTotal: 3,
      unchanged: 3,
      matched: 0,
      discrepancies: 0,
    });
    expect(excel.outcomes.map((o) => o.line)).toEqual([3, 4, 5]);
    const api = await confirmTaxPayments(world.ctx('2021-10-13'), [
      { receiptNo: 'T-002', docNumber: ZHAO, name: '赵六', amountFen: 32000, paidOn: '2021-10-08' },
    ]);
    expect(api).toMatchObject({ unchanged: 1, matched: 0 });
    expect(await state(handle)).toEqual(before);
    expect(await balances(handle)).toEqual(booksBefore);
  });

  it('lets one of several concurrent imports of the same receipt book it, never twice', async () => {
    const handle = await fresh();
    const { world } = await paidCampaign(handle);
    const rows = [{ receiptNo: 'T-100', docNumber: ZHAO, amountFen: 32000, paidOn: '2021-10-08' }];
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => confirmTaxPayments(world.ctx('2021-10-12', `tax-${i}`), rows)),
    );
    const done = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    // Either outcome of a race is fine as long as the receipt is booked exactly once.
    expect(done.filter((r) => r.matched === 1)).toHaveLength(1);
    const confirmations = await handle.db.selectFrom('tax_confirmations').selectAll().execute();
    expect(confirmations.map((c) => c.status)).toEqual(['matched']);
    expect(await balances(handle)).toEqual({ treasury: 32000, pending: 36000 });
    expect((await checkLedger(world.ctx('2021-10-12'))).ok).toBe(true);
  });
});
