/**
 * Writing and reading the journal. Every transfer is validated (balanced, integer fen) before it
 * is written, carries the caller's idempotency key, and is never changed afterwards.
 *
 * Idempotency: the same key with the same content returns the first transfer (a retried request,
 * a duplicate bank callback); the same key with different content is a conflict. Concurrent
 * writers with one key are serialised by the unique index: `on conflict do nothing` makes the
 * second wait for the first and then find its row.
 */
import { createHash } from 'node:crypto';
import { type AccountCode, type Fen, type JournalLine, LedgerError, validateTransfer } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface TransferInput {
  readonly countyCode: string;
  readonly kind: string;
  readonly businessType: string;
  readonly businessId: string;
  readonly idempotencyKey: string;
  /** The business date of the movement (YYYY-MM-DD), e.g. the day the person paid. */
  readonly occurredOn: string;
  readonly lines: readonly JournalLine[];
  readonly actor: string;
  readonly memo?: string | null;
  /** The wall-clock time of recording (ISO); passed in like every clock reading. */
  readonly recordedAt: string;
}

export interface RecordedTransfer {
  readonly transferId: number;
  /** True when the key had been used before with the same content: nothing new was written. */
  readonly replayed: boolean;
}

export class IdempotencyConflictError extends LedgerError {
  override name = 'IdempotencyConflictError';
}

/** The content of a transfer as a hash: a replay has the same, a conflicting reuse of the key not. */
export function transferDigest(
  input: Pick<TransferInput, 'kind' | 'businessType' | 'businessId' | 'occurredOn' | 'lines'>,
): string {
  const lines = [...input.lines].sort((a, b) => a.account.localeCompare(b.account));
  return createHash('sha256')
    .update(JSON.stringify([input.kind, input.businessType, input.businessId, input.occurredOn, lines]))
    .digest('hex');
}

/** Records a transfer inside the caller's transaction. Throws LedgerError when unbalanced. */
export async function recordTransfer(db: Kysely<Database>, input: TransferInput): Promise<RecordedTransfer> {
  validateTransfer(input.lines);
  const linesDigest = transferDigest(input);
  const inserted = await db
    .insertInto('journal_transfers')
    .values({
      county_code: input.countyCode,
      kind: input.kind,
      business_type: input.businessType,
      business_id: input.businessId,
      idempotency_key: input.idempotencyKey,
      lines_digest: linesDigest,
      occurred_on: input.occurredOn,
      recorded_at: input.recordedAt,
      actor: input.actor,
      memo: input.memo ?? null,
    })
    .onConflict((oc) => oc.columns(['county_code', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const existing = await db
      .selectFrom('journal_transfers')
      .select(['id', 'lines_digest'])
      .where('county_code', '=', input.countyCode)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirstOrThrow();
    if (existing.lines_digest !== linesDigest) {
      throw new IdempotencyConflictError(
        `幂等键“${input.idempotencyKey}”已用于另一笔不同的转账（#${existing.id}），拒绝重复使用`,
      );
    }
    return { transferId: existing.id, replayed: true };
  }
  await db
    .insertInto('journal_lines')
    .values(
      input.lines.map((line) => ({
        county_code: input.countyCode,
        transfer_id: inserted.id,
        account: line.account,
        amount_fen: line.amount,
      })),
    )
    .execute();
  return { transferId: inserted.id, replayed: false };
}

/** Balances per account (debits minus credits), optionally for accounts starting with a prefix. */
export async function accountBalances(
  db: Kysely<Database>,
  countyCode: string,
  options: { prefix?: string; asOf?: string } = {},
): Promise<Map<AccountCode, Fen>> {
  let query = db
    .selectFrom('journal_lines')
    .innerJoin('journal_transfers', 'journal_transfers.id', 'journal_lines.transfer_id')
    .select((eb) => ['journal_lines.account', eb.fn.sum<number>('journal_lines.amount_fen').as('balance')])
    .where('journal_lines.county_code', '=', countyCode)
    .groupBy('journal_lines.account')
    .orderBy('journal_lines.account');
  if (options.prefix) query = query.where('journal_lines.account', 'like', `${options.prefix}%`);
  if (options.asOf) query = query.where('journal_transfers.occurred_on', '<=', options.asOf);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.account as AccountCode, Number(r.balance) as Fen]));
}

export interface JournalCheck {
  readonly transfers: number;
  readonly lines: number;
  /**
   * Transfers that are not a balanced pair of lines or more: should never exist (written validated,
   * never edited), so any entry here means the database was changed behind canbao's back.
   */
  readonly unbalanced: readonly {
    readonly transferId: number;
    readonly sumFen: number;
    readonly lines: number;
  }[];
  /** Sum of every line in the journal: zero when the books balance. */
  readonly totalFen: number;
}

/** Checks the whole journal of a county: every transfer balanced, the total zero. */
export async function checkJournal(db: Kysely<Database>, countyCode: string): Promise<JournalCheck> {
  const sums = await db
    .selectFrom('journal_transfers')
    .leftJoin('journal_lines', 'journal_lines.transfer_id', 'journal_transfers.id')
    .select((eb) => [
      'journal_transfers.id as transfer_id',
      eb.fn.coalesce(eb.fn.sum<number>('journal_lines.amount_fen'), eb.lit(0)).as('sum'),
      eb.fn.count<number>('journal_lines.id').as('lines'),
    ])
    .where('journal_transfers.county_code', '=', countyCode)
    .groupBy('journal_transfers.id')
    .execute();
  const unbalanced = sums
    .filter((s) => Number(s.sum) !== 0 || Number(s.lines) < 2)
    .map((s) => ({ transferId: s.transfer_id, sumFen: Number(s.sum), lines: Number(s.lines) }));
  return {
    transfers: sums.length,
    lines: sums.reduce((n, s) => n + Number(s.lines), 0),
    unbalanced,
    totalFen: sums.reduce((n, s) => n + Number(s.sum), 0),
  };
}
