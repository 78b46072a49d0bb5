/**
 * Resident self-service (no account): name + ID number → status, amount due and benefit dates;
 * a checkout paid through the payment gateway; the gateway's signed callback; and the local
 * gateway simulator that stands in for the real gateway. Rate-limited strictly: the look-up must
 * not become a way to test ID numbers.
 */
import { maskIdNumber } from '@canbao/core';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { writeAudit } from '../../access/audit.ts';
import { campaignCounties, findCampaign } from '../../collection/campaign.ts';
import type { CollectionContext } from '../../collection/context.ts';
import { personByDocument } from '../../collection/enrollments.ts';
import {
  checkoutFor,
  GatewaySimulator,
  handleGatewayCallback,
  startCheckout,
} from '../../collection/gateway.ts';
import { inUnitOfWork } from '../../db/unit-of-work.ts';
import type { App } from '../app.ts';
import { type AppConfig, businessInstant } from '../context.ts';
import { AppError } from '../errors.ts';
import { statusLabel, whyReason } from './people.ts';

const Resident = z.object({
  name: z.string().trim().min(1, '请填写姓名'),
  idNumber: z.string().trim().min(15, '请填写完整的证件号码').max(32),
  county: z
    .string()
    .regex(/^\d{6}$/)
    .optional(),
});

const NOT_FOUND = '未查到与该姓名和证件号码相符的参保登记';

async function countyOf(config: AppConfig, asked: string | undefined): Promise<string> {
  const counties = await campaignCounties(config.db);
  if (asked) {
    if (!counties.includes(asked)) throw new AppError(404, 'not_found', '该地区尚未开展征缴');
    return asked;
  }
  if (counties.length !== 1) throw new AppError(400, 'county_required', '请选择参保地区');
  return counties[0] as string;
}

function residentContext(config: AppConfig, countyCode: string, db = config.db): CollectionContext {
  return { db, countyCode, actor: 'resident', today: config.clock.today(), now: config.clock.now() };
}

const systemActor = (request: FastifyRequest, countyCode: string, name: string) => ({
  userId: null,
  name,
  role: 'system',
  countyCode,
  ip: request.ip,
});

