/**
 * The synthetic county of the collection benchmarks (payments, withholding, withholding-floor):
 * people with enrollments awaiting payment (and, for withholding, withholding asked for and one
 * agreement card each), loaded directly because loading is not what they measure; and the bank's
 * answer to an exported batch.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assess } from '@canbao/core';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openCampaign } from '../packages/server/src/collection/campaign.ts';
import type { CollectionContext } from '../packages/server/src/collection/context.ts';
import { storedAssessment } from '../packages/server/src/collection/enrollments.ts';
import { type DatabaseHandle, openDatabase, SQLITE_FILE } from '../packages/server/src/db/open.ts';
import { openTable } from '../packages/server/src/files/read-table.ts';
import { loadPolicy } from '../packages/server/src/policy/repository.ts';
import { fmt, idNumberOf, log, ordinaryFacts } from './common.ts';

export const COUNTY = '341024';
export const POLICY = 'qimen-2023';
export const TODAY = '2022-10-12';
export const DEBITED_ON = '2022-10-12';

export type Engine = 'sqlite' | 'postgres';

/** A loaded county: its folder (the caller removes it) and how to open its database. */
export interface LoadedCounty {
  readonly work: string;
  readonly open: () => Promise<DatabaseHandle>;
}

let databases = 0;

/**
 * A new folder with a database (SQLite in the folder, or a new database on the PostgreSQL cluster
 * at `clusterUrl`) that has the campaign and a county of `size` people loaded.
 */
