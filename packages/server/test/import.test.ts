import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/db/open.ts';
import { importFile } from '../src/registry/import.ts';
import { groups } from '../src/registry/kinds/groups.ts';
import { population } from '../src/registry/kinds/population.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'canbao-import-'));
let fileCounter = 0;
/** Writes a UTF-8 CSV (with BOM, as Excel saves it) and returns its path. */
function csv(lines: readonly string[]): string {
  const path = join(dir, `f${fileCounter++}.csv`);
  writeFileSync(path, `\uFEFF${lines.join('\r\n')}\r\n`);
  return path;
}

// Valid GB 11643 numbers for the tests (check characters computed by the standard's algorithm).
const ID = {
  zhang: '341302198001010011',
  li: '341302198502020023',
  wang: '341302201005050015',
  zhao: '341302194903030021',
};

const ROSTER = [
  '姓名,公民身份号码,性别,户号,与户主关系,村（社区）,联系电话',
  `张三,${ID.zhang},男,H001,户主,蕲县村,13800000001`,
  `李四,${ID.li},女,H001,配偶,蕲县村,`,
  `王五,${ID.wang},男,H002,户主,邱元村,`,
];

describeEachEngine('import', (engine) => {
  const fresh = useFreshDatabases(engine);
  const run = (handle: DatabaseHandle, file: string, extra: Partial<Parameters<typeof importFile>[0]> = {}) =>
    importFile({ handle, kind: population, file, countyCode: '341302', today: '2022-03-01', ...extra });

  it('imports a roster: people, households, membership, villages', async () => {
    const h = await fresh();
    const result = await run(h, csv(ROSTER));
    expect(result.status).toBe('completed');
    expect(result.counts).toMatchObject({ added: 3, householdsAdded: 2 });
    const people = await h.db.selectFrom('people').selectAll().orderBy('doc_number').execute();
    expect(people.map((p) => p.name)).toEqual(['张三', '李四', '王五']);
    const zhang = people[0];
    expect(zhang?.birth_date).toBe('1980-01-01');
    expect(zhang?.sex).toBe('male');
    expect(zhang?.hukou_region_code).toBe('341302900001');
    const household = await h.db
      .selectFrom('households')
      .selectAll()
      .where('number', '=', 'H001')
      .executeTakeFirstOrThrow();
    expect(household.head_person_id).toBe(zhang?.id);
    expect(household.village_code).toBe('341302900001');
    const members = await h.db
      .selectFrom('household_members')
      .selectAll()
      .where('household_id', '=', household.id)
      .execute();
    expect(members).toHaveLength(2);
    expect(members.every((m) => m.valid_from === '2022-03-01' && m.valid_to === null)).toBe(true);
  });

  it('changes nothing when the same file is imported again', async () => {
    const h = await fresh();
    const file = csv(ROSTER);
    await run(h, file);
    const again = await run(h, file);
    expect(again.status).toBe('unchanged');
    expect(
      await h.db.selectFrom('people').select(h.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ).toEqual({ n: 3 });
    // The same rows in another file: every person found, none added or changed.
    const copy = await run(h, csv([...ROSTER, '']));
    expect(copy.status).toBe('completed');
    expect(copy.counts).toMatchObject({ added: 0, updated: 0, unchanged: 3 });
  });

  it('updates a person and keeps the household history when they move', async () => {
    const h = await fresh();
    await run(h, csv(ROSTER));
    const moved = await run(h, csv([ROSTER[0] as string, `李四,${ID.li},女,H003,户主,徐桥村,13900000002`]), {
      today: '2022-06-01',
    });
    expect(moved.counts).toMatchObject({ added: 0, updated: 1, householdsAdded: 1 });
    const li = await h.db
      .selectFrom('people')
      .selectAll()
      .where('doc_number', '=', ID.li)
      .executeTakeFirstOrThrow();
    expect(li.phone).toBe('13900000002');
    const history = await h.db
      .selectFrom('household_members')
      .innerJoin('households', 'households.id', 'household_members.household_id')
      .select(['households.number', 'household_members.valid_from', 'household_members.valid_to'])
      .where('person_id', '=', li.id)
      .orderBy('household_members.valid_from')
      .execute();
    expect(history).toEqual([
      { number: 'H001', valid_from: '2022-03-01', valid_to: '2022-05-31' },
      { number: 'H003', valid_from: '2022-06-01', valid_to: null },
    ]);
  });

  it('rejects the whole file when one row is bad, and reports every bad row with line and column', async () => {
    const h = await fresh();
    const result = await run(
      h,
      csv([
        ...ROSTER,
        '赵六,341302194903030022,女,H004,户主,蕲县村,', // wrong check character
        `赵六,${ID.zhao},男,H004,户主,不存在村,`, // sex contradicts the number; unknown village
        `张三,${ID.zhang},男,H001,户主,蕲县村,`, // duplicate of line 2
      ]),
    );
    expect(result.status).toBe('rejected');
    expect(result.rowsWritten).toBe(0);
    expect(result.errors.map((e) => [e.line, e.column])).toEqual([
      [5, '公民身份号码'],
      [6, '性别'],
      [6, '村（社区）'],
      [7, null],
    ]);
    expect(result.errors[0]?.reason).toContain('校验位');
    expect(
      await h.db.selectFrom('people').select(h.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ).toEqual({ n: 0 });
    const attempts = await h.db.selectFrom('imports').select(['status', 'rows_rejected']).execute();
    expect(attempts).toEqual([{ status: 'rejected', rows_rejected: 3 }]);
  });

  it('with acceptValid writes the good rows and reports the rest', async () => {
    const h = await fresh();
    const result = await run(h, csv([...ROSTER, '赵六,341302194903030022,女,H004,户主,蕲县村,']), {
      acceptValid: true,
    });
    expect(result.status).toBe('completed');
    expect(result.rowsWritten).toBe(3);
    expect(result.rowsRejected).toBe(1);
    expect(
      await h.db.selectFrom('people').select(h.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ).toEqual({ n: 3 });
  });

  it('refuses a file whose header lacks a required column, naming it', async () => {
    const h = await fresh();
    await expect(run(h, csv(['姓名,性别', '张三,男']))).rejects.toThrow('公民身份号码');
  });

  it('diffs a monthly department list against the previous one and keeps the history', async () => {
    const h = await fresh();
    const list = (rows: string[]) => csv(['姓名,公民身份号码,人员类别,认定日期', ...rows]);
    const march = await importFile({
      handle: h,
      kind: groups,
      file: list([`张三,${ID.zhang},低保对象,2022-01-10`, `李四,${ID.li},特困人员,2021-05-01`]),
      countyCode: '341302',
      department: 'civil_affairs',
      today: '2022-03-05',
    });
    expect(march.counts).toMatchObject({ added: 2, removed: 0, changed: 0, peopleAdded: 2 });
    const april = await importFile({
      handle: h,
      kind: groups,
      file: list([`张三,${ID.zhang},低保,2022-04-01`, `王五,${ID.wang},孤儿,2022-03-20`]),
      countyCode: '341302',
      department: 'civil_affairs',
      today: '2022-04-05',
      effectiveDate: '2022-04-01',
    });
    // 李四's 特困 is not in April's list but April's list has no 特困 group at all: only the
    // groups a list contains are replaced, so 李四 stays.
    expect(april.counts).toMatchObject({ added: 1, removed: 0, changed: 1 });
    const zhang = await h.db
      .selectFrom('person_groups')
      .innerJoin('people', 'people.id', 'person_groups.person_id')
      .select(['group_code', 'certified_on', 'valid_from', 'valid_to'])
      .where('people.doc_number', '=', ID.zhang)
      .orderBy('valid_from')
      .execute();
    expect(zhang).toEqual([
      { group_code: 'dibao', certified_on: '2022-01-10', valid_from: '2022-03-05', valid_to: '2022-03-31' },
      { group_code: 'dibao', certified_on: '2022-04-01', valid_from: '2022-04-01', valid_to: null },
    ]);
    const may = await importFile({
      handle: h,
      kind: groups,
      file: list([`张三,${ID.zhang},低保对象,2022-04-01`, `李四,${ID.li},孤儿,2022-04-20`]),
      countyCode: '341302',
      department: 'civil_affairs',
      today: '2022-05-05',
      effectiveDate: '2022-05-01',
    });
    // May's list has 孤儿 again, without 王五: his row closes the day before May's list takes effect.
    expect(may.counts).toMatchObject({ added: 1, removed: 1, changed: 0, unchanged: 1 });
    expect(may.changes).toEqual([
      { change: 'removed', name: '王五', docNumber: ID.wang, group: 'orphan', certifiedOn: '2022-03-20' },
      { change: 'added', name: '李四', docNumber: ID.li, group: 'orphan', certifiedOn: '2022-04-20' },
    ]);
    const wang = await h.db
      .selectFrom('person_groups')
      .innerJoin('people', 'people.id', 'person_groups.person_id')
      .select(['valid_from', 'valid_to'])
      .where('people.doc_number', '=', ID.wang)
      .execute();
    expect(wang).toEqual([{ valid_from: '2022-04-01', valid_to: '2022-04-30' }]);
  });

  it('refuses a group the department does not certify', async () => {
    const h = await fresh();
    const result = await importFile({
      handle: h,
      kind: groups,
      file: csv(['姓名,公民身份号码,人员类别', `张三,${ID.zhang},监测对象`]),
      countyCode: '341302',
      department: 'civil_affairs',
      today: '2022-03-05',
    });
    expect(result.status).toBe('rejected');
    expect(result.errors[0]?.reason).toContain('不由民政部门认定');
  });
});
