import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { MigrationError } from '../src/db/migrate.ts';
import { type DatabaseHandle, DatabaseOpenError, openDatabase } from '../src/db/open.ts';
import { describeEachEngine } from './db-harness.ts';

describeEachEngine('database', (engine) => {
  const open: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  const fresh = async () => {
    const h = await engine.open();
    open.push(h);
    return h;
  };

  it('migrates and seeds the four regions and 蕲县镇 with its 14 villages and targets', async () => {
    const { db } = await fresh();
    const counties = await db
      .selectFrom('regions')
      .select('code')
      .where('level', '=', 'county')
      .orderBy('code')
      .execute();
    expect(counties.map((r) => r.code)).toEqual(['150621', '340102', '341024', '341302']);
    const villages = await db
      .selectFrom('regions')
      .select('name')
      .where('parent_code', '=', '341302900')
      .execute();
    expect(villages).toHaveLength(14);
    const total = await db
      .selectFrom('task_targets')
      .select((eb) => [
        eb.fn.sum<number>('eligible_people').as('people'),
        eb.fn.sum<number>('amount_fen').as('fen'),
      ])
      .where('county_code', '=', '341302')
      .where('benefit_year', '=', 2022)
      .executeTakeFirstOrThrow();
    expect(total).toEqual({ people: 63018, fen: 1_575_450_000 });
  });

  it('is idempotent: opening again applies and seeds nothing twice', async () => {
    const first = await fresh();
    await first.close();
    open.pop();
    const again = await openDatabase({ ...engine.lastLocation() });
    open.push(again);
    const count = await again.db
      .selectFrom('task_targets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(14);
  });

  it('gives the same runtime types on both engines: date strings, ISO timestamps, numbers', async () => {
    const { db } = await fresh();
    const now = new Date('2026-11-24T08:00:00.000Z').toISOString();
    const { id } = await db
      .insertInto('households')
      .values({
        county_code: '341024',
        number: 'H-1',
        village_code: null,
        head_person_id: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(typeof id).toBe('number');
    await db
      .insertInto('people')
      .values({
        county_code: '341024',
        doc_type: 'resident_id',
        doc_number: '341024198001010013',
        name: '张三',
        sex: 'male',
        birth_date: '1980-01-01',
        hukou_region_code: '341024',
        residence_region_code: null,
        address: null,
        household_id: id,
        phone: null,
        deceased_on: null,
        is_student: 0,
        school: null,
        created_at: now,
        updated_at: now,
        source_import_id: null,
      })
      .execute();
    const person = await db.selectFrom('people').selectAll().executeTakeFirstOrThrow();
    expect(person.birth_date).toBe('1980-01-01');
    expect(person.created_at).toBe(now);
    expect(person.household_id).toBe(id);
    expect(person.is_student).toBe(0);
  });

  it('enforces one person per document number', async () => {
    const { db } = await fresh();
    const now = new Date().toISOString();
    const row = {
      county_code: '341024',
      doc_type: 'resident_id' as const,
      doc_number: '341024198001010013',
      name: '张三',
      sex: null,
      birth_date: null,
      hukou_region_code: null,
      residence_region_code: null,
      address: null,
      household_id: null,
      phone: null,
      deceased_on: null,
      is_student: 0,
      school: null,
      created_at: now,
      updated_at: now,
      source_import_id: null,
    };
    await db.insertInto('people').values(row).execute();
    await expect(db.insertInto('people').values(row).execute()).rejects.toThrow();
  });

  it("refuses a database with a migration this program doesn't know", async () => {
    const h = await fresh();
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`.execute(
      h.db,
    );
    await h.close();
    open.pop();
    await expect(openDatabase({ ...engine.lastLocation(), migrate: 'check' })).rejects.toThrow(
      MigrationError,
    );
    await expect(openDatabase({ ...engine.lastLocation(), migrate: 'auto' })).rejects.toThrow(
      '9999-from-the-future',
    );
  });

  it('in check mode refuses a database with pending migrations', async () => {
    const h = await fresh();
    await sql`delete from kysely_migration`.execute(h.db);
    await h.close();
    open.pop();
    await expect(openDatabase({ ...engine.lastLocation(), migrate: 'check' })).rejects.toThrow(
      'canbao db migrate',
    );
  });

  if (engine.name === 'sqlite') {
    it('makes a consistent backup that opens as a database of its own', async () => {
      const h = await fresh();
      const now = new Date().toISOString();
      await h.db
        .insertInto('households')
        .values({
          county_code: '341024',
          number: 'H-9',
          village_code: null,
          head_person_id: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const copyDir = mkdtempSync(join(tmpdir(), 'canbao-backup-'));
      await h.backup(join(copyDir, 'canbao.sqlite'));
      await expect(h.backup(join(copyDir, 'canbao.sqlite'))).rejects.toThrow('已存在');
      const copy = await openDatabase({ dataDir: copyDir, migrate: 'check' });
      open.push(copy);
      expect(await copy.db.selectFrom('households').select('number').execute()).toEqual([{ number: 'H-9' }]);
    });

    it('lets only one process hold a data folder: a second one fails at once', async () => {
      await fresh();
      await expect(openDatabase({ ...engine.lastLocation() })).rejects.toThrow(DatabaseOpenError);
    });
  }
});
