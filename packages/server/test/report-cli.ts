/**
 * `canbao report …` for the report tests: the command run in this process on the program `canbao`
 * builds (the database set up through the services and closed first: the embedded database admits
 * one process at a time), and an exported sheet read back with openTable.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../src/cli/io.ts';
import { buildProgram } from '../src/cli/main.ts';
import { CollectionError } from '../src/collection/context.ts';
import { openTable } from '../src/files/read-table.ts';
import type { Engine } from './db-harness.ts';

export interface ReportRun {
  readonly stdout: string;
  /** The expected-error message the binary would print (exit 2), '' when none. */
  readonly error: string;
}

/** The environment that points `canbao` at the engine's last database, on a fixed day. */
export function reportEnv(engine: Engine, today: string): Record<string, string> {
  const location = engine.lastLocation();
  return {
    ...(location.url
      ? { DATABASE_URL: location.url }
      : { DATABASE_URL: '', CANBAO_DATA: location.dataDir as string }),
    CANBAO_TODAY: today,
    CANBAO_ACTOR: 'bureau',
  };
}

/** A fresh .xlsx path in a temporary folder. */
export function xlsxPath(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'canbao-report-')), name);
}

export async function canbao(env: Record<string, string>, ...args: string[]): Promise<ReportRun> {
  const program = buildProgram();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stdout = '';
  const out = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  let error = '';
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CollectionError || e instanceof InputError)) throw e;
    error = e.message;
  } finally {
    process.stdout.write = out;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return { stdout, error };
}

/** One sheet of an exported report: its header row number and its rows keyed by header. */
export async function readSheet(path: string, sheet: string, requiredHeaders: string[]) {
  const table = await openTable(path, { sheet, requiredHeaders });
  const rows: Record<string, string>[] = [];
  for await (const row of table.rows()) rows.push({ ...row.values });
  return { headerLine: table.headerLine, rows };
}

/** Annex 2 of the 蕲县镇 notice, as the township's spreadsheet has it. */
export const ANNEX2 = [
  ['蕲县村', 5167, 1291750],
  ['邱元村', 4263, 1065750],
  ['徐桥村', 4358, 1089500],
  ['灯塔村', 3997, 999250],
  ['周王村', 4970, 1242500],
  ['团结村', 5514, 1378500],
  ['代安村', 4220, 1055000],
  ['大江村', 3102, 775500],
  ['袁小寨村', 5229, 1307250],
  ['白陈村', 4504, 1126000],
  ['白安村', 3719, 929750],
  ['许寨村', 4220, 1055000],
  ['刘圩村', 5267, 1316750],
  ['忠陈村', 4488, 1122000],
] as const;
