/**
 * What every report is (issue 5): a name, a Chinese label, a function computing its result as
 * plain JSON for a region and a date through the services, and the tables it prints and exports.
 * The command line (`canbao report <name>`), the API and the .xlsx export all go through this, so
 * a report is written once.
 *
 * Every exported table carries in its header the region, the date and the policy (id, title and
 * hash), as people pass these files around and must know what they are looking at.
 */
import type { Policy } from '@canbao/core';
import type { CollectionContext } from '../collection/context.ts';
import type { Campaign } from '../db/schema.ts';
import { type CellValue, type ColumnSpec, displayWidth, type SheetSpec } from '../files/write-xlsx.ts';

export interface ReportScope {
  /** The region the report is for: the county, a township or a village (6-, 9- or 12-digit code). */
  readonly regionCode: string;
  /** The date the figures are as of (YYYY-MM-DD), e.g. "progress as of yesterday". */
  readonly asOf: string;
  /** The campaign year (default: the county's latest). */
  readonly benefitYear?: number;
}

/** What a report's header says about where its figures come from. */
export interface ReportMeta {
  readonly regionCode: string;
  readonly regionName: string;
  readonly asOf: string;
  readonly campaign: Pick<Campaign, 'benefit_year' | 'policy_id' | 'policy_hash'>;
  readonly policy: Pick<Policy, 'id' | 'title'>;
}

/** One table of a report: a sheet of the .xlsx and a table printed on the terminal. */
export interface ReportTable {
  readonly name: string;
  readonly title: string;
  readonly columns: readonly ColumnSpec[];
  readonly rows: readonly (readonly CellValue[])[];
  /** Lines printed under the table (totals, notes). */
  readonly notes?: readonly string[];
}

export interface ReportResult<T = unknown> {
  readonly meta: ReportMeta;
  /** The figures, as JSON (the API returns this). */
  readonly data: T;
  readonly tables: readonly ReportTable[];
}

export interface ReportDefinition<T = unknown> {
  readonly name: string;
  /** The report's Chinese name, e.g. 征缴进度. */
  readonly label: string;
  /** One sentence for `canbao report --help`. */
  readonly description: string;
  /**
   * The report lists residents by name (with phone numbers): the web gives it only to roles that
   * may read people, not to every role that reads the aggregate reports (tax, finance).
   */
  readonly listsPeople?: true;
  run(ctx: CollectionContext, scope: ReportScope): Promise<ReportResult<T>>;
}

/** The first columns of a table by village. */
export const VILLAGE_COLUMNS: readonly ColumnSpec[] = [
  { header: '村（社区）代码', width: 14 },
  { header: '村（社区）', width: 16 },
];

/** The first columns of a list of residents: where they live and who they are (number masked). */
export const PERSON_COLUMNS: readonly ColumnSpec[] = [
  ...VILLAGE_COLUMNS,
  { header: '户号', width: 10 },
  { header: '姓名', width: 10 },
  { header: '证件号码', width: 22 },
];

/** The header lines of an exported table: title, region, date, policy. */
export function headerLines(meta: ReportMeta, title: string): string[] {
  return [
    `${meta.regionName}（${meta.regionCode}）${title}`,
    `数据截至 ${meta.asOf}；${meta.campaign.benefit_year} 年度；政策 ${meta.policy.title}（${meta.policy.id}，${meta.campaign.policy_hash.slice(0, 12)}）`,
  ];
}

/** Columns no wider than this (characters): longer text wraps. */
const MAX_WIDTH = 40;

/**
 * A column wide enough for its longest value on one line and its header on at most two (headers
 * wrap; values do not), so Chinese names and amounts print whole.
 */
function fittedWidth(column: ColumnSpec, values: readonly CellValue[]): number {
  const longest = Math.max(0, ...values.map((v) => (v === null ? 0 : displayWidth(String(v)))));
  const header = Math.ceil(displayWidth(column.header) / 2);
  const width = Math.min(MAX_WIDTH, Math.max(6, longest + 2, header + 2));
  // exceljs leaves out a width of 9 (its default) and Excel then uses its own, 8.43.
  return width === 9 ? 10 : width;
}

/**
 * A report's tables as the sheets of its .xlsx: the region, date and policy above each table, the
 * notes under it, columns fitted to their contents, set up to print (A4, one page wide, header
 * rows repeated on every page, borders).
 */
export function reportSheets(result: ReportResult): SheetSpec[] {
  return result.tables.map((t) => ({
    name: t.name,
    headerLines: headerLines(result.meta, t.title),
    columns: t.columns.map((c, i) => ({
      ...c,
      width: fittedWidth(
        c,
        t.rows.map((r) => r[i] ?? null),
      ),
    })),
    rows: t.rows,
    ...(t.notes ? { footerLines: t.notes } : {}),
    print: {},
  }));
}
