/**
 * What every collection service is given: the database, the county, who is acting, and the clock
 * (today in Asia/Shanghai and the wall-clock instant), passed in rather than read, so tests and
 * scripted campaigns control time.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface CollectionContext {
  readonly db: Kysely<Database>;
  readonly countyCode: string;
  /** The user or system acting (recorded on every event and transfer). */
  readonly actor: string;
  /** Today's date in Asia/Shanghai, YYYY-MM-DD. */
  readonly today: string;
  /** The wall-clock instant, ISO 8601, for recorded_at / created_at columns. */
  readonly now: string;
}

/**
 * An expected refusal in the campaign (already paid, wrong amount, not eligible, unknown person):
 * its message is Chinese and is shown to the user as is.
 */
export class CollectionError extends Error {
  override name = 'CollectionError';
  /** A stable code for callers (HTTP status mapping, tests). */
  readonly code: string;
  /** The input field refused, when the refusal is about one (for answers that name it). */
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

/** The same person paid for twice: the second attempt is refused, the first stands. */
export class AlreadyPaidError extends CollectionError {
  override name = 'AlreadyPaidError';
  constructor(message: string) {
    super('already_paid', message);
  }
}

/** A channel transaction id reused for a different payment. */
export class PaymentConflictError extends CollectionError {
  override name = 'PaymentConflictError';
  constructor(message: string) {
    super('payment_conflict', message);
  }
}

/** Unique-key violations on either engine: another writer took a key between our reads and writes. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
