/**
 * `canbao demo load`: fills an empty database with the demo county (蕲县镇, qixian-2022) played
 * up to a business date, for trying canbao out. The web application does the same on first start.
 */
import { type Fen, formatYuan } from '@canbao/core';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { openDatabase } from '../db/open.ts';
import { DEMO_PEOPLE, DEMO_SEED, DEMO_TODAY, type DemoSummary, loadDemoCounty } from '../demo/load.ts';
import { dateOf } from './collection-context.ts';
import { InputError, writeJson, writeLines } from './io.ts';

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

function positiveInteger(text: string, option: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) <= 0) {
    throw new InputError(`选项 ${option} 应为正整数，收到“${text}”`);
  }
  return Number(text);
}

/** The summary as printed: the county, the totals, and each village's figures. */
export function summaryLines(s: DemoSummary): string[] {
  const percent = (part: number, whole: number) =>
    whole === 0 ? '—' : `${((part * 100) / whole).toFixed(1)}%`;
  return [
    `演示县已载入：埇桥区蕲县镇（${s.countyCode}），政策 ${s.policyId}，${s.benefitYear} 年度，业务日期 ${s.today}（随机种子 ${s.seed}）`,
    `人员 ${s.people} 人，${s.households} 户，部门认定人群 ${s.inGroups} 人`,
    `已参保 ${s.enrolled} 人（${percent(s.enrolled, s.people)}），已缴费 ${s.paid} 人，待缴费 ${s.awaitingPayment} 人，缴费 ${s.orders} 笔，已收个人缴费 ${yuan(s.amountFen)}`,
    `税务确认 ${s.taxConfirmed} 笔，电子凭证激活 ${s.ecertActivated} 人`,
    s.targetsScaled
      ? '任务分解表：附件2各村任务按演示人口等比例缩放（task_targets 的来源已注明“演示数据”）'
      : '任务分解表：附件2原表（63018 人），演示人口下完成率很低',
    '各村：',
    ...s.villages.map(
      (v) =>
        `  ${v.name}（${v.code}）：${v.people} 人 ${v.households} 户，已参保 ${v.enrolled} 人（${percent(v.enrolled, v.people)}），已缴费 ${v.paid} 人，${yuan(v.amountFen)}`,
    ),
    `用时 ${(s.elapsedMs / 1000).toFixed(1)} 秒`,
  ];
}

export function registerDemo(program: Command): void {
  const demo = program.command('demo').description('演示数据');
  demo
    .command('load')
    .description(
      `向空数据库载入演示县：埇桥区蕲县镇 14 个村的模拟人员、部门名单、上年度参保名单，按 qixian-2022 政策开启征缴并模拟缴费到业务日期（默认 ${DEMO_TODAY}）`,
    )
    .option('--people <n>', `演示人数（默认 ${DEMO_PEOPLE}）`)
    .option('--today <date>', `业务日期 YYYY-MM-DD（默认 ${DEMO_TODAY}，第一阶段排位已评定）`)
    .option('--seed <n>', `随机种子：相同种子生成相同的演示县（默认 ${DEMO_SEED}）`)
    .option('--no-scale-targets', '不缩放任务分解表（保留附件2原表 63018 人）')
    .option('--json', '以 JSON 输出结果')
    .action(
      async (options: {
        people?: string;
        today?: string;
        seed?: string;
        scaleTargets: boolean;
        json?: boolean;
      }) => {
        const people = options.people === undefined ? undefined : positiveInteger(options.people, '--people');
        const seed = options.seed === undefined ? undefined : positiveInteger(options.seed, '--seed');
        const today = dateOf(options.today, '--today', DEMO_TODAY);
        const bar = process.stderr.isTTY
          ? new SingleBar({ format: '载入演示数据 [{bar}] {percentage}%', hideCursor: true })
          : null;
        let shown = -1;
        const handle = await openDatabase();
        let summary: DemoSummary;
        try {
          summary = await loadDemoCounty(handle, {
            today,
            ...(people !== undefined ? { people } : {}),
            ...(seed !== undefined ? { seed } : {}),
            scaleTargets: options.scaleTargets,
            onProgress: (done, total) => {
              if (bar) {
                if (!bar.isActive) bar.start(total, 0);
                bar.update(done);
                return;
              }
              // Without a terminal: a line every tenth of the way.
              const tenth = Math.floor((done * 10) / total);
              if (tenth > shown) {
                shown = tenth;
                process.stderr.write(`载入演示数据：${tenth * 10}%\n`);
              }
            },
          });
        } finally {
          bar?.stop();
          await handle.close();
        }
        if (options.json) writeJson(summary);
        else writeLines([...summaryLines(summary), `数据位置：${handle.location}`]);
      },
    );
}
