/**
 * `canbao quote --policy <id|file> --facts <file|->`: one assessment per facts object, in order.
 * All or nothing: if any element is invalid, nothing is printed on stdout.
 */
import { type Assessment, assess, FactsError } from '@canbao/core';
import type { Command } from 'commander';
import { loadPolicy } from '../policy/repository.ts';
import { InputError, readJson, writeJson } from './io.ts';

interface QuoteOptions {
  readonly policy: string;
  readonly facts: string;
}

export function registerQuote(program: Command): void {
  program
    .command('quote')
    .summary('按政策测算参保结果')
    .description(
      '按政策测算一人或多人的参保结果：是否可参保、个人缴费、资助、待遇起止日期及所依据的条款。\n' +
        'facts 为一个 JSON 对象或对象数组，输出为对应的一条结果或同顺序的结果数组（JSON）。金额单位为分。',
    )
    .usage('--policy <政策> --facts <文件|->')
    .requiredOption('-p, --policy <id|file>', '政策 id（如 qimen-2023）或政策文件路径（.yaml）')
    .requiredOption('-f, --facts <file|->', 'facts JSON 文件；“-” 表示从标准输入读取')
    .action((options: QuoteOptions) => {
      const policy = loadPolicy(options.policy);
      const input = readJson(options.facts, 'facts');
      writeJson(quote(input, (facts) => assess(policy, facts)));
    });
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Assesses one facts object or each element of an array; rethrows FactsError with the element's index. */
export function quote(input: unknown, run: (facts: unknown) => Assessment): Assessment | Assessment[] {
  if (!Array.isArray(input)) {
    if (!isObject(input)) throw new InputError('facts 应为 JSON 对象，或由对象组成的数组');
    try {
      return run(input);
    } catch (error) {
      if (error instanceof FactsError) {
        throw new InputError(`facts 字段 ${error.field} 有误：${factsText(error)}`);
      }
      throw error;
    }
  }
  return input.map((facts, index) => {
    const which = `第 ${index + 1} 条 facts（下标 ${index}）`;
    if (!isObject(facts)) throw new InputError(`${which}应为 JSON 对象\n未输出任何测算结果。`);
    try {
      return run(facts);
    } catch (error) {
      if (error instanceof FactsError) {
        const field = error.field.startsWith('[') ? `[${index}]${error.field}` : `[${index}].${error.field}`;
        throw new InputError(`${which}字段 ${field} 有误：${factsText(error)}\n未输出任何测算结果。`);
      }
      throw error;
    }
  });
}

/** The message of a FactsError without its leading `field：`. */
function factsText(error: FactsError): string {
  const prefix = `${error.field}：`;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}
