/**
 * People and households: search within the user's region, a person's whole record, the full
 * identity number on request (audited), the explanation of their amount, newborns and household
 * verification visits. Identity numbers are masked in every answer except the audited reveal.
 */
import {
  explainWhy,
  type Fen,
  formatYuan,
  groupLabel,
  isGroupCode,
  maskIdNumber,
  type Policy,
} from '@canbao/core';
import { z } from 'zod';
import { findCampaign } from '../../collection/campaign.ts';
import { CHANNELS } from '../../collection/channels.ts';
import {
  enrollmentHistory,
  explainEnrollment,
  STATUS_LABELS,
  villageOf,
} from '../../collection/enrollments.ts';
import { registerAndEnroll } from '../../collection/registration.ts';
import type { Person, User } from '../../db/schema.ts';
import { regionNames } from '../../registry/regions.ts';
import type { App } from '../app.ts';
import { type AppConfig, change, checkScope, needs, userOf } from '../context.ts';
import { notFound } from '../errors.ts';

const Id = z.object({ id: z.coerce.number().int().positive() });

export const statusLabel = (status: string) =>
  STATUS_LABELS[status as keyof typeof STATUS_LABELS] ?? '未参保';
export const groupName = (code: string) => (isGroupCode(code) ? groupLabel(code) : code);

/**
 * Why a member pays what they pay, in one Chinese line with its clause, from the stored why code:
 * the subsidy rule that applied, else the plain standard. The code itself is for developers, and a
 * clerk at the door or a resident on the phone needs the answer ("低保对象定额资助280元…").
 */
export function whyReason(policy: Policy, why: string | null | undefined): string | null {
  if (!why) return null;
  let assessment: ReturnType<typeof explainWhy>;
  try {
    assessment = explainWhy(policy, why);
  } catch {
    // A code of an older policy text: the person page's 测算依据 still explains it in full.
    return null;
  }
  if (!assessment.eligible) return assessment.reasons?.map((r) => r.text).join('；') || null;
  const subsidy = assessment.rules.find(
    (r) => r.id.startsWith('subsidy:') && r.id !== 'subsidy:combine-highest',
  );
  if (subsidy) return `${subsidy.text}。依据：${subsidy.cite}`;
  const standard = assessment.rules.find((r) => r.id === 'standard');
  return `不属于资助人群，按个人缴费标准 ${formatYuan(assessment.standard as Fen)} 元${standard ? `。依据：${standard.cite}` : ''}`;
}

/** A person in the caller's county and region, or 404 (another region's person does not exist for them). */
export async function scopedPerson(
  config: AppConfig,
  user: User,
  personId: number,
): Promise<{ person: Person; village: string | null }> {
  const person = await config.db
    .selectFrom('people')
    .selectAll()
    .where('county_code', '=', user.county_code)
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!person) throw notFound('人员');
  const village = await villageOf(config.db, person);
  checkScope(user, village, '人员');
  return { person, village };
}

const PersonRow = z.object({
  id: z.number(),
  name: z.string(),
  idNumberMasked: z.string(),
  sex: z.string().nullable(),
  birthDate: z.string().nullable(),
  householdId: z.number().nullable(),
  householdNumber: z.string().nullable(),
  villageCode: z.string().nullable(),
  villageName: z.string().nullable(),
  groups: z.array(z.object({ code: z.string(), label: z.string() })),
  enrollment: z
    .object({ id: z.number(), status: z.string(), statusLabel: z.string(), paysFen: z.number() })
    .nullable(),
});

