/**
 * 征缴进度 for every village of a county as of today, while payments are being recorded.
 *
 *   node bench/progress.bench.ts [--people 1000000] [--villages 300] [--reports 60] [--concurrency 64]
 *
 * The county is loaded directly into SQLite (not timed): people in households of four spread over
 * the villages, their enrollments — 60% paid over the 30 days before today (order, payment, event),
 * 2% confirmed at full subsidy, the rest awaiting payment — 40% e-certificates activated, 3% in a
 * subsidised group, and a task table for every village. Then, in this process, payments of the
 * awaiting go through recordPayment (--concurrency in flight, as collectors and gateway callbacks
 * do) while the progress report for the whole county (all townships and villages) is run
 * --reports times; the report's time is measured from call to result, queueing behind the
 * payments' transactions on the one connection included. The first report, which reads the
 * county's facts (and stores the summary), is timed apart. If a `ranking` report exists, its .xlsx
 * export is timed too.
 *
 * Then the cold start, each in a fresh process (`--cold <data folder>`, as a clerk's
 * `canbao report progress` or the web app after a restart): right after the run, and after
 * --later more payments recorded with no report in between; each times its first report, a second
 * one and the ranking export.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assess } from '@canbao/core';
import BetterSqlite3 from 'better-sqlite3';
import { openCampaign } from '../packages/server/src/collection/campaign.ts';
import type { CollectionContext } from '../packages/server/src/collection/context.ts';
import { storedAssessment } from '../packages/server/src/collection/enrollments.ts';
import { recordPayment } from '../packages/server/src/collection/payments.ts';
import { openDatabase, SQLITE_FILE } from '../packages/server/src/db/open.ts';
import { writeXlsx } from '../packages/server/src/files/write-xlsx.ts';
import { loadPolicy } from '../packages/server/src/policy/repository.ts';
import { reportByName } from '../packages/server/src/reports/index.ts';
import { progressDefinition, progressTuning } from '../packages/server/src/reports/progress.ts';
import { reportSheets } from '../packages/server/src/reports/report.ts';
import { fmt, idNumberOf, log, ordinaryFacts } from './common.ts';

const { values: options } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    villages: { type: 'string', default: '300' },
    reports: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '64' },
    later: { type: 'string', default: '20000' },
    'save-after': { type: 'string' },
    cold: { type: 'string' },
  },
});
const PEOPLE = Number(options.people);
const VILLAGES = Number(options.villages);
const REPORTS = Number(options.reports);
const CONCURRENCY = Number(options.concurrency);
const LATER = Number(options.later);
if (options['save-after']) progressTuning.saveAfter = Number(options['save-after']);
const TOWNSHIPS = 10;
const TARGET_MS = 200;
const COUNTY = '341024';
const POLICY = 'qimen-2023';
const TODAY = '2022-11-30';
const NOW = '2022-11-30T04:00:00.000Z';

const townshipCode = (t: number) => `${COUNTY}${800 + t}`;
const villageCode = (v: number) =>
  `${townshipCode(v % TOWNSHIPS)}${String(Math.floor(v / TOWNSHIPS) + 1).padStart(3, '0')}`;
const dayBefore = (days: number) => {
  const d = new Date(`${TODAY}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
};

/** Loads the county straight into SQLite; returns the ids of the enrollments awaiting payment. */
function loadCounty(file: string, campaignId: number): number[] {
  const policy = loadPolicy(POLICY);
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  const run = (sql: string) => sqlite.prepare(sql);
  const region = run(
    `insert into regions (code, name, level, parent_code, county_code, valid_from, valid_to, merged_into, source)
     values (?, ?, ?, ?, ?, null, null, null, 'bench')`,
  );
  const household = run(
    `insert into households (county_code, number, village_code, head_person_id, created_at, updated_at) values (?, ?, ?, null, ?, ?)`,
  );
  const person = run(
    `insert into people (county_code, doc_type, doc_number, name, sex, birth_date, hukou_region_code,
       residence_region_code, address, household_id, phone, deceased_on, is_student, school, created_at, updated_at, source_import_id)
     values (?, 'resident_id', ?, ?, null, null, null, null, null, ?, null, null, 0, null, ?, ?, null)`,
  );
  const enrollment = run(
    `insert into enrollments (county_code, campaign_id, benefit_year, person_id, household_id, village_code, status,
       source, coverage_year, withhold, standard_fen, pays_fen, subsidy_fen, refund_later_fen, paid_fen, benefit_start,
       benefit_end, why, policy_hash, assessed_on, assessment, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, 'renewal', null, 0, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
  );
  const event = run(
    `insert into enrollment_events (county_code, enrollment_id, event, from_status, to_status, reason, detail, actor, at)
     values (?, ?, ?, 'awaiting_payment', ?, null, null, 'bench', ?)`,
  );
  const order = run(
    `insert into payment_orders (county_code, channel, channel_txn_id, digest, amount_fen, paid_on, payer, collector, receipt_no, reference, actor, created_at)
     values (?, 'online', ?, ?, ?, ?, null, null, null, null, 'bench', ?)`,
  );
  const payment = run(
    `insert into payments (county_code, order_id, enrollment_id, person_id, channel, amount_fen, paid_on, status, tax_receipt_no, confirmed_on)
     values (?, ?, ?, ?, 'online', ?, ?, 'recorded', null, null)`,
  );
  const ecert = run(
    'insert into ecert_activations (county_code, person_id, activated_on, source_import_id) values (?, ?, ?, null)',
  );
  const group = run(
    `insert into person_groups (county_code, person_id, group_code, department, certified_on, valid_from, valid_to, source_import_id, source_line)
     values (?, ?, 'dibao', 'civil_affairs', null, '2022-01-01', null, null, null)`,
  );
  const target = run(
    `insert into task_targets (county_code, region_code, benefit_year, eligible_people, amount_fen, source)
     values (?, ?, ?, ?, ?, 'bench')`,
  );
  const facts = ordinaryFacts(idNumberOf(COUNTY, 0));
  const a = assess(policy, facts);
  const stored = JSON.stringify(storedAssessment({ ...a, facts }));
  const awaiting: number[] = [];
  const perVillage = new Array<number>(VILLAGES).fill(0);
  const load = sqlite.transaction(() => {
    for (let t = 0; t < TOWNSHIPS; t++) region.run(townshipCode(t), `镇${t}`, 'township', COUNTY, COUNTY);
    for (let v = 0; v < VILLAGES; v++)
      region.run(villageCode(v), `村${v}`, 'village', townshipCode(v % TOWNSHIPS), COUNTY);
    let householdId = 0;
    let village = '';
    for (let i = 0; i < PEOPLE; i++) {
      if (i % 4 === 0) {
        const v = Math.floor(i / 4) % VILLAGES;
        village = villageCode(v);
        householdId = Number(household.run(COUNTY, `H${i}`, village, NOW, NOW).lastInsertRowid);
      }
      const v = Math.floor(i / 4) % VILLAGES;
      perVillage[v] = (perVillage[v] ?? 0) + 1;
      const personId = Number(
        person.run(COUNTY, idNumberOf(COUNTY, i), `居民${i}`, householdId, NOW, NOW).lastInsertRowid,
      );
      const paid = i % 10 < 6;
      const confirmed = !paid && i % 50 === 7;
      const status = paid ? 'paid' : confirmed ? 'confirmed' : 'awaiting_payment';
      const paidOn = dayBefore(1 + (i % 30));
      const enrollmentId = Number(
        enrollment.run(
          COUNTY,
          campaignId,
          policy.benefitYear,
          personId,
          householdId,
          village,
          status,
          a.standard,
          confirmed ? 0 : a.pays,
          paid ? a.pays : 0,
          a.benefitStart,
          a.benefitEnd,
          a.why,
          policy.hash,
          paid ? paidOn : '2022-09-01',
          stored,
          NOW,
          NOW,
        ).lastInsertRowid,
      );
      const at = `${paidOn}T04:00:00.000Z`;
      if (paid) {
        const o = order.run(COUNTY, `LOAD-${i}`, `digest-${i}`, a.pays, paidOn, at).lastInsertRowid;
        payment.run(COUNTY, o, enrollmentId, personId, a.pays, paidOn);
        event.run(COUNTY, enrollmentId, 'paid', 'paid', at);
        if (i % 5 < 2) ecert.run(COUNTY, personId, paidOn);
      } else if (confirmed) {
        event.run(COUNTY, enrollmentId, 'confirmed', 'confirmed', at);
      } else if (i % 33 !== 0) {
        // Group members are left out of the payments made during the run: they pay less.
        awaiting.push(enrollmentId);
      }
      if (i % 33 === 0) group.run(COUNTY, personId);
    }
    perVillage.forEach((n, v) => {
      target.run(COUNTY, villageCode(v), policy.benefitYear, n, n * Number(a.pays));
    });
  });
  load();
  sqlite.exec('analyze');
  sqlite.close();
  return awaiting;
}

const ctxOf = (db: CollectionContext['db']): CollectionContext => ({
  db,
  countyCode: COUNTY,
  actor: 'bench',
  today: TODAY,
  now: NOW,
});
const scope = { regionCode: COUNTY, asOf: TODAY };

interface ColdRun {
  readonly firstMs: number;
  readonly secondMs: number;
  readonly rankingMs: number;
  readonly enrolled: number;
}

/** In a fresh process: the first progress report, a second one and the ranking export. */
async function coldRun(dir: string): Promise<void> {
  const handle = await openDatabase({ dataDir: dir });
  const ctx = ctxOf(handle.db);
  let t = performance.now();
  const first = await progressDefinition.run(ctx, scope);
  const firstMs = performance.now() - t;
  t = performance.now();
  await progressDefinition.run(ctx, scope);
  const secondMs = performance.now() - t;
  t = performance.now();
  const ranking = reportByName('ranking');
  if (ranking) await writeXlsx(join(dir, 'ranking-cold.xlsx'), reportSheets(await ranking.run(ctx, scope)));
  const rankingMs = performance.now() - t;
  await handle.close();
  const run: ColdRun = { firstMs, secondMs, rankingMs, enrolled: first.data.rows[0]?.today.enrolled ?? 0 };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

function coldInChild(dir: string): ColdRun {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cold', dir], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`cold run failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as ColdRun;
}

const coldLine = (what: string, r: ColdRun) =>
  `  Fresh process, ${what}: first report ${fmt(r.firstMs)} ms (target well under 2,000 ms), second ${fmt(r.secondMs, 1)} ms, ranking export ${fmt(r.rankingMs)} ms; enrolled ${fmt(r.enrolled)}`;

const quantile = (xs: readonly number[], q: number) => {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'canbao-bench-progress-'));
  const loadBefore = loadavg()[0] as number;
  try {
    const setup = await openDatabase({ dataDir: work });
    const { campaign, policy } = await openCampaign(setup.db, {
      policyRef: POLICY,
      actor: 'bench',
      now: '2022-09-01T00:00:00.000Z',
    });
    await setup.close();
    log(`Loading ${fmt(PEOPLE)} people in ${fmt(VILLAGES)} villages (not timed) …`);
    let t = performance.now();
    const awaiting = loadCounty(join(work, SQLITE_FILE), campaign.id);
    log(`  loaded in ${fmt(performance.now() - t)} ms; ${fmt(awaiting.length)} awaiting payment`);

    const handle = await openDatabase({ dataDir: work });
    const ctx = ctxOf(handle.db);

    t = performance.now();
    const first = await progressDefinition.run(ctx, scope);
    const coldMs = performance.now() - t;
    log(`  first report (reads the county's facts): ${fmt(coldMs)} ms, ${first.data.rows.length} rows`);

    // Payments in flight while the report runs again and again.
    let next = 0;
    /** The k-th of the awaiting pays online today. */
    const pay = (c: CollectionContext, k: number) =>
      recordPayment(c, {
        channel: 'online',
        txnId: `BENCH-${k}`,
        enrollmentIds: [awaiting[k] as number],
        amountFen: policy.standard.individual,
        paidOn: TODAY,
      });
    let stop = false;
    let recorded = 0;
    const payer = async () => {
      while (!stop && next < awaiting.length) {
        await pay(ctx, next++);
        recorded++;
      }
    };
    const payers = Array.from({ length: CONCURRENCY }, payer);
    const latencies: number[] = [];
    const started = performance.now();
    let last = first;
    for (let r = 0; r < REPORTS; r++) {
      const s = performance.now();
      last = await progressDefinition.run(ctx, scope);
      latencies.push(performance.now() - s);
    }
    const elapsed = performance.now() - started;
    const recordedDuring = recorded;
    stop = true;
    await Promise.all(payers);
    const county = last.data.rows[0];

    let rankingLine = '  Ranking export: no `ranking` report yet — not measured';
    const ranking = reportByName('ranking');
    if (ranking) {
      const s = performance.now();
      const result = await ranking.run(ctx, scope);
      await writeXlsx(join(work, 'ranking.xlsx'), reportSheets(result));
      rankingLine = `  Ranking export (report and .xlsx): ${fmt(performance.now() - s)} ms (target ≤ 2,000 ms)`;
    }
    await handle.close();

    log('Fresh processes …');
    const coldAfterRun = coldInChild(work);
    // A day's payments with no report in between: the next fresh process reads them all again.
    const later = await openDatabase({ dataDir: work });
    const laterCtx = ctxOf(later.db);
    const laterFrom = next;
    const laterTo = Math.min(awaiting.length, next + LATER);
    for (let k = laterFrom; k < laterTo; k++) await pay(laterCtx, k);
    await later.close();
    const coldAfterLater = coldInChild(work);
    const coldAgain = coldInChild(work);

    const p95 = quantile(latencies, 0.95);
    const lines = [
      `canbao progress benchmark — SQLite, ${fmt(PEOPLE)} people, ${fmt(VILLAGES)} villages in ${TOWNSHIPS} townships, policy ${POLICY}`,
      `Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; load ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after`,
      `  First report ever (reads all facts, stores the summary): ${fmt(coldMs)} ms`,
      `  ${REPORTS} reports of the county (${last.data.rows.length} rows: county, townships, villages) as of ${TODAY} while ${CONCURRENCY} payments were in flight: p50 ${fmt(quantile(latencies, 0.5), 1)} ms, p95 ${fmt(p95, 1)} ms, max ${fmt(Math.max(...latencies), 1)} ms`,
      `  Payments recorded meanwhile: ${fmt(recordedDuring)} in ${fmt(elapsed)} ms (${fmt(recordedDuring / (elapsed / 1000))}/s)`,
      `  Last report: enrolled ${fmt(county?.today.enrolled ?? 0)} (+${fmt(county?.change.enrolled ?? 0)} today), coverage ${county?.coverage}%`,
      `  Target p95 ≤ ${TARGET_MS} ms: ${fmt(p95, 1)} ms — ${p95 <= TARGET_MS ? 'met' : 'NOT met'}`,
      rankingLine,
      coldLine('right after the run', coldAfterRun),
      coldLine(`after ${fmt(laterTo - laterFrom)} more payments with no report`, coldAfterLater),
      coldLine('once more (the summary written back)', coldAgain),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (options.cold) await coldRun(options.cold);
else await main();
