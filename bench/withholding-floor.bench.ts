/**
 * The floor under the withholding benchmark: the least this machine's SQLite needs to write what a
 * bank's result file changes, with nothing read, checked, assessed or decided — every statement
 * set-based inside SQLite (UPDATE … FROM and INSERT … SELECT from the batch's items), so no
 * JavaScript runs per row except staging the file's results in a temporary table.
 *
 *   node bench/withholding-floor.bench.ts [--rows 1000000] [--fail-every 20]
 *
 * The county of withholding.bench.ts is loaded (not timed) and a batch exported through the service
 * as .csv (timed); the bank's result file is written (not timed) and read back with the importer's
 * reader, parse only (timed). Then, each on its own copy of the database, in one transaction with
 * its commit and checkpoint, the writes of three shapes of the books:
 *
 *   books  — as canbao keeps them: per debited person the item's result, the enrollment, an event,
 *            a payment and a journal line (and one order and one transfer for the whole file)
 *   lines  — no payment or event row per person (the item itself the payment record) and the
 *            enrollment row without its stored assessment and policy hash (~290 bytes narrower)
 *   state  — the item's result and the enrollment's state only: no money recorded per person at all
 *
 * The copies are thrown away; this changes nothing in canbao. The figures bound what any code can
 * reach for a result file of this size: export + read + writes of a shape.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { exportWithholdingBatch } from '../packages/server/src/collection/withholding.ts';
import { SQLITE_FILE } from '../packages/server/src/db/open.ts';
import { openTable } from '../packages/server/src/files/read-table.ts';
import { fmt, log } from './common.ts';
import { bankResult, benchContext, COUNTY, DEBITED_ON, loadedCounty, POLICY, TODAY } from './county.ts';

const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'fail-every': { type: 'string', default: '20' },
  },
});
const SIZES = options.rows.split(',').map(Number);
const FAIL_EVERY = Number(options['fail-every']);
const NOW = `${TODAY}T02:00:00.000Z`;

type Shape = 'books' | 'lines' | 'state';
const SHAPES: readonly Shape[] = ['books', 'lines', 'state'];

/** The writes of one shape on a copy of the database; returns the step times in ms. */
function writeShape(file: string, shape: Shape, size: number): Map<string, number> {
  const db = new BetterSqlite3(file);
  // The pragmas canbao opens its database with (db/open.ts).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  if (shape !== 'books') {
    // The narrower enrollment row: stored assessment and policy hash elsewhere (not timed).
    db.exec(`update enrollments set assessment = '', policy_hash = ''`);
    db.exec('vacuum');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  const { id: batchId } = db.prepare('select max(id) as id from withholding_batches').get() as { id: number };
  const times = new Map<string, number>();
  const step = (label: string, work: () => unknown) => {
    const start = performance.now();
    work();
    times.set(label, performance.now() - start);
  };
  const debited = `from withholding_items where batch_id = ${batchId} and result = 'succeeded'`;
  db.exec('begin');
  step('stage the results', () => {
    db.exec('create temp table result (seq integer primary key, ok integer, reason text, debited_on text)');
    const insert = db.prepare('insert into result values (?, ?, ?, ?)');
    for (let seq = 1; seq <= size; seq++) {
      const fail = seq % FAIL_EVERY === 0;
      insert.run(seq, fail ? 0 : 1, fail ? '余额不足' : null, DEBITED_ON);
    }
  });
  step('item results', () =>
    db.exec(
      `update withholding_items set result = case r.ok when 1 then 'succeeded' else 'failed' end,
         failure_reason = r.reason, result_on = r.debited_on
       from result as r where withholding_items.batch_id = ${batchId} and withholding_items.seq = r.seq`,
    ),
  );
  step('enrollments', () =>
    db
      .prepare(
        `update enrollments set status = 'paid', paid_fen = i.amount_fen, version = enrollments.version + 1,
           updated_at = ?
         from withholding_items as i
         where i.batch_id = ${batchId} and i.result = 'succeeded' and enrollments.id = i.enrollment_id
           and enrollments.status = 'awaiting_payment'`,
      )
      .run(NOW),
  );
  if (shape === 'books') {
    step('events', () =>
      db.exec(
        `insert into enrollment_events (county_code, enrollment_id, event, from_status, to_status, reason, detail, actor, at)
         select county_code, enrollment_id, 'paid', 'awaiting_payment', 'paid', '银行代扣缴费 ' || amount_fen,
           json_object('orderId', 1, 'channel', 'bank_withholding', 'txnId', 'B-' || seq), 'bench', '${NOW}' ${debited}`,
      ),
    );
    step('payments', () => {
      const order = db
        .prepare(
          `insert into payment_orders (county_code, channel, channel_txn_id, digest, amount_fen, paid_on, actor, created_at)
           values (?, 'bank_withholding', 'B@${DEBITED_ON}', '-', 0, ?, 'bench', ?)`,
        )
        .run(COUNTY, DEBITED_ON, NOW);
      db.exec(
        `insert into payments (county_code, order_id, enrollment_id, person_id, channel, amount_fen, paid_on, status)
         select county_code, ${order.lastInsertRowid}, enrollment_id, person_id, 'bank_withholding', amount_fen,
           result_on, 'recorded' ${debited}`,
      );
    });
  }
  if (shape !== 'state') {
    step('journal lines', () => {
      const transfer = db
        .prepare(
          `insert into journal_transfers (county_code, kind, business_type, business_id, idempotency_key,
             lines_digest, occurred_on, recorded_at, actor)
           values (?, 'payment', 'payment_order', '1', 'bench', '-', ?, ?, 'bench')`,
        )
        .run(COUNTY, DEBITED_ON, NOW);
      db.exec(
        `insert into journal_lines (county_code, transfer_id, account, amount_fen)
         select county_code, ${transfer.lastInsertRowid}, 'enrollment:' || enrollment_id, -amount_fen ${debited}`,
      );
    });
  }
  step('commit', () => db.exec('commit'));
  step('checkpoint', () => db.pragma('wal_checkpoint(TRUNCATE)'));
  db.close();
  return times;
}

