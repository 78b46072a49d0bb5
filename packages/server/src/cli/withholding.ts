/**
 * Bank withholding from the command line: agreement cards (`canbao agreement …`) and withholding
 * batches (`canbao batch …`): export the file for the bank, import its result, list batches and
 * their failures, return debits of people who had already paid, and reconcile batches with the
 * books. Chinese text, or JSON with --json.
 */
import { resolve } from 'node:path';
import { type Fen, formatYuan, maskIdNumber } from '@canbao/core';
import type { Command } from 'commander';
import type { CollectionContext } from '../collection/context.ts';
import { getPerson, personByDocument } from '../collection/enrollments.ts';
import {
  type AgreementInput,
  type AgreementResult,
  addAgreement,
  applyAgreements,
  batchItems,
  type ConflictLine,
  changeAgreement,
  exportWithholdingBatch,
  importAgreements,
  importWithholdingResult,
  listAgreements,
  listWithholdingBatches,
  listWithholdingConflicts,
  maskCard,
  reconcileWithholdingBatches,
  returnConflictDebit,
  setWithholding,
  writeBatchFile,
} from '../collection/withholding.ts';
import type { Person } from '../db/schema.ts';
import { type CampaignOptions, campaignOptions, dateOf, idOf, withCollection } from './collection-context.ts';
import { EXIT_BAD_INPUT, writeJson, writeLines } from './io.ts';

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

interface JsonOption {
  readonly json?: boolean;
}

interface CardOptions {
  readonly person: string;
  readonly bank: string;
  readonly card: string;
  readonly holder: string;
  readonly holderId?: string;
  readonly on?: string;
}

