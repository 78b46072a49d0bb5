/**
 * Reports through the API: every report of reports/index.ts as JSON or .xlsx for a region inside the
 * user's scope, the dashboard (progress, ranking, subsidised groups, collection per day) and the
 * regions a user may pick from.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { can } from '../../access/roles.ts';
import { findCampaign } from '../../collection/campaign.ts';
import type { User } from '../../db/schema.ts';
import { writeXlsx } from '../../files/write-xlsx.ts';
import { REPORTS, reportByName } from '../../reports/index.ts';
import { progressReport } from '../../reports/progress.ts';
import { rankingReport } from '../../reports/ranking.ts';
import { type ReportDefinition, reportSheets } from '../../reports/report.ts';
import type { App } from '../app.ts';
import { type AppConfig, checkScope, collectionContext, needs, userOf } from '../context.ts';
import { AppError, forbidden, notFound } from '../errors.ts';

const ReportQuery = z.object({
  region: z
    .string()
    .regex(/^\d{6}(\d{3}(\d{3})?)?$/, '区划代码应为 6、9 或 12 位数字')
    .optional(),
  asOf: z.iso.date('日期格式应为 YYYY-MM-DD').optional(),
  year: z.coerce.number().int().optional(),
});

/** The region asked for, defaulting to the user's own; 404 outside the user's scope. */
function regionFor(user: User, asked: string | undefined): string {
  const region = asked ?? user.region_code;
  checkScope(user, region, '区划');
  return region;
}

/** A report naming residents needs the permission to read people besides reports.read. */
const mayRun = (user: User, report: ReportDefinition) => !report.listsPeople || can(user.role, 'people.read');

/** The reports' percentages (two decimals) as fractions, without float noise (70.06 → 0.7006). */
const fraction = (percent: number | null) => (percent === null ? null : Math.round(percent * 100) / 10000);

