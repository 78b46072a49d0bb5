/**
 * The walkthrough: the village clerk's day on a phone, a resident on a phone and the back office on a
 * desktop, asserting what a user stumbled on before — her own village marked in the ranking, her list
 * cut to those who still owe, why each
 * member pays what they pay (in words, with the clause), a reason to tap when a member does not
 * renew, a newborn listed in the household at once, a receipt that fits the phone's screen for a
 * photo and names the collector, guidance when a resident is not found, an import button that says
 * what it waits for and a rejected file that says what to do, and report figures with two decimals.
 * Screenshots are kept in test-results/screenshots.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idNumber } from '../packages/server/test/collection-harness.ts';
import { browserSuite, SHOTS, unpaidHouseholds } from './harness.ts';

const VILLAGE_1 = '341302900001';
/** expect.poll waits 1 s by default; a page on a busy 2-core machine may take longer. */
const POLL = { timeout: 30_000 };

describe('the users walkthrough in Chromium', { timeout: 180_000 }, () => {
  const suite = browserSuite('canbao-e2e-walk-');
  const { db, signIn } = suite;

  it("a village clerk's day on a phone: rank, why, a member who does not renew, a newborn, cash and the receipt", async () => {
    const [cashHousehold, visitHousehold] = await unpaidHouseholds(db(), VILLAGE_1);
    if (!cashHousehold || !visitHousehold) throw new Error('the demo village has too few unpaid households');
    const page = await signIn('cun01', true);

    // Every morning: her village's place among the township's villages, without searching the list.
    await page.goto(`${suite.running.url}/`);
    const mine = page.getByTestId('dashboard-ranking-mine');
    await expect.poll(() => mine.textContent(), POLL).toContain('蕲县村');
    expect(await mine.textContent()).toContain('本村');
    await mine.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'walk-1-rank.png') });

    // Her village's list, cut to those who still owe this year: the round of doors for today.
    await page.goto(`${suite.running.url}/people`);
    const total = page.getByTestId('people-total');
    await expect.poll(() => total.textContent(), POLL).toMatch(/共 \d+ 人/);
    const everyone = Number((await total.textContent())?.replace(/\D/g, ''));
    await page.getByTestId('people-status-filter').getByText('待缴费').click();
    await page.waitForURL(/status=unpaid/);
    await expect
      .poll(async () => Number((await total.textContent())?.replace(/\D/g, '')), POLL)
      .toBeLessThan(everyone);
    const cards = await page.locator('[data-testid^="people-result-"]').allTextContents();
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) expect(card).toContain('待缴费');
    await page.screenshot({ path: join(SHOTS, 'walk-1b-unpaid.png'), fullPage: true });

    // At the door: each member with what they owe and why, in words with the clause.
    const [first] = visitHousehold.people;
    await page.goto(`${suite.running.url}/people/${first}`);
    const members = page.getByTestId('household-members');
    await expect.poll(() => members.textContent(), POLL).toContain('依据：');
    expect(await members.textContent()).not.toMatch(/qixian-2022|[AST]:/);
    await page.screenshot({ path: join(SHOTS, 'walk-2-household.png'), fullPage: true });

    // One member died: 不参保 asks for the reason as a tap, and the reason is what is stored.
    await page.getByTestId('verification-button').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('不参保', { exact: true }).click();
    await dialog.getByRole('button', { name: /保\s*存/ }).click();
    await expect.poll(() => dialog.textContent(), POLL).toContain('请选择不参保原因');
    await dialog.getByText('已死亡', { exact: true }).click();
    await dialog.getByRole('button', { name: /保\s*存/ }).click();
    await expect
      .poll(
        async () =>
          (
            await db()
              .selectFrom('household_verifications')
              .select(['decision', 'note'])
              .where('household_id', '=', visitHousehold.id)
              .execute()
          ).map((v) => `${v.decision} ${v.note}`),
        POLL,
      )
      .toEqual(['decline 不参保原因：已死亡']);

    // A newborn: once registered, her page lists her in the household at once.
    await page.getByTestId('newborn-button').click();
    await page.getByTestId('newborn-name').fill('蕲小宝');
    await page.getByTestId('newborn-id-number').fill(idNumber('34130220211001077'));
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /登\s*记/ })
      .click();
    await page.waitForURL(
      (url) => url.pathname.startsWith('/people/') && !url.pathname.endsWith(`/${first}`),
    );
    await expect.poll(() => page.getByTestId('household-members').textContent(), POLL).toContain('蕲小宝');
    await page.screenshot({ path: join(SHOTS, 'walk-3-newborn.png'), fullPage: true });

    // Cash for a whole household; the receipt fits the phone's screen for a photo and names her.
    await page.goto(`${suite.running.url}/collect?household=${cashHousehold.id}`);
    await expect.poll(() => page.getByTestId('member-reason-0').textContent(), POLL).toContain('依据：');
    await page.getByTestId('receipt-number').fill('WALK-0001');
    await page.getByTestId('record-button').click();
    await page.getByTestId('record-confirm').click();
    await page.waitForURL(/\/receipts\/\d+/);
    const receipt = page.getByTestId('receipt');
    await receipt.waitFor();
    expect(await page.getByTestId('receipt-collector').textContent()).toBe('收款人：蕲县村 代收员 刘会计');
    const fits = await receipt.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    expect(fits[0]).toBeLessThanOrEqual(fits[1] as number);
    await page.screenshot({ path: join(SHOTS, 'walk-4-receipt.png') });
    // The payment in the person's history, under her name rather than her sign-in name.
    await page.goto(`${suite.running.url}/people/${cashHousehold.people[0]}`);
    await page.getByRole('tab', { name: /参保记录/ }).click();
    await expect
      .poll(() => page.getByTestId('person-detail').textContent(), POLL)
      .toContain('（蕲县村 代收员 刘会计）');
    await page.context().close();
  });

  it('a resident on a phone: not found says what to do; found, each member has the why and the cover dates', async () => {
    const subsidised = await db()
      .selectFrom('enrollments')
      .innerJoin('people', 'people.id', 'enrollments.person_id')
      .select(['people.name', 'people.doc_number'])
      .where('enrollments.status', '=', 'awaiting_payment')
      .where('enrollments.subsidy_fen', '>', 0)
      .where('enrollments.village_code', '!=', VILLAGE_1)
      .orderBy('people.id')
      .executeTakeFirstOrThrow();
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${suite.running.url}/resident`);
    await page.getByTestId('resident-name').fill(`${subsidised.name}某`);
    await page.getByTestId('resident-id-number').fill(subsidised.doc_number);
    await page.getByTestId('resident-submit').click();
    await expect
      .poll(() => page.getByTestId('resident-not-found').textContent(), POLL)
      .toContain('请核对姓名和身份证号码');

    await page.getByTestId('resident-name').fill(subsidised.name);
    await page.getByTestId('resident-submit').click();
    await page.getByTestId('resident-result').waitFor();
    expect(await page.getByTestId('resident-reason').textContent()).toMatch(/资助.*依据：/);
    const household = await page.getByTestId('resident-household').textContent();
    expect(household).toContain('依据：');
    expect(household).toMatch(/待遇期 \d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2}/);
    expect(household).not.toMatch(/qixian-2022|[AST]:/);
    await page.screenshot({ path: join(SHOTS, 'walk-5-resident.png'), fullPage: true });
    await context.close();
  });

  it('the back office on a desktop: an import with bad rows says what to do; the bulletin has two decimals', async () => {
    const page = await signIn('yibao');
    await page.goto(`${suite.running.url}/imports`);
    await expect.poll(() => page.getByTestId('import-missing').textContent(), POLL).toBe('请先选择认定部门');
    const file = join(suite.dataDir, '低保名单-有错.csv');
    writeFileSync(
      file,
      ['姓名,公民身份号码,人员类别,认定日期', `甲,${idNumber('34130219700101001')},低保,2021-13-01`].join(
        '\n',
      ),
    );
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('import-department').click();
    await page.getByTitle('民政').first().click();
    await page.getByTestId('import-submit').click();
    await page.getByTestId('import-result').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('import-next-step').textContent()).toContain('整份名单均未导入');
    const errors = await page.getByTestId('import-errors').textContent();
    expect(errors).toContain('认定日期');
    expect(errors).toContain('2021-13-01');
    await page.screenshot({ path: join(SHOTS, 'walk-6-import.png'), fullPage: true });

    // 排位通报: every rate with two decimals, as the printed bulletin reads ("64.40", not "64.4").
    await page.goto(`${suite.running.url}/reports/ranking`);
    const table = page.getByTestId('report-table-0');
    await table.waitFor();
    const headers = await table.locator('thead th').allTextContents();
    const rate = headers.indexOf('人数完成率（%）');
    expect(rate).toBeGreaterThan(0);
    const rates = await table.locator(`tbody tr.ant-table-row td:nth-child(${rate + 1})`).allTextContents();
    expect(rates.length).toBeGreaterThan(3);
    for (const cell of rates) expect(cell).toMatch(/^\d+\.\d{2}$/);
    await page.context().close();
  });
});
