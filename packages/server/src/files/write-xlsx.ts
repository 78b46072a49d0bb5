/**
 * Streaming writers for the files canbao hands out: .xlsx (reports, error reports, exports) and
 * .csv (UTF-8 with BOM, so Chinese Excel opens it correctly).
 *
 * Rows are written as they come: a 1,000,000-row export never sits in memory.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { numberText } from './read-table.ts';

export type CellValue = string | number | null;

/**
 * Rows handed over a page at a time: the writer awaits once per page instead of once per row. An
 * async generator step per row costs about 0.3 µs, and a file of a million rows passed through
 * three of them spent most of a second on that alone.
 */
export interface RowPages {
  readonly pages: AsyncIterable<readonly (readonly CellValue[])[]>;
}

export type RowSource = AsyncIterable<readonly CellValue[]> | Iterable<readonly CellValue[]> | RowPages;

/** Rows collected into a page when the source gives them one by one. */
const PAGE_ROWS = 1000;

/** Bytes of a chunk of encoded text handed to a stream or a deflater. */
const CHUNK_BYTES = 1 << 20;

/**
 * Text encoded to UTF-8 a short piece (a row) at a time, into chunks to hand on. A long string
 * built by concatenation (a rope of thousands of parts) is encoded by Buffer.from or TextEncoder
 * five to seven times slower than its rows written one by one: for the bank's sheet of a million
 * rows, ~8 s against ~1.3 s.
 */
export class Utf8Chunks {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  /** Appends text; returns the chunk filled so far when the text did not fit in it, else null. */
  add(text: string): Buffer | null {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const room = text.length * 3;
    let full: Buffer | null = null;
    if (this.used + room > this.chunk.length) {
      if (this.used > 0) full = this.chunk.subarray(0, this.used);
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, room));
      this.used = 0;
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
    return full;
  }

  /** The text added since the last chunk was handed on (the chunk is not reused). */
  take(): Buffer {
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    return full;
  }
}

/** The rows of any source, a page at a time. */
export async function* pagesOf(rows: RowSource): AsyncGenerator<readonly (readonly CellValue[])[]> {
  if ('pages' in rows) {
    yield* rows.pages;
    return;
  }
  const page: (readonly CellValue[])[] = [];
  if (Symbol.iterator in rows) {
    // A synchronous source is read without an await per row.
    for (const values of rows) if (page.push(values) === PAGE_ROWS) yield page.splice(0);
  } else {
    for await (const values of rows) if (page.push(values) === PAGE_ROWS) yield page.splice(0);
  }
  if (page.length > 0) yield page;
}

export interface ColumnSpec {
  readonly header: string;
  /** Column width in characters (default: from the header, at least 10). */
  readonly width?: number;
  /**
   * Format the column as text ('@', the default), so that what the user types in later (an ID
   * number while fixing an error report) stays text. Set false for numeric columns.
   */
  readonly text?: boolean;
}

export interface SheetSpec {
  readonly name: string;
  /** Title lines above the column header row (region, date, policy…), one merged row each. */
  readonly headerLines?: readonly string[];
  readonly columns: readonly ColumnSpec[];
  readonly rows: RowSource;
  /** Lines under the table (totals, notes), one merged row each, outside the table's borders. */
  readonly footerLines?: readonly string[];
  /** Set for a sheet people print (a bulletin): page setup, borders, header rows on every page. */
  readonly print?: PrintSpec;
}

/**
 * How a sheet prints: A4, one page wide (as many pages tall as needed), the title and column header
 * rows repeated on every page, thin borders around the table, page numbers in the footer.
 */
export interface PrintSpec {
  /** Default: landscape when the columns are wider than a portrait A4 page holds at full size. */
  readonly orientation?: 'portrait' | 'landscape';
}

/** Excel's paper size code for A4. */
const A4 = 9;
/** Column width (characters) a portrait A4 page holds at 100% within the margins below. */
const PORTRAIT_WIDTH = 90;
/** Inches, as Excel keeps them: narrow enough for a wide table, room for the page number. */
const PRINT_MARGINS = { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 };
const THIN = { style: 'thin' } as const;
const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };

/** The worksheet options that make a sheet print well (see PrintSpec). */
function printOptions(print: PrintSpec, widths: readonly number[], headerRowNumber: number) {
  const total = widths.reduce((a, b) => a + b, 0);
  return {
    pageSetup: {
      paperSize: A4,
      orientation: print.orientation ?? (total > PORTRAIT_WIDTH ? 'landscape' : 'portrait'),
      fitToPage: true,
      fitToWidth: 1,
      // 0: as many pages tall as the rows need.
      fitToHeight: 0,
      horizontalCentered: true,
      margins: PRINT_MARGINS,
      printTitlesRow: `1:${headerRowNumber}`,
    },
    headerFooter: { oddFooter: '第 &P 页，共 &N 页' },
  } as const;
}

