/**
 * 区划代码表: the statistical division codes of a county — its townships (9 digits) and villages
 * (12 digits), with the county itself and its parents. Villages merge: a row with 撤销日期 and
 * 并入代码 closes the village and points at its successor; it is never deleted.
 */
import { countyOfRegion, parentRegionCode, type RegionCodeLevel, regionCodeLevel } from '@canbao/core';
import type { RegionUpdate } from '../../db/schema.ts';
import { parseDateCell } from '../fields.ts';
import type { ImportKind, ParsedRow } from '../kind.ts';
import { field } from './population.ts';

interface RegionRow {
  readonly code: string;
  readonly name: string;
  readonly level: RegionCodeLevel;
  readonly parent: string | null;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly mergedInto: string | null;
}

const DEPTH: Readonly<Record<RegionCodeLevel, number>> = {
  province: 0,
  city: 1,
  county: 2,
  township: 3,
  village: 4,
};

export const regions: ImportKind<RegionRow> = {
  kind: 'regions',
  tables: ['regions'],
  label: '区划代码表',
  description: '县级及以下统计用区划代码（乡镇、村（社区）），含撤并信息。',
  needsDepartment: false,
  definesRegions: true,
  columns: [
    {
      key: 'code',
      header: '统计用区划代码',
      aliases: ['区划代码', '代码', '行政区划代码'],
      required: true,
      note: '6位县级、9位乡镇、12位村（社区）',
      example: '341302900001',
    },
    {
      key: 'name',
      header: '名称',
      aliases: ['区划名称', '单位名称'],
      required: true,
      note: '',
      example: '蕲县村',
    },
    {
      key: 'parent',
      header: '上级代码',
      aliases: ['上级区划代码'],
      required: false,
      note: '留空时按代码推出',
      example: '341302900',
    },
    { key: 'validFrom', header: '设立日期', aliases: ['生效日期'], required: false, note: '', example: '' },
    {
      key: 'validTo',
      header: '撤销日期',
      aliases: ['失效日期'],
      required: false,
      note: '村（社区）撤并时填写',
      example: '',
    },
    {
      key: 'mergedInto',
      header: '并入代码',
      aliases: ['并入区划代码'],
      required: false,
      note: '撤并后所属的区划代码',
      example: '',
    },
  ],
  parseRow(values, report, ctx) {
    const code = values.code?.trim() ?? '';
    const level = regionCodeLevel(code);
    if (!level) report('code', `区划代码应为6、9或12位数字：“${code}”`);
    else if (level === 'county' || level === 'township' || level === 'village') {
      if (countyOfRegion(code) !== ctx.countyCode)
        report('code', `“${code}”不属于县级区划 ${ctx.countyCode}`);
    } else if (!ctx.countyCode.startsWith(level === 'province' ? code.slice(0, 2) : code.slice(0, 4))) {
      report('code', `“${code}”不是县级区划 ${ctx.countyCode} 的上级`);
    }
    const name = values.name?.trim() ?? '';
    if (!name) report('name', '名称为空');
    const parent = values.parent?.trim() || (level ? parentRegionCode(code) : null);
    if (values.parent && level && values.parent.trim() !== parentRegionCode(code) && level !== 'village') {
      report('parent', `上级代码与代码不符：应为 ${parentRegionCode(code)}`);
    }
    const validFrom = values.validFrom
      ? field(report, 'validFrom', () => parseDateCell(values.validFrom as string))
      : null;
    const validTo = values.validTo
      ? field(report, 'validTo', () => parseDateCell(values.validTo as string))
      : null;
    const mergedInto = values.mergedInto?.trim() || null;
    if (mergedInto && !validTo) report('validTo', '填写了并入代码时须填写撤销日期');
    if (mergedInto && regionCodeLevel(mergedInto) !== level) report('mergedInto', '并入代码应与本区划同级');
    if (!level || !name) return null;
    return {
      code,
      name,
      level,
      parent: level === 'province' ? null : parent,
      validFrom,
      validTo,
      mergedInto,
    };
  },
  uniqueKey: (row) => row.code,
  async writeBatch(rows: readonly ParsedRow<RegionRow>[], ctx) {
    // Parents first, so a file may list a township after its villages.
    const ordered = [...rows].sort((a, b) => DEPTH[a.row.level] - DEPTH[b.row.level]);
    let added = 0;
    let updated = 0;
    const pendingMerges: ParsedRow<RegionRow>[] = [];
    for (const r of ordered) {
      const { row } = r;
      if (row.parent) {
        const parent = await ctx.db
          .selectFrom('regions')
          .select('code')
          .where('code', '=', row.parent)
          .executeTakeFirst();
        if (!parent) {
          ctx.rowError(
            r.line,
            'parent',
            `上级区划 ${row.parent} 不存在：请在同一文件中先列出上级，或先导入上级区划`,
          );
          continue;
        }
      }
      const values = {
        name: row.name,
        level: row.level,
        parent_code: row.parent,
        county_code: row.level === 'province' || row.level === 'city' ? null : ctx.countyCode,
        valid_from: row.validFrom,
        valid_to: row.validTo,
      };
      const current = await ctx.db
        .selectFrom('regions')
        .selectAll()
        .where('code', '=', row.code)
        .executeTakeFirst();
      if (!current) {
        await ctx.db
          .insertInto('regions')
          .values({ code: row.code, merged_into: null, source: `导入批次 #${ctx.importId}`, ...values })
          .execute();
        added++;
      } else {
        const set: RegionUpdate = {};
        for (const [k, v] of Object.entries(values)) {
          if (current[k as keyof typeof values] !== v) (set as Record<string, unknown>)[k] = v;
        }
        if (Object.keys(set).length > 0) {
          await ctx.db.updateTable('regions').set(set).where('code', '=', row.code).execute();
          updated++;
        }
      }
      if (row.mergedInto) pendingMerges.push(r);
    }
    for (const r of pendingMerges) {
      const target = await ctx.db
        .selectFrom('regions')
        .select('code')
        .where('code', '=', r.row.mergedInto as string)
        .executeTakeFirst();
      if (!target) ctx.rowError(r.line, 'mergedInto', `并入的区划 ${r.row.mergedInto} 不存在`);
      else
        await ctx.db
          .updateTable('regions')
          .set({ merged_into: r.row.mergedInto })
          .where('code', '=', r.row.code)
          .execute();
    }
    ctx.counts.added = (ctx.counts.added ?? 0) + added;
    ctx.counts.updated = (ctx.counts.updated ?? 0) + updated;
  },
};
