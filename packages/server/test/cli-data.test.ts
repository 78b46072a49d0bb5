/**
 * The registry from the command line, as a county bureau would use it: migrate, import lists,
 * see errors and the error report, export, download templates. Runs the real `canbao` binary on
 * a throwaway data folder (SQLite; the services under it are tested on both engines elsewhere).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/canbao.js');
const pgUrl = inject('pgUrl');

interface Target {
  readonly name: 'sqlite' | 'postgres';
  /** The environment that points canbao at this target's database. */
  env(): Promise<Record<string, string>>;
}

const data = mkdtempSync(join(tmpdir(), 'canbao-cli-data-'));
const targets: Target[] = [{ name: 'sqlite', env: async () => ({ CANBAO_DATA: data, DATABASE_URL: '' }) }];
if (pgUrl) {
  let url: string | null = null;
  targets.push({
    name: 'postgres',
    async env() {
      if (!url) {
        const name = `canbao_cli_${process.pid}_${Date.now()}`;
        const admin = new pg.Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        url = pgUrl.replace(/\/[^/]*$/, `/${name}`);
      }
      return { DATABASE_URL: url };
    },
  });
}

describe.each(targets)('canbao db / import / export / template [$name]', (target) => {
  const files = mkdtempSync(join(tmpdir(), 'canbao-cli-files-'));
  let env: Record<string, string> = {};
  beforeAll(async () => {
    env = await target.env();
  });
  function canbao(...args: string[]) {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      cwd: files,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }
  function file(name: string, lines: string[]): string {
    const path = join(files, name);
    writeFileSync(path, `\uFEFF${lines.join('\r\n')}\r\n`);
    return path;
  }

  it('reports the database and its migrations, then migrates', () => {
    const before = canbao('db', 'status');
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(target.name === 'sqlite' ? join(data, 'canbao.sqlite') : 'postgres://');
    expect(before.stdout).toContain('0001-registry（待执行）');
    const migrate = canbao('db', 'migrate');
    expect(migrate.stdout).toContain('✓ 已执行迁移 0001-registry');
    expect(canbao('db', 'migrate').stdout).toContain('数据库已是最新');
    expect(canbao('db', 'status').stdout).toMatch(/✓ 0001-registry（\d{4}-/);
  });

  it('imports a roster, and says so when the same file comes again', () => {
    const roster = file('花名册.csv', [
      '姓名,公民身份号码,性别,户号,与户主关系,村（社区）',
      '张三,341302198001010011,男,H001,户主,蕲县村',
      '李四,341302198502020023,女,H001,配偶,蕲县村',
    ]);
    const first = canbao('import', 'population', roster, '--region', '341302');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('✓ 已导入 2 行');
    expect(first.stdout).toContain('新增 2');
    const again = canbao('import', 'population', roster, '--region', '341302');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('内容相同，未做任何更改');
  });

  it('rejects a file with a bad row, lists it and writes the error report beside it', () => {
    const bad = file('有错误的花名册.csv', [
      '姓名,公民身份号码,村（社区）',
      '王五,341302201005050015,邱元村',
      '赵六,341302194903030022,邱元村',
    ]);
    const result = canbao('import', 'population', bad, '--region', '341302');
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('未写入任何数据');
    expect(result.stdout).toContain('第 3 行 公民身份号码：身份证号码校验位错误');
    expect(existsSync(join(files, '有错误的花名册-错误报告.xlsx'))).toBe(true);
    const json = JSON.parse(
      canbao('import', 'population', bad, '--region', '341302', '--accept-valid', '--json').stdout,
    );
    expect(json).toMatchObject({ status: 'completed', rowsWritten: 1, rowsRejected: 1 });
  });

  it('imports a department list with its department, and refuses one without', () => {
    const list = file('低保名单.csv', [
      '姓名,公民身份号码,人员类别,认定日期',
      '李四,341302198502020023,低保对象,2022-01-10',
    ]);
    const missing = canbao('import', 'groups', list, '--region', '341302');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--department');
    const ok = canbao(
      'import',
      'groups',
      list,
      '--region',
      '341302',
      '--department',
      '民政局',
      '--effective',
      '2022-03-01',
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('新增 1');
  });

  it('exports the village roster with masked ID numbers, and a template', () => {
    const out = join(files, '蕲县村公示.xlsx');
    const roster = canbao('export', 'roster', '--village', '341302900001', '--out', out);
    expect(roster.code).toBe(0);
    expect(roster.stdout).toContain('2 人');
    expect(existsSync(out)).toBe(true);
    const template = canbao('template', 'groups', '--out', join(files, '部门名单模板.xlsx'));
    expect(template.code).toBe(0);
    expect(existsSync(join(files, '部门名单模板.xlsx'))).toBe(true);
  });

  it('names unknown kinds, regions and departments in Chinese', () => {
    expect(canbao('import', 'people', 'x.csv', '--region', '341302').stderr).toContain(
      '未知的导入类型“people”',
    );
    const list = file('x.csv', ['姓名,公民身份号码', '张三,341302198001010011']);
    expect(canbao('import', 'population', list, '--region', '999999').stderr).toContain(
      '未知的县级区划代码“999999”',
    );
    expect(canbao('import', 'groups', list, '--region', '341302', '--department', '气象局').stderr).toContain(
      '未知的部门',
    );
  });

  // The single-process lock belongs to the embedded database; PostgreSQL serves many processes.
  if (target.name === 'sqlite') {
    it('refuses to open a data folder another canbao process holds', async () => {
      const holder = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { openDatabase } = await import(${JSON.stringify(join(ROOT, 'packages/server/src/db/open.ts'))});
           await openDatabase({ dataDir: ${JSON.stringify(data)} });
           console.log('holding');
           setTimeout(() => process.exit(0), 20000);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      try {
        await new Promise<void>((ready, fail) => {
          holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && ready());
          holder.on('exit', () => fail(new Error('holder exited early')));
        });
        const second = canbao('db', 'status');
        expect(second.code).toBe(2);
        expect(second.stderr).toContain('正被另一个 canbao 进程使用');
      } finally {
        holder.kill();
      }
    });
  }
});