type Target = string | NodeJS.WritableStream;

/** Rows between two turns of the event loop, so compression keeps up and memory stays flat. */
const YIELD_EVERY = 500;
/** Bytes of uncompressed sheet XML (or unwritten output) allowed to wait. */
const HIGH_WATER = 4 * 1024 * 1024;
/** Excel's limit on the characters in one cell. */
const MAX_CELL_CHARS = 32_767;

interface OpenedTarget {
  readonly stream: Writable;
  /** Rejects as soon as the output fails (exceljs would otherwise wait forever). */
  readonly failed: Promise<never>;
  /** Resolves when a file target is closed; immediately for a caller's stream. */
  finished(): Promise<void>;
  /** After a failure: destroys the stream and removes a partly written file. */
  discard(): Promise<void>;
}

async function openTarget(target: Target): Promise<OpenedTarget> {
  const stream = (typeof target === 'string' ? createWriteStream(target) : target) as Writable;
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  stream.on('error', (error) => fail(error));
  if (typeof target === 'string') {
    // Fail early (missing directory, no permission) rather than after writing every row.
    await Promise.race([once(stream, 'open'), failed]);
  }
  return {
    stream,
    failed,
    finished: async () => {
      if (typeof target !== 'string') return;
      if (!stream.closed) await Promise.race([once(stream, 'close'), failed]);
    },
    discard: async () => {
      stream.destroy();
      if (typeof target === 'string') await rm(target, { force: true });
    },
  };
}

/** Writes the sheets in order, each streamed row by row. Returns the number of data rows written. */
export async function writeXlsx(target: Target, sheets: readonly SheetSpec[]): Promise<{ rows: number }> {
  const output = await openTarget(target);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output.stream,
    useStyles: true,
    // Inline strings: the shared string table is written last, so it would sit in memory.
    useSharedStrings: false,
  });
  try {
    let total = 0;
    const usedNames = new Set<string>();
    for (const sheet of sheets) {
      total += await writeSheet(workbook, sheet, sheetName(sheet.name, usedNames), output);
    }
    await Promise.race([workbook.commit(), output.failed]);
    await output.finished();
    return { rows: total };
  } catch (error) {
    await output.discard();
    throw error;
  }
}

/** Excel sheet names: at most 31 characters, none of : \ / ? * [ ], unique. */
function sheetName(wanted: string, used: Set<string>): string {
  const base =
    wanted
      .replace(/[:\\/?*[\]]/g, '_')
      .trim()
      .slice(0, 31) || 'Sheet';
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++)
    name = `${base.slice(0, 31 - String(n).length - 1)}_${n}`;
  used.add(name.toLowerCase());
  return name;
}

/** Points per line of 11-point text. */
const LINE_HEIGHT = 15;

/** The lines the longest of the texts takes, wrapped in its column's width (characters). */
function linesOf(texts: readonly string[], widths: readonly number[]): number {
  return Math.max(1, ...texts.map((t, i) => Math.ceil(displayWidth(t) / Math.max(1, (widths[i] ?? 10) - 1))));
}

/** Width of text in columns: CJK characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += (ch.codePointAt(0) ?? 0) > 0x2e80 ? 2 : 1;
  return width;
}

async function writeSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  sheet: SheetSpec,
  name: string,
  output: OpenedTarget,
): Promise<number> {
  const headerLines = sheet.headerLines ?? [];
  const headerRowNumber = headerLines.length + 1;
  const columnCount = Math.max(sheet.columns.length, 1);
  const widths = sheet.columns.map((column) => column.width ?? Math.max(10, displayWidth(column.header) + 2));
  const worksheet = workbook.addWorksheet(name, {
    views: [{ state: 'frozen', xSplit: 0, ySplit: headerRowNumber }],
    ...(sheet.print ? printOptions(sheet.print, widths, headerRowNumber) : {}),
  });
  const border = sheet.print ? BORDER : undefined;
  worksheet.columns = sheet.columns.map((column, i) => ({
    width: widths[i],
    ...(column.text === false ? {} : { style: { numFmt: '@' } }),
  }));

  headerLines.forEach((text, index) => {
    const row = worksheet.getRow(index + 1);
    const cell = row.getCell(1);
    cell.value = text;
    if (index === 0) cell.font = { bold: true, size: 14 };
    if (columnCount > 1) worksheet.mergeCells(index + 1, 1, index + 1, columnCount);
    row.commit();
  });

  const header = worksheet.getRow(headerRowNumber);
  sheet.columns.forEach((column, index) => {
    const cell = header.getCell(index + 1);
    cell.value = column.header;
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE7E6E6' } };
    cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    if (border) cell.border = border;
  });
  // A header wrapped onto more lines than its column holds in one gets the height to show them
  // (a printed page is not autofitted).
  if (sheet.print)
    header.height =
      LINE_HEIGHT *
      linesOf(
        sheet.columns.map((c) => c.header),
        widths,
      );
  header.commit();

  let rowNumber = headerRowNumber;
  let count = 0;
  for await (const page of pagesOf(sheet.rows)) {
    for (const values of page) {
      rowNumber++;
      const row = worksheet.getRow(rowNumber);
      if (border) for (let i = 1; i <= columnCount; i++) row.getCell(i).border = border;
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (value === null || value === undefined) continue;
        if (typeof value === 'number') {
          if (Number.isFinite(value)) row.getCell(i + 1).value = value;
        } else if (value !== '') {
          row.getCell(i + 1).value = value.length > MAX_CELL_CHARS ? value.slice(0, MAX_CELL_CHARS) : value;
        }
      }
      row.commit();
      count++;
      if (count % YIELD_EVERY === 0) {
        await Promise.race([new Promise((resolve) => setImmediate(resolve)), output.failed]);
        await drained(worksheet, output);
      }
    }
  }
  const tableWidth = widths.reduce((a, b) => a + b, 0);
  for (const text of sheet.footerLines ?? []) {
    rowNumber++;
    const row = worksheet.getRow(rowNumber);
    const cell = row.getCell(1);
    cell.value = text;
    cell.alignment = { vertical: 'top', wrapText: true };
    row.height = LINE_HEIGHT * linesOf([text], [tableWidth]);
    if (columnCount > 1) worksheet.mergeCells(rowNumber, 1, rowNumber, columnCount);
    row.commit();
  }
  worksheet.commit();
  return count;
}

/** Bytes a stream holds that its consumer has not taken yet. */
function buffered(stream: Writable | undefined): number {
  if (stream === undefined) return 0;
  const state = (stream as unknown as { _writableState?: { length?: number } })._writableState;
  return stream.writableLength ?? state?.length ?? 0;
}

