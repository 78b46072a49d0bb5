/**
 * `npm run bench:engine` — the engine benchmark.
 *
 * Assesses 1,000,000 synthetic persons (bench/synthetic.ts) under each of the four policies with
 * assessBatch (a why code each) and prints persons per second, then the latency of a full
 * explanation for one person: assess() from facts JSON, and explainWhy() from a stored why code.
 *
 * Targets (docs/BENCHMARKS.md): ≥ 3,000,000 persons/s on one core; a full explanation ≤ 1 ms.
 * The figures are printed with whether each target was met; the exit code is 0 either way
 * (non-zero only when something errors).
 *
 * Options: --persons N (default 1000000), --runs N timed rounds (default 7, at least 5),
 * --warmup N rounds (default 3), --calls N explanation calls per policy (default 10000),
 * --seed N, --json (also print the figures as JSON).
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  allocateBatchResults,
  assess,
  assessBatch,
  type BatchFacts,
  type BatchResults,
  explainWhy,
  type Policy,
  toEpochDay,
} from '@canbao/core';
import { loadPolicy } from '../packages/server/src/policy/repository.ts';
import { calendarOf, generatePopulation, personFacts, placePopulation } from './synthetic.ts';

const POLICY_IDS = ['qimen-2023', 'qixian-2022', 'yaohai-2024', 'dalate-2023'];
const TARGET_PERSONS_PER_SECOND = 3_000_000;
const TARGET_EXPLANATION_MS = 1;

const { values: options } = parseArgs({
  options: {
    persons: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '3' },
    calls: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '20261124' },
    json: { type: 'boolean', default: false },
  },
});
const PERSONS = Number(options.persons);
const RUNS = Math.max(5, Number(options.runs));
const WARMUP = Number(options.warmup);
const CALLS = Number(options.calls);
const SEED = Number(options.seed);
const loadBefore = loadavg()[0] as number;

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

const now = () => process.hrtime.bigint();
const msSince = (start: bigint) => Number(now() - start) / 1e6;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: readonly number[]) => quantile(xs, 0.5);
function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

// ---- Policies ----------------------------------------------------------------------------------

const policies: Policy[] = [];
const missing: { id: string; error: string }[] = [];
for (const id of POLICY_IDS) {
  try {
    policies.push(loadPolicy(id));
  } catch (error) {
    missing.push({
      id,
      error: error instanceof Error ? (error.message.split('\n')[0] as string) : String(error),
    });
  }
}
if (policies.length === 0) throw new Error('no policy could be loaded');

// ---- Population (not timed in the rates) -------------------------------------------------------

let start = now();
const population = generatePopulation(PERSONS, SEED);
const generateMs = msSince(start);
start = now();
const batches = new Map<Policy, BatchFacts>(
  policies.map((p) => [p, placePopulation(population, calendarOf(p))]),
);
const placeMs = msSince(start);
sampleRss();

// ---- Batch rate --------------------------------------------------------------------------------

/**
 * One set of result buffers per policy, reused across runs as a county-wide job would: fresh arrays every run
 * cost page faults on first touch. Minor page faults are still counted and printed.
 */
const resultBuffers = new Map(policies.map((p) => [p, allocateBatchResults(PERSONS)] as const));

const runOnce = (policy: Policy): { ms: number; faults: number; results: BatchResults } => {
  const batch = batches.get(policy) as BatchFacts;
  const faults = process.resourceUsage().minorPageFault;
  const t = now();
  const results = assessBatch(policy, batch, resultBuffers.get(policy));
  const ms = msSince(t);
  return { ms, faults: process.resourceUsage().minorPageFault - faults, results };
};

// The first call compiles each policy (tables built with Temporal): timed apart, as "first run".
const firstRunMs = new Map<Policy, number>();
for (const p of policies) firstRunMs.set(p, runOnce(p).ms);
for (let w = 0; w < WARMUP; w++) for (const p of policies) runOnce(p);
sampleRss();

// Each timed round runs every policy over the whole population, in turn.
const times = new Map<Policy, number[]>(policies.map((p) => [p, []]));
const faults = new Map<Policy, number[]>(policies.map((p) => [p, []]));
const roundMs: number[] = [];
const lastResults = new Map<Policy, BatchResults>();
for (let r = 0; r < RUNS; r++) {
  let round = 0;
  for (const p of policies) {
    const run = runOnce(p);
    const { ms, results } = run;
    (times.get(p) as number[]).push(ms);
    (faults.get(p) as number[]).push(run.faults);
    round += ms;
    lastResults.set(p, results);
  }
  roundMs.push(round);
  sampleRss();
}

interface PolicyFigures {
  id: string;
  firstRunMs: number;
  runsMs: number[];
  runsPageFaults: number[];
  bestMs: number;
  medianMs: number;
  bestRate: number;
  medianRate: number;
  distinctWhy: number;
  eligibleShare: number;
  explanation: Record<string, { medianUs: number; p99Us: number; maxUs: number; calls: number }>;
  sampleErrors: number;
  sampleMismatches: number;
}

