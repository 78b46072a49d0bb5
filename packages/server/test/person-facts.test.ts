import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assess } from '@canbao/core';
import { afterEach, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/db/open.ts';
import { loadPolicy } from '../src/policy/repository.ts';
import { personFacts } from '../src/registry/facts.ts';
import { type ImportOptions, importFile } from '../src/registry/import.ts';
import { IMPORT_KINDS } from '../src/registry/kinds/index.ts';
import { describeEachEngine } from './db-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'canbao-facts-'));
let n = 0;
const csv = (lines: string[]) => {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, lines.join('\n'));
  return path;
};

describeEachEngine('person facts from the registry', (engine) => {
  const handles: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
  });

  it('gives the engine what it needs: groups with dates, coverage elsewhere, last year covered', async () => {
    const h = await engine.open();
    handles.push(h);
    const run = (kind: string, file: string, extra: Partial<ImportOptions> = {}) =>
      importFile({
        handle: h,
        kind: IMPORT_KINDS[kind] as ImportOptions['kind'],
        file,
        countyCode: '341302',
        today: '2022-03-01',
        ...extra,
      });
    await run(
      'population',
      csv([
        '姓名,公民身份号码,村（社区）',
        '张三,341302198001010011,蕲县村',
        '李四,341302198502020023,蕲县村',
      ]),
    );
    await run(
      'groups',
      csv(['姓名,公民身份号码,人员类别,认定日期', '张三,341302198001010011,低保,2021-12-20']),
      {
        department: 'civil_affairs',
      },
    );
    await run(
      'external',
      csv([
        '姓名,公民身份号码,参保类型,连续缴费年限,停保日期',
        '李四,341302198502020023,职工医保,3,2022-01-31',
      ]),
    );
    await run('enrollment', csv(['姓名,公民身份号码,参保年度', '张三,341302198001010011,2021']));

    const people = await h.db.selectFrom('people').select(['id', 'name']).execute();
    const id = (name: string) => people.find((p) => p.name === name)?.id as number;
    const zhang = await personFacts(h.db, '341302', id('张三'), '2022-03-01');
    expect(zhang).toEqual({
      idNumber: '341302198001010011',
      groups: ['dibao'],
      groupsSince: { dibao: '2021-12-20' },
      hukouLocal: true,
      inEmployeeInsurance: false,
      insuredElsewhere: false,
      lastCoveredYear: 2021,
    });
    const li = await personFacts(h.db, '341302', id('李四'), '2022-03-01');
    expect(li).toMatchObject({
      inEmployeeInsurance: false,
      employeeInsurance: { consecutiveYears: 3, stoppedOn: '2022-01-31' },
    });
    // Before the stop date, 李四 is still in employee insurance: the engine refuses enrollment.
    const liBefore = await personFacts(h.db, '341302', id('李四'), '2022-01-15');
    expect(liBefore.inEmployeeInsurance).toBe(true);

    // The facts go straight into the engine under 蕲县镇's policy.
    const policy = loadPolicy('qixian-2022');
    expect(assess(policy, { ...zhang, paidOn: '2021-11-01' }).pays).toBe(4000);
    expect(assess(policy, liBefore).eligible).toBe(false);
    expect(assess(policy, { ...li, paidOn: '2022-03-15' }).benefitStart).toBe('2022-03-16');
  });
});
