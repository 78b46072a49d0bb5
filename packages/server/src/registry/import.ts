/**
 * The import pipeline: read a department's or village's file (.xlsx or .csv, UTF-8 or GBK),
 * match its Chinese headers, check every row, and write the good rows in one transaction.
 *
 * All-or-nothing by default: one bad row and nothing is written, and the report lists every bad
 * row with its line, column and reason. With acceptValid the good rows are written and the bad
 * ones reported. The same file imported again changes nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { DepartmentCode } from '@canbao/core';
import type { DatabaseHandle } from '../db/open.ts';
import { refreshStatistics } from '../db/statistics.ts';
import { openTable, type TableSource } from '../files/read-table.ts';
import type { ImportContext, ImportKind, ParsedRow } from './kind.ts';
import { RegionLookup } from './regions.ts';

export interface RowError {
  readonly line: number;
  /** The column header as the file writes it, or null for the row as a whole. */
  readonly column: string | null;
  readonly reason: string;
}

export interface ImportProgress {
  readonly rows: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface ImportOptions {
  readonly handle: DatabaseHandle;
  readonly kind: ImportKind<unknown>;
  readonly file: string;
  readonly countyCode: string;
  readonly today: string;
  readonly effectiveDate?: string;
  readonly department?: DepartmentCode | null;
  readonly acceptValid?: boolean;
  readonly actor?: string;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportResult {
  /** completed: written; rejected: nothing written (bad rows); unchanged: this file was imported before. */
  readonly status: 'completed' | 'rejected' | 'unchanged';
  readonly importId: number | null;
  readonly previousImportId?: number;
  readonly rowsTotal: number;
  readonly rowsWritten: number;
  readonly rowsRejected: number;
  readonly errors: readonly RowError[];
  readonly counts: Readonly<Record<string, number>>;
  /** What a department list changed, person by person (added, removed, changed). */
  readonly changes: readonly unknown[];
  readonly headerLine: number;
  readonly sheet: string | null;
  readonly encoding: string | null;
}

/** A problem with the file as a whole (format, headers): nothing is read or written. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

const BATCH = 1000;

class Rejected extends Error {}

/**
 * The line each unique key (usually the document number) was first seen on, for the duplicate
 * check of a whole file. A 1,000,000-row roster has 1,000,000 keys: as a Map of strings that is
 * about 100 MB of small objects on the heap, which the garbage collector walks again and again and
 * which made the heap (and the process) grow by several times that. Here each key's UTF-8 bytes are
 * appended to one buffer, indexed by an open-addressing hash table in typed arrays: about 50 bytes
 * a key, off the heap. A key that is not well-formed UTF-16 (cannot round-trip through UTF-8) goes
 * to a small Map instead.
 */
export class FirstLines {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  /** Per entry: where its bytes start (the next entry's start is where they end) and its line. */
  private starts = new Uint32Array(1 << 10);
  private lines = new Uint32Array(1 << 10);
  private count = 0;
  /** Entry index + 1 per slot; 0 is empty. Kept at most half full. */
  private slots = new Uint32Array(1 << 11);
  private readonly odd = new Map<string, number>();

  /** The line `key` was first seen on; or, seen for the first time, records `line` and returns undefined. */
  firstOrAdd(key: string, line: number): number | undefined {
    if (!key.isWellFormed()) {
      const first = this.odd.get(key);
      if (first === undefined) this.odd.set(key, line);
      return first;
    }
    // Write the key after the last one; it stays there only if it is new. Keys are mostly ASCII
    // (document numbers), copied here without a call into Buffer.write.
    const start = this.used;
    let length = key.length;
    this.reserve(length * 3);
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) {
        length = this.bytes.write(key, start, 'utf8');
        break;
      }
      this.bytes[start + i] = c;
    }
    const hash = hashBytes(this.bytes, start, start + length);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) {
        this.add(slot, start, length, line);
        return undefined;
      }
      const at = this.starts[entry - 1] as number;
      const end = entry === this.count ? this.used : (this.starts[entry] as number);
      if (end - at === length && this.bytes.compare(this.bytes, start, start + length, at, end) === 0) {
        return this.lines[entry - 1];
      }
    }
  }

  /** Room for `length` more bytes after the last key. */
  private reserve(length: number) {
    if (this.used + length <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }

  private add(slot: number, start: number, length: number, line: number) {
    if (this.count === this.starts.length) {
      this.starts = grow(this.starts);
      this.lines = grow(this.lines);
    }
    this.starts[this.count] = start;
    this.lines[this.count] = line;
    this.count++;
    this.used = start + length;
    this.slots[slot] = this.count;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  private rehash() {
    const slots = new Uint32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 1; entry <= this.count; entry++) {
      const start = this.starts[entry - 1] as number;
      const end = entry === this.count ? this.used : (this.starts[entry] as number);
      let slot = hashBytes(this.bytes, start, end) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
  }
}

function grow(array: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** FNV-1a over bytes [start, end). */
function hashBytes(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 0;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Maps each column of the kind to the header the file uses for it. */
function matchHeaders(kind: ImportKind<unknown>, table: TableSource): Map<string, string> {
  const normalise = (h: string) => h.replace(/[\s（）()]/g, '');
  const present = new Map(table.headers.map((h) => [normalise(h), h]));
  const matched = new Map<string, string>();
  const missing: string[] = [];
  for (const column of kind.columns) {
    const found = [column.header, ...(column.aliases ?? [])]
      .map((h) => present.get(normalise(h)))
      .find(Boolean);
    if (found) matched.set(column.key, found);
    else if (column.required) missing.push(column.header);
  }
  if (missing.length > 0) {
    throw new ImportFileError(
      `${basename(table.file)} 第 ${table.headerLine} 行的表头缺少必填列：${missing.join('、')}。文件中的列：${table.headers.join('、')}`,
    );
  }
  return matched;
}

export async function importFile(options: ImportOptions): Promise<ImportResult> {
  const { handle, kind, file } = options;
  if (kind.needsDepartment && !options.department) {
    throw new ImportFileError(`导入“${kind.label}”需要指明认定部门（--department）`);
  }
  const expectedHeaders = kind.columns.map((c) => [c.header, ...(c.aliases ?? [])]);
  let table: TableSource;
  try {
    table = await openTable(file, {
      expectedHeaders,
      requiredHeaders: kind.columns.filter((c) => c.required).map((c) => [c.header, ...(c.aliases ?? [])]),
    });
  } catch (error) {
    throw new ImportFileError((error as Error).message);
  }
  const columns = matchHeaders(kind, table);
  const fileSha256 = await sha256(file);
  const department = options.department ?? null;
  const base = {
    headerLine: table.headerLine,
    sheet: table.sheet,
    encoding: table.encoding,
  };

  const previous = await handle.db
    .selectFrom('imports')
    .select('id')
    .where('kind', '=', kind.kind)
    .where('file_sha256', '=', fileSha256)
    .where('county_code', '=', options.countyCode)
    .where('status', '=', 'completed')
    .where('department', department === null ? 'is' : '=', department)
    .executeTakeFirst();
  if (previous) {
    return {
      ...base,
      status: 'unchanged',
      importId: null,
      previousImportId: previous.id,
      rowsTotal: 0,
      rowsWritten: 0,
      rowsRejected: 0,
      errors: [],
      counts: {},
      changes: [],
    };
  }

  const regions = await RegionLookup.load(handle.db, options.countyCode, kind.definesRegions === true);
  const startedAt = new Date().toISOString();
  const errors: RowError[] = [];
  const counts: Record<string, number> = {};
  let rowsTotal = 0;
  let rowsWritten = 0;
  const badLines = new Set<number>();
  const header = (key: string | null) =>
    key === null ? null : (columns.get(key) ?? kind.columns.find((c) => c.key === key)?.header ?? key);
  const record = {
    county_code: options.countyCode,
    kind: kind.kind,
    file_name: basename(file),
    file_sha256: fileSha256,
    department,
    effective_date: options.effectiveDate ?? options.today,
    accept_valid: options.acceptValid ? 1 : 0,
    actor: options.actor ?? 'cli',
    started_at: startedAt,
  };

  let importId: number | null = null;
  let changes: readonly unknown[] = [];
  try {
    await handle.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('imports')
        .values({
          ...record,
          status: 'completed',
          rows_total: 0,
          rows_written: 0,
          rows_rejected: 0,
          summary: '{}',
          finished_at: startedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      importId = inserted.id;
      const ctx: ImportContext = {
        db: trx,
        dialect: handle.dialect,
        countyCode: options.countyCode,
        importId: inserted.id,
        today: options.today,
        effectiveDate: options.effectiveDate ?? options.today,
        department,
        regions,
        rowError: (line, field, reason) => {
          errors.push({ line, column: header(field), reason });
          badLines.add(line);
        },
        now: startedAt,
        counts,
        state: new Map(),
      };
      const seen = new FirstLines();
      let batch: ParsedRow<unknown>[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        // Once a row is bad and bad rows are not accepted, nothing will be kept: stop writing.
        if (options.acceptValid || errors.length === 0) {
          await kind.writeBatch(batch, ctx);
          rowsWritten += batch.length;
        }
        batch = [];
      };
      for await (const tableRow of table.rows()) {
        rowsTotal++;
        const values: Record<string, string> = {};
        for (const column of kind.columns) {
          const h = columns.get(column.key);
          values[column.key] = h ? (tableRow.values[h] ?? '') : '';
        }
        const line = tableRow.line;
        const report = (field: string | null, reason: string) => {
          errors.push({ line, column: header(field), reason });
          badLines.add(line);
        };
        const row = kind.parseRow(values, report, ctx);
        if (row !== null && !badLines.has(line) && kind.uniqueKey) {
          const first = seen.firstOrAdd(kind.uniqueKey(row), line);
          if (first !== undefined) report(null, `与第 ${first} 行重复（同一证件号码）`);
        }
        if (row !== null && !badLines.has(line)) batch.push({ line, row });
        if (batch.length >= BATCH) await flush();
        if (rowsTotal % 10_000 === 0) {
          options.onProgress?.({
            rows: rowsTotal,
            bytesRead: table.bytesRead(),
            totalBytes: table.totalBytes,
          });
        }
      }
      await flush();
      if (errors.length > 0 && !options.acceptValid) throw new Rejected();
      await kind.finish?.(ctx);
      await refreshStatistics(trx, kind.tables, rowsWritten);
      changes = (ctx.state.get('changes') as unknown[] | undefined) ?? [];
      await trx
        .updateTable('imports')
        .set({
          rows_total: rowsTotal,
          rows_written: rowsWritten,
          rows_rejected: badLines.size,
          summary: JSON.stringify(counts),
          finished_at: new Date().toISOString(),
        })
        .where('id', '=', inserted.id)
        .execute();
    });
  } catch (error) {
    if (!(error instanceof Rejected)) throw error;
    // Nothing was written; the attempt itself is recorded.
    const rejected = await handle.db
      .insertInto('imports')
      .values({
        ...record,
        status: 'rejected',
        rows_total: rowsTotal,
        rows_written: 0,
        rows_rejected: badLines.size,
        summary: JSON.stringify({ errors: errors.length }),
        finished_at: new Date().toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    options.onProgress?.({ rows: rowsTotal, bytesRead: table.totalBytes, totalBytes: table.totalBytes });
    return {
      ...base,
      status: 'rejected',
      importId: rejected.id,
      rowsTotal,
      rowsWritten: 0,
      rowsRejected: badLines.size,
      errors,
      counts: {},
      changes: [],
    };
  }
  options.onProgress?.({ rows: rowsTotal, bytesRead: table.totalBytes, totalBytes: table.totalBytes });
  return {
    ...base,
    status: 'completed',
    importId,
    rowsTotal,
    rowsWritten,
    rowsRejected: badLines.size,
    errors,
    counts,
    changes,
  };
}
