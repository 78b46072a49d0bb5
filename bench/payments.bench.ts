/**
 * Payment recording through the service layer (recordPayment: idempotency, check-and-act,
 * reassessment with the payment date, journal) in a county of --people enrollments awaiting
 * payment, against the bare insert of the same rows in the same run.
 *
 *   node bench/payments.bench.ts [--people 1000000] [--payments 50000] [--concurrency 64]
 *
 * The county is loaded directly (people and enrollments awaiting payment, with the assessment the
 * engine gives an ordinary resident) because loading it is not what is measured; every payment
 * then goes through the service as a collector's or a gateway callback's would. "Concurrent" keeps
 * --concurrency payments in flight, as many collectors and callbacks do; "sequential" waits for
 * each payment before the next (one collector). The bare insert writes the same rows per payment
 * (order, payment, enrollment update, event, journal transfer and lines) with prepared statements,
 * in transactions of the size the service's group commit actually used. SQLite only: PostgreSQL
 * commits in parallel on its own connections (its concurrency is tested in the test suite).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { openCampaign } from '../packages/server/src/collection/campaign.ts';
import type { CollectionContext } from '../packages/server/src/collection/context.ts';
import { type PaymentInput, recordPayment } from '../packages/server/src/collection/payments.ts';
import { openDatabase, SQLITE_FILE } from '../packages/server/src/db/open.ts';
import { fmt, log } from './common.ts';
import { COUNTY, loadCounty, POLICY } from './county.ts';

const { values: options } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    payments: { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '64' },
    sequential: { type: 'string', default: '2000' },
  },
});
const PEOPLE = Number(options.people);
const PAYMENTS = Number(options.payments);
const CONCURRENCY = Number(options.concurrency);
const SEQUENTIAL = Number(options.sequential);
const TARGET_PER_SECOND = 5000;
const PAID_ON = '2022-10-10';

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'canbao-bench-payments-'));
  const loadBefore = loadavg()[0] as number;
  try {
    const setup = await openDatabase({ dataDir: work });
    const { campaign, policy } = await openCampaign(setup.db, {
      policyRef: POLICY,
      actor: 'bench',
      now: '2022-09-01T00:00:00.000Z',
    });
    await setup.close();
    log(`Loading ${fmt(PEOPLE)} people with enrollments awaiting payment (not timed) …`);
    let t = performance.now();
    loadCounty(join(work, SQLITE_FILE), campaign.id, PEOPLE, false);
    log(`  loaded in ${fmt(performance.now() - t)} ms`);
    // The bare run writes into its own copy of the same loaded county.
    const bareFile = join(work, 'bare.sqlite');
    copyFileSync(join(work, SQLITE_FILE), bareFile);

    const handle = await openDatabase({ dataDir: work });
    const ctx: CollectionContext = {
      db: handle.db,
      countyCode: COUNTY,
      actor: 'bench',
      today: PAID_ON,
      now: '2022-10-10T02:00:00.000Z',
    };
    const ids = (
      await handle.db
        .selectFrom('enrollments')
        .select('id')
        .orderBy('id')
        .limit(PAYMENTS + SEQUENTIAL)
        .execute()
    ).map((r) => r.id);
    const pays = policy.standard.individual;
    const input = (k: number, id: number): PaymentInput => ({
      channel: 'online',
      txnId: `BENCH-${k}`,
      enrollmentIds: [id],
      amountFen: pays,
      paidOn: PAID_ON,
    });

    // Sequential: one caller waiting for each payment (one collector at a counter).
    log(`Sequential: ${fmt(SEQUENTIAL)} payments …`);
    t = performance.now();
    for (let k = 0; k < SEQUENTIAL; k++) await recordPayment(ctx, input(k, ids[k] as number));
    const sequentialMs = performance.now() - t;

    // Concurrent: CONCURRENCY payments in flight at all times.
    log(`Concurrent (${CONCURRENCY} in flight): ${fmt(PAYMENTS)} payments …`);
    const latencies = new Float64Array(PAYMENTS);
    let next = 0;
    t = performance.now();
    const worker = async () => {
      while (next < PAYMENTS) {
        const k = next++;
        const started = performance.now();
        await recordPayment(ctx, input(SEQUENTIAL + k, ids[SEQUENTIAL + k] as number));
        latencies[k] = performance.now() - started;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const concurrentMs = performance.now() - t;
    const transactions = CONCURRENCY > 0 ? Math.ceil(PAYMENTS / CONCURRENCY) : PAYMENTS;
    latencies.sort();
    const p = (q: number) => latencies[Math.min(PAYMENTS - 1, Math.floor(q * PAYMENTS))] as number;
    const written = await handle.db
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    await handle.close();

    // Bare insert of the same rows, in transactions of the group commit's size.
    log('Bare insert of the same rows …');
    const bareMs = bareInsert(bareFile, ids.slice(SEQUENTIAL, SEQUENTIAL + PAYMENTS), pays, CONCURRENCY);

    const perSecond = PAYMENTS / (concurrentMs / 1000);
    const barePerSecond = PAYMENTS / (bareMs / 1000);
    const lines = [
      `canbao payments benchmark — SQLite, ${fmt(PEOPLE)} enrollments awaiting payment, policy ${POLICY}`,
      `Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; load ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after`,
      `  Sequential (one caller): ${fmt(SEQUENTIAL)} payments in ${fmt(sequentialMs)} ms = ${fmt(SEQUENTIAL / (sequentialMs / 1000))} payments/s (${fmt((sequentialMs / SEQUENTIAL) * 1000)} µs each; one commit per payment)`,
      `  Concurrent (${CONCURRENCY} in flight, group commit): ${fmt(PAYMENTS)} payments in ${fmt(concurrentMs)} ms = ${fmt(perSecond)} payments/s; latency p50 ${fmt(p(0.5), 1)} ms, p99 ${fmt(p(0.99), 1)} ms; rows in payments: ${fmt(Number(written.n))}`,
      `  Bare insert of the same rows (prepared statements, ${fmt(transactions)} transactions of ≤${CONCURRENCY}): ${fmt(bareMs)} ms = ${fmt(barePerSecond)} payments/s`,
      `  Service / bare: ${(concurrentMs / bareMs).toFixed(2)}×`,
      `  Target ≥ ${fmt(TARGET_PER_SECOND)} payments/s: ${fmt(perSecond)} — ${perSecond >= TARGET_PER_SECOND ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The rows one payment writes, with prepared statements and nothing else. */
