/**
 * Streaming reader for the tables departments and villages exchange: .csv (UTF-8 or GBK) and .xlsx.
 *
 * Everything streams: a 1,000,000-row file is read row by row with bounded memory. The header row
 * is found among the first non-empty rows (title rows above it are common), header texts are
 * normalised, and every data row comes back as strings keyed by header, with the line number the
 * user sees in Excel or a text editor.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { openZip, type ZipArchive, ZipError } from './zip.ts';

export interface TableRow {
  /** The row number the user sees (1-based, title and header rows included). */
  readonly line: number;
  /** Cell texts keyed by header, trimmed ('' for an empty cell). */
  readonly values: Readonly<Record<string, string>>;
}

export interface TableSource {
  readonly file: string;
  readonly format: 'csv' | 'xlsx';
  /** csv only. */
  readonly encoding: 'utf8' | 'gbk' | null;
  /** xlsx only: the sheet read. */
  readonly sheet: string | null;
  /** Normalised header texts in column order (columns with an empty header cell are left out). */
  readonly headers: readonly string[];
  readonly headerLine: number;
  /** File size in bytes, for progress. */
  readonly totalBytes: number;
  /** Bytes of the file consumed so far (for xlsx: compressed bytes, so approximate). */
  bytesRead(): number;
  /** The data rows after the header row; empty rows are skipped. Can be called once. */
  rows(): AsyncIterable<TableRow>;
  /** Releases the file when rows() is not read to the end (reading to the end closes it anyway). */
  close(): Promise<void>;
}

/**
 * Headers a caller looks for: each entry one header, or a list of alternative spellings of one
 * header (['公民身份号码', '身份证号码', '身份证号']).
 */
export type ExpectedHeaders = readonly (string | readonly string[])[];

export interface OpenTableOptions {
  /**
   * Headers the caller looks for. The header row is then the first of the first 10 non-empty rows
   * holding at least half of them (or at least 3, when half is more: files often carry only the
   * required columns of many). An entry that is a list counts once, whichever spelling is found.
   * A header that differs from an expected spelling only in full-width/half-width forms
   * (村（社区） / 村(社区)) is given the expected spelling.
   */
  readonly expectedHeaders?: ExpectedHeaders;
  /**
   * Headers a header row must all have (each an alternative spelling list): when given, the header
   * row is the first row holding every one of them, however few the file's columns are.
   */
  readonly requiredHeaders?: ExpectedHeaders;
  /** xlsx: the sheet to read, by name (default: the first sheet). */
  readonly sheet?: string;
  /** csv: skip detection and decode with this encoding. */
  readonly encoding?: 'utf8' | 'gbk';
}

/** A problem with the file itself (format, encoding, headers, a cell Excel has damaged). */
export class TableFileError extends Error {
  readonly file: string;
  readonly line: number | null;
  /** The message without the file name and line prefix. */
  readonly detail: string;

