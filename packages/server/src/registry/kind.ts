/**
 * What an import kind declares: its columns (Chinese headers as departments write them, with
 * aliases), how a row is read, and how a batch of valid rows is written. The pipeline
 * (import.ts) does the rest: reading, header matching, error collection, all-or-nothing.
 */
import type { DepartmentCode } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/migrations/types.ts';
import type { Database } from '../db/schema.ts';
import type { RegionLookup } from './regions.ts';

export interface ColumnSpec {
  readonly key: string;
  /** The header as the department's template writes it. */
  readonly header: string;
  /** Other headers meaning the same (公民身份号码 / 身份证号码 / 身份证号). */
  readonly aliases?: readonly string[];
  readonly required: boolean;
  /** What goes in the column, for docs/IMPORTS.md and the template's notes row. */
  readonly note: string;
  readonly example: string;
}

export interface ImportContext {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly countyCode: string;
  readonly importId: number;
  /** Today in Asia/Shanghai, passed in by the caller. */
  readonly today: string;
  /** When the changes take effect (default today): opens and closes history rows. */
  readonly effectiveDate: string;
  readonly department: DepartmentCode | null;
  /** The county's townships and villages (null only for kinds that do not use them). */
  readonly regions: RegionLookup;
  /** A problem found while writing (e.g. a parent region missing): reported like a bad row. */
  readonly rowError: (line: number, field: string | null, reason: string) => void;
  readonly now: string;
  /** Counters the kind fills for the summary (added, updated, unchanged, removed…). */
  readonly counts: Record<string, number>;
  /** State a kind keeps across batches (caches of ids and the like). */
  readonly state: Map<string, unknown>;
}

export type ReportError = (field: string | null, reason: string) => void;

export interface ParsedRow<T> {
  readonly line: number;
  readonly row: T;
}

export interface ImportKind<T> {
  readonly kind: string;
  readonly label: string;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
  /** Department lists need to know whose list it is. */
  readonly needsDepartment: boolean;
  /** The region code list itself: may name a county the database does not have yet. */
  readonly definesRegions?: boolean;
  /**
   * Reads one row (values keyed by column key, '' when empty or absent). Reports problems through
   * `error` (field = the column key) and returns null when the row cannot be used.
   */
  parseRow(values: Readonly<Record<string, string>>, error: ReportError, ctx: ImportContext): T | null;
  /** A key that must be unique within one file (usually the document number), if any. */
  uniqueKey?(row: T): string;
  writeBatch(rows: readonly ParsedRow<T>[], ctx: ImportContext): Promise<void>;
  /** The tables it writes: their planner statistics are refreshed after a large import (db/statistics.ts). */
  readonly tables: readonly (keyof Database)[];
  /** After the last batch (e.g. close the rows a department list no longer has). */
  finish?(ctx: ImportContext): Promise<void>;
}
