/**
 * The village collector's cash page: a household's members with what each owes, recording the cash
 * for them as one order (整户缴费 where the policy asks for it — the service enforces it), and the
 * printable receipt.
 */
import { type Fen, formatYuan, maskIdNumber } from '@canbao/core';
import Nzh from 'nzh';
import { z } from 'zod';
import { findCampaign } from '../../collection/campaign.ts';
import {
  collectorBalance,
  householdDue,
  recordPayment,
  recordRemittance,
} from '../../collection/payments.ts';
import { regionNames } from '../../registry/regions.ts';
import type { App } from '../app.ts';
import { type AppConfig, change, checkScope, collectionContext, needs, userOf } from '../context.ts';
import { AppError, notFound } from '../errors.ts';
import { scopedHousehold, statusLabel, whyReason } from './people.ts';

const Id = z.object({ id: z.coerce.number().int().positive() });

/** 人民币大写 for a receipt, from the decimal text (never through a float). */
export function amountInWords(amountFen: number): string {
  const words = Nzh.cn.toMoney(formatYuan(amountFen as Fen), { outSymbol: false });
  return amountFen % 100 === 0 ? `${words}整` : words;
}

export async function collectionRoutes(app: App, config: AppConfig) {
  app.get(
    '/api/households/:id/due',
    {
      preValidation: needs('people.read'),
      schema: { summary: '家庭成员本年度应缴金额', tags: ['收缴'], params: Id },
    },
    async (request) => {
      const user = userOf(request);
      const household = await scopedHousehold(config, user, request.params.id);
      const ctx = collectionContext(config, user);
      const anyone = await config.db
        .selectFrom('people')
        .selectAll()
        .where('household_id', '=', household.id)
        .orderBy('id')
        .executeTakeFirst();
      if (!anyone) throw notFound('家庭成员');
      const { campaign, policy } = await findCampaign(config.db, user.county_code);
      const due = await householdDue(ctx, anyone, campaign.benefit_year);
      const names = await regionNames(config.db, [household.village_code]);
      return {
        householdId: household.id,
        householdNumber: household.number,
        villageCode: household.village_code,
        villageName: household.village_code ? (names.get(household.village_code) ?? null) : null,
        benefitYear: campaign.benefit_year,
        members: due.members.map((m) => ({
          enrollmentId: m.enrollmentId || null,
          personId: m.personId,
          name: m.name,
          idNumberMasked: maskIdNumber(m.docNumber),
          status: m.status,
          statusLabel: statusLabel(m.status),
          paysFen: m.paysFen,
          why: m.why,
          reason: whyReason(policy, m.why),
        })),
        totalDueFen: due.totalDueFen,
      };
    },
  );

  app.post(
    '/api/households/:id/cash-payments',
    {
      preValidation: needs('collection.cash'),
      schema: {
        summary: '现金代收：为家庭成员记录缴费（收据号即渠道流水号，重复提交不会重复收费）',
        tags: ['收缴'],
        params: Id,
        body: z.object({
          enrollmentIds: z.array(z.number().int().positive()).min(1, '请选择缴费人员'),
          amountFen: z.number().int().positive('金额必须大于 0'),
          receiptNo: z.string().trim().min(1, '请填写收据号').max(64),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const household = await scopedHousehold(config, user, request.params.id);
      const body = request.body;
      // The enrollments must be this household's: a collector cannot pay for strangers through it.
      const rows = await config.db
        .selectFrom('enrollments')
        .select(['id', 'household_id', 'village_code'])
        .where('county_code', '=', user.county_code)
        .where('id', 'in', body.enrollmentIds)
        .execute();
      for (const id of body.enrollmentIds) {
        const row = rows.find((r) => r.id === id);
        if (!row || row.household_id !== household.id) throw notFound(`本户参保记录 #${id}`);
      }
      // Receipt numbers are one key for the whole county: another collector's receipt is refused
      // without its date and amount (the service's conflict names them, for the collector's own).
      const taken = await config.db
        .selectFrom('payment_orders')
        .select('collector')
        .where('county_code', '=', user.county_code)
        .where('channel', '=', 'cash_collection')
        .where('channel_txn_id', '=', body.receiptNo)
        .executeTakeFirst();
      if (taken && taken.collector !== user.username) {
        throw new AppError(409, 'payment_conflict', `收据号 ${body.receiptNo} 已被使用，请核对收据号`);
      }
      return change(config, request, async (ctx) => {
        const paid = await recordPayment(ctx, {
          channel: 'cash_collection',
          txnId: body.receiptNo,
          enrollmentIds: body.enrollmentIds,
          amountFen: body.amountFen,
          paidOn: ctx.today,
          collector: user.username,
          receiptNo: body.receiptNo,
        });
        const result = {
          orderId: paid.orderId,
          amountFen: paid.amountFen,
          replayed: paid.replayed,
          lines: paid.lines.map((l) => ({
            enrollmentId: l.enrollmentId,
            name: l.name,
            amountFen: l.amountFen,
            benefitStart: l.benefitStart,
            benefitEnd: l.benefitEnd,
          })),
        };
        return {
          result,
          audit: {
            action: paid.replayed ? 'cash_payment_replayed' : 'cash_payment',
            objectType: 'payment_order',
            objectId: paid.orderId,
            regionCode: household.village_code,
            after: { householdId: household.id, receiptNo: body.receiptNo, ...result },
          },
        };
      });
    },
  );

  app.get(
    '/api/collector/cash',
    {
      preValidation: needs('collection.cash'),
      schema: {
        summary: '本人代收现金：今日代收、手中待解缴金额（应交待报解账户）和解缴记录',
        tags: ['收缴'],
      },
    },
    async (request) => {
      const user = userOf(request);
      const ctx = collectionContext(config, user);
      const today = await config.db
        .selectFrom('payment_orders')
        .select((eb) => [eb.fn.countAll<number>().as('orders'), eb.fn.sum<number>('amount_fen').as('amount')])
        .where('county_code', '=', user.county_code)
        .where('channel', '=', 'cash_collection')
        .where('collector', '=', user.username)
        .where('paid_on', '=', ctx.today)
        .executeTakeFirstOrThrow();
      const remittances = await config.db
        .selectFrom('remittances')
        .select(['slip_no', 'amount_fen', 'remitted_on'])
        .where('county_code', '=', user.county_code)
        .where('collector', '=', user.username)
        .orderBy('id', 'desc')
        .limit(50)
        .execute();
      return {
        collector: user.username,
        today: ctx.today,
        ordersToday: Number(today.orders),
        collectedTodayFen: Number(today.amount ?? 0),
        heldFen: await collectorBalance(ctx, user.username),
        remittances: remittances.map((r) => ({
          slipNo: r.slip_no,
          amountFen: r.amount_fen,
          remittedOn: r.remitted_on,
        })),
      };
    },
  );

  app.post(
    '/api/collector/remittances',
    {
      preValidation: needs('collection.cash'),
      schema: {
        summary: '现金解缴：把手中代收现金交至待报解账户（解缴单号防重复）',
        tags: ['收缴'],
        body: z.object({
          slipNo: z.string().trim().min(1, '请填写解缴单号').max(64),
          amountFen: z.number().int().positive('金额必须大于 0'),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const body = request.body;
      return change(config, request, async (ctx) => {
        const done = await recordRemittance(ctx, {
          collector: user.username,
          slipNo: body.slipNo,
          amountFen: body.amountFen,
          remittedOn: ctx.today,
        });
        const result = {
          slipNo: done.remittance.slip_no,
          amountFen: done.remittance.amount_fen,
          remittedOn: done.remittance.remitted_on,
          replayed: done.replayed,
          heldFen: await collectorBalance(ctx, user.username),
        };
        return {
          result,
          audit: {
            action: 'cash_remittance',
            objectType: 'remittance',
            objectId: body.slipNo,
            regionCode: user.region_code,
            after: result,
          },
        };
      });
    },
  );

  app.get(
    '/api/receipts/:orderId',
    {
      preValidation: needs('people.read'),
      schema: {
        summary: '缴费收据（可打印）',
        tags: ['收缴'],
        params: z.object({ orderId: z.coerce.number().int().positive() }),
      },
    },
    async (request) => {
      const user = userOf(request);
      // The payer reads the collector's name on the paper, not her sign-in name.
      const order = await config.db
        .selectFrom('payment_orders')
        .leftJoin('users', 'users.username', 'payment_orders.collector')
        .selectAll('payment_orders')
        .select('users.display_name as collector_name')
        .where('payment_orders.county_code', '=', user.county_code)
        .where('payment_orders.id', '=', request.params.orderId)
        .executeTakeFirst();
      if (!order) throw notFound('收据');
      const lines = await config.db
        .selectFrom('payments')
        .innerJoin('people', 'people.id', 'payments.person_id')
        .innerJoin('enrollments', 'enrollments.id', 'payments.enrollment_id')
        .select([
          'people.name',
          'people.doc_number',
          'payments.amount_fen',
          'enrollments.benefit_start',
          'enrollments.benefit_end',
          'enrollments.village_code',
          'enrollments.household_id',
          'enrollments.benefit_year',
        ])
        .where('payments.order_id', '=', order.id)
        .orderBy('payments.id')
        .execute();
      const first = lines[0];
      if (!first) throw notFound('收据');
      // A receipt belongs to the village of the people it paid for.
      for (const line of lines) checkScope(user, line.village_code, '收据');
      const household = first.household_id
        ? await config.db
            .selectFrom('households')
            .select('number')
            .where('id', '=', first.household_id)
            .executeTakeFirst()
        : undefined;
      const { policy } = await findCampaign(config.db, user.county_code, first.benefit_year);
      const names = await regionNames(config.db, [user.county_code, first.village_code]);
      if (order.channel !== 'cash_collection' && !order.receipt_no) {
        throw new AppError(404, 'no_receipt', '该笔缴费不是现金代收，没有纸质收据');
      }
      return {
        orderId: order.id,
        receiptNo: order.receipt_no,
        collector: order.collector,
        collectorName: order.collector_name ?? order.collector,
        paidOn: order.paid_on,
        countyName: names.get(user.county_code) ?? user.county_code,
        villageName: first.village_code ? (names.get(first.village_code) ?? null) : null,
        householdNumber: household?.number ?? null,
        benefitYear: first.benefit_year,
        amountFen: order.amount_fen,
        amountInWords: amountInWords(order.amount_fen),
        lines: lines.map((l) => ({
          name: l.name,
          idNumberMasked: maskIdNumber(l.doc_number),
          amountFen: l.amount_fen,
          benefitStart: l.benefit_start,
          benefitEnd: l.benefit_end,
        })),
        policyTitle: policy.title,
      };
    },
  );
}
