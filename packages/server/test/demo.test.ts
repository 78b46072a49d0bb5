/**
 * The demo county (demo/load.ts) on both engines, at 200 people: identity numbers valid, unique
 * and agreeing with sex and birth date; households with one head and family ages that fit; the
 * department lists, student roster and last year's roster imported through the pipeline; the
 * campaign open; payments through several channels on many days; progress with money in every
 * village and villages apart; the books balanced. And `canbao demo load`, and determinism.
 */
import { parseIdNumber } from '@canbao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDemo } from '../src/cli/demo.ts';
import { buildProgram } from '../src/cli/main.ts';
import { checkLedger } from '../src/collection/books.ts';
import { findCampaign } from '../src/collection/campaign.ts';
import type { CollectionContext } from '../src/collection/context.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { DEMO_COUNTY, type DemoSummary, isDemoLoaded, loadDemoCounty } from '../src/demo/load.ts';
import { apportion, generateCounty } from '../src/demo/people.ts';
import { progressReport } from '../src/reports/progress.ts';
import { rankingReport } from '../src/reports/ranking.ts';
import { describeEachEngine, type Engine } from './db-harness.ts';
import { reportEnv } from './report-cli.ts';

const TODAY = '2021-11-10';
const TOWNSHIP = '341302900';
const PEOPLE = 200;

const ctxOf = (handle: DatabaseHandle): CollectionContext => ({
  db: handle.db,
  countyCode: DEMO_COUNTY,
  actor: 'test',
  today: TODAY,
  now: `${TODAY}T04:00:00.000Z`,
});

