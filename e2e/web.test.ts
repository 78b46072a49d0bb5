/**
 * The web application in a real browser (Debian's Chromium through playwright-core; no browser is
 * downloaded): `canbao serve` on a fresh data folder loads the demo county, then people work as
 * they would — a village clerk collects cash for a household and prints the receipt, the dashboard
 * moves, a 民政 clerk uploads a 低保 list and the subsidy shows, a resident pays online through the
 * gateway simulator, and a village clerk cannot open another village's person. Screenshots are
 * kept in test-results/screenshots as artefacts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserSuite, SHOTS, unpaidHouseholds } from './harness.ts';

const VILLAGE_1 = '341302900001';

// Browser steps wait for the page; give each scenario room on a busy 2-core machine.
describe('web application in Chromium', { timeout: 120_000 }, () => {
  const suite = browserSuite('canbao-e2e-');
  const { db, signIn } = suite;

  /** A household of the village whose members all await payment. */
  async function unpaidHousehold(village: string) {
    const [first] = await unpaidHouseholds(db(), village);
    if (!first) throw new Error('no unpaid household in the demo village');
    return first;
  }

  /** The statuses of a household's enrollments. */
  const householdStatuses = async (householdId: number) =>
    (
      await db().selectFrom('enrollments').select('status').where('household_id', '=', householdId).execute()
    ).map((e) => e.status);

  const paidPeople = async (village: string) =>
    (
      await db()
        .selectFrom('enrollments')
        .select('id')
        .where('village_code', '=', village)
        .where('status', 'in', ['paid', 'confirmed'])
        .execute()
    ).length;

  it('a village clerk collects cash for a household on a phone, prints the receipt, and the dashboard moves', async () => {
    const household = await unpaidHousehold(VILLAGE_1);
    const page = await signIn('cun01', true);
    await page.goto(`${suite.running.url}/`);
    const cards = page.getByTestId('dashboard-cards');
    await cards.waitFor();
    const before = await paidPeople(VILLAGE_1);
    await page.screenshot({ path: join(SHOTS, '1-village-dashboard-before.png'), fullPage: true });

    await page.goto(`${suite.running.url}/collect`);
    await page.getByTestId('collect-search').fill(household.number);
    await page.getByTestId('collect-search-button').click();
    await page.getByTestId('collect-household-0').click();
    await expect
      .poll(() => page.getByTestId('collect-household-title').textContent())
      .toContain(household.number);
    await expect
      .poll(async () => (await page.getByTestId('collect-total').textContent())?.replace(/\s/g, ''))
      .toContain((household.due / 100).toLocaleString('en-US', { minimumFractionDigits: 2 }));
    await page.getByTestId('receipt-number').fill('E2E-0001');
    await page.screenshot({ path: join(SHOTS, '2-collect-household.png'), fullPage: true });
    await page.getByTestId('record-button').click();
    await page.getByTestId('record-confirm').click();
    await page.waitForURL(/\/receipts\/\d+/);
    const receipt = page.getByTestId('receipt');
    await receipt.waitFor();
    expect(await receipt.textContent()).toContain('E2E-0001');
    // Printing: the print dialog cannot open headless, so check the button calls it.
    // The page's window, as these tests see it (this file is not compiled with the DOM types).
    type PrintWindow = { print: () => void; printed: boolean };
    await page.evaluate(() => {
      const w = globalThis as unknown as PrintWindow;
      w.printed = false;
      w.print = () => {
        w.printed = true;
      };
    });
    await page.getByTestId('print-button').click();
    expect(await page.evaluate(() => (globalThis as unknown as PrintWindow).printed)).toBe(true);
    await page.screenshot({ path: join(SHOTS, '3-receipt.png'), fullPage: true });

    expect(await householdStatuses(household.id)).toEqual(household.statuses.map(() => 'paid'));
    expect(await paidPeople(VILLAGE_1)).toBe(before + household.statuses.length);

    await page.goto(`${suite.running.url}/`);
    await page.getByTestId('dashboard-cards').waitFor();
    await expect
      .poll(async () => (await page.getByTestId('dashboard-cards').textContent())?.replace(/[\s,]/g, ''))
      .toContain(String(before + household.statuses.length));
    await page.screenshot({ path: join(SHOTS, '4-village-dashboard-after.png'), fullPage: true });

    // In the evening: what she holds for the 待报解 account, handed over with the bank slip's number.
    const journal = await db()
      .selectFrom('journal_lines')
      .select((eb) => eb.fn.sum<number>('amount_fen').as('held'))
      .where('account', '=', 'collector:cun01')
      .executeTakeFirstOrThrow();
    const heldFen = Number(journal.held);
    expect(heldFen).toBeGreaterThanOrEqual(household.due);
    await page.goto(`${suite.running.url}/collect`);
    const held = page.getByTestId('collector-held');
    await expect
      .poll(async () => (await held.textContent())?.replace(/[\s,]/g, ''), { timeout: 20_000 })
      .toContain(`${(heldFen / 100).toFixed(2)}元`);
    await page.getByTestId('remit-slip').fill('JK-0001');
    await page.getByTestId('remit-button').click();
    await expect
      .poll(async () => (await held.textContent())?.replace(/\s/g, ''), { timeout: 20_000 })
      .toBe('手中待解缴（应交待报解账户）：0.00元');
    await page.screenshot({ path: join(SHOTS, '4b-collector-remitted.png'), fullPage: true });
    const remittance = await db()
      .selectFrom('remittances')
      .select(['amount_fen', 'slip_no'])
      .where('collector', '=', 'cun01')
      .where('slip_no', '=', 'JK-0001')
      .executeTakeFirstOrThrow();
    expect(remittance).toEqual({ amount_fen: heldFen, slip_no: 'JK-0001' });
    await page.context().close();
  });

  it('a 民政 clerk uploads a 低保 list and the subsidy shows on the person', async () => {
    const household = await unpaidHousehold(VILLAGE_1);
    const member = await db()
      .selectFrom('people')
      .select(['id', 'name', 'doc_number'])
      .where('household_id', '=', household.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const before = await db()
      .selectFrom('enrollments')
      .select(['pays_fen', 'subsidy_fen'])
      .where('person_id', '=', member.id)
      .executeTakeFirstOrThrow();
    const file = join(suite.dataDir, '低保名单.csv');
    writeFileSync(
      file,
      `姓名,公民身份号码,人员类别,认定日期\n${member.name},${member.doc_number},低保,2021-10-01\n`,
    );

    const page = await signIn('minzheng');
    await page.goto(`${suite.running.url}/imports`);
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('import-submit').click();
    const result = page.getByTestId('import-result');
    await result.waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, '5-import-dibao.png'), fullPage: true });
    expect(await result.textContent()).toContain('1');
    await page.context().close();

    const after = await db()
      .selectFrom('enrollments')
      .select(['pays_fen', 'subsidy_fen'])
      .where('person_id', '=', member.id)
      .executeTakeFirstOrThrow();
    expect(after.subsidy_fen).toBeGreaterThan(before.subsidy_fen);
    expect(after.pays_fen + after.subsidy_fen).toBe(before.pays_fen + before.subsidy_fen);

    const bureau = await signIn('yibao');
    await bureau.goto(`${suite.running.url}/people/${member.id}`);
    const detail = bureau.getByTestId('person-detail');
    await detail.waitFor();
    await expect.poll(() => detail.textContent()).toContain('低保');
    await bureau.screenshot({ path: join(SHOTS, '6-person-dibao.png'), fullPage: true });
    await bureau.context().close();
  });

  it('a resident pays online through the gateway simulator and sees the benefit dates', async () => {
    const household = await unpaidHousehold('341302900003');
    const head = await db()
      .selectFrom('people')
      .select(['name', 'doc_number'])
      .where('household_id', '=', household.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${suite.running.url}/login`);
    await page.getByTestId('resident-link').click();
    await page.getByTestId('resident-name').fill(head.name);
    await page.getByTestId('resident-id-number').fill(head.doc_number);
    await page.getByTestId('resident-submit').click();
    await page.getByTestId('resident-result').waitFor();
    await page.screenshot({ path: join(SHOTS, '7-resident-due.png'), fullPage: true });
    await page.getByTestId('resident-pay').click();
    await page.getByTestId('simulator-pay').click();
    const paid = page.getByTestId('resident-paid');
    await paid.waitFor();
    expect(await paid.textContent()).toContain('2022-01-01');
    await page.screenshot({ path: join(SHOTS, '8-resident-paid.png'), fullPage: true });
    await context.close();
    expect(await householdStatuses(household.id)).toEqual(household.statuses.map(() => 'paid'));
  });

  it("a village clerk cannot open another village's person", async () => {
    const stranger = await db()
      .selectFrom('people')
      .innerJoin('households', 'households.id', 'people.household_id')
      .select('people.id')
      .where('households.village_code', '=', '341302900002')
      .executeTakeFirstOrThrow();
    const page = await signIn('cun01');
    await page.goto(`${suite.running.url}/people/${stranger.id}`);
    await page.getByTestId('person-not-found').waitFor();
    await page.screenshot({ path: join(SHOTS, '9-other-village-person.png'), fullPage: true });
    const api = await page.evaluate(async (id) => (await fetch(`/api/people/${id}`)).status, stranger.id);
    expect(api).toBe(404);
    await page.context().close();
  });
});
