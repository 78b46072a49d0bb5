/**
 * Tax confirmation and the books from the command line:
 *   canbao confirm import <file>          税务确认文件导入（匹配、入账、确认参保；差异另列）
 *   canbao confirm discrepancies          税务确认差异清单（--xlsx 导出）
 *   canbao ledger check                   核对账簿：差异逐条列出到分，有差异时退出码 2
 *   canbao ledger report --from --to      按日按渠道对账报表（--xlsx 导出）
 */
import { basename, dirname, extname, join } from 'node:path';
import { type Fen, formatYuan } from '@canbao/core';
import type { Command } from 'commander';
import {
  checkLedger,
  type ReconciliationReport,
  reconciliationReport,
  reportHeaderLines,
  writeReportXlsx,
} from '../collection/books.ts';
import {
  importTaxConfirmations,
  listDiscrepancies,
  TAX_COLUMNS,
  type TaxImportResult,
  writeDiscrepanciesXlsx,
} from '../collection/tax.ts';
import { writeErrorReport } from '../files/error-report.ts';
import { type CampaignOptions, campaignOptions, dateOf, idOf, withCollection } from './collection-context.ts';
import { EXIT_BAD_INPUT, writeJson, writeLines } from './io.ts';

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

interface JsonOption {
  readonly json?: boolean;
}

function yearOf(text: string | undefined): { benefitYear?: number } {
  return text === undefined ? {} : { benefitYear: idOf(text, '--year') };
}

function importLines(result: TaxImportResult, file: string, report: string | null): string[] {
  if (result.status === 'rejected') {
    return [
      `✗ ${basename(file)}：共 ${result.rowsTotal} 行，有 ${result.errors.length} 处错误，未写入任何数据。`,
      ...result.errors
        .slice(0, 30)
        .map((e) => `  第 ${e.line} 行${e.column ? ` ${e.column}` : ''}：${e.reason}`),
      ...(result.errors.length > 30 ? [`  ……另有 ${result.errors.length - 30} 处错误`] : []),
      ...(report ? [`错误报告：${report}（改正后重新导入）`] : []),
    ];
  }
  const lines = [
    `✓ ${basename(file)}（${result.benefitYear} 年度）：共 ${result.rowsTotal} 行`,
    `  已匹配入账 ${result.matched} 笔，${yuan(result.matchedFen)}；确认参保 ${result.enrollmentsConfirmed} 人`,
    `  差异 ${result.discrepancies} 笔（未入账，见 canbao confirm discrepancies）`,
    `  此前已导入、未变 ${result.unchanged} 笔`,
  ];
  for (const o of result.outcomes.filter((x) => x.outcome === 'discrepancy')) {
    lines.push(`  ! 第 ${o.line} 行 税票号 ${o.receiptNo}：${o.problem}`);
  }
  return lines;
}

function reportLines(report: ReconciliationReport): string[] {
  const lines = [...reportHeaderLines(report), ''];
  lines.push('按日按渠道：');
  for (const d of report.days) {
    lines.push(
      `  ${d.date} ${d.channelLabel}：缴费 ${d.collectedCount} 笔 ${yuan(d.collectedFen)}；税务确认 ${d.confirmedCount} 笔 ${yuan(d.confirmedFen)}；现金解缴 ${yuan(d.remittedFen)}；退费支付 ${yuan(d.refundsPaidFen)}`,
    );
  }
  if (report.days.length === 0) lines.push('  （期间内没有缴费、确认、解缴或退费）');
  lines.push('', '渠道合计：');
  for (const t of report.totals) {
    lines.push(
      `  ${t.channelLabel}：缴费 ${t.collectedCount} 笔 ${yuan(t.collectedFen)}；税务确认 ${t.confirmedCount} 笔 ${yuan(t.confirmedFen)}；现金解缴 ${yuan(t.remittedFen)}；退费支付 ${yuan(t.refundsPaidFen)}`,
    );
  }
  const tax = report.tax;
  lines.push(
    '',
    '税务确认与缴费：',
    `  期间内税务确认（已匹配）${tax.matchedCount} 笔 ${yuan(tax.matchedFen)}；差异（未入账）${tax.discrepancyCount} 笔 ${yuan(tax.discrepancyFen)}`,
    `  缴费后超过 ${tax.olderThanDays} 天仍未确认：${tax.unconfirmed.length} 笔 ${yuan(tax.unconfirmedFen)}`,
    ...tax.unconfirmed
      .slice(0, 20)
      .map(
        (p) =>
          `    ${p.paidOn} ${p.name} ${p.channelLabel} 流水号 ${p.txnId} ${yuan(p.amountFen)}（${p.days} 天）`,
      ),
    ...(tax.unconfirmed.length > 20 ? [`    ……另有 ${tax.unconfirmed.length - 20} 笔`] : []),
    ...(tax.discrepancies.length > 0 ? ['  差异：'] : []),
    ...tax.discrepancies.slice(0, 20).map((d) => `    税票号 ${d.receiptNo}：${d.problem}`),
  );
  return lines;
}