describeEachEngine('demo county', (engine) => {
  let handle: DatabaseHandle;
  let summary: DemoSummary;
  const progress: [number, number][] = [];

  beforeAll(async () => {
    handle = await engine.open();
    summary = await loadDemoCounty(handle, { people: PEOPLE, onProgress: (d, t) => progress.push([d, t]) });
  }, 120_000);
  afterAll(async () => handle?.close());

  it('says what it loaded, with the business date, and reports progress to the end', async () => {
    expect(summary).toMatchObject({
      countyCode: '341302',
      policyId: 'qixian-2022',
      benefitYear: 2022,
      today: TODAY,
    });
    expect(summary.people).toBe(PEOPLE);
    const people = await handle.db
      .selectFrom('people')
      .select('id')
      .where('county_code', '=', DEMO_COUNTY)
      .execute();
    expect(people).toHaveLength(PEOPLE);
    const households = await handle.db.selectFrom('households').select('id').execute();
    expect(households).toHaveLength(summary.households);
    expect(summary.villages.map((v) => v.people).reduce((a, b) => a + b, 0)).toBe(PEOPLE);
    expect(summary.enrolled).toBeGreaterThan(PEOPLE * 0.4);
    expect(summary.enrolled).toBeLessThan(PEOPLE);
    const last = progress.at(-1) as [number, number];
    expect(last[0]).toBe(last[1]);
    expect(progress.every(([d], i) => i === 0 || d > (progress[i - 1] as [number, number])[0])).toBe(true);
  });

  it('gives everyone a valid, unique identity number agreeing with sex and birth date', async () => {
    const rows = await handle.db
      .selectFrom('people')
      .select(['doc_number', 'doc_type', 'sex', 'birth_date', 'name', 'phone'])
      .execute();
    expect(new Set(rows.map((r) => r.doc_number)).size).toBe(rows.length);
    for (const r of rows) {
      const id = parseIdNumber(r.doc_number);
      expect(r.doc_type).toBe('resident_id');
      expect(id.sex).toBe(r.sex);
      expect(id.birthDate.toString()).toBe(r.birth_date);
      expect(String(r.birth_date) < TODAY).toBe(true);
      expect(r.name).toMatch(/^\p{Script=Han}{2,4}$/u);
      if (r.phone !== null) expect(r.phone).toMatch(/^1[3-9]\d{9}$/);
    }
    // Mostly numbers of this county; spouses married in keep their home county's code.
    const local = rows.filter((r) => r.doc_number.startsWith(DEMO_COUNTY)).length;
    expect(local / rows.length).toBeGreaterThan(0.8);
    expect(local).toBeLessThan(rows.length);
    expect(rows.some((r) => String(r.birth_date) <= '1961-09-01')).toBe(true); // over 60
  });

  it('builds households with one head, a spouse of the other sex, and ages that fit', async () => {
    const members = await handle.db
      .selectFrom('household_members')
      .innerJoin('people', 'people.id', 'household_members.person_id')
      .innerJoin('households', 'households.id', 'household_members.household_id')
      .select([
        'households.id as household',
        'households.head_person_id',
        'households.village_code',
        'people.id',
        'people.sex',
        'people.birth_date',
        'people.hukou_region_code',
        'household_members.relation',
      ])
      .execute();
    const byHousehold = Map.groupBy(members, (m) => m.household);
    const sizes = new Set<number>();
    for (const list of byHousehold.values()) {
      sizes.add(list.length);
      expect(list.length).toBeLessThanOrEqual(6);
      const heads = list.filter((m) => m.relation === '户主');
      expect(heads).toHaveLength(1);
      const head = heads[0] as (typeof list)[number];
      expect(head.head_person_id).toBe(head.id);
      const year = (m: { birth_date: string | null }) => Number(m.birth_date?.slice(0, 4));
      for (const m of list) {
        expect(m.hukou_region_code).toBe(m.village_code);
        if (m.relation === '配偶') expect(m.sex).not.toBe(head.sex);
        if (m.relation === '子' || m.relation === '女') {
          expect(m.sex).toBe(m.relation === '子' ? 'male' : 'female');
          expect(year(m) - year(head)).toBeGreaterThanOrEqual(15);
        }
        if (m.relation === '父亲' || m.relation === '母亲')
          expect(year(head) - year(m)).toBeGreaterThanOrEqual(20);
      }
    }
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(5);
  });

  it('imports the department lists, students and last year’s roster through the pipeline', async () => {
    const imports = await handle.db
      .selectFrom('imports')
      .select(['kind', 'department', 'status', 'rows_written'])
      .execute();
    expect(imports.every((i) => i.status === 'completed')).toBe(true);
    const kinds = new Set(imports.map((i) => i.kind));
    for (const k of ['population', 'groups', 'students', 'enrollment', 'ecert']) expect(kinds).toContain(k);
    const departments = new Set(imports.filter((i) => i.kind === 'groups').map((i) => i.department));
    expect(departments).toContain('civil_affairs');
    expect(departments.size).toBeGreaterThanOrEqual(3);
    const grouped = await handle.db.selectFrom('person_groups').select(['person_id', 'group_code']).execute();
    const inGroups = new Set(grouped.map((g) => g.person_id)).size;
    expect(inGroups).toBe(summary.inGroups);
    expect(inGroups / PEOPLE).toBeGreaterThan(0.04);
    expect(inGroups / PEOPLE).toBeLessThan(0.2);
    const history = await handle.db.selectFrom('enrollment_history').select('benefit_year').execute();
    expect(history.every((h) => h.benefit_year === 2021)).toBe(true);
    expect(history.length / PEOPLE).toBeGreaterThan(0.8);
    expect(history.length / PEOPLE).toBeLessThan(0.97);
    const students = await handle.db
      .selectFrom('people')
      .select('school')
      .where('is_student', '=', 1)
      .execute();
    expect(students.length).toBeGreaterThan(0);
  });

  it('brings 民政’s monthly update: newly certified 低保 added from its date and reassessed before paying', async () => {
    const lists = await handle.db
      .selectFrom('imports')
      .select(['effective_date', 'summary', 'file_name'])
      .where('kind', '=', 'groups')
      .where('department', '=', 'civil_affairs')
      .orderBy('id')
      .execute();
    expect(lists.map((l) => l.effective_date)).toEqual(['2021-09-01', '2021-10-15']);
    const added = JSON.parse(lists[1]?.summary ?? '{}') as Record<string, number>;
    const first = JSON.parse(lists[0]?.summary ?? '{}') as Record<string, number>;
    expect(added.added).toBeGreaterThan(0);
    expect(added).toMatchObject({ removed: 0, unchanged: first.added });
    const later = await handle.db
      .selectFrom('person_groups')
      .innerJoin('enrollments', 'enrollments.person_id', 'person_groups.person_id')
      .select([
        'person_groups.certified_on',
        'enrollments.status',
        'enrollments.pays_fen',
        'enrollments.paid_fen',
      ])
      .where('person_groups.valid_from', '=', '2021-10-15')
      .execute();
    expect(later).toHaveLength(added.added as number);
    for (const e of later) {
      expect(e.certified_on).toBe('2021-10-10');
      expect(e.pays_fen).toBe(4000); // 低保: pays 40 (四（二）2)
      expect([0, 4000]).toContain(e.paid_fen);
    }
  });

  it('opens the qixian-2022 campaign and is recognised as the demo; a second load is refused', async () => {
    const { campaign, policy } = await findCampaign(handle.db, DEMO_COUNTY);
    expect(policy.id).toBe('qixian-2022');
    expect(campaign.opened_at.slice(0, 10)).toBe('2021-09-01');
    expect(await isDemoLoaded(handle.db)).toBe(true);
    await expect(loadDemoCounty(handle, { people: 20 })).rejects.toThrow(/已有人员或征缴数据/);
    const targets = await handle.db
      .selectFrom('task_targets')
      .select(['eligible_people', 'source'])
      .where('county_code', '=', DEMO_COUNTY)
      .where('benefit_year', '=', 2022)
      .execute();
    expect(targets).toHaveLength(14);
    expect(targets.reduce((n, t) => n + t.eligible_people, 0)).toBe(PEOPLE);
    expect(targets.every((t) => t.source.startsWith('演示数据'))).toBe(true);
  });

  it('records payments through several channels on many days, with receipts, remittances and tax confirmations', async () => {
    const orders = await handle.db
      .selectFrom('payment_orders')
      .select(['channel', 'paid_on', 'receipt_no', 'collector', 'amount_fen'])
      .execute();
    expect(orders).toHaveLength(summary.orders);
    expect(new Set(orders.map((o) => o.channel)).size).toBeGreaterThanOrEqual(3);
    for (const o of orders.filter((x) => x.channel === 'cash_collection')) {
      expect(o.receipt_no).toMatch(/^CUN\d{2}-R-\d{5}$/);
      expect(o.collector).toMatch(/^cun\d{2}$/);
    }
    const days = new Set(orders.map((o) => o.paid_on));
    expect(days.size).toBeGreaterThanOrEqual(10);
    expect([...days].every((d) => d >= '2021-09-01' && d <= TODAY)).toBe(true);
    expect(orders.reduce((n, o) => n + o.amount_fen, 0)).toBe(summary.amountFen);
    const remittances = await handle.db.selectFrom('remittances').select('id').execute();
    expect(remittances.length).toBeGreaterThan(0);
    expect(summary.taxConfirmed).toBeGreaterThan(0);
    const confirmed = await handle.db
      .selectFrom('payments')
      .select('id')
      .where('status', '=', 'confirmed')
      .execute();
    expect(confirmed).toHaveLength(summary.taxConfirmed);
    expect(summary.ecertActivated).toBeGreaterThan(0);
    expect(summary.awaitingPayment).toBeGreaterThan(0);
  });

  it('shows money in every village and villages at different stages of progress', async () => {
    const report = await progressReport(ctxOf(handle), TOWNSHIP, TODAY);
    const villages = report.rows.filter((r) => r.level === 'village');
    expect(villages).toHaveLength(14);
    for (const v of villages) {
      expect(v.today.paid).toBeGreaterThan(0);
      expect(v.today.collectedFen).toBeGreaterThan(0);
      expect(v.targetBasis).toEqual(['table']);
    }
    const rates = villages.map((v) => v.percentOfTargetPeople as number);
    expect(Math.max(...rates) - Math.min(...rates)).toBeGreaterThan(15);
    const township = report.rows[0];
    expect(township?.today.enrolled).toBe(summary.enrolled);
    expect(township?.today.collectedFen).toBe(summary.amountFen);
    // The first stage (10-31) has been judged by the business date.
    const ranking = await rankingReport(ctxOf(handle), TOWNSHIP, TODAY);
    expect(ranking.stages[0]?.due).toBe(true);
    expect(ranking.stages[1]?.due).toBe(false);
  });

  it('gives the bank a withholding batch to export: unpaid households that signed an agreement', async () => {
    const signed = await handle.db
      .selectFrom('enrollments')
      .innerJoin('bank_agreements', 'bank_agreements.person_id', 'enrollments.person_id')
      .select(['enrollments.status', 'enrollments.withhold'])
      .execute();
    expect(signed.length).toBeGreaterThan(0);
    expect(signed.every((r) => r.status === 'awaiting_payment' && r.withhold === 1)).toBe(true);
  });

  it('leaves the books balanced', async () => {
    const check = await checkLedger(ctxOf(handle));
    expect(check.differences).toEqual([]);
    expect(check.ok).toBe(true);
  });
});

