/**
 * 资助对象动员名单 (USERS.md: the township officer sends each village its list of unenrolled
 * subsidised people): the mobilisation list of collection/mobilisation.ts — people certified in a
 * subsidised group who still have something to pay — as a report for a village, a township or the
 * county, so it reaches the web page, the .xlsx and `canbao report` like every other report.
 */
import { maskIdNumber } from '@canbao/core';
import { type MobilisationRow, mobilisationList } from '../collection/mobilisation.ts';
import { reportMeta } from './meta.ts';
import { PERSON_COLUMNS, type ReportDefinition, type ReportTable, VILLAGE_COLUMNS } from './report.ts';
import { money, yuan } from './subsidies.ts';

export interface MobilisationReport {
  readonly people: readonly MobilisationRow[];
  readonly villages: readonly {
    readonly villageCode: string | null;
    readonly villageName: string | null;
    readonly people: number;
    readonly notEnrolled: number;
    readonly dueFen: number;
  }[];
}

const STATUS = { awaiting_payment: '已登记未缴费', not_enrolled: '未登记' } as const;

function mobilisationTables(report: MobilisationReport, asOf: string): ReportTable[] {
  const total = report.people.length;
  const due = report.people.reduce((n, p) => n + p.paysFen, 0);
  return [
    {
      name: '按村汇总',
      title: '资助对象动员汇总（按村）',
      columns: [
        ...VILLAGE_COLUMNS,
        { header: '待动员人数', width: 10, text: false },
        { header: '其中未登记', width: 10, text: false },
        { header: '个人应缴合计（元）', width: 16, text: false },
      ],
      rows: report.villages.map((v) => [
        v.villageCode,
        v.villageName,
        v.people,
        v.notEnrolled,
        money(v.dueFen),
      ]),
      notes: [
        `截至 ${asOf}：认定为资助对象、个人仍需缴费而尚未缴费的 ${total} 人，个人应缴合计 ${yuan(due)}。`,
        '全额资助人员由医保经办机构直接参保，不在名单内。',
      ],
    },
    {
      name: '动员名单',
      title: '资助对象动员名单',
      columns: [
        ...PERSON_COLUMNS,
        { header: '资助类别', width: 20 },
        { header: '登记状态', width: 12 },
        { header: '个人应缴（元）', width: 12, text: false },
        { header: '资助金额（元）', width: 12, text: false },
      ],
      rows: report.people.map((p) => [
        p.villageCode,
        p.villageName,
        p.householdNumber,
        p.name,
        p.docNumber,
        p.groups,
        STATUS[p.status],
        money(p.paysFen),
        money(p.subsidyFen),
      ]),
    },
  ];
}

export const mobilisationDefinition: ReportDefinition<MobilisationReport> = {
  name: 'mobilisation',
  label: '资助对象动员名单',
  listsPeople: true,
  description:
    '认定为资助对象、个人仍需缴费而尚未缴费的人员，按村列出（全额资助人员由经办机构直接参保，不在其中）',
  async run(ctx, scope) {
    const meta = await reportMeta(ctx, scope);
    // The list as of the report's date: groups valid then, amounts assessed then.
    const rows = await mobilisationList(
      { ...ctx, today: scope.asOf },
      {
        benefitYear: meta.campaign.benefit_year,
        ...(scope.regionCode === ctx.countyCode ? {} : { villageCode: scope.regionCode }),
      },
    );
    const people = rows.map((p) => ({ ...p, docNumber: maskIdNumber(p.docNumber) }));
    const villages = new Map<string, MobilisationReport['villages'][number]>();
    for (const p of people) {
      const key = p.villageCode ?? '';
      const v = villages.get(key) ?? {
        villageCode: p.villageCode,
        villageName: p.villageName,
        people: 0,
        notEnrolled: 0,
        dueFen: 0,
      };
      villages.set(key, {
        ...v,
        people: v.people + 1,
        notEnrolled: v.notEnrolled + (p.status === 'not_enrolled' ? 1 : 0),
        dueFen: v.dueFen + p.paysFen,
      });
    }
    const data = { people, villages: [...villages.values()] };
    return { meta, data, tables: mobilisationTables(data, scope.asOf) };
  },
};