export function registerBooks(program: Command): void {
  const confirm = program.command('confirm').description('税务确认：导入税务确认文件、查看差异清单');
  campaignOptions(
    confirm
      .command('import')
      .description(
        `导入税务确认文件（.xlsx 或 .csv）：按渠道流水号或证件号码匹配缴费，入账并确认参保；匹配不上的列入差异清单。列：${TAX_COLUMNS.map(
          (c) => `${c.header}${c.required ? '' : '（可选）'}`,
        ).join('、')}`,
      )
      .argument('<file>', '税务确认文件'),
  )
    .option('--year <year>', '按证件号码匹配时的待遇年度（默认最近开启的年度）')
    .option('--report <file>', '文件有误时的错误报告（.xlsx）保存位置（默认与源文件同目录）')
    .option('--json', '以 JSON 输出')
    .action(
      async (file: string, options: CampaignOptions & JsonOption & { year?: string; report?: string }) => {
        await withCollection(options, async (ctx) => {
          const result = await importTaxConfirmations(ctx, file, yearOf(options.year));
          let report: string | null = null;
          if (result.status === 'rejected') {
            report = options.report ?? join(dirname(file), `${basename(file, extname(file))}-错误报告.xlsx`);
            const byLine = new Map<number, string[]>();
            for (const e of result.errors) {
              const list = byLine.get(e.line) ?? [];
              list.push(e.column ? `${e.column}：${e.reason}` : e.reason);
              byLine.set(e.line, list);
            }
            await writeErrorReport(
              { file, expectedHeaders: TAX_COLUMNS.map((c) => [c.header, ...c.aliases]) },
              byLine,
              report,
            );
            process.exitCode = EXIT_BAD_INPUT;
          }
          if (options.json) writeJson({ ...result, report });
          else writeLines(importLines(result, file, report));
        });
      },
    );
  campaignOptions(
    confirm.command('discrepancies').description('税务确认差异清单：匹配不上、金额不符、重复确认等，未入账'),
  )
    .option('--from <date>', '确认日期起')
    .option('--to <date>', '确认日期止')
    .option('--xlsx <file>', '导出为 .xlsx')
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { from?: string; to?: string; xlsx?: string }) => {
      await withCollection(options, async (ctx) => {
        const from = dateOf(options.from, '--from', '');
        const to = dateOf(options.to, '--to', '');
        const rows = await listDiscrepancies(ctx, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
        if (options.xlsx) await writeDiscrepanciesXlsx(ctx, options.xlsx, rows);
        if (options.json) return writeJson(rows);
        writeLines([
          `税务确认差异：${rows.length} 条，合计 ${yuan(rows.reduce((n, d) => n + d.amountFen, 0))}${options.xlsx ? `（已导出 ${options.xlsx}）` : ''}`,
          ...rows.map(
            (d) =>
              `  税票号 ${d.receiptNo}｜${d.name ?? ''} ${d.docNumber}｜${yuan(d.amountFen)}｜确认日期 ${d.confirmedOn}｜${d.problem}`,
          ),
        ]);
      });
    });

  const ledger = program.command('ledger').description('账簿：核对与对账报表');
  campaignOptions(
    ledger
      .command('check')
      .description('核对账簿：转账平衡、每条参保登记、各渠道、税务确认、代收现金；有差异时退出码为 2'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => {
        const result = await checkLedger(ctx);
        if (!result.ok) process.exitCode = EXIT_BAD_INPUT;
        if (options.json) return writeJson(result);
        const lines = [`账簿核对（${result.countyCode}，${result.checkedOn}）`];
        for (const check of result.checks) {
          const count = result.differences.filter((d) => d.check === check.code).length;
          lines.push(`${check.ok ? '✓' : '✗'} ${check.label}${check.ok ? '' : `：${count} 处差异`}`);
          for (const line of check.lines) lines.push(`    ${line}`);
        }
        if (result.ok) lines.push('', '账簿平衡，未发现差异。');
        else {
          lines.push('', `发现 ${result.differences.length} 处差异：`);
          for (const d of result.differences) lines.push(`  · ${d.message}`);
        }
        writeLines(lines);
      });
    });
  campaignOptions(
    ledger
      .command('report')
      .description('对账报表：按日按渠道的缴费、税务确认、现金解缴、退费；税务确认与缴费的核对')
      .requiredOption('--from <date>', '开始日期（YYYY-MM-DD）')
      .requiredOption('--to <date>', '结束日期（YYYY-MM-DD）'),
  )
    .option('--older-than <days>', '列出缴费后超过这么多天仍未税务确认的缴费', '7')
    .option('--year <year>', '待遇年度（默认最近开启的年度）')
    .option('--xlsx <file>', '导出为 .xlsx')
    .option('--json', '以 JSON 输出')
    .action(
      async (
        options: CampaignOptions &
          JsonOption & { from: string; to: string; olderThan: string; year?: string; xlsx?: string },
      ) => {
        await withCollection(options, async (ctx) => {
          const from = dateOf(options.from, '--from', ctx.today);
          const to = dateOf(options.to, '--to', ctx.today);
          const olderThanDays = options.olderThan === '0' ? 0 : idOf(options.olderThan, '--older-than');
          const report = await reconciliationReport(ctx, {
            from,
            to,
            olderThanDays,
            ...yearOf(options.year),
          });
          if (options.xlsx) await writeReportXlsx(report, options.xlsx);
          if (options.json) return writeJson(report);
          writeLines([...reportLines(report), ...(options.xlsx ? ['', `已导出 ${options.xlsx}`] : [])]);
        });
      },
    );
}