export async function residentRoutes(app: App, config: AppConfig) {
  const strict = { rateLimit: { max: config.strictRateLimitPerMinute ?? 20, timeWindow: '1 minute' } };

  app.post(
    '/api/resident/lookup',
    { config: strict, schema: { summary: '居民查询参保状态与应缴金额', tags: ['居民自助'], body: Resident } },
    async (request) => {
      const countyCode = await countyOf(config, request.body.county);
      const ctx = residentContext(config, countyCode);
      const person = await personByDocument(config.db, countyCode, request.body.idNumber).catch(() => null);
      // The same answer for an unknown number and a wrong name: the page must not confirm names.
      if (!person || person.name !== request.body.name.trim())
        throw new AppError(404, 'not_found', NOT_FOUND);
      const { campaign, policy } = await findCampaign(config.db, countyCode);
      const enrollment = await config.db
        .selectFrom('enrollments')
        .selectAll()
        .where('county_code', '=', countyCode)
        .where('person_id', '=', person.id)
        .where('benefit_year', '=', campaign.benefit_year)
        .executeTakeFirst();
      // The household's dues for the person already found (read once, not again by name and number).
      const checkout = await checkoutFor(ctx, { merchantKey: config.gatewayKey }, person);
      // Each member's why and cover dates: a resident asks both for the whole household.
      const householdEnrollments = await config.db
        .selectFrom('people')
        .leftJoin('enrollments', (join) =>
          join
            .onRef('enrollments.person_id', '=', 'people.id')
            .on('enrollments.benefit_year', '=', campaign.benefit_year),
        )
        .select(['enrollments.why', 'enrollments.benefit_start', 'enrollments.benefit_end'])
        .where('people.county_code', '=', countyCode)
        .where((eb) =>
          person.household_id === null
            ? eb('people.id', '=', person.id)
            : eb('people.household_id', '=', person.household_id),
        )
        .orderBy('people.id')
        .execute();
      return {
        name: person.name,
        idNumberMasked: maskIdNumber(person.doc_number),
        benefitYear: campaign.benefit_year,
        status: enrollment?.status ?? 'not_enrolled',
        statusLabel: statusLabel(enrollment?.status ?? 'not_enrolled'),
        paysFen: enrollment?.pays_fen ?? 0,
        benefitStart: enrollment?.benefit_start ?? null,
        benefitEnd: enrollment?.benefit_end ?? null,
        why: enrollment?.why ?? null,
        reason: whyReason(policy, enrollment?.why),
        household: checkout.members.map((m, i) => {
          // checkoutFor lists the household's people by id, as this query does.
          const e = householdEnrollments[i];
          return {
            name: m.name,
            idNumberMasked: m.docNumber,
            status: m.status,
            statusLabel: statusLabel(m.status),
            paysFen: m.paysFen,
            reason: whyReason(policy, e?.why),
            benefitStart: e?.benefit_start ?? null,
            benefitEnd: e?.benefit_end ?? null,
          };
        }),
        totalDueFen: checkout.amountFen,
        canPay: checkout.amountFen > 0,
      };
    },
  );

  app.post(
    '/api/resident/checkout',
    { config: strict, schema: { summary: '生成缴费单（全户应缴合计）', tags: ['居民自助'], body: Resident } },
    async (request) => {
      const countyCode = await countyOf(config, request.body.county);
      const checkout = await startCheckout(
        residentContext(config, countyCode),
        { merchantKey: config.gatewayKey },
        {
          name: request.body.name,
          docNumber: request.body.idNumber,
        },
      );
      if (checkout.amountFen <= 0) throw new AppError(409, 'nothing_due', '没有需要缴纳的金额');
      return {
        checkoutId: checkout.token,
        amountFen: checkout.amountFen,
        members: checkout.members.map((m) => ({ ...m, statusLabel: statusLabel(m.status) })),
        payUrl: `/resident/pay/${checkout.token}`,
      };
    },
  );

  const Callback = z.object({
    gatewayTxnId: z.string().min(1),
    token: z.string().min(1),
    amountFen: z.number().int().positive(),
    paidAt: z.string().min(1),
    signature: z.string().min(1),
  });

  const acceptCallback = async (request: FastifyRequest, callback: z.infer<typeof Callback>) => {
    // The county is read from the token here only to pick the books; the service verifies the
    // token's signature (county included) before anything is recorded.
    let county = '';
    try {
      county =
        JSON.parse(Buffer.from(callback.token.split('.')[0] ?? '', 'base64url').toString('utf8')).county ??
        '';
    } catch {
      throw new AppError(400, 'bad_token', '缴费单无效');
    }
    if (!/^\d{6}$/.test(county)) throw new AppError(400, 'bad_token', '缴费单无效');
    return inUnitOfWork(config.db, async (db, trx) => {
      const ctx = { ...residentContext(config, county, db), actor: 'gateway' };
      const paid = await handleGatewayCallback(ctx, { merchantKey: config.gatewayKey }, callback);
      await writeAudit(
        trx,
        systemActor(request, county, 'gateway'),
        {
          action: paid.replayed ? 'gateway_callback_replayed' : 'gateway_callback',
          objectType: 'payment_order',
          objectId: paid.orderId,
          after: { gatewayTxnId: callback.gatewayTxnId, amountFen: paid.amountFen },
        },
        ctx.now,
      );
      return paid;
    });
  };

  app.post(
    '/api/gateway/callback',
    { schema: { summary: '支付网关回调（HMAC 签名，幂等）', tags: ['居民自助'], body: Callback } },
    async (request) => {
      const paid = await acceptCallback(request, request.body);
      return { orderId: paid.orderId, replayed: paid.replayed, amountFen: paid.amountFen };
    },
  );

  app.post(
    '/api/gateway/simulator/pay',
    {
      config: strict,
      schema: {
        summary: '支付网关模拟器：模拟支付成功并回调（仅用于演示和测试）',
        tags: ['居民自助'],
        body: z.object({ checkoutId: z.string().min(1) }),
      },
    },
    async (request) => {
      // Beside a real gateway the simulator would sign a payment nobody made with its key.
      if (!config.gatewaySimulator) throw new AppError(404, 'not_found', '没有这个地址');
      const [text = ''] = request.body.checkoutId.split('.');
      let amountFen = 0;
      try {
        amountFen = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')).amountFen;
      } catch {
        throw new AppError(400, 'bad_token', '缴费单无效');
      }
      const simulator = new GatewaySimulator({ merchantKey: config.gatewayKey });
      const callback = simulator.pay(
        { token: request.body.checkoutId, amountFen },
        businessInstant(config.clock),
      );
      const paid = await acceptCallback(request, callback);
      return {
        status: 'paid',
        gatewayTxnId: callback.gatewayTxnId,
        orderId: paid.orderId,
        amountFen: paid.amountFen,
        lines: paid.lines.map((l) => ({
          name: l.name,
          amountFen: l.amountFen,
          benefitStart: l.benefitStart,
          benefitEnd: l.benefitEnd,
        })),
      };
    },
  );
}
