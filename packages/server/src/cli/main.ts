/**
 * The `canbao` command line: builds the program, runs it and turns errors into exit codes and
 * Chinese messages on stderr. Expected errors (bad input) exit 2 without a stack trace; anything
 * else is a bug and exits 1.
 */
import { readFileSync } from 'node:fs';
import { FactsError, PolicyLoadError } from '@canbao/core';
import { type Argument, Command, CommanderError } from 'commander';
import { CollectionError } from '../collection/context.ts';
import { MigrationError } from '../db/migrate.ts';
import { DatabaseOpenError } from '../db/open.ts';
import { PolicyNotFoundError } from '../policy/repository.ts';
import { ExportError } from '../registry/exports.ts';
import { ImportFileError } from '../registry/import.ts';
import { RegionNotFoundError } from '../registry/regions.ts';
import { registerBooks } from './books.ts';
import { registerCollection } from './collection.ts';
import { registerData } from './data.ts';
import { registerDemo } from './demo.ts';
import { displayWidth, EXIT_BAD_INPUT, EXIT_OK, EXIT_UNEXPECTED, InputError } from './io.ts';
import { registerPolicy } from './policy.ts';
import { registerQuote } from './quote.ts';
import { registerRefund } from './refund.ts';
import { registerReimburse } from './reimburse.ts';
import { registerReport } from './report.ts';
import { registerServe } from './serve.ts';
import { registerWithholding } from './withholding.ts';

const HELP_TITLES: Readonly<Record<string, string>> = {
  'Usage:': '用法：',
  'Arguments:': '参数：',
  'Options:': '选项：',
  'Commands:': '命令：',
  'Global Options:': '全局选项：',
};

/** Commander's own (English) usage errors, in Chinese. */
const USAGE_ERRORS: readonly [RegExp, (...groups: string[]) => string][] = [
  [/^error: missing required argument '(.+)'/, (name) => `缺少参数 <${name}>`],
  [/^error: option '(.+)' argument missing/, (flags) => `选项 ${flags} 缺少取值`],
  [/^error: required option '(.+)' not specified/, (flags) => `缺少必填选项 ${flags}`],
  [/^error: unknown option '([^']+)'/, (flag) => `未知选项 ${flag}`],
  [/^error: unknown command '([^']+)'/, (name) => `未知命令 ${name}`],
  [/^error: too many arguments(?: for '([^']+)')?/, () => '参数过多'],
];

function usageError(message: string): string {
  const suggestion = /\(Did you mean (.+)\?\)/.exec(message)?.[1];
  for (const [pattern, text] of USAGE_ERRORS) {
    const match = pattern.exec(message);
    if (match) return `${text(...match.slice(1))}${suggestion ? `（是否要输入 ${suggestion}？）` : ''}`;
  }
  return message.replace(/^error: /, '');
}

function argumentTerm(arg: Argument): string {
  const name = `${arg.name()}${arg.variadic ? '...' : ''}`;
  return arg.required ? `<${name}>` : `[${name}]`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('canbao');
  // Settings made before adding subcommands are inherited by them.
  program
    .description('canbao 参保：城乡居民基本医疗保险参保登记、保费征缴与对账')
    .usage('<命令> [选项]')
    .version(version(), '-V, --version', '显示版本号')
    .helpOption('-h, --help', '显示帮助')
    .helpCommand('help [命令]', '显示命令的帮助')
    .configureHelp({
      styleTitle: (title) => HELP_TITLES[title] ?? title,
      displayWidth,
      // Commander wraps at spaces, which splits Chinese text in odd places: let the terminal wrap.
      boxWrap: (text) => text,
      subcommandTerm: (cmd) =>
        [
          cmd.name(),
          ...(cmd.options.length > 0 ? ['[选项]'] : []),
          ...cmd.registeredArguments.map(argumentTerm),
        ].join(' '),
    })
    .configureOutput({
      outputError: (message, write) =>
        write(`${usageError(message.trim())}\n（运行 canbao --help 或 canbao <命令> --help 查看用法）\n`),
    })
    .showSuggestionAfterError(true)
    .exitOverride();
  registerQuote(program);
  registerPolicy(program);
  registerRefund(program);
  registerData(program);
  registerCollection(program);
  registerReimburse(program);
  registerBooks(program);
  registerWithholding(program);
  registerReport(program);
  registerServe(program);
  registerDemo(program);
  program.addHelpText(
    'after',
    '\n示例：\n' +
      '  canbao quote --policy qimen-2023 --facts person.json\n' +
      '  echo \'{"groups":["dibao"]}\' | canbao quote --policy qimen-2023 --facts -\n' +
      '  canbao policy check policies/qimen-2023.yaml\n' +
      '  canbao policy explain qimen-2023\n' +
      '  canbao refund check --policy qimen-2023 --paid 350 --reason duplicate --requested-on 2022-12-01',
  );
  return program;
}

/** The message for an expected error, or null when the error is unexpected. */
function expectedMessage(error: unknown): string | null {
  if (error instanceof InputError || error instanceof PolicyNotFoundError || error instanceof FactsError) {
    return error.message;
  }
  if (error instanceof PolicyLoadError) return `政策文件有误：\n${error.message}`;
  if (
    error instanceof ImportFileError ||
    error instanceof DatabaseOpenError ||
    error instanceof MigrationError ||
    error instanceof RegionNotFoundError ||
    error instanceof ExportError ||
    error instanceof CollectionError
  ) {
    return error.message;
  }
  return null;
}

/** Runs the command line (arguments without node and the script); resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const program = buildProgram();
  process.exitCode = undefined;
  try {
    await program.parseAsync([...args], { from: 'user' });
    return Number(process.exitCode ?? EXIT_OK);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors (commander has printed them) and help shown for a
      // missing command are bad input.
      return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    const message = expectedMessage(error);
    if (message !== null) {
      process.stderr.write(`${message}\n`);
      return EXIT_BAD_INPUT;
    }
    process.stderr.write(
      `canbao 内部错误：${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_UNEXPECTED;
  }
}
