import { maskIdNumber } from '@canbao/core';
import { expect, it } from 'vitest';
import { enroll } from '../src/collection/enrollments.ts';
import { recordPayment } from '../src/collection/payments.ts';
import { type MobilisationReport, mobilisationDefinition } from '../src/reports/mobilisation.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const COUNTY = '341302';
const TOWNSHIP = '341302900';
const QIXIAN = '341302900001'; // 蕲县村
const QIUYUAN = '341302900002'; // 邱元村

const ZHANG = idNumber('34130219800101001'); // 低保, enrolled, not paid: pays 40
const LI = idNumber('34130219820202002'); // 低保, not enrolled: would pay 40
const WANG = idNumber('34130219400303003'); // 特困: full subsidy, enrolled by the bureau
const ZHAO = idNumber('34130219900404004'); // 低保, paid
const QIAN = idNumber('34130219910505005'); // no group
const SUN = idNumber('34130219920606006'); // 低保 from 2021-11-01 only

describeEachEngine('report mobilisation (资助对象动员名单)', (engine) => {
  const fresh = useFreshDatabases(engine);

  async function township(): Promise<World> {
    const w = await campaignWorld(await fresh(), 'qixian-2022', COUNTY, '2021-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      `张三,${ZHANG},H1,户主,蕲县村`,
      `李四,${LI},H2,户主,邱元村`,
      `王五,${WANG},H3,户主,邱元村`,
      `赵六,${ZHAO},H4,户主,蕲县村`,
      `钱七,${QIAN},H5,户主,蕲县村`,
      `孙八,${SUN},H6,户主,邱元村`,
    ]);
    const groups = [
      '姓名,公民身份号码,人员类别,认定日期',
      `张三,${ZHANG},低保,2021-01-10`,
      `李四,${LI},低保,2021-01-10`,
      `王五,${WANG},特困供养人员,2020-05-01`,
      `赵六,${ZHAO},低保,2021-01-10`,
    ];
    await w.importKind('groups', groups, { department: 'civil_affairs' });
    // November's list adds 孙八 (a department's monthly list replaces the one before).
    await w.importKind('groups', [...groups, `孙八,${SUN},低保,2021-11-01`], {
      department: 'civil_affairs',
      today: '2021-11-05',
    });
    const ctx = w.ctx('2021-10-08', 'bureau');
    for (const doc of [ZHANG, WANG, QIAN]) {
      await enroll(ctx, { personId: await w.personId(doc), source: 'renewal' });
    }
    const zhao = await enroll(ctx, { personId: await w.personId(ZHAO), source: 'renewal' });
    await recordPayment(ctx, {
      channel: 'online',
      txnId: 'W-1',
      enrollmentIds: [zhao.enrollment.id],
      amountFen: 4000,
      paidOn: '2021-10-08',
    });
    return w;
  }

  const run = async (w: World, regionCode: string, asOf: string) =>
    mobilisationDefinition.run(w.ctx('2021-11-10', 'township'), { regionCode, asOf });
  const listed = (data: MobilisationReport) =>
    data.people.map((p) => [p.villageName, p.name, p.docNumber, p.groups, p.status, p.paysFen, p.subsidyFen]);

  it('lists the subsidised who still have to pay, per village, with masked numbers', async () => {
    const w = await township();
    const county = await run(w, COUNTY, '2021-10-20');
    expect(listed(county.data)).toEqual([
      ['蕲县村', '张三', maskIdNumber(ZHANG), '城乡低保对象', 'awaiting_payment', 4000, 28000],
      ['邱元村', '李四', maskIdNumber(LI), '城乡低保对象', 'not_enrolled', 4000, 28000],
    ]);
    expect(county.data.villages).toEqual([
      { villageCode: QIXIAN, villageName: '蕲县村', people: 1, notEnrolled: 0, dueFen: 4000 },
      { villageCode: QIUYUAN, villageName: '邱元村', people: 1, notEnrolled: 1, dueFen: 4000 },
    ]);
    const [summary, list] = county.tables;
    expect(summary?.notes?.[0]).toBe(
      '截至 2021-10-20：认定为资助对象、个人仍需缴费而尚未缴费的 2 人，个人应缴合计 80.00 元。',
    );
    expect(list?.rows[1]).toEqual([
      QIUYUAN,
      '邱元村',
      'H2',
      '李四',
      maskIdNumber(LI),
      '城乡低保对象',
      '未登记',
      40,
      280,
    ]);

    // A township's list is its villages'; a village's only its own.
    expect(listed((await run(w, TOWNSHIP, '2021-10-20')).data)).toHaveLength(2);
    expect(listed((await run(w, QIUYUAN, '2021-10-20')).data).map((row) => row[1])).toEqual(['李四']);
  });

  it('as of a later date: a group certified since then joins the list', async () => {
    const w = await township();
    const names = async (asOf: string) => (await run(w, QIUYUAN, asOf)).data.people.map((p) => p.name);
    expect(await names('2021-10-31')).toEqual(['李四']);
    expect(await names('2021-11-05')).toEqual(['李四', '孙八']);
  });
});