const figures: PolicyFigures[] = [];
for (const p of policies) {
  const ts = times.get(p) as number[];
  const results = lastResults.get(p) as BatchResults;
  let eligible = 0;
  for (let i = 0; i < PERSONS; i++) eligible += results.eligible[i] as number;
  figures.push({
    id: p.id,
    firstRunMs: firstRunMs.get(p) as number,
    runsMs: ts,
    runsPageFaults: faults.get(p) as number[],
    bestMs: Math.min(...ts),
    medianMs: median(ts),
    bestRate: PERSONS / (Math.min(...ts) / 1000),
    medianRate: PERSONS / (median(ts) / 1000),
    distinctWhy: results.whyCodes.length,
    eligibleShare: eligible / PERSONS,
    explanation: {},
    sampleErrors: 0,
    sampleMismatches: 0,
  });
}
const total = PERSONS * policies.length;
const overallBestRate = total / (Math.min(...roundMs) / 1000);
const overallMedianRate = total / (median(roundMs) / 1000);

// ---- Explanation latency -----------------------------------------------------------------------

/** Times `calls` calls of fn(k) (k cycling over the sample), after a warm-up; microseconds. */
function latency(calls: number, size: number, fn: (k: number) => unknown) {
  for (let k = 0; k < Math.min(2000, calls); k++) fn(k % size);
  const us = new Float64Array(calls);
  let sink = 0;
  for (let k = 0; k < calls; k++) {
    const t = now();
    const out = fn(k % size);
    us[k] = Number(now() - t) / 1000;
    if (out) sink++;
  }
  if (sink < 0) console.log(sink);
  const list = Array.from(us);
  return { medianUs: median(list), p99Us: quantile(list, 0.99), maxUs: Math.max(...list), calls };
}

const SAMPLE = Math.min(1000, PERSONS);
for (const [index, p] of policies.entries()) {
  const f = figures[index] as PolicyFigures;
  const batch = batches.get(p) as BatchFacts;
  const results = lastResults.get(p) as BatchResults;
  const newbornFrom = toEpochDay(p.newborn.bornOnOrAfter);
  // A fixed, spread-out sample of persons, converted to facts JSON outside the timing.
  const step = Math.max(1, Math.floor(PERSONS / SAMPLE));
  const facts: Record<string, unknown>[] = [];
  const whys: string[] = [];
  for (let i = 0; facts.length < SAMPLE && i < PERSONS; i += step) {
    const newborn = (batch.birthDay[i] as number) >= newbornFrom;
    const personal = personFacts(batch, i, newborn && p.newborn.yearChoice ? p.benefitYear : undefined);
    const why = results.whyCodes[results.why[i] as number] as string;
    try {
      // Sanity (not a speed assertion): the single-person path must give the batch's why code.
      if (assess(p, personal).why !== why) {
        f.sampleMismatches++;
        continue;
      }
      facts.push(personal);
      whys.push(why);
    } catch {
      f.sampleErrors++;
    }
  }
  f.explanation['assess(facts)'] = latency(CALLS, facts.length, (k) => assess(p, facts[k]));
  f.explanation['explainWhy(why)'] = latency(CALLS, whys.length, (k) => explainWhy(p, whys[k] as string));
  f.explanation['explainWhy(why, facts)'] = latency(CALLS, whys.length, (k) =>
    explainWhy(p, whys[k] as string, facts[k]),
  );
  sampleRss();
}

// ---- Report ------------------------------------------------------------------------------------

sampleRss();
const osPeakRss = process.resourceUsage().maxRSS * 1024;
const machine = {
  date: new Date().toISOString().slice(0, 10),
  /** 1-minute load average before and after: above ~1 other processes were competing for the cores. */
  loadAverage: [loadBefore, loadavg()[0] as number],
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  ramGiB: totalmem() / 2 ** 30,
};
const worst = (kind: string, key: 'medianUs' | 'p99Us') =>
  Math.max(...figures.map((f) => (f.explanation[kind] as { medianUs: number; p99Us: number })[key]));
const explanationP99Ms =
  Math.max(...figures.flatMap((f) => Object.values(f.explanation).map((e) => e.p99Us))) / 1000;
const rateMet = overallMedianRate >= TARGET_PERSONS_PER_SECOND;
const explanationMet = explanationP99Ms <= TARGET_EXPLANATION_MS;

