/**
 * Checks of the books shared by the collection tests: the journal balances, and each enrollment's
 * account holds exactly what was paid and subsidised for it (nothing once refunded).
 */
import { expect } from 'vitest';
import { CollectionError } from '../src/collection/context.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { accountBalances, checkJournal } from '../src/ledger/journal.ts';

/** The CollectionError a promise rejects with (fails the test when it resolves or throws another). */
export async function failure(promise: Promise<unknown>): Promise<CollectionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CollectionError);
  return error as CollectionError;
}

/**
 * Every enrollment's account in the journal: what was paid plus the direct subsidies while it is
 * paid or confirmed, 0 otherwise (refunded, never paid); and the whole journal balanced.
 */
export async function expectEnrollmentBalances(handle: DatabaseHandle, countyCode: string): Promise<void> {
  const balances = await accountBalances(handle.db, countyCode, { prefix: 'enrollment:' });
  const enrollments = await handle.db
    .selectFrom('enrollments')
    .selectAll()
    .where('county_code', '=', countyCode)
    .execute();
  for (const e of enrollments) {
    const owed = 0 - (balances.get(`enrollment:${e.id}`) ?? 0);
    const expected = e.status === 'paid' || e.status === 'confirmed' ? e.pays_fen + e.subsidy_fen : 0;
    expect(owed, `enrollment #${e.id} (${e.status})`).toBe(expected);
  }
  const check = await checkJournal(handle.db, countyCode);
  expect(check.unbalanced).toEqual([]);
  expect(check.totalFen).toBe(0);
}

export async function transferCount(handle: DatabaseHandle): Promise<number> {
  const row = await handle.db
    .selectFrom('journal_transfers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
