import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/db/open.ts';
import { writeXlsx } from '../src/files/write-xlsx.ts';
import { type ImportOptions, importFile } from '../src/registry/import.ts';
import { IMPORT_KINDS } from '../src/registry/kinds/index.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'canbao-kinds-'));
let n = 0;
const csv = (lines: readonly string[], encoding: 'utf8' | 'gbk' = 'utf8') => {
  const path = join(dir, `k${n++}.csv`);
  const text = `${lines.join('\r\n')}\r\n`;
  writeFileSync(path, encoding === 'gbk' ? iconv.encode(text, 'gbk') : `\uFEFF${text}`);
  return path;
};

const ZHANG = '341302198001010011';
const LI = '341302198502020023';

describeEachEngine('import kinds', (engine) => {
  const fresh = useFreshDatabases(engine);
  const run = (handle: DatabaseHandle, kind: string, file: string, extra: Partial<ImportOptions> = {}) =>
    importFile({
      handle,
      kind: IMPORT_KINDS[kind] as ImportOptions['kind'],
      file,
      countyCode: '341302',
      today: '2022-03-01',
      ...extra,
    });
  const count = async (
    h: DatabaseHandle,
    table: 'people' | 'enrollment_history' | 'external_coverage' | 'ecert_activations',
  ) => (await h.db.selectFrom(table).select(h.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  it('reads a GBK roster written by Chinese Excel', async () => {
    const h = await fresh();
    const result = await run(
      h,
      'population',
      csv(['姓名,身份证号码,性别,村', `张三,${ZHANG},男,蕲县村`], 'gbk'),
    );
    expect(result.encoding).toBe('gbk');
    expect(result.status).toBe('completed');
    const p = await h.db.selectFrom('people').select(['name', 'hukou_region_code']).executeTakeFirstOrThrow();
    expect(p).toEqual({ name: '张三', hukou_region_code: '341302900001' });
  });

  it('reads an .xlsx with a title row above the header, and reports lines as Excel shows them', async () => {
    const h = await fresh();
    const file = join(dir, 'roster.xlsx');
    await writeXlsx(file, [
      {
        name: '花名册',
        headerLines: ['蕲县镇2022年人口花名册'],
        columns: [{ header: '姓名' }, { header: '公民身份号码' }, { header: '村（社区）' }],
        rows: [
          ['张三', ZHANG, '蕲县村'],
          ['李四', '341302198502020024', '蕲县村'],
        ],
      },
    ]);
    const result = await run(h, 'population', file);
    expect(result.headerLine).toBe(2);
    expect(result.errors.map((e) => [e.line, e.column])).toEqual([[4, '公民身份号码']]);
  });

  it('imports last year’s enrollment roster, updating rather than duplicating', async () => {
    const h = await fresh();
    const header = '姓名,公民身份号码,参保年度,个人缴费金额,村（社区）';
    await run(
      h,
      'enrollment',
      csv([header, `张三,${ZHANG},2021,280,蕲县村`, `李四,${LI},2021年,280.00,邱元村`]),
    );
    const again = await run(h, 'enrollment', csv([header, `张三,${ZHANG},2021,300,蕲县村`]));
    expect(again.status).toBe('completed');
    expect(await count(h, 'enrollment_history')).toBe(2);
    expect(await count(h, 'people')).toBe(2);
    const zhang = await h.db
      .selectFrom('enrollment_history')
      .innerJoin('people', 'people.id', 'enrollment_history.person_id')
      .select(['amount_fen', 'insured_region_code', 'benefit_year'])
      .where('doc_number', '=', ZHANG)
      .executeTakeFirstOrThrow();
    expect(zhang).toEqual({ amount_fen: 30000, insured_region_code: '341302900001', benefit_year: 2021 });
  });

  it('rejects a bad year and a bad amount with the column named', async () => {
    const h = await fresh();
    const result = await run(
      h,
      'enrollment',
      csv(['姓名,公民身份号码,参保年度,个人缴费金额', `张三,${ZHANG},21,28.005`]),
    );
    expect(result.errors.map((e) => e.column)).toEqual(['参保年度', '个人缴费金额']);
  });

  it('marks students from the education roster', async () => {
    const h = await fresh();
    await run(
      h,
      'students',
      csv(['姓名,公民身份号码,学校,年级', `王五,341302201005050015,蕲县镇中心小学,六年级`]),
    );
    const p = await h.db
      .selectFrom('people')
      .select(['is_student', 'school', 'birth_date'])
      .executeTakeFirstOrThrow();
    expect(p).toEqual({ is_student: 1, school: '蕲县镇中心小学', birth_date: '2010-05-05' });
  });

  it('records employee insurance and other-region coverage, refusing unknown kinds', async () => {
    const h = await fresh();
    const header = '姓名,公民身份号码,参保类型,参保单位或地区,连续缴费年限,停保日期';
    const bad = await run(h, 'external', csv([header, `张三,${ZHANG},商业保险,某公司,3,2022-01-15`]));
    expect(bad.errors[0]?.column).toBe('参保类型');
    await run(
      h,
      'external',
      csv([header, `张三,${ZHANG},职工医保,某公司,3,2022-01-15`, `李四,${LI},异地居民医保,合肥市,,`]),
    );
    const rows = await h.db
      .selectFrom('external_coverage')
      .select(['kind', 'consecutive_years', 'stopped_on'])
      .orderBy('kind')
      .execute();
    expect(rows).toEqual([
      { kind: 'employee_insurance', consecutive_years: 3, stopped_on: '2022-01-15' },
      { kind: 'other_region', consecutive_years: null, stopped_on: null },
    ]);
    // The same facts in a later list change nothing.
    await run(h, 'external', csv([header, `张三,${ZHANG},职工医保,某公司,3,2022-01-15`, '']));
    expect(await count(h, 'external_coverage')).toBe(2);
  });

  it('records e-certificate activations once, refusing dates after today', async () => {
    const h = await fresh();
    const future = await run(h, 'ecert', csv(['姓名,公民身份号码,激活日期', `张三,${ZHANG},2022-12-01`]));
    expect(future.errors[0]?.reason).toContain('晚于今天');
    await run(h, 'ecert', csv(['姓名,公民身份号码,激活日期', `张三,${ZHANG},2021-11-15`]));
    await run(h, 'ecert', csv(['姓名,公民身份号码,激活日期', `张三,${ZHANG},2021-12-20`]));
    const rows = await h.db.selectFrom('ecert_activations').select('activated_on').execute();
    expect(rows).toEqual([{ activated_on: '2021-11-15' }]);
  });

  it('imports a region code list with a merged village, parents first', async () => {
    const h = await fresh();
    const result = await run(
      h,
      'regions',
      csv([
        '统计用区划代码,名称,撤销日期,并入代码',
        '341302901001,新村,,',
        '341302901,新镇,,',
        '341302901002,旧村,2022-01-01,341302901001',
      ]),
    );
    expect(result.status).toBe('completed');
    const rows = await h.db
      .selectFrom('regions')
      .select(['code', 'level', 'parent_code', 'valid_to', 'merged_into', 'county_code'])
      .where('code', 'like', '341302901%')
      .orderBy('code')
      .execute();
    expect(rows).toEqual([
      {
        code: '341302901',
        level: 'township',
        parent_code: '341302',
        valid_to: null,
        merged_into: null,
        county_code: '341302',
      },
      {
        code: '341302901001',
        level: 'village',
        parent_code: '341302901',
        valid_to: null,
        merged_into: null,
        county_code: '341302',
      },
      {
        code: '341302901002',
        level: 'village',
        parent_code: '341302901',
        valid_to: '2022-01-01',
        merged_into: '341302901001',
        county_code: '341302',
      },
    ]);
    // A roster naming the merged village is told where it went.
    const roster = await run(h, 'population', csv(['姓名,公民身份号码,村（社区）', `张三,${ZHANG},旧村`]));
    expect(roster.errors[0]?.reason).toContain('并入 341302901001');
  });

  it('refuses region codes outside the county and parents that do not exist', async () => {
    const h = await fresh();
    const outside = await run(
      h,
      'regions',
      csv(['统计用区划代码,名称', '341024100001,别县的村', '341302900015,新村']),
    );
    expect(outside.status).toBe('rejected');
    expect(outside.errors.map((e) => [e.line, e.column])).toEqual([[2, '统计用区划代码']]);
    // A missing parent is found when the rows are written, and rolls back the rows before it too.
    const orphan = await run(
      h,
      'regions',
      csv(['统计用区划代码,名称', '341302900015,新村', '341302777001,无上级的村']),
    );
    expect(orphan.status).toBe('rejected');
    expect(orphan.errors.map((e) => [e.line, e.column])).toEqual([[3, '上级代码']]);
    expect(
      await h.db.selectFrom('regions').select('code').where('code', '=', '341302900015').execute(),
    ).toEqual([]);
    expect(
      await h.db.selectFrom('regions').select('code').where('code', 'like', '3413027%').execute(),
    ).toEqual([]);
  });

  it('needs a department for a department list', async () => {
    const h = await fresh();
    await expect(run(h, 'groups', csv(['姓名,公民身份号码,人员类别', `张三,${ZHANG},低保`]))).rejects.toThrow(
      '--department',
    );
  });
});