async function run(size: number): Promise<string[]> {
  const { work, open } = await loadedCounty(size);
  try {
    const handle = await open();
    const ctx = benchContext(handle.db);
    log('  export as .csv …');
    let start = performance.now();
    const batch = await exportWithholdingBatch(ctx, { out: join(work, 'batch.csv') });
    const exportMs = performance.now() - start;
    await handle.close();
    if (!batch || batch.rows !== size) throw new Error(`exported ${batch?.rows} rows, expected ${size}`);
    await bankResult(batch.file, join(work, 'result.csv'), FAIL_EVERY);
    log('  reading the result file …');
    start = performance.now();
    const table = await openTable(join(work, 'result.csv'), { requiredHeaders: [['批次号'], ['序号']] });
    let read = 0;
    for await (const _row of table.rows()) read++;
    await table.close();
    const readMs = performance.now() - start;
    if (read !== size) throw new Error(`read ${read} rows, expected ${size}`);
    {
      const db = new BetterSqlite3(join(work, SQLITE_FILE));
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    }
    const lines = [
      `  ${fmt(size)} rows: export (.csv) ${fmt(exportMs)} ms, reading the result file ${fmt(readMs)} ms`,
    ];
    for (const shape of SHAPES) {
      log(`  writes of "${shape}" …`);
      const copy = join(work, `${shape}.db`);
      copyFileSync(join(work, SQLITE_FILE), copy);
      const times = writeShape(copy, shape, size);
      rmSync(copy, { force: true });
      rmSync(`${copy}-wal`, { force: true });
      const writes = [...times.values()].reduce((a, b) => a + b, 0);
      const steps = [...times].map(([label, ms]) => `${label} ${fmt(ms)}`).join(', ');
      lines.push(
        `  ${shape.padEnd(5)}: writes ${fmt(writes)} ms (${steps}); export + read + writes ${fmt(exportMs + readMs + writes)} ms`,
      );
    }
    return lines;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const loadBefore = loadavg()[0] as number;
const out = [`canbao withholding floor — SQLite, policy ${POLICY}, every ${FAIL_EVERY}th row failing`];
for (const size of SIZES) out.push(...(await run(size)));
out.push(
  `Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; load ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after`,
);
process.stdout.write(`${out.join('\n')}\n`);
