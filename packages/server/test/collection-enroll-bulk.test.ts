import { expect, it } from 'vitest';
import { renewEnrollments } from '../src/collection/enrollments.ts';
import { checkJournal } from '../src/ledger/journal.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

/** More people than one chunk of the bulk enrollment (500), so that chunks follow each other. */
const COUNT = 1_203;
const pad = (n: number) => String(n).padStart(2, '0');
const docs = Array.from({ length: COUNT }, (_, i) =>
  idNumber(`341302${1950 + (i % 50)}${pad(1 + (Math.floor(i / 50) % 12))}${pad(1 + Math.floor(i / 600))}002`),
);
/** Three of them: 特困 (full subsidy: enrolled and confirmed by the bureau), dead, 低保 (pays 40). */
const TEKUN = docs[7] as string;
const DEAD = docs[611] as string;
const DIBAO = docs[1_100] as string;

describeEachEngine('bulk enrollment (renewal)', (engine) => {
  const fresh = useFreshDatabases(engine);

  async function county(): Promise<World> {
    const w = await campaignWorld(await fresh(), 'qixian-2022', '341302', '2021-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      ...docs.map(
        (doc, i) => `居民${i},${doc},B${Math.floor(i / 3)},${i % 3 === 0 ? '户主' : '其他'},蕲县村`,
      ),
    ]);
    await w.importKind(
      'groups',
      [
        '姓名,公民身份号码,人员类别,认定日期',
        `居民7,${TEKUN},特困供养人员,2020-05-01`,
        `居民1100,${DIBAO},低保,2021-01-10`,
      ],
      { department: 'civil_affairs' },
    );
    await w.handle.db
      .updateTable('people')
      .set({ deceased_on: '2021-08-01' })
      .where('doc_number', '=', DEAD)
      .execute();
    await w.importKind('enrollment', [
      '姓名,公民身份号码,参保年度,个人缴费金额,村（社区）',
      ...docs.map((doc, i) => `居民${i},${doc},2021,280,蕲县村`),
    ]);
    return w;
  }

  it('enrolls chunk after chunk with the same answers as one by one: amounts, village, events, subsidies', async () => {
    const w = await county();
    const ctx = w.ctx('2021-10-08', 'bureau');
    const result = await renewEnrollments(ctx);
    expect(result).toMatchObject({ created: COUNT - 2, confirmed: 1, existing: 0 });
    expect(result.skipped).toEqual([
      { personId: await w.personId(DEAD), name: '居民611', reason: '居民611 已于 2021-08-01 死亡，不能参保' },
    ]);
    const rows = await w.handle.db
      .selectFrom('enrollments')
      .innerJoin('people', 'people.id', 'enrollments.person_id')
      .select([
        'people.doc_number',
        'enrollments.status',
        'enrollments.pays_fen',
        'enrollments.subsidy_fen',
        'enrollments.village_code',
        'enrollments.source',
        'enrollments.household_id',
      ])
      .execute();
    expect(rows).toHaveLength(COUNT - 1);
    const byDoc = new Map(rows.map((r) => [r.doc_number, r]));
    expect(byDoc.get(TEKUN)).toMatchObject({ status: 'confirmed', pays_fen: 0, subsidy_fen: 32000 });
    expect(byDoc.get(DIBAO)).toMatchObject({
      status: 'awaiting_payment',
      pays_fen: 4000,
      subsidy_fen: 28000,
    });
    expect(byDoc.get(docs[1202] as string)).toMatchObject({ status: 'awaiting_payment', pays_fen: 32000 });
    expect(
      rows.every((r) => r.village_code === '341302900001' && r.source === 'renewal' && r.household_id),
    ).toBe(true);
    // One 'created' event each, and the 特困 person's confirmation; the subsidy booked once.
    const events = await w.handle.db
      .selectFrom('enrollment_events')
      .select(['event', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('event')
      .orderBy('event')
      .execute();
    expect(events.map((e) => [e.event, Number(e.n)])).toEqual([
      ['created', COUNT - 1],
      ['full_subsidy', 1],
    ]);
    expect((await checkJournal(w.handle.db, '341302')).unbalanced).toEqual([]);
    const subsidies = await w.handle.db.selectFrom('journal_transfers').select('kind').execute();
    expect(subsidies).toEqual([{ kind: 'subsidy' }]);

    // Again: everyone is there already.
    expect(await renewEnrollments(ctx)).toMatchObject({ created: 0, confirmed: 0, existing: COUNT - 1 });
  });

  it('two renewals at once enroll everyone exactly once', async () => {
    const w = await county();
    const [a, b] = await Promise.all([
      renewEnrollments(w.ctx('2021-10-08', 'bureau-1')),
      renewEnrollments(w.ctx('2021-10-08', 'bureau-2')),
    ]);
    // Whoever came second for a chunk found it done (on PostgreSQL the two run at the same time:
    // a chunk that meets the other's rows falls back to one by one and finds them enrolled).
    expect(a.created + b.created).toBe(COUNT - 2);
    expect(a.confirmed + b.confirmed).toBe(1);
    expect(a.existing + b.existing).toBe(COUNT - 1);
    const counts = await w.handle.db
      .selectFrom('enrollments')
      .select(['person_id', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('person_id')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(counts).toEqual([]);
    expect(await w.handle.db.selectFrom('enrollments').select('id').execute()).toHaveLength(COUNT - 1);
    expect((await checkJournal(w.handle.db, '341302')).unbalanced).toEqual([]);
  });
});