/**
 * Waits while compression lags behind. exceljs's row.commit() ignores backpressure: the sheet's
 * XML goes into a PassThrough that archiver drains at its own pace (compression runs on the thread
 * pool), and without this wait a 1,000,000-row sheet sits uncompressed in memory (~250 MB).
 */
async function drained(worksheet: unknown, output: OpenedTarget): Promise<void> {
  // Internals of exceljs 4's WorksheetWriter: its StreamBuf, piped into archiver's PassThrough.
  const pipes = (worksheet as { stream?: { pipes?: Writable[] } }).stream?.pipes;
  const sheetPipe = Array.isArray(pipes) ? pipes[0] : undefined;
  while (buffered(sheetPipe) > HIGH_WATER || buffered(output.stream) > HIGH_WATER) {
    const pending = buffered(sheetPipe) > HIGH_WATER ? sheetPipe : output.stream;
    await Promise.race([once(pending as Writable, 'drain'), output.failed]);
  }
}

export interface CsvOptions {
  /** Start with a UTF-8 BOM (default true): without it Chinese Excel reads the file as GBK. */
  readonly bom?: boolean;
}

/** Characters that make a CSV field quoted. */
const CSV_SPECIAL = /[",\r\n]/;
/**
 * One field as csv-stringify writes it with the options canbao used (delimiter ',', quote '"',
 * CRLF records): quoted, with quotes doubled, exactly when it holds a comma, a quote or a line
 * break. Built here rather than by csv-stringify because its per-field casting and option handling
 * cost more than the rest of a million-row export (tests compare the two on awkward texts).
 */
function csvField(value: CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? numberText(value) : value;
  return CSV_SPECIAL.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRecord(values: readonly CellValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += i === 0 ? csvField(values[i]) : `,${csvField(values[i])}`;
  return `${line}\r\n`;
}

/**
 * Writes a CSV file (UTF-8 with BOM, CRLF line ends). Returns the number of data rows written.
 * Numbers are written without exponent. Note that Excel shows digit strings longer than 15 digits
 * (ID numbers) in a CSV as 1.2E+17 and loses digits if the user saves: hand out .xlsx to people.
 */
export async function writeCsv(
  target: Target,
  headers: readonly string[],
  rows: RowSource,
  options: CsvOptions = {},
): Promise<{ rows: number }> {
  const output = await openTarget(target);
  const stream = output.stream;
  let count = 0;
  try {
    const text = new Utf8Chunks();
    text.add(((options.bom ?? true) ? '\uFEFF' : '') + csvRecord(headers));
    for await (const page of pagesOf(rows)) {
      for (const values of page) {
        const full = text.add(csvRecord(values));
        if (full && !stream.write(full)) await Promise.race([once(stream, 'drain'), output.failed]);
      }
      count += page.length;
    }
    // Like the xlsx writer, the target stream is ended when done.
    stream.end(text.take());
    await Promise.race([finished(stream, { readable: false }), output.failed]);
    await output.finished();
  } catch (error) {
    await output.discard();
    throw error;
  }
  return { rows: count };
}
