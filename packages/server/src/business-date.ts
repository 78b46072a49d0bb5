/**
 * The business date of an installation, the same for the web server and the command line:
 * CANBAO_TODAY (a drill, a scripted replay), else the demo database's own date (recorded when the
 * demo county is loaded: its campaign is played up to that day), else today in Asia/Shanghai.
 * Before, only `canbao serve` knew the demo's date, so after `npm start` a report from the command
 * line was "as of" the real calendar and a payment recorded there fell years after the campaign.
 */
import { parseDate, Temporal } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.ts';

export interface Clock {
  /** Today in Asia/Shanghai, YYYY-MM-DD (a demo database keeps its own business date). */
  today(): string;
  /** The wall-clock instant, ISO 8601. */
  now(): string;
}

/** The app_settings key of the demo's business date. */
export const DEMO_TODAY_KEY = 'demo.today';

/** The demo database's business date, or null for real data. */
export async function demoToday(db: Kysely<Database>): Promise<string | null> {
  const row = await db
    .selectFrom('app_settings')
    .select('value')
    .where('key', '=', DEMO_TODAY_KEY)
    .executeTakeFirst();
  return row?.value ?? null;
}

export async function recordDemoToday(db: Kysely<Database>, today: string): Promise<void> {
  await db
    .insertInto('app_settings')
    .values({ key: DEMO_TODAY_KEY, value: today })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: today }))
    .execute();
}

/**
 * The fixed business date (CANBAO_TODAY, else the demo's), or null to follow the calendar. A
 * malformed CANBAO_TODAY throws, naming the variable.
 */
export async function fixedBusinessDate(db: Kysely<Database>): Promise<string | null> {
  const fromEnv = dateFromEnvironment();
  if (fromEnv) return fromEnv;
  const demo = await demoToday(db);
  return demo === null ? null : parseDate(demo).toString();
}

/** CANBAO_TODAY, checked, or null when it is not set. */
function dateFromEnvironment(): string | null {
  const text = process.env.CANBAO_TODAY;
  if (!text) return null;
  try {
    return parseDate(text).toString();
  } catch (error) {
    throw new BusinessDateError(`环境变量 CANBAO_TODAY 有误：${(error as Error).message}`);
  }
}

export class BusinessDateError extends Error {
  override name = 'BusinessDateError';
}

/** The business clock: a fixed date (CANBAO_TODAY or the demo's), else Shanghai's today. */
export function businessClock(fixedToday: string | null): Clock {
  return {
    today: () => fixedToday ?? Temporal.Now.plainDateISO('Asia/Shanghai').toString(),
    now: () => new Date().toISOString(),
  };
}

/**
 * An instant on the business date: now, or noon in Shanghai when the business date is not the
 * calendar's (a demo database or a drill with CANBAO_TODAY), so that a payment made "now" falls on
 * the business date.
 */
export function businessInstant(clock: Clock): string {
  const now = clock.now();
  const shanghaiDay = new Date(Date.parse(now) + 8 * 3_600_000).toISOString().slice(0, 10);
  return shanghaiDay === clock.today() ? now : `${clock.today()}T04:00:00.000Z`;
}
