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
import { openCampaign } from '../packages/server/src/collection/campaign.ts';
import type { CollectionContext } from '../packages/server/src/collection/context.ts';
import { storedAssessment } from '../packages/server/src/collection/enrollments.ts';
import { openDatabase, SQLITE_FILE } from '../packages/server/src/db/open.ts';
import { openTable } from '../packages/server/src/files/read-table.ts';
import { loadPolicy } from '../packages/server/src/policy/repository.ts';
import { fmt, idNumberOf, log, ordinaryFacts } from './common.ts';

export const COUNTY = '341024';
export const POLICY = 'qimen-2023';
export const TODAY = '2022-10-12';
export const DEBITED_ON = '2022-10-12';

/**
 * A new folder (the caller removes it) whose database has the campaign and a county of `size`
 * people loaded, and the context the benchmarks act in on it.
 */
export async function loadedCounty(size: number): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'canbao-bench-withholding-'));
  const setup = await openDatabase({ dataDir: work });
  const { campaign } = await openCampaign(setup.db, {
    policyRef: POLICY,
    actor: 'bench',
    now: '2022-09-01T00:00:00.000Z',
  });
  await setup.close();
  log(`${fmt(size)} rows: loading the county (not timed) …`);
  loadCounty(join(work, SQLITE_FILE), campaign.id, size);
  return work;
}

export const benchContext = (db: CollectionContext['db']): CollectionContext => ({
  db,
  countyCode: COUNTY,
  actor: 'bench',
  today: TODAY,
  now: `${TODAY}T02:00:00.000Z`,
});

/**
 * `count` people with enrollments awaiting payment, each assessed as an ordinary resident; with
 * `withholding`, withhold = 1 and a current agreement card each.
 */
export function loadCounty(file: string, campaignId: number, count: number, withholding = true): void {
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
     values (?, ?, ?, ?, null, null, 'awaiting_payment', 'renewal', null, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
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
      const facts = ordinaryFacts(doc);
      const a = assess(policy, facts);
      const stored = JSON.stringify(storedAssessment({ ...a, facts }));
      const name = `居民${i}`;
      const p = person.run(COUNTY, doc, name, now, now);
      enrollment.run(
        COUNTY,
        campaignId,
        policy.benefitYear,
        p.lastInsertRowid,
        withholding ? 1 : 0,
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
      if (withholding) {
        const bank = n % 3 === 0 ? '中国邮政储蓄银行' : '中国农业银行';
        agreement.run(COUNTY, p.lastInsertRowid, bank, `62284800${String(n).padStart(11, '0')}`, name, now);
      }
      n++;
    }
  })();
  sqlite.close();
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
