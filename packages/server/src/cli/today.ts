/**
 * "Today" for the command line, read here and passed inward. With a database open, the business
 * date as `canbao serve` has it (businessDay: CANBAO_TODAY, else a demo database's own date, else
 * Shanghai's today); without one, the calendar date in Asia/Shanghai, or CANBAO_TODAY (YYYY-MM-DD)
 * for drills and scripted campaign replays.
 */
import { Temporal } from '@canbao/core';
import type { Kysely } from 'kysely';
import {
  BusinessDateError,
  businessClock,
  businessInstant,
  dateFromEnvironment,
  fixedBusinessDate,
} from '../business-date.ts';
import type { Database } from '../db/schema.ts';
import { InputError } from './io.ts';

export function todayInShanghai(): string {
  try {
    return dateFromEnvironment() ?? Temporal.Now.plainDateISO('Asia/Shanghai').toString();
  } catch (error) {
    return asInputError(error);
  }
}

/** A business-date error is the user's input (an environment variable): said as such. */
function asInputError(error: unknown): never {
  if (error instanceof BusinessDateError) throw new InputError(error.message);
  throw error;
}

/** The wall-clock instant (ISO), consistent with CANBAO_TODAY when that is set. */
export function nowInstant(): string {
  const fixed = process.env.CANBAO_TODAY;
  if (fixed) return `${todayInShanghai()}T04:00:00.000Z`;
  return new Date().toISOString();
}

/** The business date of the open database and an instant on it (business-date.ts). */
export async function businessDay(db: Kysely<Database>): Promise<{ today: string; now: string }> {
  const clock = businessClock(await fixedBusinessDate(db).catch(asInputError));
  return { today: clock.today(), now: businessInstant(clock) };
}