export async function peopleRoutes(app: App, config: AppConfig) {
  app.get(
    '/api/people',
    {
      preValidation: needs('people.read'),
      schema: {
        summary: '查询人员（姓名、证件号码或其末几位、户号；可只列待缴费或已缴费的人）',
        tags: ['人员'],
        querystring: z.object({
          q: z.string().trim().optional(),
          village: z.string().optional(),
          /** unpaid: still to pay this year (登记、待缴费); paid: paid or confirmed. */
          status: z.enum(['unpaid', 'paid']).optional(),
          page: z.coerce.number().int().min(1).default(1),
          pageSize: z.coerce.number().int().min(1).max(200).default(20),
        }),
        response: { 200: z.object({ total: z.number(), items: z.array(PersonRow) }) },
      },
    },
    async (request) => {
      const user = userOf(request);
      const { q, village, status, page, pageSize } = request.query;
      let query = config.db
        .selectFrom('people')
        .leftJoin('households', 'households.id', 'people.household_id')
        .where('people.county_code', '=', user.county_code);
      const scope = village?.startsWith(user.region_code) ? village : user.region_code;
      if (scope.length > 6) query = query.where('households.village_code', 'like', `${scope}%`);
      if (q) {
        const upper = q.toUpperCase();
        query = query.where((eb) =>
          /^[\dX]{4,18}$/.test(upper)
            ? upper.length === 18
              ? eb('people.doc_number', '=', upper)
              : eb.or([eb('people.doc_number', 'like', `%${upper}`), eb('households.number', '=', q)])
            : eb.or([eb('people.name', 'like', `${q}%`), eb('households.number', '=', q)]),
        );
      }
      if (status) {
        // The clerk walking door to door wants those who still owe this year, not 18 pages of everyone.
        const year = await latestYear(config, user.county_code);
        const states = status === 'unpaid' ? UNPAID : PAID;
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('enrollments')
              .select('enrollments.id')
              .whereRef('enrollments.person_id', '=', 'people.id')
              .where('enrollments.benefit_year', '=', year ?? -1)
              .where('enrollments.status', 'in', states),
          ),
        );
      }
      const total = Number(
        (await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      );
      const rows = await query
        .select([
          'people.id',
          'people.name',
          'people.doc_number',
          'people.sex',
          'people.birth_date',
          'people.household_id',
          'people.hukou_region_code',
          'households.number as household_number',
          'households.village_code',
        ])
        .orderBy('households.village_code')
        .orderBy('people.household_id')
        .orderBy('people.id')
        .limit(pageSize)
        .offset((page - 1) * pageSize)
        .execute();
      const ids = rows.map((r) => r.id);
      const [groups, enrollments] = ids.length
        ? await Promise.all([
            config.db
              .selectFrom('person_groups')
              .select(['person_id', 'group_code'])
              .where('person_id', 'in', ids)
              .where('valid_to', 'is', null)
              .execute(),
            currentEnrollments(config, user.county_code, ids),
          ])
        : [[], new Map()];
      const names = await regionNames(
        config.db,
        rows.map((r) => r.village_code),
      );
      return {
        total,
        items: rows.map((r) => {
          const e = enrollments.get(r.id);
          return {
            id: r.id,
            name: r.name,
            idNumberMasked: maskIdNumber(r.doc_number),
            sex: r.sex,
            birthDate: r.birth_date,
            householdId: r.household_id,
            householdNumber: r.household_number,
            villageCode: r.village_code,
            villageName: r.village_code ? (names.get(r.village_code) ?? null) : null,
            groups: groups
              .filter((g) => g.person_id === r.id)
              .map((g) => ({ code: g.group_code, label: groupName(g.group_code) })),
            enrollment: e
              ? { id: e.id, status: e.status, statusLabel: statusLabel(e.status), paysFen: e.pays_fen }
              : null,
          };
        }),
      };
    },
  );

  app.get(
    '/api/people/:id',
    {
      preValidation: needs('people.read'),
      schema: { summary: '人员详情：资助身份、参保记录与历史、缴费', tags: ['人员'], params: Id },
    },
    async (request) => {
      const user = userOf(request);
      const { person, village } = await scopedPerson(config, user, request.params.id);
      const household = person.household_id
        ? await config.db
            .selectFrom('households')
            .selectAll()
            .where('id', '=', person.household_id)
            .executeTakeFirst()
        : undefined;
      const names = await regionNames(config.db, [village]);
      const groups = await config.db
        .selectFrom('person_groups')
        .selectAll()
        .where('person_id', '=', person.id)
        .orderBy('valid_from')
        .execute();
      const enrollments = await config.db
        .selectFrom('enrollments')
        .selectAll()
        .where('county_code', '=', user.county_code)
        .where('person_id', '=', person.id)
        .orderBy('benefit_year', 'desc')
        .execute();
      const payments = await config.db
        .selectFrom('payments')
        .innerJoin('payment_orders', 'payment_orders.id', 'payments.order_id')
        .select([
          'payments.id',
          'payments.order_id',
          'payments.amount_fen',
          'payments.paid_on',
          'payment_orders.channel',
          'payment_orders.channel_txn_id',
          'payment_orders.receipt_no',
        ])
        .where('payments.enrollment_id', 'in', enrollments.length ? enrollments.map((e) => e.id) : [0])
        .orderBy('payments.id')
        .execute();
      const histories = await Promise.all(
        enrollments.map((e) => enrollmentHistory(config.db, user.county_code, e.id)),
      );
      const actorNames = await actorDisplayNames(
        config,
        histories.flatMap((h) => h.map((ev) => ev.actor)),
      );
      return {
        person: {
          id: person.id,
          name: person.name,
          idNumberMasked: maskIdNumber(person.doc_number),
          sex: person.sex,
          birthDate: person.birth_date,
          phone: person.phone ? person.phone.replace(/^(\d{3})\d{4}(\d{4})$/, '$1****$2') : null,
          address: person.address,
          isStudent: person.is_student === 1,
          householdId: person.household_id,
          householdNumber: household?.number ?? null,
          villageCode: village,
          villageName: village ? (names.get(village) ?? null) : null,
        },
        groups: groups.map((g) => ({
          code: g.group_code,
          label: groupName(g.group_code),
          department: g.department,
          validFrom: g.valid_from,
          validTo: g.valid_to,
        })),
        enrollments: enrollments.map((e, i) => ({
          id: e.id,
          benefitYear: e.benefit_year,
          status: e.status,
          statusLabel: statusLabel(e.status),
          paysFen: e.pays_fen,
          subsidyFen: e.subsidy_fen,
          paidFen: e.paid_fen,
          benefitStart: e.benefit_start,
          benefitEnd: e.benefit_end,
          why: e.why,
          events: (histories[i] ?? []).map((ev) => ({
            at: ev.at,
            actor: ev.actor,
            actorName: ev.actor ? (actorNames.get(ev.actor) ?? ev.actor) : null,
            event: ev.event,
            fromStatus: ev.from_status,
            toStatus: ev.to_status,
            reason: ev.reason,
          })),
        })),
        payments: payments.map((p) => ({
          id: p.id,
          orderId: p.order_id,
          channel: p.channel,
          channelLabel: CHANNELS[p.channel]?.label ?? p.channel,
          amountFen: p.amount_fen,
          paidOn: p.paid_on,
          receiptNo: p.receipt_no,
          txnId: p.channel_txn_id,
        })),
      };
    },
  );

  app.post(
    '/api/people/:id/reveal',
    {
      preValidation: needs('id.reveal'),
      schema: {
        summary: '查看完整证件号码（记入操作日志）',
        tags: ['人员'],
        params: Id,
        response: { 200: z.object({ idNumber: z.string() }) },
      },
    },
    async (request) => {
      const user = userOf(request);
      const { person, village } = await scopedPerson(config, user, request.params.id);
      return change(config, request, async () => ({
        result: { idNumber: person.doc_number },
        audit: { action: 'reveal_id_number', objectType: 'person', objectId: person.id, regionCode: village },
      }));
    },
  );

  app.get(
    '/api/people/:id/explain',
    {
      preValidation: needs('people.read'),
      schema: {
        summary: '测算依据：本人金额与待遇日期所依据的条款',
        tags: ['人员'],
        params: Id,
        querystring: z.object({ year: z.coerce.number().int().optional() }),
        response: {
          200: z.object({
            benefitYear: z.number(),
            lines: z.array(z.string()),
            rules: z.array(
              z.object({ id: z.string(), cite: z.string(), text: z.string(), quote: z.string() }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const user = userOf(request);
      const { person } = await scopedPerson(config, user, request.params.id);
      const { campaign, policy } = await findCampaign(config.db, user.county_code, request.query.year);
      const enrollment = await config.db
        .selectFrom('enrollments')
        .selectAll()
        .where('county_code', '=', user.county_code)
        .where('person_id', '=', person.id)
        .where('benefit_year', '=', campaign.benefit_year)
        .executeTakeFirst();
      if (!enrollment) throw notFound(`${campaign.benefit_year} 年度参保记录`);
      const assessment = explainEnrollment(policy, enrollment);
      return {
        benefitYear: campaign.benefit_year,
        lines: assessment.rules.map((r) => `${r.text}（依据：${r.cite}）`),
        rules: assessment.rules.map((r) => ({ id: r.id, cite: r.cite, text: r.text, quote: r.quote })),
      };
    },
  );

  app.post(
    '/api/households/:id/newborns',
    {
      preValidation: needs('people.write'),
      schema: {
        summary: '新生儿登记并参保',
        tags: ['人员'],
        params: Id,
        body: z.object({
          name: z.string().trim().min(1, '请填写姓名'),
          idNumber: z.string().trim().min(1, '请填写证件号码'),
          sex: z.string().optional(),
          relation: z.string().optional(),
          coverageYear: z.number().int().optional(),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const household = await scopedHousehold(config, user, request.params.id);
      const body = request.body;
      return change(config, request, async (ctx) => {
        const done = await registerAndEnroll(ctx, {
          name: body.name,
          docNumber: body.idNumber,
          sex: body.sex,
          village: household.village_code ?? undefined,
          householdNumber: household.number,
          memberOf: household.id,
          relation: body.relation ?? '子女',
          newborn: true,
          coverageYear: body.coverageYear ?? null,
        });
        const result = {
          personId: done.person.id,
          enrollmentId: done.enrollment.id,
          status: done.enrollment.status,
          statusLabel: statusLabel(done.enrollment.status),
          paysFen: done.enrollment.pays_fen,
          benefitStart: done.enrollment.benefit_start,
          benefitEnd: done.enrollment.benefit_end,
        };
        return {
          result,
          audit: {
            action: 'register_newborn',
            objectType: 'person',
            objectId: done.person.id,
            regionCode: household.village_code,
            after: { name: body.name, idNumber: body.idNumber, householdId: household.id, ...result },
          },
        };
      });
    },
  );

  app.post(
    '/api/households/:id/verifications',
    {
      preValidation: needs('people.write'),
      schema: {
        summary: '记录入户核实（是否参保、是否代扣、涉及成员）',
        tags: ['人员'],
        params: Id,
        body: z.object({
          decision: z.enum(['enroll', 'decline']),
          withhold: z.boolean(),
          members: z.array(z.number().int()).optional(),
          note: z.string().max(500).optional(),
        }),
        response: { 200: z.object({ id: z.number() }) },
      },
    },
    async (request) => {
      const user = userOf(request);
      const household = await scopedHousehold(config, user, request.params.id);
      const body = request.body;
      return change(config, request, async (ctx) => {
        const { campaign } = await findCampaign(ctx.db, ctx.countyCode);
        const memberIds = (
          await ctx.db.selectFrom('people').select('id').where('household_id', '=', household.id).execute()
        ).map((p) => p.id);
        const members = body.members ?? memberIds;
        const stranger = members.find((m) => !memberIds.includes(m));
        if (stranger !== undefined) throw notFound(`户内成员 #${stranger}`);
        const row = await ctx.db
          .insertInto('household_verifications')
          .values({
            county_code: ctx.countyCode,
            household_id: household.id,
            village_code: household.village_code,
            benefit_year: campaign.benefit_year,
            decision: body.decision,
            withhold: body.withhold ? 1 : 0,
            members_json: JSON.stringify(members),
            note: body.note ?? null,
            visited_on: ctx.today,
            recorded_by: ctx.actor,
            created_at: ctx.now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return {
          result: { id: row.id },
          audit: {
            action: 'record_verification',
            objectType: 'household',
            objectId: household.id,
            regionCode: household.village_code,
            after: { decision: body.decision, withhold: body.withhold, members, note: body.note ?? null },
          },
        };
      });
    },
  );
}

/** A household in the caller's county and region, or 404. */
export async function scopedHousehold(config: AppConfig, user: User, householdId: number) {
  const household = await config.db
    .selectFrom('households')
    .selectAll()
    .where('county_code', '=', user.county_code)
    .where('id', '=', householdId)
    .executeTakeFirst();
  if (!household) throw notFound('家庭');
  checkScope(user, household.village_code, '家庭');
  return household;
}

/** Each person's enrollment in the latest campaign year. */
/** Actors that are not users: the services name them in English. */
const SYSTEM_ACTORS: Record<string, string> = { resident: '居民自助缴费', gateway: '支付网关' };

/**
 * The names a clerk reads in a history ("蕲县村 代收员 刘会计", not "cun01"): users by their display
 * name, the services' own actors in Chinese; anything else stays as recorded.
 */
async function actorDisplayNames(config: AppConfig, actors: readonly (string | null)[]) {
  const names = new Map(Object.entries(SYSTEM_ACTORS));
  const usernames = [...new Set(actors.filter((a): a is string => !!a && !names.has(a)))];
  if (usernames.length === 0) return names;
  const users = await config.db
    .selectFrom('users')
    .select(['username', 'display_name'])
    .where('username', 'in', usernames)
    .execute();
  for (const u of users) names.set(u.username, u.display_name);
  return names;
}

const UNPAID = ['registered', 'awaiting_payment'] as const;
const PAID = ['paid', 'confirmed'] as const;

/** The latest campaign year of the county, or null before any campaign. */
async function latestYear(config: AppConfig, countyCode: string): Promise<number | null> {
  const year = await config.db
    .selectFrom('campaigns')
    .select((eb) => eb.fn.max('benefit_year').as('year'))
    .where('county_code', '=', countyCode)
    .executeTakeFirst();
  return year?.year ? Number(year.year) : null;
}

async function currentEnrollments(config: AppConfig, countyCode: string, personIds: number[]) {
  const year = await latestYear(config, countyCode);
  if (year === null) return new Map();
  const rows = await config.db
    .selectFrom('enrollments')
    .select(['id', 'person_id', 'status', 'pays_fen'])
    .where('county_code', '=', countyCode)
    .where('benefit_year', '=', year)
    .where('person_id', 'in', personIds)
    .execute();
  return new Map(rows.map((r) => [r.person_id, r]));
}
