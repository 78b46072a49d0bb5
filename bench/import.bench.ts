/**
 * `npm run bench:import` — the import benchmark.
 *
 * Generates a synthetic roster of 1,000,000 persons of 埇桥区 (341302) as a UTF-8 CSV with BOM
 * (valid ID numbers, households of 1–6 in the 14 seed villages of 蕲县镇), and the department lists
 * of the ~9% in subsidised groups (民政, 乡村振兴, 残联). Generation is not timed. Then, per engine:
 *
 * 1. The import: a fresh database, `importFile` of the roster (kind population), then each
 *    department list (kind groups). Wall time, peak RSS sampled every 50 ms and the OS's maxRSS.
 * 2. The bare insert: another fresh database with the same migrations, the same households
 *    created beforehand, the people rows the import writes built in memory beforehand (none of it
 *    timed), then only the insert of those rows into `people` with one prepared statement in one
 *    transaction (better-sqlite3 on SQLite; a named pg query executed per row on PostgreSQL, and,
 *    labelled apart, multi-row statements of 1,000 rows).
 *
 * Each measurement runs in its own child process (this script again, with --child), so the
 * import's peak memory is its own and not what generation or the bare insert left behind.
 *
 * Targets (docs/BENCHMARKS.md): the roster import ≤ 3× the bare insert, peak RSS ≤ 512 MiB. The
 * figures are printed with whether each target was met; the exit code is 0 either way (non-zero
 * only when something errors).
 *
 * Options: --persons N (default 1000000), --seed N, --skip-pg, --json (also print the figures as
 * JSON), --keep (keep the temporary folder with the CSV files).
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type DepartmentCode, idCheckCharacter } from '@canbao/core';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { type DatabaseHandle, openDatabase, SQLITE_FILE } from '../packages/server/src/db/open.ts';
import { QIXIAN_VILLAGES } from '../packages/server/src/db/seed.ts';
import { startThrowawayPostgres } from '../packages/server/src/db/throwaway-postgres.ts';
import { importFile } from '../packages/server/src/registry/import.ts';
import { groups } from '../packages/server/src/registry/kinds/groups.ts';
import { population } from '../packages/server/src/registry/kinds/population.ts';
import { MIX, mulberry32 } from './synthetic.ts';

const TARGET_RATIO = 3;
const TARGET_PEAK_MIB = 512;
const COUNTY = '341302';
const TODAY = '2026-11-24';
/** The 14 seed villages of 蕲县镇: 341302900001…014 in this order. */
const VILLAGES = QIXIAN_VILLAGES;
const villageCode = (i: number) => `341302900${String(i + 1).padStart(3, '0')}`;

/** Each subsidised group: the department that certifies it and the label its list writes. */
const GROUP_LISTS: Readonly<Record<string, { department: DepartmentCode; label: string }>> = {
  tekun: { department: 'civil_affairs', label: '特困人员' },
  dibao: { department: 'civil_affairs', label: '低保对象' },
  jiance: { department: 'rural_revitalisation', label: '监测对象' },
  fanpin: { department: 'rural_revitalisation', label: '返贫致贫人口' },
  tuopin: { department: 'rural_revitalisation', label: '脱贫人口' },
  disabled_severe: { department: 'disabled_federation', label: '一二级残疾人' },
};
const DEPARTMENT_ORDER: readonly DepartmentCode[] = [
  'civil_affairs',
  'rural_revitalisation',
  'disabled_federation',
];

const { values: options } = parseArgs({
  options: {
    persons: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '20261124' },
    'skip-pg': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    // Internal: the measurement a child process runs, and where.
    child: { type: 'string' },
    engine: { type: 'string' },
    work: { type: 'string' },
    url: { type: 'string' },
  },
});

const now = () => process.hrtime.bigint();
const msSince = (start: bigint) => Number(now() - start) / 1e6;
const MiB = 2 ** 20;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---- Generation --------------------------------------------------------------------------------

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢';
const GIVEN =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌浩宇欣怡子涵梓轩雨婷佳琪俊杰晨阳';

