/**
 * Bank withholding at county scale: export a batch for the bank and import its result file,
 * through the services (exportWithholdingBatch, importWithholdingResult), on SQLite or, with
 * --engine postgres, on a throwaway PostgreSQL cluster started for the run (the test cluster's
 * settings: fsync and synchronous_commit off, so its commits cost less than a production server's).
 *
 *   node bench/withholding.bench.ts [--rows 10000,100000] [--fail-every 20] [--engine sqlite|postgres]
 *
 * For each size a fresh county is loaded directly (people, enrollments awaiting payment with
 * withholding asked for, one agreement card each) because loading is not what is measured. Then:
 * the export (select, items written, .xlsx file streamed), the bank's result file written as CSV
 * (not timed: the bank does that), and the result import (whole-file checks, then every debited
 * row recorded as a payment with its journal transfer, in one transaction). Every --fail-every-th
 * row fails (余额不足). Each phase is reported in wall time and in the process's CPU time (the
 * machine's two cores are often shared with other work, which stretches wall time).
 */
import { rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Fen, formatYuan } from '@canbao/core';
import {
  exportWithholdingBatch,
  importWithholdingResult,
} from '../packages/server/src/collection/withholding.ts';
import { startThrowawayPostgres } from '../packages/server/src/db/throwaway-postgres.ts';
import { fmt, log } from './common.ts';
import { bankResult, benchContext, DEBITED_ON, loadedCounty, POLICY } from './county.ts';

const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000,100000' },
    'fail-every': { type: 'string', default: '20' },
    engine: { type: 'string', default: 'sqlite' },
  },
});
const ENGINE = options.engine;
if (ENGINE !== 'sqlite' && ENGINE !== 'postgres') throw new Error('--engine is sqlite or postgres');
const SIZES = options.rows.split(',').map(Number);
/** CPU time (user + system, every thread of the process) since `start`: less distorted than
 * wall time when other work shares the machine's cores. */
const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const FAIL_EVERY = Number(options['fail-every']);

async function run(size: number, clusterUrl?: string): Promise<string> {
  const { work, open } = await loadedCounty(size, { clusterUrl });
  try {
    const handle = await open();
    const ctx = benchContext(handle.db);
    try {
      // The same batch as CSV first (a batch rolled back afterwards would be cleaner, but the
      // export commits): time it, then discard the batch so the .xlsx export sees everyone again.
      log('  export as .csv …');
      let t = performance.now();
      let cpu = process.cpuUsage();
      const csv = await exportWithholdingBatch(ctx, { out: join(work, 'batch.csv') });
      const csvMs = performance.now() - t;
      const csvCpu = cpuMs(cpu);
      if (!csv || csv.rows !== size) throw new Error(`exported ${csv?.rows} rows as CSV, expected ${size}`);
      await handle.db.deleteFrom('withholding_items').execute();
      await handle.db.deleteFrom('withholding_batches').execute();
      log('  export as .xlsx …');
      t = performance.now();
      cpu = process.cpuUsage();
      const batch = await exportWithholdingBatch(ctx, { out: join(work, 'batch.xlsx') });
      const exportMs = performance.now() - t;
      const exportCpu = cpuMs(cpu);
      if (!batch || batch.rows !== size) throw new Error(`exported ${batch?.rows} rows, expected ${size}`);
      await bankResult(batch.file, join(work, 'result.csv'), FAIL_EVERY);
      await bankResult(batch.file, join(work, 'spoilt.csv'), FAIL_EVERY, true);
      log('  result import, checks only (the last row is refused) …');
      t = performance.now();
      cpu = process.cpuUsage();
      const refused = await importWithholdingResult(ctx, {
        file: join(work, 'spoilt.csv'),
        on: DEBITED_ON,
      }).catch((error: Error) => error);
      const checkMs = performance.now() - t;
      const checkCpu = cpuMs(cpu);
      if (!(refused instanceof Error) || !refused.message.includes('未知'))
        throw new Error('spoilt file accepted');
      log('  result import …');
      t = performance.now();
      cpu = process.cpuUsage();
      const result = await importWithholdingResult(ctx, { file: join(work, 'result.csv'), on: DEBITED_ON });
      const importMs = performance.now() - t;
      const importCpu = cpuMs(cpu);
      const failed = Math.floor(size / FAIL_EVERY);
      if (result.succeeded !== size - failed || result.failed !== failed) {
        throw new Error(`imported ${result.succeeded}/${result.failed}, expected ${size - failed}/${failed}`);
      }
      return [
        `  ${fmt(size)} rows (${formatYuan(batch.totalFen as Fen)} yuan): export ${fmt(exportMs)} ms as .xlsx (${fmt(csvMs)} ms as .csv), result import ${fmt(importMs)} ms (whole-file checks ${fmt(checkMs)} ms; ${fmt(result.succeeded)} payments, ${fmt(((importMs - checkMs) / result.succeeded) * 1000)} µs each), total ${fmt(exportMs + importMs)} ms`,
        `    CPU time of the process (all its threads): export ${fmt(exportCpu)} ms as .xlsx (${fmt(csvCpu)} ms as .csv), result import ${fmt(importCpu)} ms (checks ${fmt(checkCpu)} ms), total ${fmt(exportCpu + importCpu)} ms`,
      ].join('\n');
    } finally {
      await handle.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const loadBefore = loadavg()[0] as number;
const lines = [
  `canbao withholding benchmark — ${ENGINE === 'postgres' ? 'PostgreSQL' : 'SQLite'}, policy ${POLICY}, every ${FAIL_EVERY}th row failing`,
];
const cluster = ENGINE === 'postgres' ? await startThrowawayPostgres() : null;
if (ENGINE === 'postgres' && !cluster) throw new Error('PostgreSQL binaries not found (CANBAO_PG_BIN)');
try {
  for (const size of SIZES) lines.push(await run(size, cluster?.url));
} finally {
  cluster?.stop();
}
lines.push(
  `Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; load ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after`,
);
process.stdout.write(`${lines.join('\n')}\n`);