describeEachEngine('a demo load that fails midway', (engine: Engine) => {
  it('leaves the database empty, and the next load fills it', async () => {
    const handle = await engine.open();
    try {
      // Stopped halfway (as a killed process or a refused step would): nothing of it stays.
      const stopped = loadDemoCounty(handle, {
        people: 40,
        onProgress: (done, total) => {
          if (done * 2 >= total) throw new Error('stopped halfway');
        },
      });
      await expect(stopped).rejects.toThrow('stopped halfway');
      for (const table of [
        'people',
        'campaigns',
        'enrollments',
        'payment_orders',
        'journal_transfers',
      ] as const) {
        const rows = await handle.db.selectFrom(table).select('id').execute();
        expect([table, rows.length]).toEqual([table, 0]);
      }
      expect(await isDemoLoaded(handle.db)).toBe(false);
      const loaded = await loadDemoCounty(handle, { people: 40 });
      expect(loaded.people).toBe(40);
      expect(await isDemoLoaded(handle.db)).toBe(true);
    } finally {
      await handle.close();
    }
  }, 120_000);
});

describeEachEngine('canbao demo load', (engine: Engine) => {
  it('loads into an empty database and prints the summary', async () => {
    const first = await engine.open();
    await first.close();
    const env = reportEnv(engine, '2021-10-15');
    const run = async (...args: string[]) => {
      const program = buildProgram();
      if (!program.commands.some((c) => c.name() === 'demo')) registerDemo(program);
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      let stdout = '';
      const write = process.stdout.write;
      const writeErr = process.stderr.write;
      process.stdout.write = ((chunk: string) => {
        stdout += chunk;
        return true;
      }) as typeof process.stdout.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        await program.parseAsync(args, { from: 'user' });
      } finally {
        process.stdout.write = write;
        process.stderr.write = writeErr;
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
      return stdout;
    };
    const out = await run('demo', 'load', '--people', '60', '--today', '2021-10-15', '--json');
    const summary = JSON.parse(out) as DemoSummary;
    expect(summary).toMatchObject({ people: 60, today: '2021-10-15', countyCode: '341302' });
    expect(summary.paid).toBeGreaterThan(0);
    // Without CANBAO_TODAY the command line runs on the demo's own date, as `canbao serve` does.
    env.CANBAO_TODAY = '';
    const progress = JSON.parse(await run('report', 'progress', '--json')) as { meta: { asOf: string } };
    expect(progress.meta.asOf).toBe('2021-10-15');
    env.CANBAO_TODAY = '2021-13-01';
    await expect(run('report', 'progress', '--json')).rejects.toThrow(/环境变量 CANBAO_TODAY 有误/);
    env.CANBAO_TODAY = '2021-10-15';
    await expect(run('demo', 'load', '--people', '60')).rejects.toThrow(/已有人员或征缴数据/);
    await expect(run('demo', 'load', '--people', 'many')).rejects.toThrow(/--people 应为正整数/);
  });
});

