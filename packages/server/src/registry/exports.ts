/**
 * Exports of the registry as .xlsx, streamed page by page so a county of a million people never
 * sits in memory: a village's roster for public display (公示, ID numbers masked: first 6 and
 * last 4 shown), and the registry itself for the bureau.
 */
import { groupLabel, isGroupCode, maskIdNumber } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/open.ts';
import type { Database, Person } from '../db/schema.ts';
import { type CellValue, writeXlsx } from '../files/write-xlsx.ts';
import { chunks } from './people.ts';

const PAGE = 5000;

const SEX: Readonly<Record<string, string>> = { male: '男', female: '女' };
const DOC_TYPES: Readonly<Record<string, string>> = {
  resident_id: '居民身份证',
  hk_macau_taiwan_permit: '港澳台居民居住证',
  foreigner_permanent_residence: '外国人永久居留身份证',
  passport: '护照',
  other: '其他',
};

export class ExportError extends Error {
  override name = 'ExportError';
}

interface PersonPage {
  readonly people: readonly (Person & { household_number: string | null; village_code: string | null })[];
  /** Current groups per person id, as Chinese labels. */
  readonly groups: ReadonlyMap<number, string[]>;
}

/** Pages of people (keyset by id) with their household and current groups. */
async function* pages(
  db: Kysely<Database>,
  countyCode: string,
  villageCode: string | null,
  asOf: string,
): AsyncGenerator<PersonPage> {
  let after = 0;
  for (;;) {
    let query = db
      .selectFrom('people')
      .leftJoin('households', 'households.id', 'people.household_id')
      .selectAll('people')
      .select(['households.number as household_number', 'households.village_code as village_code'])
      .where('people.county_code', '=', countyCode)
      .where('people.id', '>', after)
      .orderBy('people.id')
      .limit(PAGE);
    if (villageCode) {
      query = query.where((eb) =>
        eb.or([
          eb('households.village_code', '=', villageCode),
          eb('people.hukou_region_code', '=', villageCode),
        ]),
      );
    }
    const people = await query.execute();
    if (people.length === 0) return;
    after = (people.at(-1) as Person).id;
    const groups = new Map<number, string[]>();
    for (const ids of chunks(people.map((p) => p.id))) {
      const rows = await db
        .selectFrom('person_groups')
        .select(['person_id', 'group_code'])
        .where('county_code', '=', countyCode)
        .where('person_id', 'in', ids)
        .where('valid_from', '<=', asOf)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', asOf)]))
        .execute();
      for (const r of rows) {
        const label = isGroupCode(r.group_code) ? groupLabel(r.group_code) : r.group_code;
        groups.set(r.person_id, [...(groups.get(r.person_id) ?? []), label]);
      }
    }
    yield { people, groups };
  }
}

export interface ExportResult {
  readonly rows: number;
}

/** 公示名单: a village's people, ID numbers masked, for posting in the village. */
export async function exportVillageRoster(options: {
  readonly handle: DatabaseHandle;
  readonly villageCode: string;
  readonly asOf: string;
  readonly target: string;
}): Promise<ExportResult> {
  const { db } = options.handle;
  const village = await db
    .selectFrom('regions')
    .selectAll()
    .where('code', '=', options.villageCode)
    .executeTakeFirst();
  if (!village?.county_code || (village.level !== 'village' && village.level !== 'township')) {
    throw new ExportError(`未知的村（社区）区划代码“${options.villageCode}”`);
  }
  const county = village.county_code;
  async function* rows(): AsyncGenerator<CellValue[]> {
    let n = 0;
    for await (const page of pages(db, county, village?.code ?? null, options.asOf)) {
      for (const p of page.people) {
        if (p.deceased_on) continue;
        n++;
        yield [
          n,
          p.household_number,
          p.name,
          p.sex ? (SEX[p.sex] ?? null) : null,
          maskIdNumber(p.doc_number),
          (page.groups.get(p.id) ?? []).join('、'),
        ];
      }
    }
  }
  return writeXlsx(options.target, [
    {
      name: '公示名单',
      headerLines: [
        `${village.name}城乡居民医保参保人员名单（公示）`,
        `数据日期：${options.asOf}　证件号码已部分隐藏`,
      ],
      columns: [
        { header: '序号', width: 8 },
        { header: '户号', width: 16, text: true },
        { header: '姓名', width: 12 },
        { header: '性别', width: 6 },
        { header: '公民身份号码', width: 22, text: true },
        { header: '人员类别', width: 24 },
      ],
      rows: rows(),
    },
  ]);
}

/** The registry of a county (or one village), in full, for the bureau. */
export async function exportRegistry(options: {
  readonly handle: DatabaseHandle;
  readonly countyCode: string;
  readonly villageCode?: string | null;
  readonly asOf: string;
  readonly target: string;
}): Promise<ExportResult> {
  const { db } = options.handle;
  const county = await db
    .selectFrom('regions')
    .selectAll()
    .where('code', '=', options.countyCode)
    .executeTakeFirst();
  if (county?.level !== 'county') throw new ExportError(`未知的县级区划代码“${options.countyCode}”`);
  const names = new Map(
    (
      await db
        .selectFrom('regions')
        .select(['code', 'name'])
        .where('county_code', '=', options.countyCode)
        .execute()
    ).map((r) => [r.code, r.name]),
  );
  async function* rows(): AsyncGenerator<CellValue[]> {
    for await (const page of pages(db, options.countyCode, options.villageCode ?? null, options.asOf)) {
      for (const p of page.people) {
        const village = p.village_code ?? p.hukou_region_code;
        yield [
          p.name,
          DOC_TYPES[p.doc_type] ?? p.doc_type,
          p.doc_number,
          p.sex ? (SEX[p.sex] ?? null) : null,
          p.birth_date,
          p.household_number,
          village ? (names.get(village) ?? village) : null,
          village,
          p.address,
          p.phone,
          p.deceased_on,
          p.school,
          (page.groups.get(p.id) ?? []).join('、'),
        ];
      }
    }
  }
  return writeXlsx(options.target, [
    {
      name: '人员登记',
      headerLines: [`${county.name}城乡居民医保人员登记表`, `数据日期：${options.asOf}`],
      columns: [
        { header: '姓名', width: 12 },
        { header: '证件类型', width: 14 },
        { header: '证件号码', width: 22, text: true },
        { header: '性别', width: 6 },
        { header: '出生日期', width: 12 },
        { header: '户号', width: 16, text: true },
        { header: '村（社区）', width: 14 },
        { header: '村（社区）代码', width: 16, text: true },
        { header: '户籍地址', width: 30 },
        { header: '联系电话', width: 14, text: true },
        { header: '死亡日期', width: 12 },
        { header: '学校', width: 20 },
        { header: '人员类别', width: 24 },
      ],
      rows: rows(),
    },
  ]);
}
