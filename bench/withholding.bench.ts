/**
 * Bank withholding at county scale: export a batch for the bank and import its result file,
 * through the services (exportWithholdingBatch, importWithholdingResult), on SQLite.
 *
 *   node bench/withholding.bench.ts [--rows 10000,100000] [--fail-every 20]
 *
 * For each size a fresh county is loaded directly (people, enrollments awaiting payment with
 * withholding asked for, one agreement card each) because loading is not what is measured. Then:
 * the export (select, items written, .xlsx file streamed), the bank's result file written as CSV
 * (not timed: the bank does that), and the result import (whole-file checks, then every debited
 * row recorded as a payment with its journal transfer, in one transaction). Every --fail-every-th
 * row fails (余额不足). Each phase is reported in wall time and in the process's CPU time (the
 * machine's two cores are often shared with other work, which stretches wall time).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assess, type Fen, formatYuan } from '@canbao/core';
import BetterSqlite3 from 'better-sqlite3';
import { openCampaign } from '../packages/server/src/collection/campaign.ts';
import type { CollectionContext } from '../packages/server/src/collection/context.ts';
import { storedAssessment } from '../packages/server/src/collection/enrollments.ts';
import {
  exportWithholdingBatch,
  importWithholdingResult,
} from '../packages/server/src/collection/withholding.ts';
import { openDatabase, SQLITE_FILE } from '../packages/server/src/db/open.ts';
import { openTable } from '../packages/server/src/files/read-table.ts';
import { loadPolicy } from '../packages/server/src/policy/repository.ts';
import { fmt, idNumberOf, log } from './common.ts';

const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000,100000' },
    'fail-every': { type: 'string', default: '20' },
  },
});
const SIZES = options.rows.split(',').map(Number);
/** CPU time (user + system, every thread of the process) since `start`: less distorted than
 * wall time when other work shares the machine's cores. */
const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const FAIL_EVERY = Number(options['fail-every']);
const COUNTY = '341024';
const POLICY = 'qimen-2023';
const TODAY = '2022-10-12';
const DEBITED_ON = '2022-10-12';

/** People, enrollments awaiting payment with withhold = 1, and a current agreement each. */
function loadCounty(file: string, campaignId: number, count: number): void {
  const policy = loadPolicy(POLICY);
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  const person = sqlite.prepare(
    `insert into people (county_code, doc_type, doc_number, name, sex, birth_date, hukou_region_code,
       residence_region_code, address, household_id, phone, deceased_on, is_student, school, created_at, updated_at, source_import_id)
     values (?, 'resident_id', ?, ?, null, null, null, null, null, null, null, null, 0, null, ?, ?, null)`,
  );
  const enrollment = sqlite.prepare(
    `insert into enrollments (county_code, campaign_id, benefit_year, person_id, household_id, village_code, status,
       source, coverage_year, withhold, standard_fen, pays_fen, subsidy_fen, refund_later_fen, paid_fen, benefit_start,
       benefit_end, why, policy_hash, assessed_on, assessment, version, created_at, updated_at)
     values (?, ?, ?, ?, null, null, 'awaiting_payment', 'renewal', null, 1, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
  );
  const agreement = sqlite.prepare(
    `insert into bank_agreements (county_code, person_id, bank, card_number, holder_name, holder_doc_number,
       valid_from, valid_to, close_reason, source, actor, created_at)
     values (?, ?, ?, ?, ?, null, '2022-09-01', null, null, 'bench', 'bench', ?)`,
  );
  const now = '2022-09-01T00:00:00.000Z';
  sqlite.transaction(() => {
    for (let i = 0, n = 0; n < count; i++) {
      const doc = idNumberOf(COUNTY, i);
      const facts = {
        idNumber: doc,
        groups: [],
        hukouLocal: true,
        inEmployeeInsurance: false,
        insuredElsewhere: false,
      };
      const a = assess(policy, facts);
      const stored = JSON.stringify(storedAssessment({ ...a, facts }));
      const name = `居民${i}`;
      const p = person.run(COUNTY, doc, name, now, now);
      enrollment.run(
        COUNTY,
        campaignId,
        policy.benefitYear,
        p.lastInsertRowid,
        a.standard,
        a.pays,
        a.benefitStart,
        a.benefitEnd,
        a.why,
        policy.hash,
        '2022-09-01',
        stored,
        now,
        now,
      );
      const bank = n % 3 === 0 ? '中国邮政储蓄银行' : '中国农业银行';
      agreement.run(COUNTY, p.lastInsertRowid, bank, `62284800${String(n).padStart(11, '0')}`, name, now);
      n++;
    }
  })();
  sqlite.close();
}

/** The bank's answer: the exported rows with results, as CSV. */
async function bankResult(exported: string, target: string, spoilLast = false): Promise<void> {
  const table = await openTable(exported, { requiredHeaders: [['批次号'], ['序号']] });
  const lines = [table.headers.join(',')];
  let k = 0;
  for await (const row of table.rows()) {
    const fail = ++k % FAIL_EVERY === 0;
    lines.push(
      table.headers
        .map((h) =>
          h === '扣款结果'
            ? fail
              ? '失败'
              : '成功'
            : h === '失败原因'
              ? fail
                ? '余额不足'
                : ''
              : row.values[h],
        )
        .join(','),
    );
  }
  // A result value no bank writes on the last row: the import checks the whole file, then refuses.
  if (spoilLast) lines[lines.length - 1] = (lines.at(-1) as string).replace(/,(成功|失败),/, ',未知,');
  writeFileSync(target, `${lines.join('\n')}\n`);
}

async function run(size: number): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'canbao-bench-withholding-'));
  try {
    const setup = await openDatabase({ dataDir: work });
    const { campaign } = await openCampaign(setup.db, {
      policyRef: POLICY,
      actor: 'bench',
      now: '2022-09-01T00:00:00.000Z',
    });
    await setup.close();
    log(`${fmt(size)} rows: loading the county (not timed) …`);
    loadCounty(join(work, SQLITE_FILE), campaign.id, size);
    const handle = await openDatabase({ dataDir: work });
    const ctx: CollectionContext = {
      db: handle.db,
      countyCode: COUNTY,
      actor: 'bench',
      today: TODAY,
      now: `${TODAY}T02:00:00.000Z`,
    };
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
      await bankResult(batch.file, join(work, 'result.csv'));
      await bankResult(batch.file, join(work, 'spoilt.csv'), true);
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
const lines = [`canbao withholding benchmark — SQLite, policy ${POLICY}, every ${FAIL_EVERY}th row failing`];
for (const size of SIZES) lines.push(await run(size));
lines.push(
  `Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; load ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after`,
);
process.stdout.write(`${lines.join('\n')}\n`);
