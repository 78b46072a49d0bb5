/**
 * "Today" for the command line, read here and passed inward: the business date of the open
 * database as `canbao serve` has it (business-date.ts: CANBAO_TODAY, else a demo database's own
 * date, else Shanghai's today), and an instant on it.
 */
import type { Kysely } from 'kysely';
import { BusinessDateError, businessClock, businessInstant, fixedBusinessDate } from '../business-date.ts';
import type { Database } from '../db/schema.ts';
import { InputError } from './io.ts';

/** A business-date error is the user's input (an environment variable): said as such. */
function asInputError(error: unknown): never {
  if (error instanceof BusinessDateError) throw new InputError(error.message);
  throw error;
}

/** The business date of the open database and an instant on it (business-date.ts). */
export async function businessDay(db: Kysely<Database>): Promise<{ today: string; now: string }> {
  const clock = businessClock(await fixedBusinessDate(db).catch(asInputError));
  return { today: clock.today(), now: businessInstant(clock) };
}
