/**
 * `canbao report <name> [--region <code>] [--as-of <date>] [--xlsx <file>] [--json]`: any report of
 * reports/index.ts, printed as tables, exported as .xlsx with the region, date and policy in each
 * sheet's header, or as JSON.
 */
import type { Command } from 'commander';
import type { CellValue } from '../files/write-xlsx.ts';
import { writeXlsx } from '../files/write-xlsx.ts';
import { REPORTS, reportByName } from '../reports/index.ts';
import { headerLines, type ReportResult, reportSheets } from '../reports/report.ts';
import { type CampaignOptions, campaignOptions, dateOf, idOf, withCollection } from './collection-context.ts';
import { displayWidth, InputError, writeJson, writeLines } from './io.ts';

interface ReportOptions extends CampaignOptions {
  readonly region?: string;
  readonly asOf?: string;
  readonly year?: string;
  readonly xlsx?: string;
  readonly json?: boolean;
}

const cell = (value: CellValue) => (value === null ? '' : String(value));

/** A report's tables as aligned text. */
export function reportText(result: ReportResult): string[] {
  const lines: string[] = [];
  for (const table of result.tables) {
    lines.push(...headerLines(result.meta, table.title), '');
    const texts = [table.columns.map((c) => c.header), ...table.rows.map((r) => r.map(cell))];
    const widths = table.columns.map((_, i) => Math.max(...texts.map((row) => displayWidth(row[i] ?? ''))));
    for (const row of texts) {
      lines.push(
        row
          .map((text, i) => {
            const pad = ' '.repeat((widths[i] ?? 0) - displayWidth(text));
            // Numbers right-aligned, text left-aligned.
            return /^-?[\d,.%]+$/.test(text) ? pad + text : text + pad;
          })
          .join('  ')
          .trimEnd(),
      );
    }
    if (table.notes) lines.push(...table.notes);
    lines.push('');
  }
  return lines;
}

export function registerReport(program: Command): void {
  const names = REPORTS.map((r) => `${r.name}（${r.label}）`).join('、');
  campaignOptions(
    program
      .command('report')
      .description(
        `报表：${names || '（暂无）'}。默认全县、截至今天；--xlsx 导出（表头注明区划、日期和政策）`,
      )
      .argument('[name]', '报表名称；省略则列出全部报表')
      .option('--region <code>', '区划代码：县、乡镇或村（默认全县）')
      .option('--as-of <date>', '数据截至日期（默认今天）')
      .option('--year <year>', '征缴年度（默认最近一个）')
      .option('--xlsx <file>', '导出为 .xlsx')
      .option('--json', '以 JSON 输出'),
  ).action(async (name: string | undefined, options: ReportOptions) => {
    if (!name) {
      writeLines(REPORTS.map((r) => `${r.name.padEnd(16)} ${r.label}：${r.description}`));
      return;
    }
    const report = reportByName(name);
    if (!report) throw new InputError(`未知的报表“${name}”。可用：${names}`);
    await withCollection(options, async (ctx) => {
      const result = await report.run(ctx, {
        regionCode: options.region ?? ctx.countyCode,
        asOf: dateOf(options.asOf, '--as-of', ctx.today),
        ...(options.year ? { benefitYear: idOf(options.year, '--year') } : {}),
      });
      if (options.xlsx) {
        await writeXlsx(options.xlsx, reportSheets(result));
      }
      if (options.json) {
        writeJson({ meta: result.meta, data: result.data });
        return;
      }
      writeLines([...reportText(result), ...(options.xlsx ? [`已导出：${options.xlsx}`] : [])]);
    });
  });
}
