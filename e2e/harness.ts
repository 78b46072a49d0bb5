/**
 * What every browser test needs: `canbao serve` on a fresh data folder with the demo county (the
 * web app built if its sources changed), Debian's Chromium through playwright-core (no browser is
 * downloaded), a signed-in page per user, and the folder screenshots are kept in.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../packages/server/src/db/schema.ts';
import { DEMO_PASSWORD, type Running, startServer } from '../packages/server/src/http/server.ts';

const CHROMIUM = process.env.CANBAO_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(import.meta.dirname, '..', 'test-results', 'screenshots');

/** Starts the server and the browser for the calling describe block (before its tests, stopped after). */
export function browserSuite(prefix: string) {
  let running: Running | undefined;
  let browser: Browser | undefined;
  let dataDir = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), prefix));
    process.env.CANBAO_DATA = dataDir;
    delete process.env.DATABASE_URL;
    running = await startServer({ port: 0, host: '127.0.0.1', demo: true, buildWeb: true, log: () => {} });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  const started = () => {
    if (!running || !browser) throw new Error('the browser suite has not started');
    return { running, browser };
  };

  return {
    get running(): Running {
      return started().running;
    },
    get browser(): Browser {
      return started().browser;
    },
    get dataDir(): string {
      return dataDir;
    },
    db: () => started().running.handle.db,
    /** A new browser context signed in as `user` (a phone's screen when `mobile`). */
    async signIn(user: string, mobile = false): Promise<Page> {
      const context = await started().browser.newContext(
        mobile
          ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }
          : { viewport: { width: 1366, height: 900 } },
      );
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      await page.goto(`${started().running.url}/login`);
      await page.getByTestId('login-username').fill(user);
      await page.getByTestId('login-password').fill(DEMO_PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((url) => !url.pathname.startsWith('/login'));
      return page;
    },
  };
}

/** The village's households of two or more whose members all await payment, in household order. */
export async function unpaidHouseholds(db: Kysely<Database>, village: string) {
  const rows = await db
    .selectFrom('enrollments')
    .innerJoin('households', 'households.id', 'enrollments.household_id')
    .select([
      'households.id',
      'households.number',
      'enrollments.status',
      'enrollments.pays_fen',
      'enrollments.person_id',
    ])
    .where('enrollments.village_code', '=', village)
    .orderBy('households.id')
    .orderBy('enrollments.person_id')
    .execute();
  const byHousehold = new Map<
    number,
    { number: string; statuses: string[]; due: number; people: number[] }
  >();
  for (const r of rows) {
    const h = byHousehold.get(r.id) ?? { number: r.number, statuses: [], due: 0, people: [] };
    h.statuses.push(r.status);
    h.due += r.pays_fen;
    h.people.push(r.person_id);
    byHousehold.set(r.id, h);
  }
  return [...byHousehold]
    .filter(([, h]) => h.statuses.length >= 2 && h.statuses.every((s) => s === 'awaiting_payment'))
    .map(([id, h]) => ({ id, ...h }));
}