  constructor(file: string, line: number | null, detail: string) {
    super(`${basename(file)}${line === null ? '' : ` 第 ${line} 行`}：${detail}`);
    this.name = 'TableFileError';
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

/** How many non-empty rows may stand before (and including) the header row. */
const HEADER_SEARCH_ROWS = 10;
/** Bytes inspected to tell UTF-8 from GBK. */
const SNIFF_BYTES = 64 * 1024;
/** A record longer than this is a broken file (typically an unclosed quote), not data. */
const MAX_CSV_RECORD_BYTES = 1024 * 1024;
/** Numbers this large cannot be held exactly by Excel (15 significant digits). */
const EXCEL_EXACT_LIMIT = 1e15;

/** A row as read, before headers are applied. */
interface RawRow {
  readonly line: number;
  readonly cells: readonly string[];
  /** Column indexes (0-based) of cells holding numbers Excel cannot store exactly. */
  readonly longNumbers?: readonly number[];
}

interface Progress {
  bytes: number;
}

/** Header text as compared and used as key: no whitespace at all (incl. full-width spaces, newlines). */
export function normaliseHeader(text: string): string {
  return text.replace(/[\s\u200b\ufeff]+/g, '');
}

/** Looser form for matching expected headers: full-width forms folded too. */
function headerMatchKey(text: string): string {
  return normaliseHeader(text).normalize('NFKC');
}

export async function openTable(path: string, options: OpenTableOptions = {}): Promise<TableSource> {
  const extension = extname(path).toLowerCase();
  if (extension !== '.csv' && extension !== '.xlsx') {
    throw new TableFileError(
      path,
      null,
      `不支持的文件格式“${extension || '（无扩展名）'}”，请使用 .xlsx 或 .csv 文件（.xls 请先在 Excel 中另存为 .xlsx）`,
    );
  }
  let totalBytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TableFileError(path, null, '不是文件');
    totalBytes = info.size;
  } catch (error) {
    if (error instanceof TableFileError) throw error;
    throw new TableFileError(
      path,
      null,
      `无法打开文件（${(error as NodeJS.ErrnoException).code ?? String(error)}）`,
    );
  }

  const progress: Progress = { bytes: 0 };
  let encoding: 'utf8' | 'gbk' | null = null;
  let sheet: string | null = null;
  let raw: AsyncGenerator<RawRow>;
  if (extension === '.csv') {
    const detected = options.encoding ?? (await detectEncoding(path));
    encoding = detected;
    raw = csvRows(path, detected, progress);
  } else {
    raw = xlsxRows(path, options.sheet ?? null, progress, (name) => {
      sheet = name;
    });
  }

  // Find the header row among the first non-empty rows; keep the rows read after it.
  const leading: RawRow[] = [];
  try {
    while (leading.length < HEADER_SEARCH_ROWS) {
      const next = await raw.next();
      if (next.done) break;
      if (!isEmptyRow(next.value)) leading.push(next.value);
    }
  } catch (error) {
    await raw.return(undefined);
    throw error;
  }
  const headerIndex = options.requiredHeaders
    ? findRowWithAll(leading, options.requiredHeaders)
    : findHeaderRow(leading, options.expectedHeaders);
  const headerRow = headerIndex === -1 ? undefined : leading[headerIndex];
  if (headerRow === undefined) {
    await raw.return(undefined);
    if (leading.length === 0) throw new TableFileError(path, null, '文件中没有任何内容');
    const expected = headerGroups(options.expectedHeaders).map((group) => group.join('/'));
    throw new TableFileError(
      path,
      null,
      `找不到表头：前 ${HEADER_SEARCH_ROWS} 个非空行中没有一行包含足够多的以下列名：${expected.join('、')}。请确认表头行的列名与模板一致`,
    );
  }

  let columns: HeaderColumns;
  try {
    columns = headerColumns(path, headerRow, options.expectedHeaders);
  } catch (error) {
    await raw.return(undefined);
    throw error;
  }
  const pending = leading.slice(headerIndex + 1);
  let used = false;

  async function* rows(): AsyncGenerator<TableRow> {
    if (used) throw new Error('TableSource.rows() can only be called once');
    used = true;
    try {
      for (const row of pending.splice(0)) yield toTableRow(path, columns, row);
      for (;;) {
        const next = await raw.next();
        if (next.done) return;
        if (!isEmptyRow(next.value)) yield toTableRow(path, columns, next.value);
      }
    } finally {
      await raw.return(undefined);
    }
  }

  return {
    file: path,
    format: extension === '.csv' ? 'csv' : 'xlsx',
    encoding,
    sheet,
    headers: columns.headers,
    headerLine: headerRow.line,
    totalBytes,
    bytesRead: () => Math.min(progress.bytes, totalBytes),
    rows,
    close: async () => {
      used = true;
      await raw.return(undefined);
    },
  };
}

function isEmptyRow(row: RawRow): boolean {
  for (const cell of row.cells) if (cell !== '') return false;
  return true;
}

/** Most matching headers a row needs to be taken as the header row. */
const HEADER_MATCHES_ENOUGH = 3;

function headerGroups(expected: ExpectedHeaders | undefined): readonly (readonly string[])[] {
  return (expected ?? [])
    .map((entry) => (typeof entry === 'string' ? [entry] : entry))
    .filter((g) => g.length > 0);
}

/** The first row holding every required header (in any of its spellings). */
function findRowWithAll(rows: readonly RawRow[], required: ExpectedHeaders): number {
  const groups = headerGroups(required).map((group) => new Set(group.map(headerMatchKey)));
  return rows.findIndex((row) => {
    const keys = new Set(row.cells.map(headerMatchKey));
    return groups.every((group) => [...group].some((key) => keys.has(key)));
  });
}

function findHeaderRow(rows: readonly RawRow[], expected: ExpectedHeaders | undefined): number {
  if (rows.length === 0) return -1;
  const groups = headerGroups(expected);
  if (groups.length === 0) return 0;
  // Each spelling's key → the group it belongs to.
  const groupOf = new Map<string, number>();
  groups.forEach((group, index) => {
    for (const header of group)
      if (!groupOf.has(headerMatchKey(header))) groupOf.set(headerMatchKey(header), index);
  });
  const needed = Math.min(Math.ceil(groups.length / 2), HEADER_MATCHES_ENOUGH);
  return rows.findIndex((row) => {
    const found = new Set<number>();
    for (const cell of row.cells) {
      const group = groupOf.get(headerMatchKey(cell));
      if (group !== undefined) found.add(group);
    }
    return found.size >= needed;
  });
}

interface HeaderColumns {
  readonly headers: readonly string[];
  /** For each header, the 0-based column index it stands in. */
  readonly indexes: readonly number[];
}

function headerColumns(path: string, row: RawRow, expected: ExpectedHeaders | undefined): HeaderColumns {
  const spelling = new Map(
    headerGroups(expected).flatMap((g) => g.map((h) => [headerMatchKey(h), normaliseHeader(h)] as const)),
  );
  const headers: string[] = [];
  const indexes: number[] = [];
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  row.cells.forEach((cell, index) => {
    const text = normaliseHeader(cell);
    if (text === '') return;
    const header = spelling.get(headerMatchKey(text)) ?? text;
    if (seen.has(header)) duplicates.add(header);
    seen.add(header);
    headers.push(header);
    indexes.push(index);
  });
  if (duplicates.size > 0) {
    throw new TableFileError(
      path,
      row.line,
      `表头中有重复的列名：${[...duplicates].join('、')}，请删除或改名后重新导入`,
    );
  }
  return { headers, indexes };
}

function toTableRow(path: string, columns: HeaderColumns, row: RawRow): TableRow {
  const { headers, indexes } = columns;
  if (row.longNumbers !== undefined) {
    for (const index of row.longNumbers) {
      const at = indexes.indexOf(index);
      if (at === -1) continue;
      throw new TableFileError(
        path,
        row.line,
        `“${headers[at]}”列的 ${row.cells[index]} 以数字格式保存，Excel 只保留 15 位有效数字，末几位已经丢失。身份证号码等长数字必须以文本格式保存：请把该列设为“文本”格式后重新录入这些号码`,
      );
    }
  }
  const values: Record<string, string> = {};
  for (let i = 0; i < headers.length; i++) {
    values[headers[i] as string] = row.cells[indexes[i] as number] ?? '';
  }
  return { line: row.line, values };
}

// ---------------------------------------------------------------------------------------------
// CSV

/** UTF-8 when the file has a UTF-8 BOM or its first 64 KiB are valid UTF-8; GBK otherwise. */
async function detectEncoding(path: string): Promise<'utf8' | 'gbk'> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf8';
    const atEnd = bytesRead < SNIFF_BYTES;
    try {
      // stream: true keeps a multi-byte character cut at the 64 KiB boundary pending instead of
      // failing on it; at the end of a short file, an incomplete character is an error.
      new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !atEnd });
      return 'utf8';
    } catch {
      return 'gbk';
    }
  } finally {
    await handle.close();
  }
}

