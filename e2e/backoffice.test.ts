/**
 * The back office in a real browser (Debian's Chromium through playwright-core), on a fresh demo
 * county: the agreement bank generates a withholding batch, downloads its file (.xlsx and .csv),
 * answers it as a bank does (one row 余额不足) and uploads the answer; the debited people are paid,
 * the failed one is not, and the next batch retries only her. The tax bureau uploads a
 * confirmation file of real payments and one that matches nothing; the payments and enrollments
 * are confirmed and the stranger is on the discrepancy list. Screenshots in test-results/screenshots.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, SHOTS } from './harness.ts';

/** expect.poll waits 1 s by default; a page on a busy 2-core machine may take longer. */
const POLL = { timeout: 30_000 };

// Browser steps wait for the page; give each scenario room on a busy 2-core machine.
describe('back office in Chromium', { timeout: 180_000 }, () => {
  const suite = browserSuite('canbao-e2e-backoffice-');
  const { db, signIn } = suite;

  /** Clicks a download link of the batch list's row and keeps the file. */
  async function download(page: Page, testId: string, row: number, name: string): Promise<string> {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId(testId).nth(row).click(),
    ]);
    const path = join(suite.dataDir, name);
    await file.saveAs(path);
    return path;
  }

  const statusOf = async (docNumber: string) =>
    (
      await db()
        .selectFrom('enrollments')
        .innerJoin('people', 'people.id', 'enrollments.person_id')
        .select(['enrollments.status', 'people.id'])
        .where('people.doc_number', '=', docNumber)
        .executeTakeFirstOrThrow()
    ).status;

  /**
   * The result summary's text (labels and figures run together, no thousands separators) once it
   * mentions `awaited`: the summary of the previous action stays until the new answer arrives.
   */
  async function summary(page: Page, awaited: string): Promise<string> {
    const text = async () =>
      ((await page.getByTestId('list-action-result').textContent()) ?? '').replace(/,/g, '');
    await expect.poll(text, { timeout: 60_000 }).toContain(awaited);
    return text();
  }

  it('the bank exports a withholding batch, answers it with one 余额不足, and the next batch retries that row', async () => {
    const page = await signIn('yinhang');
    await page.goto(`${suite.running.url}/withholding`);
    await page.getByTestId('withholding-create').click();
    await page.getByTestId('withholding-file-xlsx').first().waitFor();
    const xlsx = await download(page, 'withholding-file-xlsx', 0, 'batch-1.xlsx');
    const csv = await download(page, 'withholding-file-csv', 0, 'batch-1.csv');
    await page.screenshot({ path: join(SHOTS, 'backoffice-1-batch.png'), fullPage: true });

    // The bank's answer: the file as exported, 扣款结果 filled in, one row 扣款失败 / 余额不足.
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(xlsx);
    const sheet = book.worksheets[0];
    if (!sheet) throw new Error('no sheet in the batch file');
    let headerRow = 0;
    const col: Record<string, number> = {};
    sheet.eachRow((row, n) => {
      if (headerRow || !(row.values as unknown[]).includes('扣款结果')) return;
      headerRow = n;
      (row.values as unknown[]).forEach((v, i) => {
        col[String(v)] = i;
      });
    });
    const cell = (row: ExcelJS.Row, header: string) => row.getCell(col[header] as number);
    const docs: { doc: string; name: string; failed: boolean }[] = [];
    sheet.eachRow((row, n) => {
      if (n <= headerRow) return;
      const failed = docs.length === 1;
      cell(row, '扣款结果').value = failed ? '扣款失败' : '成功';
      if (failed) cell(row, '失败原因').value = '余额不足';
      docs.push({
        doc: String(cell(row, '证件号码').value),
        name: String(cell(row, '参保人姓名').value),
        failed,
      });
    });
    expect(docs.length).toBeGreaterThan(10);
    // The CSV is the same batch: a UTF-8 file Excel opens (BOM), same header, same rows.
    const csvText = readFileSync(csv, 'utf8');
    expect(csvText.charCodeAt(0)).toBe(0xfeff);
    expect(csvText).toContain(
      '批次号,序号,开户银行,银行卡号,持卡人,持卡人证件号码,参保人姓名,证件号码,应扣金额（元）,扣款结果,失败原因',
    );
    for (const d of docs.slice(0, 5)) expect(csvText).toContain(d.doc);
    const answer = join(suite.dataDir, '扣款结果-1.xlsx');
    await book.xlsx.writeFile(answer);
    for (const d of docs) expect(await statusOf(d.doc)).toBe('awaiting_payment');

    await page.getByTestId('withholding-result-upload').setInputFiles(answer);
    const text = await summary(page, '扣款结果-1.xlsx');
    expect(text).toContain(`成功笔数${docs.length - 1}`);
    expect(text).toContain('失败笔数1');
    expect(text).toContain('余额不足 1');
    await expect
      .poll(() => page.getByTestId('withholding-table').textContent(), POLL)
      .toContain('扣款结果-1.xlsx');
    await page.screenshot({ path: join(SHOTS, 'backoffice-2-result.png'), fullPage: true });

    const failed = docs.find((d) => d.failed);
    const debited = docs.find((d) => !d.failed);
    if (!failed || !debited) throw new Error('no failed or no debited row');
    for (const d of docs) expect(await statusOf(d.doc)).toBe(d.failed ? 'awaiting_payment' : 'paid');

    // The second batch takes only the failed row again; the bank debits it this time (as CSV).
    await page.getByTestId('withholding-create').click();
    await expect.poll(() => page.getByTestId('withholding-file-csv').count(), POLL).toBe(2);
    const second = await summary(page, '其中重扣笔数1');
    expect(second).toContain('行数1');
    const retry = await download(page, 'withholding-file-csv', 1, 'batch-2.csv');
    const lines = readFileSync(retry, 'utf8').split('\r\n');
    const rows = lines.filter((l) => l.includes(failed.doc));
    expect(rows).toHaveLength(1);
    const answered = lines.map((l) => (l.includes(failed.doc) ? l.replace(/,,$/, ',成功,') : l)).join('\r\n');
    const answer2 = join(suite.dataDir, '扣款结果-2.csv');
    writeFileSync(answer2, answered);
    await page.getByTestId('withholding-result-upload').setInputFiles(answer2);
    await expect
      .poll(() => page.getByTestId('withholding-table').textContent(), POLL)
      .toContain('扣款结果-2.csv');
    expect(await summary(page, '扣款结果-2.csv')).toContain('成功笔数1');
    expect(await statusOf(failed.doc)).toBe('paid');
    await page.context().close();

    // The bureau sees both people paid on their pages.
    const bureau = await signIn('yibao');
    for (const d of [failed, debited]) {
      const person = await db()
        .selectFrom('people')
        .select('id')
        .where('doc_number', '=', d.doc)
        .executeTakeFirstOrThrow();
      await bureau.goto(`${suite.running.url}/people/${person.id}`);
      const member = bureau.getByTestId('household-members').locator('tr', { hasText: d.name });
      await expect.poll(() => member.first().textContent(), POLL).toContain('已缴费');
    }
    await bureau.screenshot({ path: join(SHOTS, 'backoffice-3-person-paid.png'), fullPage: true });
    await bureau.context().close();
  });

  it('the tax bureau uploads confirmations: real payments match and confirm, a stranger is a discrepancy', async () => {
    // Payments recorded by the village and not yet confirmed by tax, as the tax side holds them.
    const payments = await db()
      .selectFrom('enrollments')
      .innerJoin('payments', 'payments.enrollment_id', 'enrollments.id')
      .innerJoin('people', 'people.id', 'enrollments.person_id')
      .select([
        'payments.id',
        'payments.enrollment_id',
        'payments.amount_fen',
        'payments.paid_on',
        'people.name',
        'people.doc_number',
      ])
      .where('payments.status', '=', 'recorded')
      .where('enrollments.status', '=', 'paid')
      .where('payments.amount_fen', '>', 0)
      .orderBy('payments.id')
      .limit(3)
      .execute();
    expect(payments).toHaveLength(3);
    const yuanText = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
    const file = join(suite.dataDir, '税务确认.csv');
    writeFileSync(
      file,
      [
        '税票号,证件号码,姓名,缴费金额,缴费日期',
        ...payments.map(
          (p, i) => `E2E-TAX-${i + 1},${p.doc_number},${p.name},${yuanText(p.amount_fen)},${p.paid_on}`,
        ),
        'E2E-TAX-9,341302199001011234,查无此人,320.00,2021-11-01',
      ].join('\n'),
    );

    const page = await signIn('shuiwu');
    await page.goto(`${suite.running.url}/tax`);
    await page.getByTestId('tax-table').waitFor();
    await page.getByTestId('tax-upload').setInputFiles(file);
    const text = await summary(page, '税务确认.csv');
    expect(text).toContain('匹配笔数3');
    expect(text).toContain('差异笔数1');
    expect(text).toContain('确认参保人数3');
    const outcomes = page.getByTestId('list-action-outcomes');
    await expect.poll(() => outcomes.textContent(), POLL).toContain('E2E-TAX-9');
    const discrepancies = page.getByTestId('tax-table');
    await expect.poll(() => discrepancies.textContent(), POLL).toContain('E2E-TAX-9');
    expect(await discrepancies.textContent()).toContain('查无此人');
    await page.screenshot({ path: join(SHOTS, 'backoffice-4-tax.png'), fullPage: true });
    await page.context().close();

    const after = await db()
      .selectFrom('payments')
      .innerJoin('enrollments', 'enrollments.id', 'payments.enrollment_id')
      .select(['payments.status as paymentStatus', 'payments.tax_receipt_no', 'enrollments.status'])
      .where(
        'payments.id',
        'in',
        payments.map((p) => p.id),
      )
      .orderBy('payments.id')
      .execute();
    expect(after.map((a) => [a.paymentStatus, a.status, a.tax_receipt_no])).toEqual([
      ['confirmed', 'confirmed', 'E2E-TAX-1'],
      ['confirmed', 'confirmed', 'E2E-TAX-2'],
      ['confirmed', 'confirmed', 'E2E-TAX-3'],
    ]);
  });

  it('finance asks for a 先缴后补 batch the demo policy does not have and is told why', async () => {
    const page = await signIn('caizheng');
    await page.goto(`${suite.running.url}/subsidies`);
    await page.getByTestId('subsidies-table').waitFor();
    await page.getByTestId('reimbursement-funder').click();
    await page.locator('.ant-select-item-option').first().click();
    await page.getByTestId('reimbursement-create').click();
    const notice = page.locator('.ant-message-notice', { hasText: '先缴后补' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('无需生成先缴后补批次');
    await page.screenshot({ path: join(SHOTS, 'backoffice-5-subsidies.png'), fullPage: true });
    // What finance must transfer is on the subsidy settlement, one click from the batches.
    await page.getByTestId('subsidies-report-link').click();
    await page.waitForURL(/\/reports\/subsidies$/);
    await page.getByTestId('report-table-0').waitFor();
    await page.context().close();
    expect(await db().selectFrom('reimbursement_batches').select('id').execute()).toEqual([]);
  });

  it('the bureau requests a refund, sees the decision with its clause, and pays it', async () => {
    const paid = await db()
      .selectFrom('enrollments')
      .select(['id', 'person_id', 'pays_fen'])
      .where('status', '=', 'paid')
      .where('pays_fen', '>', 0)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    // From the person's page: the enrollment's 申请退费 opens the form with its number filled in.
    const page = await signIn('yibao');
    await page.goto(`${suite.running.url}/people/${paid.person_id}`);
    await page.getByRole('tab', { name: /参保记录/ }).click();
    await page.getByTestId(`refund-link-${paid.id}`).click();
    await page.waitForURL(/\/refunds\?enrollment=/);
    await expect.poll(() => page.getByTestId('refund-enrollment').inputValue(), POLL).toBe(String(paid.id));
    await page.getByTestId('refund-reason').click();
    await page.locator('.ant-select-item-option', { hasText: '参加职工医保' }).click();
    await page.getByTestId('refund-submit').click();
    const decision = page.getByTestId('refund-decision');
    await decision.waitFor();
    expect(await decision.textContent()).toContain('准予退费');
    expect(await decision.textContent()).toContain('依据：');
    const refund = await db()
      .selectFrom('refunds')
      .select(['id', 'status', 'amount_fen'])
      .where('enrollment_id', '=', paid.id)
      .executeTakeFirstOrThrow();
    expect([refund.status, refund.amount_fen]).toEqual(['approved', paid.pays_fen]);
    // Paying out asks for the voucher of the payout, kept with the refund.
    await page.getByTestId(`refund-pay-${refund.id}`).click();
    await page.getByTestId('refund-pay-reference').fill('HD20211215-0031');
    await page.locator('.ant-modal').getByRole('button', { name: '确认已支付' }).click();
    await expect
      .poll(() => page.getByTestId('refunds-table').locator('tr', { hasText: '已退费' }).count(), POLL)
      .toBe(1);
    await page.screenshot({ path: join(SHOTS, 'backoffice-6-refund-paid.png'), fullPage: true });
    await page.context().close();
    const after = await db()
      .selectFrom('refunds')
      .select(['status', 'payout_reference'])
      .where('id', '=', refund.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'paid', payout_reference: 'HD20211215-0031' });
  });
});
