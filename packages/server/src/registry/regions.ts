/**
 * Finding a county's townships and villages by code or by name, as rosters write them. A village
 * name used in two townships needs the township to tell them apart.
 */
import type { Kysely } from 'kysely';
import type { Database, Region } from '../db/schema.ts';

export class RegionLookup {
  readonly county: Region;
  private readonly byCode = new Map<string, Region>();
  private readonly byName = new Map<string, Region[]>();

  private constructor(county: Region, regions: readonly Region[]) {
    this.county = county;
    for (const r of regions) {
      this.byCode.set(r.code, r);
      this.byName.set(r.name, [...(this.byName.get(r.name) ?? []), r]);
    }
  }

  /** With allowMissing (the region code list itself), an unknown county gives an empty lookup. */
  static async load(db: Kysely<Database>, countyCode: string, allowMissing = false): Promise<RegionLookup> {
    const county = await db
      .selectFrom('regions')
      .selectAll()
      .where('code', '=', countyCode)
      .executeTakeFirst();
    if (!county && allowMissing && /^\d{6}$/.test(countyCode)) {
      const placeholder: Region = {
        code: countyCode,
        name: countyCode,
        level: 'county',
        parent_code: null,
        county_code: countyCode,
        valid_from: null,
        valid_to: null,
        merged_into: null,
        source: '',
      };
      return new RegionLookup(placeholder, []);
    }
    if (county?.level !== 'county') {
      throw new RegionNotFoundError(
        `未知的县级区划代码“${countyCode}”：请先导入区划代码表（canbao import regions）`,
      );
    }
    const regions = await db
      .selectFrom('regions')
      .selectAll()
      .where('county_code', '=', countyCode)
      .execute();
    return new RegionLookup(county, regions);
  }

  get(code: string): Region | undefined {
    return this.byCode.get(code);
  }

  /**
   * A village (or township) by its 12-/9-digit code or its name, optionally within a township
   * given by code or name. Returns the region or a Chinese reason.
   */
  resolve(text: string, townshipText = ''): Region | string {
    const t = text.trim();
    if (/^\d{9}(\d{3})?$/.test(t)) return this.byCode.get(t) ?? `区划代码“${t}”不在${this.county.name}`;
    let candidates = (this.byName.get(t) ?? []).filter(
      (r) => r.level === 'village' || r.level === 'township',
    );
    if (townshipText.trim()) {
      const township = this.resolve(townshipText);
      if (typeof township === 'string') return township;
      candidates = candidates.filter((r) => r.parent_code === township.code);
    }
    const current = candidates.filter((r) => r.valid_to === null);
    if (current.length === 1) return current[0] as Region;
    if (current.length > 1)
      return `“${t}”在${this.county.name}有 ${current.length} 处同名，请填写乡镇或区划代码`;
    if (candidates.length > 0) {
      const merged = candidates[0] as Region;
      return merged.merged_into
        ? `“${t}”已于 ${merged.valid_to} 并入 ${merged.merged_into}`
        : `“${t}”已于 ${merged.valid_to} 撤销`;
    }
    return `“${t}”不是${this.county.name}的村（社区）或乡镇`;
  }
}

export class RegionNotFoundError extends Error {
  override name = 'RegionNotFoundError';
}

/** The names of the given region codes (nulls and repeats ignored), by code. */
export async function regionNames(
  db: Kysely<Database>,
  codes: readonly (string | null)[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(codes.filter((c): c is string => !!c))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('regions').select(['code', 'name']).where('code', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.code, r.name]));
}