async function* csvRows(path: string, encoding: 'utf8' | 'gbk', progress: Progress): AsyncGenerator<RawRow> {
  const parser = parseCsv({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_CSV_RECORD_BYTES,
  });
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  const decoder = encoding === 'gbk' ? new TextDecoder('gbk') : null;
  async function* count(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer | string> {
    for await (const chunk of source) {
      progress.bytes += chunk.length;
      yield decoder === null ? chunk : decoder.decode(chunk, { stream: true });
    }
    if (decoder !== null) {
      const rest = decoder.decode();
      if (rest !== '') yield rest;
    }
  }
  let failure: Error | null = null;
  pipeline(input, count, parser, (error) => {
    if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') failure = error;
  });

  // csv-parse's own line count counts a CRLF inside a quoted field twice, so lines are counted
  // here: a record starts on the line after the previous record's last line.
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const start = line;
      const cells: string[] = new Array(record.length);
      let breaks = 0;
      for (let i = 0; i < record.length; i++) {
        const field = record[i] as string;
        if (field.includes('\n') || field.includes('\r')) breaks += countLineBreaks(field);
        cells[i] = field.trim();
      }
      line = start + 1 + breaks;
      yield { line: start, cells };
    }
  } catch (error) {
    throw csvError(path, line, failure ?? error);
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (failure !== null) throw csvError(path, line, failure);
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13) {
      count++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return count;
}