function bareInsert(file: string, ids: readonly number[], pays: number, groupSize: number): number {
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  const order = sqlite.prepare(
    `insert into payment_orders (county_code, channel, channel_txn_id, digest, amount_fen, paid_on, payer, collector, receipt_no, reference, actor, created_at)
     values (?, 'online', ?, ?, ?, ?, null, null, null, null, 'bench', ?)`,
  );
  const update = sqlite.prepare(
    `update enrollments set status = 'paid', paid_fen = ?, assessed_on = ?, version = version + 1, updated_at = ? where id = ? and status = 'awaiting_payment'`,
  );
  const event = sqlite.prepare(
    `insert into enrollment_events (county_code, enrollment_id, event, from_status, to_status, reason, detail, actor, at)
     values (?, ?, 'paid', 'awaiting_payment', 'paid', ?, ?, 'bench', ?)`,
  );
  const payment = sqlite.prepare(
    `insert into payments (county_code, order_id, enrollment_id, person_id, channel, amount_fen, paid_on, status, tax_receipt_no, confirmed_on)
     values (?, ?, ?, 0, 'online', ?, ?, 'recorded', null, null)`,
  );
  const transfer = sqlite.prepare(
    `insert into journal_transfers (county_code, kind, business_type, business_id, idempotency_key, lines_digest, occurred_on, recorded_at, actor, memo)
     values (?, 'payment', 'payment_order', ?, ?, ?, ?, ?, 'bench', null)`,
  );
  const line = sqlite.prepare(
    'insert into journal_lines (county_code, transfer_id, account, amount_fen) values (?, ?, ?, ?)',
  );
  const now = '2022-10-10T02:00:00.000Z';
  const group = sqlite.transaction((slice: readonly number[], offset: number) => {
    slice.forEach((id, j) => {
      const k = offset + j;
      const o = order.run(COUNTY, `BARE-${k}`, `digest-${k}`, pays, PAID_ON, now);
      update.run(pays, PAID_ON, now, id);
      event.run(COUNTY, id, '线上缴费', `{"orderId":${o.lastInsertRowid}}`, now);
      payment.run(COUNTY, o.lastInsertRowid, id, pays, PAID_ON);
      const tr = transfer.run(
        COUNTY,
        String(o.lastInsertRowid),
        `payment:online:BARE-${k}`,
        `d-${k}`,
        PAID_ON,
        now,
      );
      line.run(COUNTY, tr.lastInsertRowid, 'pending_remittance', pays);
      line.run(COUNTY, tr.lastInsertRowid, `enrollment:${id}`, -pays);
    });
  });
  const t = performance.now();
  for (let i = 0; i < ids.length; i += groupSize) group(ids.slice(i, i + groupSize), i);
  const ms = performance.now() - t;
  sqlite.close();
  return ms;
}

await main();