/** Days since 1970-01-01 → YYYYMMDD. */
function compactDate(epochDay: number): string {
  const d = new Date(epochDay * 86_400_000);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}
const isoDate = (epochDay: number) => new Date(epochDay * 86_400_000).toISOString().slice(0, 10);
const TODAY_DAY = Math.floor(Date.parse(`${TODAY}T00:00:00Z`) / 86_400_000);

interface Generated {
  readonly roster: string;
  readonly lists: readonly { department: DepartmentCode; file: string; rows: number }[];
  readonly persons: number;
  readonly households: number;
  readonly subsidisedPersons: number;
  readonly bytes: number;
  readonly ms: number;
}

/**
 * Writes the roster and the department lists. Streams lines to the files in blocks, so generation
 * holds only the ID-number sequence counters and the (small) department lists in memory.
 */
function generate(dir: string, persons: number, seed: number): Generated {
  const start = now();
  const random = mulberry32(seed);
  const pick = (text: string) => text[Math.floor(random() * text.length)] as string;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  // GB 11643's sequence digits (positions 15–17) count the persons born on one day in one area,
  // odd for men and even for women: one counter per birth day and sex keeps every number unique.
  const sequence = new Map<number, number>();
  const idNumber = (birthDay: number, male: boolean) => {
    const key = birthDay * 2 + (male ? 1 : 0);
    const n = sequence.get(key) ?? 0;
    sequence.set(key, n + 1);
    const seq = n * 2 + (male ? 1 : 0);
    if (seq > 999) throw new Error('too many persons born on one day for one area code');
    const first17 = `${COUNTY}${compactDate(birthDay)}${String(seq).padStart(3, '0')}`;
    return first17 + idCheckCharacter(first17);
  };
  const birthDayFor = (age: number) => TODAY_DAY - age * 365 - between(0, 364);
  const subsidised = MIX.subsidised;
  const subsidisedShare = subsidised.reduce((s, [, p]) => s + p, 0);
  const drawGroup = () => {
    let r = random() * subsidisedShare;
    for (const [group, p] of subsidised) {
      r -= p;
      if (r < 0) return group;
    }
    return subsidised[0][0];
  };

  const rosterPath = join(dir, 'roster.csv');
  const roster = openSync(rosterPath, 'w');
  let block: string[] = ['\uFEFF姓名,公民身份号码,性别,户号,与户主关系,村（社区）,联系电话'];
  const flush = (force = false) => {
    if (block.length >= 10_000 || force) {
      writeSync(roster, `${block.join('\r\n')}\r\n`);
      block = [];
    }
  };
  const listLines = new Map<DepartmentCode, string[]>(DEPARTMENT_ORDER.map((d) => [d, []]));
  let written = 0;
  let households = 0;
  let subsidisedPersons = 0;
  const person = (household: string, village: number, relation: string, age: number, male: boolean) => {
    const birthDay = birthDayFor(Math.max(0, Math.min(age, 100)));
    const id = idNumber(birthDay, male);
    const name = pick(SURNAMES) + pick(GIVEN) + (random() < 0.6 ? pick(GIVEN) : '');
    const phone =
      random() < (relation === '户主' ? 0.9 : 0.4)
        ? `1${between(30, 99)}${between(10_000_000, 99_999_999)}`
        : '';
    block.push(`${name},${id},${male ? '男' : '女'},${household},${relation},${VILLAGES[village]},${phone}`);
    flush();
    written++;
    if (random() < subsidisedShare) {
      subsidisedPersons++;
      const first = drawGroup();
      const drawn: string[] = [first];
      if (random() < MIX.overlap) {
        const second = drawGroup();
        if (second !== first) drawn.push(second);
      }
      for (const group of drawn) {
        const list = GROUP_LISTS[group] as { department: DepartmentCode; label: string };
        const certified = isoDate(TODAY_DAY - between(1, MIX.certifiedWithinDays));
        listLines.get(list.department)?.push(`${name},${id},${list.label},${certified},${VILLAGES[village]}`);
      }
    }
  };
  // Household sizes 1–6 (mean about 3.1).
  const sizeWeights = [0.15, 0.25, 0.22, 0.2, 0.12, 0.06];
  while (written < persons) {
    let r = random();
    let size = 1;
    for (const w of sizeWeights) {
      r -= w;
      if (r < 0) break;
      size++;
    }
    size = Math.min(size, 6, persons - written);
    households++;
    const household = String(households).padStart(9, '0');
    const village = Math.floor(random() * VILLAGES.length);
    const headAge = between(22, 88);
    const headMale = random() < 0.8;
    person(household, village, '户主', headAge, headMale);
    if (size >= 2) person(household, village, '配偶', Math.max(20, headAge + between(-5, 5)), !headMale);
    for (let k = 3; k <= size; k++) {
      const r2 = random();
      const male = random() < 0.52;
      if (r2 < 0.15 && headAge <= 60) {
        person(household, village, male ? '父亲' : '母亲', headAge + between(20, 32), male);
      } else if (r2 < 0.3 && headAge >= 50) {
        person(household, village, male ? '孙子' : '孙女', Math.max(0, headAge - between(45, 60)), male);
      } else {
        person(household, village, male ? '子' : '女', Math.max(0, headAge - between(20, 38)), male);
      }
    }
  }
  flush(true);
  closeSync(roster);

  const lists = DEPARTMENT_ORDER.map((department) => {
    const file = join(dir, `groups-${department}.csv`);
    const lines = listLines.get(department) as string[];
    const fd = openSync(file, 'w');
    writeSync(fd, `\uFEFF姓名,公民身份号码,人员类别,认定日期,村（社区）\r\n`);
    for (let i = 0; i < lines.length; i += 10_000)
      writeSync(fd, `${lines.slice(i, i + 10_000).join('\r\n')}\r\n`);
    closeSync(fd);
    return { department, file, rows: lines.length };
  });
  return {
    roster: rosterPath,
    lists,
    persons: written,
    households,
    subsidisedPersons,
    bytes: statSync(rosterPath).size,
    ms: msSince(start),
  };
}