/** `--person` is an ID number (or other document number), or `#<id>` for the registry id. */
async function personOf(ctx: CollectionContext, ref: string): Promise<Person> {
  if (/^#\d+$/.test(ref)) return getPerson(ctx.db, ctx.countyCode, Number(ref.slice(1)));
  return personByDocument(ctx.db, ctx.countyCode, ref);
}

function cardCommand(command: Command): Command {
  return campaignOptions(
    command
      .requiredOption('--person <证件号码|#id>', '参保人证件号码，或 #登记编号')
      .requiredOption('--bank <银行>', '开户银行')
      .requiredOption('--card <卡号>', '银行卡号')
      .requiredOption('--holder <姓名>', '持卡人姓名（可以不是参保人本人）')
      .option('--holder-id <证件号码>', '持卡人证件号码')
      .option('--on <日期>', '协议开始（或换卡）日期，默认今天'),
  ).option('--json', '以 JSON 输出');
}

function agreementLines(person: Person, result: AgreementResult, verb: string): string[] {
  const a = result.agreement;
  const lines = [
    `${verb}：${person.name}（${maskIdNumber(person.doc_number)}）${a.bank} ${maskCard(a.card_number)}，持卡人 ${a.holder_name}，${a.valid_from} 起`,
  ];
  if (result.closed) {
    lines.push(
      `  原协议 ${result.closed.bank} ${maskCard(result.closed.card_number)} 已于 ${result.closed.valid_to} 终止（${result.closed.close_reason}）`,
    );
  }
  if (result.withholdMarked > 0) lines.push(`  ${result.withholdMarked} 条待缴费参保记录已设为银行代扣`);
  if (result.pendingBatches.length > 0) {
    lines.push(
      `  注意：待回盘批次 ${result.pendingBatches.join('、')} 中仍是原卡，银行按原卡扣款；失败的将在下一批次按新卡代扣`,
    );
  }
  return lines;
}

function conflictLines(conflicts: readonly ConflictLine[]): string[] {
  return conflicts.map(
    (c) =>
      `  ${c.batchNo} 序号 ${c.seq}｜${c.name}（${maskIdNumber(c.docNumber)}）｜持卡人 ${c.holderName} ${maskCard(c.cardNumber)}｜${yuan(c.amountFen)}｜扣款日 ${c.debitedOn ?? '—'}｜${c.note}${c.returnedOn ? `｜已于 ${c.returnedOn} 退还` : ''}`,
  );
}

export function registerWithholding(program: Command): void {
  const agreement = program
    .command('agreement')
    .description('银行代扣协议：新增、换卡、查询、从文件导入；持卡人可以不是参保人本人');

  /** add and change: the person and card from the options, then the service, then the summary. */
  const cardAction =
    (
      verb: string,
      save: (
        ctx: CollectionContext,
        input: AgreementInput,
        options: { reason?: string },
      ) => Promise<AgreementResult>,
    ) =>
    async (options: CampaignOptions & JsonOption & CardOptions & { reason?: string }) => {
      await withCollection(options, async (ctx) => {
        const person = await personOf(ctx, options.person);
        const input = {
          personId: person.id,
          bank: options.bank,
          cardNumber: options.card,
          holderName: options.holder,
          holderDocNumber: options.holderId ?? null,
          on: dateOf(options.on, '--on', ctx.today),
        };
        const result = await save(ctx, input, options);
        if (options.json) return writeJson(result);
        writeLines(agreementLines(person, result, verb));
      });
    };

  cardCommand(
    agreement.command('add').description('为参保人新增代扣协议卡，并将其待缴费的参保记录设为银行代扣'),
  ).action(cardAction('已签订代扣协议', (ctx, input) => addAgreement(ctx, input)));

  cardCommand(
    agreement
      .command('change')
      .description('换卡：原协议按变更日期终止并注明原因，另立新协议（原协议保留在历史中）')
      .requiredOption('--reason <原因>', '换卡原因，如 卡已注销、卡被冻结、更换持卡人'),
  ).action(
    cardAction('已换卡', (ctx, input, options) =>
      changeAgreement(ctx, { ...input, reason: options.reason ?? '' }),
    ),
  );

  campaignOptions(
    agreement
      .command('list')
      .description('查询代扣协议（默认只列有效协议；卡号只显示前4位和后4位）')
      .option('--person <证件号码|#id>', '只列此人')
      .option('--bank <银行>', '只列此开户银行')
      .option('--history', '包括已终止的协议')
      .option('--full', '显示完整卡号'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (
        options: CampaignOptions &
          JsonOption & { person?: string; bank?: string; history?: boolean; full?: boolean },
      ) => {
        await withCollection(options, async (ctx) => {
          const person = options.person ? await personOf(ctx, options.person) : null;
          const rows = await listAgreements(ctx, {
            ...(person ? { personId: person.id } : {}),
            ...(options.bank ? { bank: options.bank } : {}),
            history: options.history === true,
          });
          if (options.json) return writeJson(rows);
          writeLines([
            `代扣协议 ${rows.length} 条${options.history ? '（含已终止）' : ''}`,
            ...rows.map(
              (a) =>
                `  ${a.name}（${maskIdNumber(a.docNumber)}）｜${a.bank} ${options.full ? a.cardNumber : maskCard(a.cardNumber)}｜持卡人 ${a.holderName}｜${a.validFrom} 至 ${a.validTo ?? '今'}${a.closeReason ? `｜终止原因：${a.closeReason}` : ''}`,
            ),
          ]);
        });
      },
    );

  campaignOptions(
    agreement
      .command('import')
      .description(
        '从文件（.xlsx/.csv）导入代扣协议，列：姓名、证件号码、开户银行、银行卡号、持卡人姓名、持卡人证件号码（可选）、签约日期（可选）；有错误则整份文件不导入',
      )
      .argument('<文件>', '协议登记表'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (file: string, options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => {
        const result = await importAgreements(ctx, resolve(file));
        if (options.json) return writeJson(result);
        writeLines([
          `✓ ${result.rows} 行：新增协议 ${result.added}，换卡 ${result.changed}，与现有协议相同 ${result.unchanged}`,
          ...(result.withholdMarked > 0 ? [`  ${result.withholdMarked} 条待缴费参保记录已设为银行代扣`] : []),
        ]);
      });
    });

  campaignOptions(
    agreement
      .command('withhold')
      .description('设置参保人本年度是否由协议卡代扣（户主核实时的选择）')
      .requiredOption('--person <证件号码|#id>', '参保人证件号码，或 #登记编号')
      .option('--off', '改为不代扣（自行缴费）')
      .requiredOption('--reason <原因>', '原因，如 户主核实：自行缴费'),
  ).action(async (options: CampaignOptions & { person: string; off?: boolean; reason: string }) => {
    await withCollection(options, async (ctx) => {
      const person = await personOf(ctx, options.person);
      const n = await setWithholding(ctx, person.id, options.off !== true, options.reason);
      writeLines([
        n > 0
          ? `${person.name}：${n} 条参保记录已${options.off ? '改为不代扣' : '设为银行代扣'}`
          : `${person.name}：没有需要更改的参保记录`,
      ]);
    });
  });

  campaignOptions(
    agreement
      .command('apply')
      .description(
        '把有有效代扣协议者本年度的待缴费参保记录设为银行代扣（批量续保之后运行；户主已选择不代扣的不改）',
      ),
  ).action(async (options: CampaignOptions) => {
    await withCollection(options, async (ctx) => {
      const n = await applyAgreements(ctx);
      writeLines([`${n} 条参保记录已设为银行代扣`]);
    });
  });

  const batch = program
    .command('batch')
    .description('银行代扣批次：生成代扣文件、导入银行回盘结果、查看、退还重复扣款、与账簿核对');

  campaignOptions(
    batch
      .command('export')
      .description(
        '生成下一个代扣批次并写出给银行的文件：本年度待缴费、设为代扣、有有效协议、且不在待回盘批次中的人员（上一批次扣款失败的会再次列入）',
      )
      .option('--bank <银行>', '只含此开户银行的协议（每家银行一个文件）')
      .option('--out <文件>', '保存位置（.xlsx 或 .csv），默认 <批次号>.xlsx')
      .option('--year <年度>', '待遇年度，默认当前征缴年度'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (options: CampaignOptions & JsonOption & { bank?: string; out?: string; year?: string }) => {
        await withCollection(options, async (ctx) => {
          const exported = await exportWithholdingBatch(ctx, {
            out: options.out ? resolve(options.out) : (batchNo) => resolve(`${batchNo}.xlsx`),
            ...(options.bank ? { bank: options.bank } : {}),
            ...(options.year ? { benefitYear: idOf(options.year, '--year') } : {}),
          });
          if (options.json) return writeJson(exported);
          if (!exported) {
            writeLines(['没有需要代扣的人员，未生成批次。']);
            return;
          }
          writeLines([
            `✓ 代扣批次 ${exported.batchNo}（${exported.benefitYear} 年度${exported.bank ? `，${exported.bank}` : ''}）：${exported.rows} 笔，合计 ${yuan(exported.totalFen)}${exported.retried > 0 ? `，其中上次扣款失败重扣 ${exported.retried} 笔` : ''}`,
            `代扣文件：${exported.file}`,
            '银行回盘后运行：canbao batch import <回盘文件> --on <扣款日期>',
          ]);
        });
      },
    );

  campaignOptions(
    batch
      .command('import')
      .description(
        '导入银行回盘文件（与代扣文件同列，填写扣款结果“成功/失败”和失败原因）：先整份检查，有错误则不写入；成功的记为银行代扣缴费，失败的下批次重扣；同一文件再次导入不做任何更改',
      )
      .argument('<文件>', '银行回盘文件（.xlsx 或 .csv）')
      .option('--on <日期>', '扣款日期（文件中没有“扣款日期”列时必填）'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (file: string, options: CampaignOptions & JsonOption & { on?: string }) => {
      await withCollection(options, async (ctx) => {
        const on = options.on === undefined ? undefined : dateOf(options.on, '--on', ctx.today);
        const result = await importWithholdingResult(ctx, { file: resolve(file), ...(on ? { on } : {}) });
        if (options.json) return writeJson(result);
        const conflictFen = result.conflicts.reduce((n, c) => n + c.amountFen, 0);
        const lines =
          result.status === 'unchanged'
            ? [`批次 ${result.batchNo} 已于 ${result.completedAt} 导入过相同的回盘结果，未做任何更改。`]
            : [`✓ 已导入批次 ${result.batchNo} 的回盘结果（共 ${result.rows} 笔）`];
        lines.push(
          `  扣款成功并记为缴费：${result.succeeded} 笔，${yuan(result.succeededFen)}`,
          `  扣款失败：${result.failed} 笔，${yuan(result.failedFen)}（下一批次重扣）`,
          ...Object.entries(result.failureReasons).map(([reason, n]) => `    ${reason}：${n} 笔`),
        );
        if (result.conflicts.length > 0) {
          lines.push(
            `  ✗ 已扣款但未记为缴费：${result.conflicts.length} 笔，${yuan(conflictFen)}（已在待报解账户，须退还持卡人，见 canbao batch conflicts）`,
            ...conflictLines(result.conflicts),
          );
        }
        writeLines(lines);
      });
    });

  campaignOptions(batch.command('list').description('列出代扣批次及其回盘情况'))
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => {
        const rows = await listWithholdingBatches(ctx);
        if (options.json) return writeJson(rows);
        writeLines([
          `代扣批次 ${rows.length} 个`,
          ...rows.map(
            (b) =>
              `  ${b.batchNo}｜${b.benefitYear} 年度${b.bank ? `｜${b.bank}` : ''}｜${b.createdOn}｜${b.rows} 笔 ${yuan(b.totalFen)}｜${
                b.status === 'exported'
                  ? '待回盘'
                  : `成功 ${b.succeeded} 笔 ${yuan(b.succeededFen)}，失败 ${b.failed} 笔${b.conflicts > 0 ? `，重复扣款 ${b.conflicts} 笔` : ''}（${b.resultFile ?? ''}）`
              }`,
          ),
        ]);
      });
    });

  campaignOptions(
    batch
      .command('show')
      .description('查看一个批次的明细（默认只列失败和重复扣款的行，供乡镇通知换卡或补足余额）')
      .argument('<批次号>', '批次号')
      .option('--all', '列出全部行'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (batchNo: string, options: CampaignOptions & JsonOption & { all?: boolean }) => {
      await withCollection(options, async (ctx) => {
        const rows = await batchItems(ctx, batchNo, options.all ? undefined : ['failed', 'conflict']);
        if (options.json) return writeJson(rows);
        writeLines([
          `批次 ${batchNo}：${rows.length} 行${options.all ? '' : '（失败及重复扣款）'}`,
          ...rows.map(
            (r) =>
              `  ${r.seq}｜${r.name}（${maskIdNumber(r.docNumber)}）｜${r.bank} ${maskCard(r.cardNumber)} 持卡人 ${r.holderName}｜${yuan(r.amountFen)}｜${r.resultLabel}${r.failureReason ? `：${r.failureReason}` : ''}${r.note ? `：${r.note}` : ''}`,
          ),
        ]);
      });
    });

  campaignOptions(
    batch
      .command('file')
      .description('重新写出一个批次的代扣文件（原文件丢失，或需要另一种格式）')
      .argument('<批次号>', '批次号')
      .requiredOption('--out <文件>', '保存位置（.xlsx 或 .csv）'),
  ).action(async (batchNo: string, options: CampaignOptions & { out: string }) => {
    await withCollection(options, async (ctx) => {
      const rows = await writeBatchFile(ctx, batchNo, resolve(options.out));
      writeLines([`✓ 已写出批次 ${batchNo} 的代扣文件（${rows} 行）：${resolve(options.out)}`]);
    });
  });

  campaignOptions(
    batch
      .command('conflicts')
      .description('银行已扣款但未能记为缴费的行（如扣款前已用其他方式缴费）：须退还持卡人的清单')
      .option('--all', '包括已退还的'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { all?: boolean }) => {
      await withCollection(options, async (ctx) => {
        const rows = await listWithholdingConflicts(ctx, { all: options.all === true });
        if (options.json) return writeJson(rows);
        const open = rows.filter((r) => r.returnedOn === null);
        writeLines([
          `待退还的重复扣款 ${open.length} 笔，合计 ${yuan(open.reduce((n, r) => n + r.amountFen, 0))}`,
          ...conflictLines(rows),
          ...(open.length > 0 ? ['退还后运行：canbao batch return <批次号> <序号> --on <退还日期>'] : []),
        ]);
      });
    });

  campaignOptions(
    batch
      .command('return')
      .description('登记重复扣款已退还持卡人（从待报解账户退回）')
      .argument('<批次号>', '批次号')
      .argument('<序号>', '批次中的序号')
      .requiredOption('--on <日期>', '退还日期')
      .option('--reference <凭证号>', '银行退款凭证号'),
  ).action(
    async (batchNo: string, seq: string, options: CampaignOptions & { on: string; reference?: string }) => {
      await withCollection(options, async (ctx) => {
        const result = await returnConflictDebit(ctx, {
          batchNo,
          seq: idOf(seq, '<序号>'),
          returnedOn: dateOf(options.on, '--on', ctx.today),
          reference: options.reference ?? null,
        });
        writeLines([
          result.replayed
            ? `批次 ${batchNo} 序号 ${seq} 的退还已登记过，未做更改。`
            : `✓ 已登记退还 ${yuan(result.amountFen)}（批次 ${batchNo} 序号 ${seq}）`,
        ]);
      });
    },
  );

  campaignOptions(
    batch
      .command('reconcile')
      .description(
        '银行代扣批次与账簿核对：每批扣款成功笔数金额、代扣缴费记录、日记账待报解入账、重复扣款；有差异时退出码为 2',
      ),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => {
        const rows = await reconcileWithholdingBatches(ctx);
        const differences = rows.reduce((n, r) => n + r.differences.length, 0);
        if (differences > 0) process.exitCode = EXIT_BAD_INPUT;
        if (options.json) return writeJson(rows);
        const lines = [`代扣批次与账簿核对（${ctx.countyCode}，${ctx.today}）：${rows.length} 个批次`];
        for (const r of rows) {
          lines.push(
            `${r.differences.length === 0 ? '✓' : '✗'} ${r.batchNo}｜${r.status === 'exported' ? '待回盘' : '已回盘'}｜成功 ${r.succeeded} 笔 ${yuan(r.succeededFen)}｜缴费记录 ${r.payments} 笔 ${yuan(r.paymentsFen)}｜待报解入账 ${yuan(r.journalFen)}${r.conflicts > 0 ? `｜重复扣款 ${r.conflicts} 笔 ${yuan(r.conflictFen)}，未退还 ${yuan(r.conflictOpenFen)}` : ''}`,
            ...r.differences.map((d) => `    ${d}`),
          );
        }
        lines.push(differences === 0 ? '全部批次与账簿一致。' : `共 ${differences} 处差异。`);
        writeLines(lines);
      });
    });
}
