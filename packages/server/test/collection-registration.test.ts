import { expect, it } from 'vitest';
import { CollectionError } from '../src/collection/context.ts';
import { registerAndEnroll } from '../src/collection/registration.ts';
import { campaignWorld, idNumber } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

describeEachEngine('new enrollment of someone not yet registered', (engine) => {
  const fresh = useFreshDatabases(engine);

  it('registers the person into a household and village and enrolls them in one step', async () => {
    const w = await campaignWorld(await fresh(), 'qixian-2022', '341302', '2021-09-01');
    const ctx = w.ctx('2021-10-10', 'village-clerk');
    const doc = idNumber('34130219910909009');
    const result = await registerAndEnroll(ctx, {
      name: '新人',
      docNumber: doc,
      phone: '13800000000',
      address: '蕲县镇蕲县村',
      village: '蕲县村',
      householdNumber: 'N-1',
      relation: '户主',
    });
    expect(result).toMatchObject({ registered: true, created: true });
    expect(result.enrollment).toMatchObject({
      status: 'awaiting_payment',
      pays_fen: 32000,
      village_code: '341302900001',
    });
    expect(result.person).toMatchObject({ sex: 'male', birth_date: '1991-09-09', phone: '13800000000' });
    const household = await w.handle.db
      .selectFrom('households')
      .selectAll()
      .where('number', '=', 'N-1')
      .executeTakeFirstOrThrow();
    expect(household.village_code).toBe('341302900001');
    expect(await w.handle.db.selectFrom('household_members').selectAll().execute()).toHaveLength(1);

    // Again: already registered, the same enrollment; another name for the number is refused.
    const again = await registerAndEnroll(ctx, { name: '新人', docNumber: doc });
    expect(again).toMatchObject({ registered: false, created: false });
    expect(again.enrollment.id).toBe(result.enrollment.id);
    await expect(registerAndEnroll(ctx, { name: '别人', docNumber: doc })).rejects.toThrow('已登记为“新人”');
  });

  it('refuses bad fields by name, and leaves nobody half-registered when enrollment is refused', async () => {
    const w = await campaignWorld(await fresh(), 'yaohai-2024', '340102', '2023-09-01');
    const ctx = w.ctx('2023-12-01');
    await expect(registerAndEnroll(ctx, { name: '甲', docNumber: '340102199001010000' })).rejects.toThrow(
      /^证件号码：/,
    );
    await expect(
      registerAndEnroll(ctx, { name: '甲', docNumber: idNumber('34010219900101001'), sex: '女' }),
    ).rejects.toThrow('性别：与身份证号码不一致');
    // A newborn whose parents have not chosen the year (瑶海区 五（二）): refused, and not registered.
    const baby = idNumber('34010220231120002');
    const error = await registerAndEnroll(ctx, { name: '婴', docNumber: baby, newborn: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CollectionError);
    expect((error as Error).message).toContain('未登记该人员');
    expect(await w.handle.db.selectFrom('people').selectAll().execute()).toHaveLength(0);
    const chosen = await registerAndEnroll(ctx, {
      name: '婴',
      docNumber: baby,
      newborn: true,
      coverageYear: 2024,
    });
    expect(chosen.enrollment).toMatchObject({ source: 'newborn', coverage_year: 2024, pays_fen: 38000 });
  });
});