function csvError(path: string, line: number, error: unknown): TableFileError {
  if (error instanceof TableFileError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'CSV_MAX_RECORD_SIZE' || code === 'CSV_QUOTE_NOT_CLOSED') {
    return new TableFileError(
      path,
      line,
      'CSV 格式错误：这一行的引号没有闭合（从这里到文件末尾都被当成了一个单元格），请检查该行的英文双引号',
    );
  }
  if (code?.startsWith('CSV_')) {
    return new TableFileError(path, line, `CSV 格式错误：${(error as Error).message}`);
  }
  return new TableFileError(path, null, `读取文件失败：${(error as Error).message ?? String(error)}`);
}

// ---------------------------------------------------------------------------------------------
// XLSX
//
// exceljs's streaming WorkbookReader reads the zip front to back and, when a worksheet comes
// before the shared strings or the workbook relationships (as in files written by exceljs itself,
// and in Excel's own files where the shared strings follow the sheets), first inflates the whole worksheet into a temporary file: openTable would wait
// for all of a 1,000,000-row sheet, progress would be useless, and the temporary files of sheets
// not read to the end stay until the process exits. It also garbles Chinese text: it decodes each
// inflated chunk on its own (utils/parse-sax.js: `textDecoder.decode(chunk)` without
// `stream: true`), so a character cut at a chunk boundary turns into U+FFFD (exceljs issues #2063,
// #2084, #2316). So the zip is read here by random access through its central directory: the
// workbook, relationships, styles and shared strings first, then only the wanted sheet, streamed,
// each part decoded to text with a decoder that carries partial characters over. exceljs still
// parses each part, through its reader's part parsers.

/** exceljs's WorkbookReader used as a set of part parsers (these methods are internal to it). */
interface WorkbookParts {
  readonly model?: { readonly sheets?: readonly { name: string; rId: string; state?: string }[] };
  readonly workbookRels?: readonly { Id: string; Target: string; Type?: string }[];
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(
    iterator: AsyncIterable<unknown>,
    sheetNo: string,
  ): Generator<{ eventType: string; value: unknown }>;
}
const WorkbookReader = ExcelJS.stream.xlsx.WorkbookReader as unknown as new (
  input: string,
  options: ExcelJS.stream.xlsx.WorkbookStreamReaderOptions,
) => WorkbookParts;

