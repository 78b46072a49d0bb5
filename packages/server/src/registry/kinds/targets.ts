/**
 * 任务分解表: each village's (or township's) eligible people and the amount it is to collect, as
 * the township's notice annexes it (蕲县镇 附件2: 村名, 应参保人数, 任务金额（元）). The amounts are
 * kept as given — never recomputed as people × standard. A 合计 row, when the table has one, comes
 * last and must equal the sum of the rows above it. Importing again replaces a region's target for that year.
 */
import { type Fen, formatYuan } from '@canbao/core';
import { parseNonNegativeInteger, parseYear, parseYuanCell } from '../fields.ts';
import type { ImportContext, ImportKind, ParsedRow } from '../kind.ts';
import { field } from './population.ts';

interface TargetRow {
  /** Null for the 合计 row. */
  readonly regionCode: string | null;
  readonly eligiblePeople: number;
  readonly amountFen: number;
  readonly benefitYear: number | null;
}

interface Sums {
  people: number;
  fen: number;
  totalLine: number | null;
}

const TOTAL_NAMES = new Set(['合计', '总计', '小计', '全镇合计']);

/** The year a row without 年度 is for: the county's latest campaign. */
async function defaultYear(ctx: ImportContext): Promise<number | null> {
  if (!ctx.state.has('year')) {
    const row = await ctx.db
      .selectFrom('campaigns')
      .select('benefit_year')
      .where('county_code', '=', ctx.countyCode)
      .orderBy('benefit_year', 'desc')
      .executeTakeFirst();
    ctx.state.set('year', row?.benefit_year ?? null);
  }
  return ctx.state.get('year') as number | null;
}

export const targets: ImportKind<TargetRow> = {
  kind: 'targets',
  tables: ['task_targets'],
  label: '任务分解表',
  description: '乡镇下达到各村（社区）的征缴任务：应参保人数和任务金额（按表所列，不按人数×标准推算）。',
  needsDepartment: false,
  columns: [
    {
      key: 'region',
      header: '村名',
      aliases: ['村（社区）', '村名称', '村', '社区', '单位', '区划代码', '乡镇（街道）', '乡镇'],
      required: true,
      note: '村（社区）或乡镇的名称或统计用区划代码；“合计”行与各行之和核对',
      example: '蕲县村',
    },
    {
      key: 'people',
      header: '应参保人数',
      // 符合参保人数: the heading of annex 2 of the 蕲县镇 notice itself.
      aliases: ['任务人数', '应参保人数（人）', '符合参保人数'],
      required: true,
      note: '人',
      example: '5167',
    },
    {
      key: 'amount',
      header: '任务金额（元）',
      aliases: ['任务金额', '征缴任务（元）', '应缴金额（元）', '参保金额', '参保金额（元）'],
      required: true,
      note: '元，按表所列',
      example: '1291750',
    },
    {
      key: 'year',
      header: '年度',
      aliases: ['参保年度', '待遇年度'],
      required: false,
      note: '留空时为本县最近一次征缴的年度',
      example: '2022',
    },
  ],
  parseRow(values, report, ctx) {
    const text = (values.region ?? '').trim();
    const eligiblePeople = field(report, 'people', () => parseNonNegativeInteger(values.people ?? ''));
    const amountFen = field(report, 'amount', () => parseYuanCell(values.amount ?? ''));
    const benefitYear = values.year ? field(report, 'year', () => parseYear(values.year as string)) : null;
    let regionCode: string | null = null;
    if (text === '') {
      // Often a 合计 row with the word in the 序号 column: say where it belongs.
      report('region', '村名为空（合计行请把“合计”写在村名列）');
      return null;
    }
    if (!TOTAL_NAMES.has(text)) {
      const region = ctx.regions.resolve(text);
      if (typeof region === 'string') report('region', region);
      else if (region.level !== 'village' && region.level !== 'township')
        report('region', `“${text}”不是村（社区）或乡镇`);
      else regionCode = region.code;
      if (regionCode === null) return null;
    }
    if (eligiblePeople === null || amountFen === null || (values.year && benefitYear === null)) return null;
    return { regionCode, eligiblePeople, amountFen, benefitYear };
  },
  uniqueKey: (row) => `${row.regionCode ?? '合计'}:${row.benefitYear ?? ''}`,
  async writeBatch(rows: readonly ParsedRow<TargetRow>[], ctx) {
    const fallback = await defaultYear(ctx);
    const sums = (ctx.state.get('sums') as Map<number, Sums>) ?? new Map();
    ctx.state.set('sums', sums);
    for (const { line, row } of rows) {
      const year = row.benefitYear ?? fallback;
      if (year === null) {
        ctx.rowError(line, 'year', '本县还没有征缴年度，请填写“年度”');
        continue;
      }
      const sum: Sums = sums.get(year) ?? { people: 0, fen: 0, totalLine: null };
      sums.set(year, sum);
      if (row.regionCode === null) {
        // The 合计 row closes the table: checked against the rows above it (errors reject the file).
        sum.totalLine = line;
        if (sum.people !== row.eligiblePeople) {
          ctx.rowError(line, 'people', `合计 ${row.eligiblePeople} 人与各行之和 ${sum.people} 人不符`);
        }
        if (sum.fen !== row.amountFen) {
          ctx.rowError(line, 'amount', `合计金额与各行之和 ${formatYuan(sum.fen as Fen)} 元不符`);
        }
        continue;
      }
      if (sum.totalLine !== null) {
        ctx.rowError(line, 'region', `合计行（第 ${sum.totalLine} 行）应在各村之后`);
        continue;
      }
      sum.people += row.eligiblePeople;
      sum.fen += row.amountFen;
      await ctx.db
        .insertInto('task_targets')
        .values({
          county_code: ctx.countyCode,
          region_code: row.regionCode,
          benefit_year: year,
          eligible_people: row.eligiblePeople,
          amount_fen: row.amountFen,
          source: `任务分解表导入 #${ctx.importId}`,
        })
        .onConflict((oc) =>
          oc.columns(['county_code', 'region_code', 'benefit_year']).doUpdateSet((eb) => ({
            eligible_people: eb.ref('excluded.eligible_people'),
            amount_fen: eb.ref('excluded.amount_fen'),
            source: eb.ref('excluded.source'),
          })),
        )
        .execute();
      ctx.counts.targets = (ctx.counts.targets ?? 0) + 1;
    }
  },
};