export async function loadedCounty(
  size: number,
  options: { withholding?: boolean; clusterUrl?: string } = {},
): Promise<LoadedCounty> {
  const work = mkdtempSync(join(tmpdir(), 'canbao-bench-county-'));
  let url: string | undefined;
  if (options.clusterUrl) {
    const name = `canbao_bench_${process.pid}_${++databases}`;
    const admin = new pg.Client({ connectionString: options.clusterUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    url = options.clusterUrl.replace(/\/[^/]*$/, `/${name}`);
  }
  const open = () => openDatabase(url ? { url, migrate: 'auto' } : { dataDir: work });
  const setup = await open();
  const { campaign } = await openCampaign(setup.db, {
    policyRef: POLICY,
    actor: 'bench',
    now: '2022-09-01T00:00:00.000Z',
  });
  await setup.close();
  log(`${fmt(size)} people: loading the county on ${url ? 'PostgreSQL' : 'SQLite'} (not timed) …`);
  const rows = countyRows(campaign.id, size, options.withholding ?? true);
  if (url) await writePostgres(url, rows);
  else writeSqlite(join(work, SQLITE_FILE), rows);
  return { work, open };
}

export const benchContext = (db: CollectionContext['db']): CollectionContext => ({
  db,
  countyCode: COUNTY,
  actor: 'bench',
  today: TODAY,
  now: `${TODAY}T02:00:00.000Z`,
});

const LOADED_AT = '2022-09-01T00:00:00.000Z';
const PEOPLE_SQL = `insert into people (county_code, doc_type, doc_number, name, sex, birth_date, hukou_region_code,
  residence_region_code, address, household_id, phone, deceased_on, is_student, school, created_at, updated_at,
  source_import_id)`;
const ENROLLMENTS_SQL = `insert into enrollments (county_code, campaign_id, benefit_year, person_id, household_id,
  village_code, status, source, coverage_year, withhold, standard_fen, pays_fen, subsidy_fen, refund_later_fen,
  paid_fen, benefit_start, benefit_end, why, policy_hash, assessed_on, assessment, version, created_at, updated_at)`;
const AGREEMENTS_SQL = `insert into bank_agreements (county_code, person_id, bank, card_number, holder_name,
  holder_doc_number, valid_from, valid_to, close_reason, source, actor, created_at)`;

/** One person of the county with the enrollment (and the card, `bank` not null) to write. */
interface CountyRow {
  readonly doc: string;
  readonly name: string;
  readonly campaignId: number;
  readonly year: number;
  readonly withhold: number;
  readonly standard: number;
  readonly pays: number;
  readonly benefitStart: string | null;
  readonly benefitEnd: string | null;
  readonly why: string;
  readonly policyHash: string;
  readonly stored: string;
  readonly bank: string | null;
  readonly card: string;
}

/**
 * `count` people with enrollments awaiting payment, each assessed as an ordinary resident; with
 * `withholding`, withhold = 1 and a current agreement card each.
 */
function* countyRows(campaignId: number, count: number, withholding: boolean): Generator<CountyRow> {
  const policy = loadPolicy(POLICY);
  for (let i = 0; i < count; i++) {
    const doc = idNumberOf(COUNTY, i);
    const facts = ordinaryFacts(doc);
    const a = assess(policy, facts);
    yield {
      doc,
      name: `居民${i}`,
      campaignId,
      year: policy.benefitYear,
      withhold: withholding ? 1 : 0,
      standard: a.standard,
      pays: a.pays,
      benefitStart: a.benefitStart,
      benefitEnd: a.benefitEnd,
      why: a.why,
      policyHash: policy.hash,
      stored: JSON.stringify(storedAssessment({ ...a, facts })),
      bank: withholding ? (i % 3 === 0 ? '中国邮政储蓄银行' : '中国农业银行') : null,
      card: `62284800${String(i).padStart(11, '0')}`,
    };
  }
}

/** The county into a SQLite file whose campaign is open (for a benchmark that opens it itself). */
export function loadCounty(file: string, campaignId: number, count: number, withholding = true): void {
  writeSqlite(file, countyRows(campaignId, count, withholding));
}

/** The county into a SQLite file with prepared statements, in one transaction. */
function writeSqlite(file: string, rows: Iterable<CountyRow>): void {
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  const person = sqlite.prepare(
    `${PEOPLE_SQL} values (?, 'resident_id', ?, ?, null, null, null, null, null, null, null, null, 0, null, ?, ?, null)`,
  );
  const enrollment = sqlite.prepare(
    `${ENROLLMENTS_SQL} values (?, ?, ?, ?, null, null, 'awaiting_payment', 'renewal', null, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?,
       '2022-09-01', ?, 1, ?, ?)`,
  );
  const agreement = sqlite.prepare(
    `${AGREEMENTS_SQL} values (?, ?, ?, ?, ?, null, '2022-09-01', null, null, 'bench', 'bench', ?)`,
  );
  sqlite.transaction(() => {
    for (const r of rows) {
      const p = person.run(COUNTY, r.doc, r.name, LOADED_AT, LOADED_AT);
      enrollment.run(
        COUNTY,
        r.campaignId,
        r.year,
        p.lastInsertRowid,
        r.withhold,
        r.standard,
        r.pays,
        r.benefitStart,
        r.benefitEnd,
        r.why,
        r.policyHash,
        r.stored,
        LOADED_AT,
        LOADED_AT,
      );
      if (r.bank) agreement.run(COUNTY, p.lastInsertRowid, r.bank, r.card, r.name, LOADED_AT);
    }
  })();
  sqlite.close();
}

/** The county into PostgreSQL, 10,000 people per statement (unnest of arrays), in one transaction. */
async function writePostgres(url: string, rows: Iterable<CountyRow>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  const write = async (part: CountyRow[]) => {
    const { rows: people } = await client.query(
      `${PEOPLE_SQL} select $1, 'resident_id', doc, name, null, null, null, null, null, null, null, null, 0, null,
         $2, $2, null from unnest($3::text[], $4::text[]) as t(doc, name) returning id, doc_number`,
      [COUNTY, LOADED_AT, part.map((r) => r.doc), part.map((r) => r.name)],
    );
    const idOf = new Map(people.map((p) => [p.doc_number as string, Number(p.id)]));
    const ids = part.map((r) => idOf.get(r.doc));
    const first = part[0] as CountyRow;
    await client.query(
      `${ENROLLMENTS_SQL} select $1, $2, $3, person_id, null, null, 'awaiting_payment', 'renewal', null, $4, standard,
         pays, 0, 0, 0, benefit_start::date, benefit_end::date, why, $5, '2022-09-01', stored, 1, $6, $6
       from unnest($7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[])
         as t(person_id, standard, pays, benefit_start, benefit_end, why, stored)`,
      [
        COUNTY,
        first.campaignId,
        first.year,
        first.withhold,
        first.policyHash,
        LOADED_AT,
        ids,
        part.map((r) => r.standard),
        part.map((r) => r.pays),
        part.map((r) => r.benefitStart),
        part.map((r) => r.benefitEnd),
        part.map((r) => r.why),
        part.map((r) => r.stored),
      ],
    );
    const cards = part.flatMap((r, n) => (r.bank ? [{ r, id: ids[n] }] : []));
    if (cards.length === 0) return;
    await client.query(
      `${AGREEMENTS_SQL} select $1, person_id, bank, card, name, null, '2022-09-01', null, null, 'bench', 'bench', $2
       from unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) as t(person_id, bank, card, name)`,
      [
        COUNTY,
        LOADED_AT,
        cards.map((c) => c.id),
        cards.map((c) => c.r.bank),
        cards.map((c) => c.r.card),
        cards.map((c) => c.r.name),
      ],
    );
  };
  let part: CountyRow[] = [];
  for (const r of rows) {
    part.push(r);
    if (part.length === 10_000) {
      await write(part);
      part = [];
    }
  }
  if (part.length > 0) await write(part);
  await client.query('commit');
  await client.query('analyze');
  await client.end();
}

/** The bank's answer: the exported rows with results, as CSV. */
export async function bankResult(
  exported: string,
  target: string,
  failEvery: number,
  spoilLast = false,
): Promise<void> {
  const table = await openTable(exported, { requiredHeaders: [['批次号'], ['序号']] });
  const lines = [table.headers.join(',')];
  let k = 0;
  for await (const row of table.rows()) {
    const fail = ++k % failEvery === 0;
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
