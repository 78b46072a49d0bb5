import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/db/open.ts';
import { openTable } from '../src/files/read-table.ts';
import { exportRegistry, exportVillageRoster } from '../src/registry/exports.ts';
import { importFile } from '../src/registry/import.ts';
import { importsMarkdown } from '../src/registry/imports-doc.ts';
import { groups } from '../src/registry/kinds/groups.ts';
import { IMPORT_KINDS } from '../src/registry/kinds/index.ts';
import { population } from '../src/registry/kinds/population.ts';
import { writeTemplate } from '../src/registry/templates.ts';
import { describeEachEngine } from './db-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'canbao-exports-'));

async function readAll(file: string, expectedHeaders: string[]) {
  const table = await openTable(file, { expectedHeaders });
  const rows: Record<string, string>[] = [];
  for await (const row of table.rows()) rows.push({ ...row.values });
  return { headerLine: table.headerLine, rows };
}

describeEachEngine('exports', (engine) => {
  const handles: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
  });

  async function seeded() {
    const h = await engine.open();
    handles.push(h);
    const roster = join(dir, `roster-${engine.name}.csv`);
    writeFileSync(
      roster,
      [
        '姓名,公民身份号码,户号,与户主关系,村（社区）',
        '张三,341302198001010011,H001,户主,蕲县村',
        '李四,341302198502020023,H001,配偶,蕲县村',
        '王五,341302201005050015,H002,户主,邱元村',
      ].join('\n'),
    );
    await importFile({
      handle: h,
      kind: population,
      file: roster,
      countyCode: '341302',
      today: '2022-03-01',
    });
    const list = join(dir, `list-${engine.name}.csv`);
    writeFileSync(list, '姓名,公民身份号码,人员类别\n李四,341302198502020023,低保对象\n');
    await importFile({
      handle: h,
      kind: groups,
      file: list,
      countyCode: '341302',
      department: 'civil_affairs',
      today: '2022-03-01',
    });
    return h;
  }

  it('exports a village roster for public display with ID numbers masked', async () => {
    const h = await seeded();
    const target = join(dir, `公示-${engine.name}.xlsx`);
    const result = await exportVillageRoster({
      handle: h,
      villageCode: '341302900001',
      asOf: '2022-03-01',
      target,
    });
    expect(result.rows).toBe(2);
    const { headerLine, rows } = await readAll(target, ['序号', '姓名', '公民身份号码']);
    expect(headerLine).toBe(3);
    expect(rows.map((r) => [r.姓名, r.公民身份号码, r.人员类别])).toEqual([
      ['张三', '341302********0011', ''],
      ['李四', '341302********0023', '城乡低保对象'],
    ]);
    // No full ID number anywhere in the file's cells.
    expect(JSON.stringify(rows)).not.toContain('198001010011');
  });

  it('exports the registry in full for the bureau', async () => {
    const h = await seeded();
    const target = join(dir, `registry-${engine.name}.xlsx`);
    const result = await exportRegistry({ handle: h, countyCode: '341302', asOf: '2022-03-01', target });
    expect(result.rows).toBe(3);
    const { rows } = await readAll(target, ['姓名', '证件号码', '户号']);
    expect(rows.map((r) => [r.姓名, r.证件号码, r.户号, r['村（社区）']])).toEqual([
      ['张三', '341302198001010011', 'H001', '蕲县村'],
      ['李四', '341302198502020023', 'H001', '蕲县村'],
      ['王五', '341302201005050015', 'H002', '邱元村'],
    ]);
  });

  it('refuses an unknown village', async () => {
    const h = await seeded();
    await expect(
      exportVillageRoster({
        handle: h,
        villageCode: '341302999999',
        asOf: '2022-03-01',
        target: join(dir, 'x.xlsx'),
      }),
    ).rejects.toThrow('341302999999');
  });
});

describe('templates and docs', () => {
  it.each(Object.keys(IMPORT_KINDS))('the %s template opens with the kind’s headers', async (name) => {
    const kind = IMPORT_KINDS[name];
    if (!kind) throw new Error(name);
    const target = join(dir, `template-${name}.xlsx`);
    await writeTemplate(kind, target);
    const table = await openTable(target, {
      requiredHeaders: kind.columns.filter((c) => c.required).map((c) => [c.header]),
    });
    expect(table.headers).toEqual(kind.columns.map((c) => c.header));
    expect(table.headerLine).toBe(2);
    await table.close();
  });

  it('docs/IMPORTS.md is the one the import kinds generate (run npm run docs:imports)', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/IMPORTS.md'), 'utf8');
    expect(doc).toBe(importsMarkdown());
  });
});