// ---- Child: the import -------------------------------------------------------------------------

interface ImportFigures {
  roster: {
    ms: number;
    rowsTotal: number;
    rowsWritten: number;
    counts: Record<string, number>;
    peakRssSampledBytes: number;
    maxRssBytes: number;
    rssBeforeBytes: number;
  };
  lists: { department: string; ms: number; rows: number; counts: Record<string, number> }[];
  tables: Record<string, number>;
}

async function openFresh(engine: string, work: string, label: string, url?: string): Promise<DatabaseHandle> {
  if (engine === 'sqlite') return openDatabase({ dataDir: join(work, label) });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const name = `canbao_bench_${label}`;
  try {
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return openDatabase({ url: (url as string).replace(/\/[^/]*$/, `/${name}`), migrate: 'auto' });
}

async function childImport(engine: string, work: string, url?: string): Promise<ImportFigures> {
  const generated = JSON.parse(readFileSync(join(work, 'generated.json'), 'utf8')) as Generated;
  const handle = await openFresh(engine, work, 'import', url);
  try {
    let peak = process.memoryUsage().rss;
    const rssBeforeBytes = peak;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    let start = now();
    const result = await importFile({
      handle,
      kind: population,
      file: generated.roster,
      countyCode: COUNTY,
      today: TODAY,
      actor: 'bench',
    });
    const rosterMs = msSince(start);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    // maxRSS is in KiB.
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    if (result.status !== 'completed') {
      throw new Error(
        `roster import ${result.status}: ${result.errors
          .slice(0, 5)
          .map((e) => `${e.line} ${e.column} ${e.reason}`)
          .join('; ')}`,
      );
    }
    const lists: ImportFigures['lists'] = [];
    for (const list of generated.lists) {
      start = now();
      const r = await importFile({
        handle,
        kind: groups,
        file: list.file,
        countyCode: COUNTY,
        department: list.department,
        today: TODAY,
        actor: 'bench',
      });
      const ms = msSince(start);
      if (r.status !== 'completed') throw new Error(`${list.department} list import ${r.status}`);
      lists.push({ department: list.department, ms, rows: r.rowsWritten, counts: r.counts });
    }
    const tables: Record<string, number> = {};
    for (const table of ['people', 'households', 'household_members', 'person_groups'] as const) {
      const { n } = await handle.db
        .selectFrom(table)
        .select(handle.db.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      tables[table] = Number(n);
    }
    const { n: heads } = await handle.db
      .selectFrom('households')
      .select(handle.db.fn.countAll<number>().as('n'))
      .where('head_person_id', 'is not', null)
      .executeTakeFirstOrThrow();
    tables.householdsWithHead = Number(heads);
    return {
      roster: {
        ms: rosterMs,
        rowsTotal: result.rowsTotal,
        rowsWritten: result.rowsWritten,
        counts: result.counts,
        peakRssSampledBytes: peak,
        maxRssBytes,
        rssBeforeBytes,
      },
      lists,
      tables,
    };
  } finally {
    await handle.close();
  }
}

// ---- Child: the bare insert --------------------------------------------------------------------

const PEOPLE_COLUMNS = [
  'county_code',
  'doc_type',
  'doc_number',
  'name',
  'sex',
  'birth_date',
  'hukou_region_code',
  'residence_region_code',
  'address',
  'household_id',
  'phone',
  'deceased_on',
  'is_student',
  'school',
  'created_at',
  'updated_at',
  'source_import_id',
] as const;

interface BareFigures {
  rows: number;
  /** One prepared statement, executed per row, in one transaction. */
  perRowMs: number;
  /** PostgreSQL only: multi-row statements of MULTI_ROWS rows, in one transaction, on a fresh database. */
  multiRowMs?: number;
  prepareMs: number;
}

const MULTI_ROWS = 1000;

/** The roster's households (number → village code), in file order, as the import creates them. */
function readRoster(file: string) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\r\n');
  const villageOf = new Map(VILLAGES.map((v, i) => [v, villageCode(i)]));
  const people: { cells: string[] }[] = [];
  const households = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const cells = line.split(',');
    people.push({ cells });
    households.set(cells[3] as string, villageOf.get(cells[5] as string) as string);
  }
  return { people, households, villageOf };
}

