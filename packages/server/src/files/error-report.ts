/**
 * Error report: the user's own file back as .xlsx, each row with its original line number and the
 * reason it was rejected, so the user can fix the rows in place and import the report again
 * (the extra 行号 and 错误原因 columns are ignored on import).
 */
import { type ExpectedHeaders, openTable } from './read-table.ts';
import { type CellValue, writeXlsx } from './write-xlsx.ts';

export const LINE_HEADER = '行号';
export const ERROR_HEADER = '错误原因';

/** What is needed to open the original file again the same way (a TableSource fits). */
export interface ErrorReportSource {
  readonly file: string;
  readonly sheet?: string | null;
  readonly expectedHeaders?: ExpectedHeaders;
}

export interface ErrorReportOptions {
  /** Only the rows with an error (default: every data row, in the original order). */
  readonly onlyErrors?: boolean;
  /** Sheet name of the report (default 错误报告). */
  readonly sheetName?: string;
  /** Title lines above the header row (e.g. the import and its date). */
  readonly headerLines?: readonly string[];
}

/**
 * Writes `target` (.xlsx): 行号, the original columns, 错误原因. `errors` maps a line number to its
 * error text; several errors for one line may be given as a list and are joined with '；'. Errors
 * on lines that are not data rows (the header, a line number out of range) are listed at the end,
 * so none is lost. Returns the number of rows written.
 */
export async function writeErrorReport(
  source: ErrorReportSource,
  errors: ReadonlyMap<number, string | readonly string[]>,
  target: string,
  options: ErrorReportOptions = {},
): Promise<{ rows: number }> {
  const table = await openTable(source.file, {
    ...(source.sheet ? { sheet: source.sheet } : {}),
    ...(source.expectedHeaders ? { expectedHeaders: source.expectedHeaders } : {}),
  });
  // A report imported again and reported on again: its old 行号 / 错误原因 columns are replaced.
  const headers = table.headers.filter((h) => h !== LINE_HEADER && h !== ERROR_HEADER);
  const reasonOf = (line: number): string | undefined => {
    const error = errors.get(line);
    return error === undefined ? undefined : typeof error === 'string' ? error : error.join('；');
  };
  const used = new Set<number>();

  async function* rows(): AsyncGenerator<CellValue[]> {
    for await (const row of table.rows()) {
      const reason = reasonOf(row.line);
      if (reason === undefined && options.onlyErrors) continue;
      if (reason !== undefined) used.add(row.line);
      const cells: CellValue[] = [row.line];
      for (const header of headers) cells.push(row.values[header] ?? '');
      cells.push(reason ?? '');
      yield cells;
    }
    const rest = [...errors.keys()].filter((line) => !used.has(line)).sort((a, b) => a - b);
    for (const line of rest) {
      const cells: CellValue[] = [line > 0 ? line : null];
      for (let i = 0; i < headers.length; i++) cells.push('');
      cells.push(reasonOf(line) ?? '');
      yield cells;
    }
  }

  try {
    return await writeXlsx(target, [
      {
        name: options.sheetName ?? '错误报告',
        ...(options.headerLines ? { headerLines: options.headerLines } : {}),
        columns: [
          { header: LINE_HEADER, width: 8, text: false },
          ...headers.map((header) => ({ header, width: columnWidth(header) })),
          { header: ERROR_HEADER, width: 60 },
        ],
        rows: rows(),
      },
    ]);
  } finally {
    await table.close();
  }
}

function columnWidth(header: string): number {
  if (/身份|证件|号码|账号|卡号/.test(header)) return 22;
  if (/地址|住址/.test(header)) return 30;
  return Math.max(10, header.length * 2 + 2);
}
