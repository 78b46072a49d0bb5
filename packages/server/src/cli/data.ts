/**
 * `canbao db migrate|status`, `canbao import <kind> <file>`, `canbao template <kind>`: the
 * registry from the command line. Long imports show a progress bar on stderr.
 */
import { basename, dirname, extname, join } from 'node:path';
import { DEPARTMENTS, departmentFromLabel, groupLabel, parseDate } from '@canbao/core';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { reassessAfterGroupImport } from '../collection/group-changes.ts';
import { migrateToLatest, migrationStatus } from '../db/migrate.ts';
import { type DatabaseHandle, openDatabase } from '../db/open.ts';
import { writeXlsx } from '../files/write-xlsx.ts';
import { exportRegistry, exportVillageRoster } from '../registry/exports.ts';
import { type ImportResult, importFile } from '../registry/import.ts';
import { writeImportErrorReport } from '../registry/import-errors.ts';
import type { GroupChange } from '../registry/kinds/groups.ts';
import { IMPORT_KINDS } from '../registry/kinds/index.ts';
import { writeTemplate } from '../registry/templates.ts';
import { actorOf } from './collection-context.ts';
import { InputError, writeJson, writeLines } from './io.ts';
import { businessDay } from './today.ts';

async function withDatabase<T>(
  migrate: 'auto' | 'check' | 'none',
  work: (handle: DatabaseHandle) => Promise<T>,
): Promise<T> {
  const handle = await openDatabase({ migrate });
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

function kindOf(name: string) {
  const kind = IMPORT_KINDS[name];
  if (!kind) {
    throw new InputError(
      `未知的导入类型“${name}”。可用：${Object.values(IMPORT_KINDS)
        .map((k) => `${k.kind}（${k.label}）`)
        .join('、')}`,
    );
  }
  return kind;
}

function dateOption(text: string | undefined, option: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDate(text).toString();
  } catch (error) {
    throw new InputError(`选项 ${option} 有误：${(error as Error).message}`);
  }
}

const COUNT_LABELS: Readonly<Record<string, string>> = {
  added: '新增',
  updated: '更新',
  unchanged: '未变',
  removed: '移出',
  changed: '变更',
  peopleAdded: '新建人员',
  householdsAdded: '新建户',
  enrollments: '参保记录',
  activations: '激活记录',
};

function summary(result: ImportResult, file: string): string[] {
  if (result.status === 'unchanged') {
    return [`此文件已于导入批次 #${result.previousImportId} 导入，内容相同，未做任何更改。`];
  }
  const where = [
    result.sheet ? `工作表“${result.sheet}”` : null,
    result.encoding ? `编码 ${result.encoding.toUpperCase()}` : null,
  ]
    .filter(Boolean)
    .join('，');
  const lines = [
    `${basename(file)}（${where ? `${where}，` : ''}表头在第 ${result.headerLine} 行）：共 ${result.rowsTotal} 行数据`,
  ];
  if (result.status === 'rejected') {
    lines.push(
      `✗ 有 ${result.rowsRejected} 行有误，未写入任何数据（导入批次 #${result.importId} 记为已拒绝）。`,
    );
    lines.push('  修改后重新导入；或使用 --accept-valid 只导入正确的行。');
  } else {
    const counts = Object.entries(result.counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${COUNT_LABELS[k] ?? k} ${n}`)
      .join('，');
    lines.push(
      `✓ 已导入 ${result.rowsWritten} 行（导入批次 #${result.importId}）${counts ? `：${counts}` : ''}`,
    );
    if (result.rowsRejected > 0) lines.push(`  另有 ${result.rowsRejected} 行有误，未导入。`);
  }
  return lines;
}

const CHANGE_LABELS = { added: '新增', removed: '移出', changed: '认定日期变更' } as const;

/** What a department list changed, for the department to check: one row per person and group. */
async function writeChanges(
  changes: readonly GroupChange[],
  effectiveDate: string,
  target: string,
): Promise<void> {
  await writeXlsx(target, [
    {
      name: '名单变动',
      headerLines: [`与上次名单相比的变动（生效日期 ${effectiveDate}）`],
      columns: [
        { header: '变动', width: 14 },
        { header: '姓名', width: 12 },
        { header: '证件号码', width: 22, text: true },
        { header: '人员类别', width: 20 },
        { header: '认定日期', width: 12 },
      ],
      rows: changes.map((c) => [
        CHANGE_LABELS[c.change],
        c.name,
        c.docNumber,
        groupLabel(c.group),
        c.certifiedOn,
      ]),
    },
  ]);
}

