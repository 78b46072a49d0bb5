/**
 * Reference data every canbao database starts with: the regions of the four seed notices, and
 * the task targets that policies declare (蕲县镇 annex 2). Idempotent: run after every migration.
 *
 * The statistical codes of 蕲县镇 and its villages are not in the notice. The seed gives them
 * placeholder codes (township 341302900, villages 341302900001–014, marked as such in `source`);
 * importing the official code list (`canbao import regions`) and moving the targets replaces them.
 */
import type { Policy } from '@canbao/core';
import type { Kysely } from 'kysely';
import { listPolicyIds, loadPolicy } from '../policy/repository.ts';
import type { Database, RegionLevel } from './schema.ts';

interface SeedRegion {
  code: string;
  name: string;
  level: RegionLevel;
  parent: string | null;
  county: string | null;
}

const OFFICIAL = 'GB/T 2260 行政区划代码';
const PLACEHOLDER = 'canbao 占位编码（通知未载明统计用区划代码，导入官方代码后替换）';

/** 蕲县镇's villages as annex 2 of its notice lists them (placeholder codes …001–014 in this order). */
export const QIXIAN_VILLAGES: readonly string[] = [
  '蕲县村',
  '邱元村',
  '徐桥村',
  '灯塔村',
  '周王村',
  '团结村',
  '代安村',
  '大江村',
  '袁小寨村',
  '白陈村',
  '白安村',
  '许寨村',
  '刘圩村',
  '忠陈村',
];

const SEED_REGIONS: readonly (SeedRegion & { source: string })[] = [
  { code: '340000', name: '安徽省', level: 'province', parent: null, county: null, source: OFFICIAL },
  { code: '341000', name: '黄山市', level: 'city', parent: '340000', county: null, source: OFFICIAL },
  { code: '341024', name: '祁门县', level: 'county', parent: '341000', county: '341024', source: OFFICIAL },
  { code: '341300', name: '宿州市', level: 'city', parent: '340000', county: null, source: OFFICIAL },
  { code: '341302', name: '埇桥区', level: 'county', parent: '341300', county: '341302', source: OFFICIAL },
  {
    code: '341302900',
    name: '蕲县镇',
    level: 'township',
    parent: '341302',
    county: '341302',
    source: PLACEHOLDER,
  },
  ...QIXIAN_VILLAGES.map((name, i) => ({
    code: `341302900${String(i + 1).padStart(3, '0')}`,
    name,
    level: 'village' as const,
    parent: '341302900',
    county: '341302',
    source: PLACEHOLDER,
  })),
  { code: '340100', name: '合肥市', level: 'city', parent: '340000', county: null, source: OFFICIAL },
  { code: '340102', name: '瑶海区', level: 'county', parent: '340100', county: '340102', source: OFFICIAL },
  { code: '150000', name: '内蒙古自治区', level: 'province', parent: null, county: null, source: OFFICIAL },
  { code: '150600', name: '鄂尔多斯市', level: 'city', parent: '150000', county: null, source: OFFICIAL },
  { code: '150621', name: '达拉特旗', level: 'county', parent: '150600', county: '150621', source: OFFICIAL },
];

export async function seedReferenceData(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const r of SEED_REGIONS) {
      await trx
        .insertInto('regions')
        .values({
          code: r.code,
          name: r.name,
          level: r.level,
          parent_code: r.parent,
          county_code: r.county,
          valid_from: null,
          valid_to: null,
          merged_into: null,
          source: r.source,
        })
        .onConflict((oc) => oc.column('code').doNothing())
        .execute();
    }
    for (const id of listPolicyIds()) {
      let policy: Policy;
      try {
        policy = loadPolicy(id);
      } catch {
        continue; // layers, and files `policy check` reports on
      }
      if (policy.taskTable) await seedTargets(trx, policy);
    }
  });
}

/** Task-table rows name regions below the policy's region; each is matched by name. */
async function seedTargets(db: Kysely<Database>, policy: Policy): Promise<void> {
  const table = policy.taskTable;
  if (!table) return;
  const county = policy.region.code;
  const regions = await db
    .selectFrom('regions')
    .select(['code', 'name'])
    .where('county_code', '=', county)
    .execute();
  for (const row of table.rows) {
    const region = regions.find((r) => r.name === row.region);
    if (!region) continue;
    await db
      .insertInto('task_targets')
      .values({
        county_code: county,
        region_code: region.code,
        benefit_year: policy.benefitYear,
        eligible_people: row.eligiblePeople,
        amount_fen: row.amount,
        source: `${policy.id} ${table.cite.map((key) => policy.clauses[key]?.ref ?? key).join('；')}`,
      })
      .onConflict((oc) => oc.columns(['county_code', 'region_code', 'benefit_year']).doNothing())
      .execute();
  }
}