async function* xlsxRows(
  path: string,
  wanted: string | null,
  progress: Progress,
  onSheet: (name: string) => void,
): AsyncGenerator<RawRow> {
  const broken = (detail: string) =>
    new TableFileError(
      path,
      null,
      `无法读取 Excel 文件：不是有效的 .xlsx 文件（可能是改了扩展名的 .xls、已加密或已损坏）${detail}`,
    );
  let zip: ZipArchive;
  try {
    zip = await openZip(path);
  } catch (error) {
    throw broken(error instanceof ZipError ? '' : `（${(error as Error).message}）`);
  }
  const parts = new WorkbookReader(path, {
    // Shared strings are kept in memory: the cells refer to them by index.
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles are needed to tell a date from a number.
    styles: 'cache',
    worksheets: 'emit',
    entries: 'ignore',
  });
  const part = (name: string) => (zip.has(name) ? name : undefined);
  const open = (name: string) =>
    zip.open(name, (bytes) => {
      progress.bytes += bytes;
    });

  let sheetEntry: string | undefined;
  let sheetName: string;
  try {
    const workbook = part('xl/workbook.xml');
    const rels = part('xl/_rels/workbook.xml.rels');
    if (workbook === undefined || rels === undefined) throw broken('');
    await parts._parseWorkbook(open(workbook));
    await parts._parseRels(open(rels));
    const sheets = parts.model?.sheets ?? [];
    const sheet =
      wanted === null
        ? (sheets.find((s) => s.state !== 'hidden' && s.state !== 'veryHidden') ?? sheets[0])
        : sheets.find((s) => s.name === wanted);
    if (sheet === undefined) {
      throw new TableFileError(
        path,
        null,
        wanted === null
          ? '文件中没有工作表'
          : `找不到工作表“${wanted}”，文件中的工作表：${sheets.map((s) => s.name).join('、') || '（无）'}`,
      );
    }
    const target = parts.workbookRels?.find((rel) => rel.Id === sheet.rId)?.Target;
    sheetEntry = target === undefined ? undefined : part(resolvePartName(target));
    if (sheetEntry === undefined) throw broken(`（找不到工作表“${sheet.name}”的数据）`);
    sheetName = sheet.name;
    const styles = part('xl/styles.xml');
    if (styles !== undefined) {
      await parts._parseStyles(open(styles));
      addChineseDateFormats(parts);
    }
    const strings = part('xl/sharedStrings.xml');
    if (strings !== undefined) for await (const _ of parts._parseSharedStrings(open(strings)));
  } catch (error) {
    zip.close();
    if (error instanceof TableFileError) throw error;
    throw broken(`（${(error as Error).message}）`);
  }

  onSheet(sheetName);
  const input = open(sheetEntry);
  const { value: event } = parts._parseWorksheet(input, '1').next();
  const sheetReader = (event as { value: AsyncIterable<ExcelJS.Row> }).value;
  let previous = 0;
  try {
    for await (const row of sheetReader) {
      // Rows without an r attribute (allowed, rare) follow the previous one.
      const line = Number.isFinite(row.number) && row.number > 0 ? row.number : previous + 1;
      previous = line;
      yield xlsxRow(row, line);
    }
  } catch (error) {
    if (error instanceof TableFileError) throw error;
    throw new TableFileError(
      path,
      previous + 1,
      `无法读取 Excel 文件，文件可能已损坏（${(error as Error).message}）`,
    );
  } finally {
    input.destroy();
    zip.close();
  }
  progress.bytes = Number.POSITIVE_INFINITY;
}

/**
 * Built-in number formats 27–36 and 50–58 are locale-specific (Chinese Excel's 年/月/日 date
 * formats, e.g. 31 = 2024年1月1日) and exceljs knows no format code for them, so such dates would
 * come back as serial numbers. Their zh-CN codes are filled in where the file does not define them.
 */
const CHINESE_BUILTIN_FORMATS: Readonly<Record<number, string>> = {
  27: 'yyyy"年"m"月"',
  28: 'm"月"d"日"',
  29: 'm"月"d"日"',
  30: 'm-d-yy',
  31: 'yyyy"年"m"月"d"日"',
  32: 'h"时"mm"分"',
  33: 'h"时"mm"分"ss"秒"',
  34: '上午/下午h"时"mm"分"',
  35: '上午/下午h"时"mm"分"ss"秒"',
  36: 'yyyy"年"m"月"',
  50: 'yyyy"年"m"月"',
  51: 'm"月"d"日"',
  52: 'yyyy"年"m"月"',
  53: 'm"月"d"日"',
  54: 'm"月"d"日"',
  55: '上午/下午h"时"mm"分"',
  56: '上午/下午h"时"mm"分"ss"秒"',
  57: 'yyyy"年"m"月"',
  58: 'm"月"d"日"',
};

