/**
 * A small paid campaign for the tax-confirmation and books tests (蕲县镇 2022): a household paying
 * in cash through a village collector who remits it, a person paying online, and a full-subsidy
 * person enrolled by the bureau.
 *
 *   张三 低保: pays 40.00, subsidy 280.00 ┐ household H1, cash receipt R-0001 (360.00), collector qx-001,
 *   李四:      pays 320.00               ┘ paid 2021-10-08, remitted 2021-10-09 (slip S1)
 *   赵六:      pays 320.00, online WX-1, paid 2021-10-08
 *   王五 特困: pays 0, subsidy 320.00, confirmed at enrollment
 *   孙七:      pays 320.00, enrolled, not paid
 */
import { enroll } from '../src/collection/enrollments.ts';
import { recordPayment, recordRemittance } from '../src/collection/payments.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { campaignWorld, csvFile, idNumber, type World } from './collection-harness.ts';

export const ZHANG = idNumber('34130219800101001');
export const LI = idNumber('34130219820202002');
export const WANG = idNumber('34130219400303003');
export const ZHAO = idNumber('34130219900404004');
export const SUN = idNumber('34130219920606006');
/** Not in the registry. */
export const STRANGER = idNumber('34130219950505005');
export const COUNTY = '341302';

type Who = 'zhang' | 'li' | 'zhao' | 'wang' | 'sun';

export interface PaidCampaign {
  readonly world: World;
  readonly enrollments: Readonly<Record<Who, number>>;
  readonly people: Readonly<Record<Who, number>>;
}

export async function paidCampaign(handle: DatabaseHandle): Promise<PaidCampaign> {
  const world = await campaignWorld(handle, 'qixian-2022', COUNTY, '2021-09-01');
  await world.importKind('population', [
    '姓名,公民身份号码,户号,与户主关系,村（社区）',
    `张三,${ZHANG},H1,户主,蕲县村`,
    `李四,${LI},H1,配偶,蕲县村`,
    `王五,${WANG},H2,户主,邱元村`,
    `赵六,${ZHAO},H3,户主,邱元村`,
    `孙七,${SUN},H4,户主,邱元村`,
  ]);
  await world.importKind(
    'groups',
    [
      '姓名,公民身份号码,人员类别,认定日期',
      `张三,${ZHANG},低保,2021-01-10`,
      `王五,${WANG},特困供养人员,2020-05-01`,
    ],
    { department: 'civil_affairs' },
  );
  const people = {
    zhang: await world.personId(ZHANG),
    li: await world.personId(LI),
    zhao: await world.personId(ZHAO),
    wang: await world.personId(WANG),
    sun: await world.personId(SUN),
  };
  const ctx = world.ctx('2021-10-08', 'clerk');
  const id = async (personId: number) => (await enroll(ctx, { personId, source: 'renewal' })).enrollment.id;
  const enrollments = {
    zhang: await id(people.zhang),
    li: await id(people.li),
    zhao: await id(people.zhao),
    wang: await id(people.wang),
    sun: await id(people.sun),
  };
  await recordPayment(ctx, {
    channel: 'cash_collection',
    txnId: 'R-0001',
    enrollmentIds: [enrollments.zhang, enrollments.li],
    amountFen: 36000,
    paidOn: '2021-10-08',
    collector: 'qx-001',
    receiptNo: 'R-0001',
  });
  await recordPayment(ctx, {
    channel: 'online',
    txnId: 'WX-1',
    enrollmentIds: [enrollments.zhao],
    amountFen: 32000,
    paidOn: '2021-10-08',
  });
  await recordRemittance(world.ctx('2021-10-09', 'qx-001'), {
    collector: 'qx-001',
    slipNo: 'S1',
    amountFen: 36000,
    remittedOn: '2021-10-09',
  });
  return { world, enrollments, people };
}

export const TAX_HEADER = '税票号,证件号码,姓名,缴费金额（元）,缴费日期,渠道流水号,确认日期';

/** A confirmation file (CSV) with the standard header and the given rows. */
export function taxFile(rows: readonly string[]): string {
  return csvFile([TAX_HEADER, ...rows]);
}
