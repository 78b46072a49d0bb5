/**
 * `canbao refund`: may a person who has paid get their contribution back, and under which clause?
 */
import {
  canRefund,
  FactsError,
  MoneyError,
  parseYuan,
  REFUND_REASONS,
  type RefundReason,
} from '@canbao/core';
import type { Command } from 'commander';
import { loadPolicy } from '../policy/repository.ts';
import { InputError, writeJson } from './io.ts';

interface RefundOptions {
  readonly policy: string;
  readonly paid: string;
  readonly reason: string;
  readonly requestedOn: string;
  readonly benefitStart?: string;
}

/** canRefund's field names → the options they came from. */
const OPTION_OF: Readonly<Record<string, string>> = {
  paidFen: '--paid',
  reason: '--reason',
  requestedOn: '--requested-on',
  benefitStart: '--benefit-start',
};

export function registerRefund(program: Command): void {
  const reasons = Object.entries(REFUND_REASONS)
    .map(([code, label]) => `${code}（${label}）`)
    .join('、');
  program
    .command('refund')
    .summary('判断退费申请')
    .description(
      '按政策判断已缴费人员的退费申请：准予、不予或本政策未规定，并给出依据条款。输出 JSON，金额单位为分。',
    )
    .usage('--policy <政策> --paid <元> --reason <原因> --requested-on <日期> [--benefit-start <日期>]')
    .requiredOption('-p, --policy <id|file>', '政策 id 或政策文件路径')
    .requiredOption('--paid <yuan>', '已缴金额，单位元，最多两位小数（如 350 或 40.50）')
    .requiredOption('--reason <reason>', `退费原因：${reasons}`)
    .requiredOption('--requested-on <date>', '申请日期 YYYY-MM-DD')
    .option('--benefit-start <date>', '该参保记录的待遇起始日 YYYY-MM-DD（默认为待遇期开始日）')
    .action((options: RefundOptions) => {
      const policy = loadPolicy(options.policy);
      const paidFen = paid(options.paid);
      try {
        writeJson(
          canRefund(
            policy,
            { paidFen, benefitStart: options.benefitStart ?? null },
            { reason: options.reason as RefundReason, requestedOn: options.requestedOn },
          ),
        );
      } catch (error) {
        if (error instanceof FactsError) {
          const option = OPTION_OF[error.field] ?? error.field;
          const prefix = `${error.field}：`;
          const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
          throw new InputError(`选项 ${option} 有误：${text}`);
        }
        throw error;
      }
    });
}

function paid(text: string): number {
  try {
    const amount = parseYuan(text);
    if (amount < 0) throw new InputError('选项 --paid 有误：已缴金额不能为负数');
    return amount;
  } catch (error) {
    if (error instanceof MoneyError) throw new InputError(`选项 --paid 有误：${error.message}`);
    throw error;
  }
}