function addChineseDateFormats(parts: WorkbookParts): void {
  // exceljs's StylesXform looks format codes up in index.numFmt before its own defaults.
  const index = (parts as unknown as { styles?: { index?: { numFmt?: Record<number, string> } } }).styles
    ?.index?.numFmt;
  if (index === undefined) return;
  for (const [id, code] of Object.entries(CHINESE_BUILTIN_FORMATS)) index[Number(id)] ??= code;
}

/** A relationship target (relative to xl/, or absolute) as a zip entry name. */
function resolvePartName(target: string): string {
  const path = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '..') out.pop();
    else if (segment !== '.' && segment !== '') out.push(segment);
  }
  return out.join('/');
}

function xlsxRow(row: ExcelJS.Row, line: number): RawRow {
  const values = row.values as unknown[];
  const cells: string[] = [];
  let longNumbers: number[] | undefined;
  // row.values is 1-based (index 0 unused) and sparse.
  for (let col = 1; col < values.length; col++) {
    const value = values[col];
    if (value === undefined || value === null) {
      cells.push('');
      continue;
    }
    if (typeof value === 'number' && Math.abs(value) >= EXCEL_EXACT_LIMIT) {
      longNumbers ??= [];
      longNumbers.push(col - 1);
    }
    cells.push(cellText(value, row.getCell(col).numFmt));
  }
  return longNumbers === undefined ? { line, cells } : { line, cells, longNumbers };
}

function cellText(value: unknown, numFmt: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.trim();
    case 'number':
      return numberText(value);
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    case 'object': {
      if (value instanceof Date) return dateText(value);
      const v = value as {
        richText?: readonly { text?: string | null }[];
        formula?: string;
        sharedFormula?: string;
        result?: unknown;
        error?: string;
        text?: unknown;
      };
      if (v.richText !== undefined)
        return v.richText
          .map((r) => r.text ?? '')
          .join('')
          .trim();
      if ('result' in v || v.formula !== undefined || v.sharedFormula !== undefined) {
        const result = v.result;
        if (typeof result === 'number') {
          if (Number.isNaN(result)) return '';
          // The streaming reader does not apply date formats to formula results.
          if (isDateFormat(numFmt)) return dateText(excelSerialToDate(result));
        }
        return result === undefined || result === null ? '' : cellText(result, numFmt);
      }
      if (v.error !== undefined) return v.error;
      if (v.text !== undefined) return cellText(v.text, numFmt);
      return '';
    }
    default:
      return '';
  }
}

/** Plain decimal text, as Excel shows it in General format (15 significant digits, no exponent). */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const text = String(Number(n.toPrecision(15)));
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m === null) return text;
  const [, sign, int, frac = '', exp] = m;
  const e = Number(exp);
  if (e >= 0) return `${sign}${(int + frac).padEnd(e + 1, '0')}`;
  return `${sign}0.${'0'.repeat(-e - 1)}${int}${frac}`;
}

function dateText(date: Date): string {
  const time = date.getTime();
  if (Number.isNaN(time)) return '';
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const h = date.getUTCHours();
  const m = date.getUTCMinutes();
  const s = date.getUTCSeconds();
  return h === 0 && m === 0 && s === 0 ? day : `${day} ${pad(h)}:${pad(m)}:${pad(s)}`;
}

function excelSerialToDate(serial: number): Date {
  return new Date(Math.round((serial - 25569) * 86_400_000));
}

/** Same test exceljs applies to plain number cells. */
function isDateFormat(numFmt: unknown): boolean {
  if (typeof numFmt !== 'string' || numFmt === '') return false;
  const stripped = numFmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhMsb]/.test(stripped);
}
