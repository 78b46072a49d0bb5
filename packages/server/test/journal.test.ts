import { type Fen, fen, LedgerError, transfer } from '@canbao/core';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import {
  accountBalances,
  checkJournal,
  IdempotencyConflictError,
  recordTransfer,
  type TransferInput,
} from '../src/ledger/journal.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const COUNTY = '341024';

const payment = (key: string, amount: number, person = 1): TransferInput => ({
  countyCode: COUNTY,
  kind: 'payment',
  businessType: 'payment',
  businessId: key,
  idempotencyKey: key,
  occurredOn: '2022-10-15',
  lines: transfer(`resident:${person}`, 'pending_remittance', fen(amount)),
  actor: 'test',
  recordedAt: '2022-10-15T02:00:00.000Z',
});

describeEachEngine('journal', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('records balanced transfers and sums balances per account', async () => {
    const { db } = await fresh();
    await recordTransfer(db, payment('p1', 35000, 1));
    await recordTransfer(db, payment('p2', 4000, 2));
    await recordTransfer(db, {
      ...payment('s2', 31000, 2),
      kind: 'subsidy',
      lines: transfer('funder:medical_assistance', 'pending_remittance', fen(31000)),
    });
    const balances = await accountBalances(db, COUNTY);
    expect(Object.fromEntries(balances)).toEqual({
      'funder:medical_assistance': -31000,
      pending_remittance: 70000,
      'resident:1': -35000,
      'resident:2': -4000,
    });
    expect(await checkJournal(db, COUNTY)).toEqual({ transfers: 3, lines: 6, unbalanced: [], totalFen: 0 });
  });

  it('refuses an unbalanced transfer and writes nothing', async () => {
    const { db } = await fresh();
    const bad = {
      ...payment('x', 100),
      lines: [
        { account: 'pending_remittance' as const, amount: 100 as Fen },
        { account: 'resident:1' as const, amount: -99 as Fen },
      ],
    };
    await expect(recordTransfer(db, bad)).rejects.toThrow(LedgerError);
    await expect(
      recordTransfer(db, {
        ...payment('y', 100),
        lines: transfer('resident:1', 'nowhere' as never, fen(100)),
      }),
    ).rejects.toThrow('未知的账户');
    expect((await checkJournal(db, COUNTY)).transfers).toBe(0);
  });

  it('returns the first transfer for a replayed key, and refuses the key with other content', async () => {
    const { db } = await fresh();
    const first = await recordTransfer(db, payment('cb-77', 35000));
    const again = await recordTransfer(db, payment('cb-77', 35000));
    expect(again).toEqual({ transferId: first.transferId, replayed: true });
    await expect(recordTransfer(db, payment('cb-77', 36000))).rejects.toThrow(IdempotencyConflictError);
    expect((await checkJournal(db, COUNTY)).transfers).toBe(1);
  });

  it('is append-only: the database refuses updates and deletes', async () => {
    const { db } = await fresh();
    await recordTransfer(db, payment('p1', 35000));
    await expect(sql`update journal_lines set amount_fen = 1`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from journal_lines`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`update journal_transfers set memo = 'x'`.execute(db)).rejects.toThrow(/append-only/);
    expect(await checkJournal(db, COUNTY)).toMatchObject({ unbalanced: [], totalFen: 0 });
  });

  it('writes one transfer when many writers race with the same key', async () => {
    const h = await fresh();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        h.db.transaction().execute((trx) => recordTransfer(trx, payment('same-callback', 35000))),
      ),
    );
    const ids = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.transferId] : [])));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled' && !r.value.replayed)).toHaveLength(1);
    expect(await checkJournal(h.db, COUNTY)).toEqual({ transfers: 1, lines: 2, unbalanced: [], totalFen: 0 });
  });
});
