/**
 * What the commands share: the expected-error type, exit codes and reading/writing JSON.
 */
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

export const EXIT_OK = 0;
/** A bug or an environment failure: not the user's input. */
export const EXIT_UNEXPECTED = 1;
/** Bad input: unknown policy, invalid policy file, invalid facts, bad options. */
export const EXIT_BAD_INPUT = 2;

/** An error in what the user gave us; its message (Chinese) is printed as is, without a stack. */
export class InputError extends Error {
  override name = 'InputError';
}

/** Reads a text file, or standard input when `path` is "-"; `what` names the content (e.g. facts). */
export function readInput(path: string, what: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`找不到 ${what} 文件：${path}`);
    if (code === 'EISDIR') throw new InputError(`${path} 是目录，不是 ${what} 文件`);
    const source = path === '-' ? '标准输入' : path;
    throw new InputError(`无法读取 ${what}（${source}）：${(error as Error).message}`);
  }
}

/** Reads and parses JSON from a file or standard input, naming the source when it is not valid JSON. */
export function readJson(path: string, what: string): unknown {
  const text = readInput(path, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    const source = path === '-' ? `标准输入的 ${what}` : `${what} 文件 ${path}`;
    throw new InputError(`${source} 不是有效的 JSON：${(error as Error).message}`);
  }
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function writeLines(lines: readonly string[]): void {
  process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

/** Terminal columns: CJK characters and full-width punctuation take two. */
export function displayWidth(text: string): number {
  const plain = stripVTControlCharacters(text);
  const wide = plain.match(
    /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/g,
  );
  return plain.length + (wide?.length ?? 0);
}