/** Reassesses the unpaid people a department list changed (see collection/group-changes.ts). */
function reassessChanged(
  handle: DatabaseHandle,
  countyCode: string,
  result: ImportResult,
  day: { today: string; now: string },
): Promise<number | null> {
  return reassessAfterGroupImport({ db: handle.db, countyCode, actor: actorOf({}), ...day }, result);
}

export function registerData(program: Command): void {
  const db = program
    .command('db')
    .description('数据库：迁移与状态（默认 ./data 下的 SQLite，或 DATABASE_URL 指定的 PostgreSQL）');
  db.command('migrate')
    .description('执行待执行的数据库迁移')
    .action(async () => {
      const applied = await withDatabase('none', migrateToLatest);
      await withDatabase('auto', async () => undefined); // seeds reference data
      writeLines(
        applied.length > 0
          ? applied.map((name) => `✓ 已执行迁移 ${name}`)
          : ['数据库已是最新，无待执行的迁移。'],
      );
    });
  db.command('backup')
    .description('备份嵌入式数据库（SQLite 在线备份，得到一致的副本）')
    .argument('<file>', '备份文件路径（不可已存在）')
    .action(async (target: string) => {
      await withDatabase('check', (handle) => handle.backup(target));
      writeLines([`✓ 已备份到 ${target}（恢复：把它作为 canbao.sqlite 放入一个空的数据目录）`]);
    });
  db.command('status')
    .description('显示数据库位置和各迁移的执行状态')
    .option('--json', '以 JSON 输出')
    .action(async (options: { json?: boolean }) => {
      const { location, states } = await withDatabase('none', async (h) => ({
        location: h.location,
        states: await migrationStatus(h),
      }));
      if (options.json) writeJson({ location, migrations: states });
      else {
        writeLines([
          `数据库：${location}`,
          ...states.map(
            (s) =>
              `${s.executedAt ? '✓' : '·'} ${s.name}${s.executedAt ? `（${s.executedAt}）` : '（待执行）'}`,
          ),
        ]);
      }
    });

  program
    .command('import')
    .description('导入名单（.xlsx 或 .csv，UTF-8 或 GBK）：默认有一行错误即全部不导入')
    .argument('<kind>', `类型：${Object.keys(IMPORT_KINDS).join('、')}`)
    .argument('<file>', '文件路径')
    .requiredOption('--region <code>', '县级区划代码（统筹区），如 341024')
    .option(
      '--department <name>',
      `认定部门（部门名单必填）：${Object.values(DEPARTMENTS)
        .map((d) => d.label)
        .join('、')}`,
    )
    .option('--effective <date>', '变更生效日期（默认今天）')
    .option('--accept-valid', '只导入正确的行，错误的行列入报告')
    .option('--report <file>', '错误报告（.xlsx）保存位置（默认与源文件同目录）')
    .option('--changes <file>', '部门名单：把与上次名单相比的变动（新增、移出、变更）保存为 .xlsx')
    .option('--json', '以 JSON 输出结果')
    .action(
      async (
        kindName: string,
        file: string,
        options: {
          region: string;
          department?: string;
          effective?: string;
          acceptValid?: boolean;
          report?: string;
          changes?: string;
          json?: boolean;
        },
      ) => {
        const kind = kindOf(kindName);
        const department = options.department === undefined ? null : departmentFromLabel(options.department);
        if (options.department !== undefined && department === null) {
          throw new InputError(
            `未知的部门“${options.department}”：可用 ${Object.values(DEPARTMENTS)
              .map((d) => d.label)
              .join('、')}`,
          );
        }
        let today = '';
        const effectiveDate = dateOption(options.effective, '--effective');
        const bar =
          process.stderr.isTTY && !options.json
            ? new SingleBar({ format: '导入中 [{bar}] {percentage}% | {rows} 行', hideCursor: true })
            : null;
        let reassessed: number | null = null;
        const result = await withDatabase('auto', async (handle) => {
          const day = await businessDay(handle.db);
          today = day.today;
          const imported = await importFile({
            handle,
            kind,
            file,
            countyCode: options.region,
            department,
            today,
            ...(effectiveDate ? { effectiveDate } : {}),
            acceptValid: options.acceptValid === true,
            onProgress: (p) => {
              if (!bar) return;
              if (!bar.isActive) bar.start(p.totalBytes, 0, { rows: 0 });
              bar.update(p.bytesRead, { rows: p.rows });
            },
          });
          bar?.stop();
          reassessed = await reassessChanged(handle, options.region, imported, day);
          return imported;
        }).finally(() => bar?.stop());
        let reportPath: string | null = null;
        if (result.errors.length > 0) {
          reportPath =
            options.report ?? join(dirname(file), `${basename(file, extname(file))}-错误报告.xlsx`);
          await writeImportErrorReport(kind, result, file, reportPath);
        }
        if (options.changes && result.status === 'completed') {
          await writeChanges(
            result.changes as readonly GroupChange[],
            effectiveDate ?? today,
            options.changes,
          );
        }
        if (options.json) {
          writeJson({ ...result, report: reportPath });
        } else {
          const lines = summary(result, file);
          const shown = result.errors
            .slice(0, 20)
            .map((e) => `  第 ${e.line} 行${e.column ? ` ${e.column}` : ''}：${e.reason}`);
          if (shown.length > 0) lines.push('错误：', ...shown);
          if (result.errors.length > shown.length) lines.push(`  ……共 ${result.errors.length} 处错误`);
          if (reportPath) lines.push(`错误报告：${reportPath}`);
          if (reassessed !== null) lines.push(`已按新名单重新测算未缴费人员：${reassessed} 人应缴金额有变化`);
          writeLines(lines);
        }
        if (result.status === 'rejected') process.exitCode = 2;
      },
    );

  const exporter = program.command('export').description('导出 .xlsx：村（社区）公示名单、人员登记表');
  exporter
    .command('roster')
    .description('村（社区）参保人员公示名单（证件号码只显示前6位和后4位）')
    .requiredOption('--village <code>', '村（社区）12位区划代码')
    .requiredOption('--out <file>', '保存位置（.xlsx）')
    .option('--as-of <date>', '数据日期（默认今天）')
    .action(async (options: { village: string; out: string; asOf?: string }) => {
      const result = await withDatabase('auto', async (handle) =>
        exportVillageRoster({
          handle,
          villageCode: options.village,
          asOf: dateOption(options.asOf, '--as-of') ?? (await businessDay(handle.db)).today,
          target: options.out,
        }),
      );
      writeLines([`✓ 已导出公示名单 ${result.rows} 人：${options.out}`]);
    });
  exporter
    .command('registry')
    .description('人员登记表（完整证件号码，供医保经办使用）')
    .requiredOption('--region <code>', '县级区划代码')
    .option('--village <code>', '只导出一个村（社区）')
    .requiredOption('--out <file>', '保存位置（.xlsx）')
    .option('--as-of <date>', '数据日期（默认今天）')
    .action(async (options: { region: string; village?: string; out: string; asOf?: string }) => {
      const result = await withDatabase('auto', async (handle) =>
        exportRegistry({
          handle,
          countyCode: options.region,
          villageCode: options.village ?? null,
          asOf: dateOption(options.asOf, '--as-of') ?? (await businessDay(handle.db)).today,
          target: options.out,
        }),
      );
      writeLines([`✓ 已导出人员登记表 ${result.rows} 人：${options.out}`]);
    });

  program
    .command('template')
    .description('下载某类名单的导入模板（.xlsx，含表头和填写说明）')
    .argument('<kind>', `类型：${Object.keys(IMPORT_KINDS).join('、')}`)
    .requiredOption('--out <file>', '保存位置（.xlsx）')
    .action(async (kindName: string, options: { out: string }) => {
      const kind = kindOf(kindName);
      await writeTemplate(kind, options.out);
      writeLines([`✓ 已生成“${kind.label}”导入模板：${options.out}`]);
    });
}
