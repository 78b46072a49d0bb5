/**
 * The error report of an import: a copy of the user's file with 行号 and 错误原因 columns, each
 * line's errors joined. Shared by the command line and the web upload.
 */
import { writeErrorReport } from '../files/error-report.ts';
import type { ImportResult } from './import.ts';
import type { ImportKind } from './kind.ts';

export async function writeImportErrorReport(
  kind: Pick<ImportKind<unknown>, 'columns'>,
  result: Pick<ImportResult, 'errors' | 'sheet'>,
  file: string,
  target: string,
): Promise<void> {
  const byLine = new Map<number, string>();
  for (const e of result.errors) {
    const text = e.column ? `${e.column}：${e.reason}` : e.reason;
    byLine.set(e.line, byLine.has(e.line) ? `${byLine.get(e.line)}；${text}` : text);
  }
  await writeErrorReport(
    // The headers as the import found them, aliases included (the file's own wording).
    { file, sheet: result.sheet, expectedHeaders: kind.columns.map((c) => [c.header, ...(c.aliases ?? [])]) },
    byLine,
    target,
  );
}
