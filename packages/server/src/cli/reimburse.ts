/**
 * `canbao reimburse`: 先缴后补 reimbursement batches per funder.
 *   batch    gather the paid people a funder owes a refund_later subsidy into a new batch
 *   export   the batch as .xlsx for the funder to pay from (full ID numbers)
 *   pay      the funder has paid the batch out
 *   confirm  the funder confirms the payout
 *   list     the county's batches
 * Prints Chinese text, or JSON with --json.
 */
import { type Fen, type FunderCode, formatYuan } from '@canbao/core';
import type { Command } from 'commander';
import type { CollectionContext } from '../collection/context.ts';
import {
  BATCH_STATUS_LABELS,
  confirmReimbursementBatch,
  createReimbursementBatch,
  exportReimbursementBatch,
  FUNDER_CHOICES,
  funderFromLabel,
  funderName,
  listReimbursementBatches,
  payReimbursementBatch,
  type ReimbursementBatch,
} from '../collection/reimbursements.ts';
import { type CampaignOptions, campaignOptions, dateOf, withCollection } from './collection-context.ts';
import { InputError, writeJson, writeLines } from './io.ts';

interface JsonOption {
  readonly json?: boolean;
}

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

function funderOf(text: string): FunderCode {
  const funder = funderFromLabel(text);
  if (!funder) throw new InputError(`选项 --funder 有误：未知的资助部门“${text}”（可选：${FUNDER_CHOICES}）`);
  return funder;
}

function batchLine(b: ReimbursementBatch): string {
  const dates = [
    `生成 ${b.created_on}`,
    ...(b.paid_on ? [`拨付 ${b.paid_on}`] : []),
    ...(b.confirmed_on ? [`确认 ${b.confirmed_on}`] : []),
  ];
  return `${b.batch_no}：${funderName(b.funder)}，${b.benefit_year} 年度，${b.people} 人，合计 ${yuan(b.total_fen)}，${BATCH_STATUS_LABELS[b.status]}（${dates.join('，')}）`;
}

export function registerReimburse(program: Command): void {
  const reimburse = program
    .command('reimburse')
    .summary('先缴后补：按资助部门生成补助批次、导出发放名单、登记拨付与确认')
    .description(
      '先缴后补（如达拉特旗低保对象、监测对象）：个人先全额缴费，资助部门之后按批次补助本人。批次生成后依次登记拨付（pay）与确认（confirm）。',
    );

  campaignOptions(
    reimburse
      .command('batch')
      .description('为一个资助部门生成补助批次：本年度已缴费、未退费、尚未入批次的先缴后补人员')
      .requiredOption('--funder <funder>', `资助部门代码或名称：${FUNDER_CHOICES}（如“民政”“乡村振兴”）`),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { funder: string }) => {
      const funder = funderOf(options.funder);
      await withCollection(options, async (ctx) => {
        const created = await createReimbursementBatch(ctx, { funder });
        if (options.json) {
          writeJson(created);
          return;
        }
        writeLines([
          `已生成先缴后补批次 ${batchLine(created.batch)}`,
          `导出发放名单：canbao reimburse export ${created.batch.batch_no} --out <文件>.xlsx`,
        ]);
      });
    });

  const steps = [
    [
      'pay',
      '登记资助部门已拨付该批次（同一日期重复登记只记一次）',
      '拨付',
      (ctx: CollectionContext, batchNo: string, on: string) =>
        payReimbursementBatch(ctx, batchNo, { paidOn: on }),
    ],
    [
      'confirm',
      '登记资助部门已确认该批次发放到人（须先登记拨付）',
      '确认',
      (ctx: CollectionContext, batchNo: string, on: string) =>
        confirmReimbursementBatch(ctx, batchNo, { confirmedOn: on }),
    ],
  ] as const;
  for (const [name, description, verb, step] of steps) {
    campaignOptions(
      reimburse
        .command(name)
        .description(description)
        .argument('<batchNo>', '批次号')
        .option('--on <date>', `${verb}日期 YYYY-MM-DD（默认今天）`),
    )
      .option('--json', '以 JSON 输出')
      .action(async (batchNo: string, options: CampaignOptions & JsonOption & { on?: string }) => {
        await withCollection(options, async (ctx) => {
          const result = await step(ctx, batchNo, dateOf(options.on, '--on', ctx.today));
          if (options.json) {
            writeJson(result);
            return;
          }
          writeLines([
            `${result.replayed ? `此前已登记${verb}，未重复记录` : `已登记${verb}`}：${batchLine(result.batch)}`,
          ]);
        });
      });
  }

  campaignOptions(
    reimburse
      .command('list')
      .description('列出本县的先缴后补批次')
      .option('--funder <funder>', '只列出一个资助部门的批次'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { funder?: string }) => {
      const funder = options.funder === undefined ? undefined : funderOf(options.funder);
      await withCollection(options, async (ctx) => {
        const batches = await listReimbursementBatches(ctx, funder ? { funder } : {});
        if (options.json) {
          writeJson(batches);
          return;
        }
        writeLines([`先缴后补批次 ${batches.length} 个`, ...batches.map((b) => `  ${batchLine(b)}`)]);
      });
    });

  campaignOptions(
    reimburse
      .command('export')
      .description('导出批次的发放名单（.xlsx，含完整证件号码，供资助部门发放）')
      .argument('<batchNo>', '批次号')
      .requiredOption('-o, --out <file>', '输出文件（.xlsx）'),
  ).action(async (batchNo: string, options: CampaignOptions & { out: string }) => {
    if (!options.out.toLowerCase().endsWith('.xlsx')) {
      throw new InputError(`选项 --out 有误：发放名单只导出为 .xlsx（收到“${options.out}”）`);
    }
    await withCollection(options, async (ctx) => {
      const result = await exportReimbursementBatch(ctx, batchNo, options.out).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EROFS') {
          throw new InputError(`无法写入 ${options.out}：${(error as Error).message}`);
        }
        throw error;
      });
      writeLines([`已导出 ${result.rows} 人：${options.out}（${batchLine(result.batch)}）`]);
    });
  });
}
