/**
 * A village clerk follows up the bank's result file on her phone: the demo's withholding batch is
 * exported and answered by the bank with failures (one of her village's cards closed, the rest short
 * of money); she opens 代扣失败名单 from the menu, goes to the person, and changes the card. The
 * screenshots are kept in test-results/screenshots.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exportWithholdingBatch,
  importWithholdingResult,
} from '../packages/server/src/collection/withholding.ts';
import { openTable } from '../packages/server/src/files/read-table.ts';
import { csvFile } from '../packages/server/test/collection-harness.ts';
import { browserSuite, SHOTS } from './harness.ts';

const VILLAGE_1 = '341302900001';
const NEW_CARD = '6217990000000000045';

describe('bank agreements in Chromium', { timeout: 180_000 }, () => {
  const suite = browserSuite('canbao-e2e-agreements-');
  const { db, signIn } = suite;

  it('a village clerk sees whose debit failed in her village and changes the closed card on a phone', async () => {
    const page = await signIn('cun01', true);
    const today = await page.evaluate(
      async () => ((await (await fetch('/api/session')).json()) as { today: string }).today,
    );
    const ctx = { db: db(), countyCode: '341302', actor: 'bank', today, now: `${today}T04:00:00.000Z` };
    const file = join(suite.dataDir, 'e2e-batch.csv');
    const batch = await exportWithholdingBatch(ctx, { out: file });
    if (!batch) throw new Error('the demo has nobody to withhold');
    // The bank's answer: the card of the batch's first person of 蕲县村 is closed, every other
    // debit fails for want of money (nothing is paid, so the demo's other figures stay).
    const inVillage = await db()
      .selectFrom('withholding_items as wi')
      .innerJoin('people as p', 'p.id', 'wi.person_id')
      .innerJoin('households as h', 'h.id', 'p.household_id')
      .select(['wi.seq', 'p.id', 'p.name'])
      .where('wi.batch_id', '=', batch.batchId)
      .where('h.village_code', '=', VILLAGE_1)
      .orderBy('wi.seq')
      .executeTakeFirstOrThrow();
    const table = await openTable(file, { requiredHeaders: [['批次号'], ['序号'], ['应扣金额（元）']] });
    const lines = [table.headers.join(',')];
    for await (const row of table.rows()) {
      const closed = row.values.序号 === String(inVillage.seq);
      lines.push(
        table.headers
          .map((h) =>
            h === '扣款结果'
              ? '失败'
              : h === '失败原因'
                ? closed
                  ? '卡已注销'
                  : '余额不足'
                : (row.values[h] ?? ''),
          )
          .join(','),
      );
    }
    const summary = await importWithholdingResult(ctx, { file: csvFile(lines), on: today });
    expect(summary.failed).toBe(batch.rows);

    // From the menu (behind the drawer button on a phone) to the list of her village.
    await page.getByTestId('nav-drawer-button').click();
    await page.getByTestId('nav-menu').getByText('代扣失败名单').click();
    await page.getByTestId('failures-summary').waitFor();
    const row = page.getByTestId(`failure-${inVillage.id}`);
    await expect.poll(() => row.textContent()).toContain('卡已注销');
    expect(await row.textContent()).toContain('请为其更换银行卡');
    const listed = await page.getByTestId('failures-list').textContent();
    expect(listed).not.toContain('邱元村');
    await page.screenshot({ path: join(SHOTS, 'agreements-1-failures.png'), fullPage: true });

    // The household's members debited from the same card move with the person (ticked by default).
    const sharing = async (card: string) =>
      (
        await db()
          .selectFrom('bank_agreements as a')
          .innerJoin('people as p', 'p.id', 'a.person_id')
          .innerJoin('people as self', 'self.household_id', 'p.household_id')
          .select('a.person_id')
          .where('self.id', '=', inVillage.id)
          .where('a.card_number', '=', card)
          .where('a.valid_to', 'is', null)
          .orderBy('a.person_id')
          .execute()
      ).map((a) => a.person_id);
    const oldCard = await db()
      .selectFrom('bank_agreements')
      .select('card_number')
      .where('person_id', '=', inVillage.id)
      .where('valid_to', 'is', null)
      .executeTakeFirstOrThrow();
    const household = await sharing(oldCard.card_number);
    await page.getByTestId(`failure-link-${inVillage.id}`).click();
    await page.getByTestId('agreement-failure').waitFor();
    expect(await page.getByTestId('agreement-failure').textContent()).toContain('卡已注销');
    await page.getByTestId('agreement-button').click();
    await page.getByTestId('agreement-bank').fill('中国邮政储蓄银行');
    await page.getByTestId('agreement-card-number').fill(NEW_CARD);
    await page.screenshot({ path: join(SHOTS, 'agreements-2-change-card.png'), fullPage: true });
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /更\s*换/ })
      .click();
    await expect
      .poll(() => page.getByTestId('agreement-current-card').textContent())
      .toBe('6217***********0045');
    expect(await page.getByTestId('agreement-history').textContent()).toContain('卡已注销');
    expect(await page.getByTestId('agreement-failure').textContent()).toContain('已更换银行卡');
    await page.screenshot({ path: join(SHOTS, 'agreements-3-changed.png'), fullPage: true });
    await page.context().close();

    const agreements = await db()
      .selectFrom('bank_agreements')
      .select(['card_number', 'valid_to', 'close_reason', 'actor'])
      .where('person_id', '=', inVillage.id)
      .orderBy('id')
      .execute();
    expect(agreements.at(-1)).toEqual({
      card_number: NEW_CARD,
      valid_to: null,
      close_reason: null,
      actor: 'cun01',
    });
    expect(agreements.at(-2)).toMatchObject({ valid_to: today, close_reason: '卡已注销' });
    expect(await sharing(NEW_CARD)).toEqual(household);
    expect(await sharing(oldCard.card_number)).toEqual([]);
  });
});