describe('demo people', () => {
  const options = {
    seed: 7,
    people: 500,
    countyCode: '341302',
    villages: [
      { name: '甲村', code: '341302900001', weight: 5167 },
      { name: '乙村', code: '341302900002', weight: 3102 },
    ],
    periodStart: '2021-09-01',
    periodEnd: '2021-11-30',
    rosterDate: '2021-09-01',
    today: '2021-11-10',
  };

  it('is the same county for the same seed, and another for another seed', () => {
    const a = generateCounty(options);
    expect(generateCounty(options)).toEqual(a);
    const b = generateCounty({ ...options, seed: 8 });
    expect(b[0]?.households[0]?.members[0]?.idNumber).not.toBe(a[0]?.households[0]?.members[0]?.idNumber);
    // Villages sized in proportion to their task table rows.
    expect(a.map((v) => v.people)).toEqual([312, 188]);
  });

  it('certifies a household in each village for the monthly update, unpaid until then', () => {
    const villages = generateCounty({ ...options, monthlyUpdate: '2021-10-15' });
    const later = villages.flatMap((v) =>
      v.households.filter((h) => h.members.some((m) => m.groups.some((g) => g.listedOn !== null))),
    );
    expect(later).toHaveLength(2);
    for (const h of later) {
      expect(h.payOn === null || h.payOn > '2021-10-15').toBe(true);
      for (const m of h.members) {
        expect(m.groups).toEqual([
          {
            label: '低保对象',
            code: 'dibao',
            department: 'civil_affairs',
            certifiedOn: '2021-10-10',
            listedOn: '2021-10-15',
          },
        ]);
      }
    }
    // Not when today is before the update.
    const early = generateCounty({ ...options, monthlyUpdate: '2021-10-15', today: '2021-10-14' });
    expect(
      early.flatMap((v) => v.households).some((h) => h.members.some((m) => m.groups.some((g) => g.listedOn))),
    ).toBe(false);
  });

  it('pays only inside the period and not after today', () => {
    const early = generateCounty({ ...options, today: '2021-09-20' });
    const days = early.flatMap((v) => v.households.flatMap((h) => (h.payOn ? [h.payOn] : [])));
    expect(days.length).toBeGreaterThan(0);
    expect(days.every((d) => d >= '2021-09-01' && d <= '2021-09-20')).toBe(true);
  });

  it('apportions by largest remainders', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(4200, [5167, 3102]).reduce((a, b) => a + b, 0)).toBe(4200);
  });
});