const lines: string[] = [];
const out = (s = '') => lines.push(s);
out('canbao engine benchmark');
out(
  `${machine.date} · Node ${machine.node} · ${machine.cpu} · ${machine.cores} cores · ${fmt(machine.ramGiB, 1)} GiB RAM`,
);
out('(the batch loop runs on one thread: one core of the machine)');
out(
  `1-minute load average ${fmt(machine.loadAverage[0] as number, 2)} before, ${fmt(machine.loadAverage[1] as number, 2)} after` +
    (Math.max(...machine.loadAverage) > 1.2
      ? ' — other processes were competing for the 2 cores: figures are pessimistic'
      : ''),
);
out();
out(
  `Population: ${fmt(PERSONS)} synthetic persons, seed ${SEED}; generated in ${fmt(generateMs)} ms, ` +
    `placed on ${policies.length} policy calendars in ${fmt(placeMs)} ms (not timed below)`,
);
out(`Policies: ${policies.map((p) => p.id).join(', ')}`);
for (const m of missing) out(`  NOT LOADED ${m.id}: ${m.error}`);
out();
out(
  `assessBatch, ${WARMUP} warm-up rounds, ${RUNS} timed rounds (each round: every policy over every person)`,
);
const header = [
  'policy',
  'first run ms',
  'best ms',
  'median ms',
  'best persons/s',
  'median persons/s',
  'why codes',
  'eligible',
];
const rows = figures.map((f) => [
  f.id,
  fmt(f.firstRunMs, 1),
  fmt(f.bestMs, 1),
  fmt(f.medianMs, 1),
  fmt(f.bestRate),
  fmt(f.medianRate),
  String(f.distinctWhy),
  `${fmt(f.eligibleShare * 100, 1)}%`,
]);
rows.push([
  `all (${fmt(total)})`,
  '',
  fmt(Math.min(...roundMs), 1),
  fmt(median(roundMs), 1),
  fmt(overallBestRate),
  fmt(overallMedianRate),
  '',
  '',
]);
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
const row = (cells: readonly string[]) =>
  cells
    .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
    .join('  ');
out(row(header));
for (const r of rows) out(row(r));
const faulting = figures.flatMap((f) => f.runsMs.filter((_, r) => (f.runsPageFaults[r] as number) > 1000));
const clean = figures.flatMap((f) => f.runsMs.filter((_, r) => (f.runsPageFaults[r] as number) <= 1000));
out(
  `Runs that page-faulted (> 1,000 minor faults, i.e. fresh memory for the ~23 MB of results): ${faulting.length} of ` +
    `${faulting.length + clean.length}; median ${fmt(faulting.length ? median(faulting) : 0, 1)} ms vs ` +
    `${fmt(clean.length ? median(clean) : 0, 1)} ms for the others`,
);
out();
out(`Full explanation for one person, ${fmt(CALLS)} calls per policy over ${SAMPLE} sampled persons (µs)`);
for (const f of figures) {
  const parts = Object.entries(f.explanation).map(
    ([kind, e]) => `${kind} median ${fmt(e.medianUs, 1)} p99 ${fmt(e.p99Us, 1)}`,
  );
  out(`  ${f.id.padEnd(12)} ${parts.join(' · ')}`);
  if (f.sampleErrors || f.sampleMismatches) {
    out(
      `  ${''.padEnd(12)} sample: ${f.sampleErrors} facts rejected by assess, ${f.sampleMismatches} why codes differing from the batch`,
    );
  }
}
out(
  `  worst median: assess ${fmt(worst('assess(facts)', 'medianUs'), 1)} µs, explainWhy ${fmt(worst('explainWhy(why)', 'medianUs'), 1)} µs; ` +
    `worst p99 of all: ${fmt(explanationP99Ms * 1000, 1)} µs`,
);
out();
out(
  `Peak RSS: ${fmt(peakRss / 2 ** 20)} MiB sampled (process.memoryUsage), ${fmt(osPeakRss / 2 ** 20)} MiB max (OS)`,
);
out();
out(
  `Target ≥ ${fmt(TARGET_PERSONS_PER_SECOND)} persons/s (median round, one core): ${fmt(overallMedianRate)} — ${met(rateMet)}`,
);
out(
  `Target full explanation ≤ ${TARGET_EXPLANATION_MS} ms (p99, worst policy and call): ${fmt(explanationP99Ms, 3)} ms — ${met(explanationMet)}`,
);
if (missing.length > 0)
  out(`Benchmarked ${policies.length} of ${POLICY_IDS.length} policies (see NOT LOADED above).`);
console.log(lines.join('\n'));

if (options.json) {
  console.log(
    JSON.stringify(
      {
        machine,
        persons: PERSONS,
        seed: SEED,
        runs: RUNS,
        warmup: WARMUP,
        policies: figures,
        missing,
        overall: {
          assessments: total,
          roundsMs: roundMs,
          bestRoundMs: Math.min(...roundMs),
          medianRoundMs: median(roundMs),
          bestRate: overallBestRate,
          medianRate: overallMedianRate,
        },
        peakRssBytes: peakRss,
        osPeakRssBytes: osPeakRss,
        targets: { rateMet, explanationMet, explanationP99Ms },
      },
      null,
      2,
    ),
  );
}