export async function reportRoutes(app: App, config: AppConfig) {
  app.get(
    '/api/regions',
    {
      preValidation: needs('reports.read'),
      schema: {
        summary: '可选区划（本人管辖范围内）',
        tags: ['报表'],
        response: {
          200: z.array(
            z.object({
              code: z.string(),
              name: z.string(),
              level: z.string(),
              parentCode: z.string().nullable(),
            }),
          ),
        },
      },
    },
    async (request) => {
      const user = userOf(request);
      const rows = await config.db
        .selectFrom('regions')
        .select(['code', 'name', 'level', 'parent_code'])
        .where((eb) => eb.or([eb('county_code', '=', user.county_code), eb('code', '=', user.county_code)]))
        .where('code', 'like', `${user.region_code}%`)
        .where('valid_to', 'is', null)
        .orderBy('code')
        .execute();
      return rows.map((r) => ({ code: r.code, name: r.name, level: r.level, parentCode: r.parent_code }));
    },
  );

  app.get(
    '/api/reports',
    {
      preValidation: needs('reports.read'),
      schema: {
        summary: '报表目录',
        tags: ['报表'],
        response: {
          200: z.array(z.object({ name: z.string(), label: z.string(), description: z.string() })),
        },
      },
    },
    async (request) =>
      REPORTS.filter((r) => mayRun(userOf(request), r)).map((r) => ({
        name: r.name,
        label: r.label,
        description: r.description,
      })),
  );

  const runReport = async (user: User, name: string, query: z.infer<typeof ReportQuery>) => {
    const definition = reportByName(name);
    if (!definition) throw new AppError(404, 'not_found', `没有名为 ${name} 的报表`);
    if (!mayRun(user, definition)) throw forbidden();
    const ctx = collectionContext(config, user);
    return definition.run(ctx, {
      regionCode: regionFor(user, query.region),
      asOf: query.asOf ?? ctx.today,
      benefitYear: query.year,
    });
  };

  app.get(
    '/api/reports/:name',
    {
      preValidation: needs('reports.read'),
      schema: {
        summary: '报表数据（JSON）：数据与表格',
        tags: ['报表'],
        params: z.object({ name: z.string() }),
        querystring: ReportQuery,
      },
    },
    async (request) => {
      const result = await runReport(userOf(request), request.params.name, request.query);
      return { meta: result.meta, data: result.data, tables: result.tables };
    },
  );

  app.get(
    '/api/reports/:name/xlsx',
    {
      preValidation: needs('reports.read'),
      schema: {
        summary: '报表导出 .xlsx（表头注明区划、日期和政策）',
        tags: ['报表'],
        params: z.object({ name: z.string() }),
        querystring: ReportQuery,
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      const result = await runReport(user, request.params.name, request.query);
      const dir = await mkdtemp(join(tmpdir(), 'canbao-report-'));
      try {
        const file = join(dir, 'report.xlsx');
        await writeXlsx(file, reportSheets(result));
        const body = await readFile(file);
        const label = reportByName(request.params.name)?.label ?? request.params.name;
        const name = `${result.meta.regionName}${label}_${result.meta.asOf}.xlsx`;
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header(
            'content-disposition',
            `attachment; filename="report.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`,
          )
          .send(body);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  app.get(
    '/api/dashboard',
    {
      preValidation: needs('dashboard.read'),
      schema: {
        summary: '工作台：进度、排名、资助对象参保率、每日收缴',
        tags: ['报表'],
        querystring: ReportQuery,
      },
    },
    async (request) => {
      const user = userOf(request);
      const ctx = collectionContext(config, user);
      const region = regionFor(user, request.query.region);
      const asOf = request.query.asOf ?? ctx.today;
      const { campaign } = await findCampaign(config.db, user.county_code, request.query.year);
      const progress = await progressReport(ctx, region, asOf, campaign.benefit_year);
      const own = progress.rows.find((r) => r.regionCode === region);
      if (!own) throw notFound('区划');
      const childLevel = own.level === 'county' ? 'township' : 'village';
      const children = progress.rows.filter(
        (r) => r.level === childLevel && r.regionCode !== region && r.regionCode.startsWith(region),
      );
      // A village sees the bulletin of its township: the ranking is published to every village
      // (排位通报), and a clerk needs her village's place in it. Only aggregate figures appear.
      const rankedRegion = own.level === 'village' ? region.slice(0, 9) : region;
      const ranking = await rankingReport(ctx, rankedRegion, asOf, campaign.benefit_year).catch(() => null);
      const daily = await config.db
        .selectFrom('payments')
        .innerJoin('enrollments', 'enrollments.id', 'payments.enrollment_id')
        .select((eb) => [
          'payments.paid_on',
          eb.fn.countAll<number>().as('people'),
          eb.fn.sum<number>('payments.amount_fen').as('amount'),
        ])
        .where('payments.county_code', '=', user.county_code)
        .where('enrollments.benefit_year', '=', campaign.benefit_year)
        .where('enrollments.village_code', 'like', `${region}%`)
        .where('payments.paid_on', '<=', asOf)
        .groupBy('payments.paid_on')
        .orderBy('payments.paid_on')
        .execute();
      return {
        today: ctx.today,
        asOf,
        region: { code: own.regionCode, name: own.regionName, level: own.level },
        benefitYear: campaign.benefit_year,
        totals: {
          targetPeople: own.targetPeople,
          targetAmountFen: own.targetFen,
          enrolledPeople: own.today.enrolled,
          paidPeople: own.today.paid,
          amountFen: own.today.collectedFen,
          population: own.today.population,
          pctPeople: fraction(own.percentOfTargetPeople),
          pctAmount: fraction(own.percentOfTargetAmount),
          coverage: fraction(own.coverage),
          ecertRate: fraction(own.ecertRate),
          ecertTarget: fraction(progress.ecertTargetPercent),
          changePeople: own.change.enrolled,
          changeAmountFen: own.change.collectedFen,
        },
        children: children.map((c) => ({
          code: c.regionCode,
          name: c.regionName,
          targetPeople: c.targetPeople,
          enrolledPeople: c.today.enrolled,
          paidPeople: c.today.paid,
          amountFen: c.today.collectedFen,
          pctPeople: fraction(c.percentOfTargetPeople),
          pctAmount: fraction(c.percentOfTargetAmount),
          changePeople: c.change.enrolled,
        })),
        groups: own.groups.map((g) => ({
          code: g.group,
          label: g.label,
          people: g.members,
          enrolled: g.enrolled,
          coverage: fraction(g.percent),
        })),
        daily: daily.map((d) => ({ date: d.paid_on, people: Number(d.people), amountFen: Number(d.amount) })),
        ranking: ranking
          ? {
              measureNote: ranking.measureNote,
              rows: ranking.villages.map((v) => ({
                rank: v.collection.rank,
                code: v.regionCode,
                name: v.regionName,
                pctPeople: fraction(v.peopleRate),
                amountFen: v.collectedFen,
                change: v.collection.change,
                lastThree: v.collection.lastThree,
                own: v.regionCode === region,
              })),
              lastThree: ranking.villages.filter((v) => v.collection.lastThree).map((v) => v.regionName),
              stages: ranking.stages.map((s) => ({ id: s.id, label: s.label, by: s.by })),
            }
          : null,
      };
    },
  );
}