/** The people rows as the import writes them (values in PEOPLE_COLUMNS order). */
function peopleValues(file: string, householdId: (number: string) => number, importId: number): unknown[][] {
  const { people, villageOf } = readRoster(file);
  const stamp = new Date().toISOString();
  return people.map(({ cells }) => {
    const id = cells[1] as string;
    return [
      COUNTY,
      'resident_id',
      id,
      cells[0],
      id.charCodeAt(16) % 2 === 1 ? 'male' : 'female',
      `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
      villageOf.get(cells[5] as string),
      null,
      null,
      householdId(cells[3] as string),
      cells[6] || null,
      null,
      0,
      null,
      stamp,
      stamp,
      importId,
    ];
  });
}

async function childBare(engine: string, work: string, url?: string): Promise<BareFigures> {
  const generated = JSON.parse(readFileSync(join(work, 'generated.json'), 'utf8')) as Generated;
  return engine === 'sqlite' ? bareSqlite(work, generated) : barePostgres(work, generated, url as string);
}

async function bareSqlite(work: string, generated: Generated): Promise<BareFigures> {
  const prepareStart = now();
  // Migrated and seeded by canbao, then closed: the bare insert uses the file directly.
  const handle = await openFresh('sqlite', work, 'bare');
  await handle.close();
  const sqlite = new BetterSqlite3(join(work, 'bare', SQLITE_FILE));
  // The same settings canbao opens its database with (db/open.ts).
  sqlite.pragma('locking_mode = EXCLUSIVE');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const stamp = new Date().toISOString();
  const importId = Number(
    sqlite
      .prepare(
        `insert into imports (county_code, kind, file_name, file_sha256, status, accept_valid, rows_total,
          rows_written, rows_rejected, summary, actor, started_at, finished_at)
         values (?, 'population', 'roster.csv', '', 'completed', 0, 0, 0, 0, '{}', 'bench', ?, ?)`,
      )
      .run(COUNTY, stamp, stamp).lastInsertRowid,
  );
  const { households } = readRoster(generated.roster);
  const ids = new Map<string, number>();
  const insertHousehold = sqlite.prepare(
    'insert into households (county_code, number, village_code, created_at, updated_at) values (?, ?, ?, ?, ?)',
  );
  sqlite.transaction(() => {
    for (const [number, village] of households)
      ids.set(number, Number(insertHousehold.run(COUNTY, number, village, stamp, stamp).lastInsertRowid));
  })();
  const rows = peopleValues(generated.roster, (n) => ids.get(n) as number, importId);
  const insert = sqlite.prepare(
    `insert into people (${PEOPLE_COLUMNS.join(', ')}) values (${PEOPLE_COLUMNS.map(() => '?').join(', ')})`,
  );
  const prepareMs = msSince(prepareStart);
  const start = now();
  sqlite.transaction(() => {
    for (const row of rows) insert.run(row);
  })();
  const perRowMs = msSince(start);
  sqlite.close();
  return { rows: rows.length, perRowMs, prepareMs };
}

/** A fresh database with the households and an imports row; returns the client and the rows. */
async function preparePostgres(work: string, generated: Generated, url: string, label: string) {
  const handle = await openFresh('postgres', work, label, url);
  await handle.close();
  const client = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, `/canbao_bench_${label}`) });
  await client.connect();
  const stamp = new Date().toISOString();
  const { rows: imported } = await client.query(
    `insert into imports (county_code, kind, file_name, file_sha256, status, accept_valid, rows_total,
       rows_written, rows_rejected, summary, actor, started_at, finished_at)
     values ($1, 'population', 'roster.csv', '', 'completed', 0, 0, 0, 0, '{}', 'bench', $2, $2) returning id`,
    [COUNTY, stamp],
  );
  const importId = Number(imported[0].id);
  const { households } = readRoster(generated.roster);
  const ids = new Map<string, number>();
  const entries = [...households];
  for (let i = 0; i < entries.length; i += 10_000) {
    const part = entries.slice(i, i + 10_000);
    const { rows } = await client.query(
      `insert into households (county_code, number, village_code, created_at, updated_at)
       select $1, number, village, $2, $2 from unnest($3::text[], $4::text[]) as t(number, village)
       returning id, number`,
      [COUNTY, stamp, part.map(([n]) => n), part.map(([, v]) => v)],
    );
    for (const r of rows) ids.set(r.number, Number(r.id));
  }
  const values = peopleValues(generated.roster, (n) => ids.get(n) as number, importId);
  return { client, values };
}

async function barePostgres(work: string, generated: Generated, url: string): Promise<BareFigures> {
  const prepareStart = now();
  const single = await preparePostgres(work, generated, url, 'bare');
  const prepareMs = msSince(prepareStart);
  const text = `insert into people (${PEOPLE_COLUMNS.join(', ')}) values (${PEOPLE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
  let start = now();
  await single.client.query('begin');
  for (const row of single.values) await single.client.query({ name: 'insert_person', text, values: row });
  await single.client.query('commit');
  const perRowMs = msSince(start);
  await single.client.end();
  const rows = single.values.length;
  single.values.length = 0;

  // Labelled apart: the same rows in multi-row statements, on another fresh database.
  const multi = await preparePostgres(work, generated, url, 'bare_multi');
  const width = PEOPLE_COLUMNS.length;
  const placeholders = (n: number) =>
    Array.from(
      { length: n },
      (_, r) => `(${PEOPLE_COLUMNS.map((__, c) => `$${r * width + c + 1}`).join(', ')})`,
    ).join(', ');
  const full = `insert into people (${PEOPLE_COLUMNS.join(', ')}) values ${placeholders(MULTI_ROWS)}`;
  start = now();
  await multi.client.query('begin');
  for (let i = 0; i < multi.values.length; i += MULTI_ROWS) {
    const part = multi.values.slice(i, i + MULTI_ROWS);
    const flat = part.flat();
    if (part.length === MULTI_ROWS)
      await multi.client.query({ name: 'insert_people', text: full, values: flat });
    else
      await multi.client.query(
        `insert into people (${PEOPLE_COLUMNS.join(', ')}) values ${placeholders(part.length)}`,
        flat,
      );
  }
  await multi.client.query('commit');
  const multiRowMs = msSince(start);
  await multi.client.end();
  return { rows, perRowMs, multiRowMs, prepareMs };
}

// ---- Running a child ---------------------------------------------------------------------------

function runChild<T>(child: 'import' | 'bare', engine: string, work: string, url?: string): Promise<T> {
  // Write out what the previous phase left in the page cache first, so that its writeback does
  // not land in this phase's time.
  try {
    execFileSync('sync');
  } catch {
    // No sync(1): measure anyway.
  }
  const args = [process.argv[1] as string, '--child', child, '--engine', engine, '--work', work];
  if (url) args.push('--url', url);
  return new Promise((resolve, reject) => {
    const proc = execFile(
      process.execPath,
      args,
      { maxBuffer: 64 * MiB, encoding: 'utf8' },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) as string) as T);
      },
    );
    proc.stderr?.pipe(process.stderr);
  });
}

// ---- Main --------------------------------------------------------------------------------------

interface EngineFigures {
  engine: 'sqlite' | 'postgres';
  import: ImportFigures;
  bare: BareFigures;
  ratio: number;
  ratioMultiRow?: number;
  ratioMet: boolean;
  peakBytes: number;
  memoryMet: boolean;
}

async function main() {
  if (options.child) {
    const engine = options.engine as string;
    const work = options.work as string;
    const figures =
      options.child === 'import'
        ? await childImport(engine, work, options.url)
        : await childBare(engine, work, options.url);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }

  const persons = Number(options.persons);
  const seed = Number(options.seed);
  const loadBefore = loadavg()[0] as number;
  const work = mkdtempSync(join(tmpdir(), 'canbao-bench-import-'));
  const log = (text: string) => process.stderr.write(`${text}\n`);
  let cluster: Awaited<ReturnType<typeof startThrowawayPostgres>> = null;
  try {
    log(`Generating ${fmt(persons)} persons into ${work} …`);
    const generated = generate(work, persons, seed);
    writeFileSync(join(work, 'generated.json'), JSON.stringify(generated));
    log(
      `  ${fmt(generated.persons)} persons in ${fmt(generated.households)} households, ${fmt(generated.bytes / MiB, 1)} MiB, ` +
        `${fmt(generated.subsidisedPersons)} in subsidised groups; ${fmt(generated.ms)} ms (not timed)`,
    );

    const engines: EngineFigures[] = [];
    const measure = async (engine: 'sqlite' | 'postgres', url?: string) => {
      log(`${engine}: import …`);
      const imported = await runChild<ImportFigures>('import', engine, work, url);
      log(`${engine}: import ${fmt(imported.roster.ms)} ms; bare insert …`);
      const bare = await runChild<BareFigures>('bare', engine, work, url);
      const peakBytes = Math.max(imported.roster.peakRssSampledBytes, imported.roster.maxRssBytes);
      const ratio = imported.roster.ms / bare.perRowMs;
      engines.push({
        engine,
        import: imported,
        bare,
        ratio,
        ...(bare.multiRowMs === undefined ? {} : { ratioMultiRow: imported.roster.ms / bare.multiRowMs }),
        ratioMet: ratio <= TARGET_RATIO,
        peakBytes,
        memoryMet: peakBytes <= TARGET_PEAK_MIB * MiB,
      });
    };
    await measure('sqlite');
    let pgNote: string | null = null;
    if (options['skip-pg']) pgNote = 'PostgreSQL skipped (--skip-pg)';
    else {
      cluster = await startThrowawayPostgres();
      if (!cluster) pgNote = 'PostgreSQL skipped: binaries not found (set CANBAO_PG_BIN)';
      else await measure('postgres', cluster.url);
    }
    const loadAfter = loadavg()[0] as number;

    const lines: string[] = [];
    const out = (text = '') => lines.push(text);
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadBefore,
      loadAfter,
    };
    out(`canbao import benchmark — ${fmt(generated.persons)} persons, seed ${seed}`);
    out(
      `Machine: ${machine.cpus} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB; Node ${machine.node}; ` +
        `load ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`,
    );
    out(
      `Roster: ${fmt(generated.bytes / MiB, 1)} MiB CSV, ${fmt(generated.households)} households; department lists: ` +
        generated.lists.map((l) => `${l.department} ${fmt(l.rows)} rows`).join(', '),
    );
    for (const e of engines) {
      const r = e.import.roster;
      out();
      out(`[${e.engine}]`);
      out(
        `  Import of the roster (importFile, validation included): ${fmt(r.ms)} ms, ` +
          `${fmt(r.rowsTotal / (r.ms / 1000))} rows/s; counts ${JSON.stringify(r.counts)}`,
      );
      out(
        `  Peak RSS during the import: ${fmt(r.peakRssSampledBytes / MiB)} MiB sampled every 50 ms, ` +
          `${fmt(r.maxRssBytes / MiB)} MiB maxRSS (OS); ${fmt(r.rssBeforeBytes / MiB)} MiB before`,
      );
      for (const l of e.import.lists) {
        out(
          `  Department list ${l.department} (kind groups): ${fmt(l.rows)} rows in ${fmt(l.ms)} ms; counts ${JSON.stringify(l.counts)}`,
        );
      }
      out(`  Tables after: ${JSON.stringify(e.import.tables)}`);
      out(
        `  Bare insert into people, one prepared statement per row, one transaction: ${fmt(e.bare.perRowMs)} ms ` +
          `(${fmt(e.bare.rows / (e.bare.perRowMs / 1000))} rows/s)`,
      );
      if (e.bare.multiRowMs !== undefined) {
        out(
          `  Bare insert, multi-row statements of ${MULTI_ROWS} rows (for comparison only): ${fmt(e.bare.multiRowMs)} ms; ` +
            `import / multi-row = ${e.ratioMultiRow?.toFixed(2)}×`,
        );
      }
      out(
        `  Target import ≤ ${TARGET_RATIO}× bare insert: ${e.ratio.toFixed(2)}× — ${e.ratioMet ? 'met' : 'NOT met'}`,
      );
      out(
        `  Target peak memory ≤ ${TARGET_PEAK_MIB} MiB: ${fmt(e.peakBytes / MiB)} MiB — ${e.memoryMet ? 'met' : 'NOT met'}`,
      );
    }
    if (pgNote) {
      out();
      out(pgNote);
    }
    console.log(lines.join('\n'));
    if (options.json) {
      console.log(JSON.stringify({ machine, persons: generated.persons, seed, generated, engines }, null, 2));
    }
  } finally {
    cluster?.stop();
    if (options.keep) log(`Kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
