/**
 * The back-office lists: bank withholding batches, tax discrepancies, 先缴后补 reimbursement
 * batches and refunds (request → the engine's decision with the cited clause → payment). Each list
 * is the service's own; the route checks the role, scopes by county, masks identity numbers.
 */
import { maskIdNumber, maskIdNumbersInValue } from '@canbao/core';
import { z } from 'zod';
import { inScope } from '../../access/roles.ts';
import { listRefunds, payRefund, REFUND_STATUS_LABELS, requestRefund } from '../../collection/refunds.ts';
import {
  BATCH_STATUS_LABELS,
  funderName,
  listReimbursementBatches,
} from '../../collection/reimbursements.ts';
import { listDiscrepancies } from '../../collection/tax.ts';
import { listWithholdingBatches } from '../../collection/withholding.ts';
import type { App } from '../app.ts';
import { type AppConfig, change, checkScope, collectionContext, needs, userOf } from '../context.ts';
import { notFound } from '../errors.ts';

/** A withholding batch waits for the bank's answer file, then is done. */
const WITHHOLDING_STATUS_LABELS = { exported: '待银行回盘', completed: '已回盘' } as const;

export async function financeRoutes(app: App, config: AppConfig) {
  app.get(
    '/api/withholding/batches',
    { preValidation: needs('withholding.manage'), schema: { summary: '银行代扣批次', tags: ['银行代扣'] } },
    async (request) =>
      maskIdNumbersInValue(await listWithholdingBatches(collectionContext(config, userOf(request)))).map(
        (b) => ({
          ...b,
          statusLabel: WITHHOLDING_STATUS_LABELS[b.status],
        }),
      ),
  );

  app.get(
    '/api/tax/discrepancies',
    { preValidation: needs('tax.manage'), schema: { summary: '税务确认差异清单', tags: ['税务确认'] } },
    async (request) =>
      maskIdNumbersInValue(await listDiscrepancies(collectionContext(config, userOf(request)))),
  );

  app.get(
    '/api/reimbursements',
    { preValidation: needs('subsidies.manage'), schema: { summary: '先缴后补批次', tags: ['资助结算'] } },
    async (request) =>
      (await listReimbursementBatches(collectionContext(config, userOf(request)))).map((b) => ({
        ...b,
        funderName: funderName(b.funder),
        statusLabel: BATCH_STATUS_LABELS[b.status],
      })),
  );

  app.get(
    '/api/refunds',
    { preValidation: needs('refunds.request'), schema: { summary: '退费申请', tags: ['退费'] } },
    async (request) => {
      const user = userOf(request);
      const rows = await listRefunds(collectionContext(config, user));
      const enrollments = rows.length
        ? await config.db
            .selectFrom('enrollments')
            .select(['id', 'village_code'])
            .where(
              'id',
              'in',
              rows.map((r) => r.enrollment_id),
            )
            .execute()
        : [];
      const village = new Map(enrollments.map((e) => [e.id, e.village_code]));
      return rows
        .filter((r) => inScope(user.region_code, village.get(r.enrollment_id)))
        .map(({ doc_number, ...r }) => ({
          ...r,
          idNumberMasked: maskIdNumber(doc_number),
          statusLabel: REFUND_STATUS_LABELS[r.status],
        }));
    },
  );

  app.post(
    '/api/refunds',
    {
      preValidation: needs('refunds.request'),
      schema: {
        summary: '提出退费申请：按政策退费规则判定并注明条款',
        tags: ['退费'],
        body: z.object({
          enrollmentId: z.number().int().positive(),
          reason: z.string().min(1),
          requestedOn: z.iso.date().optional(),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const enrollment = await config.db
        .selectFrom('enrollments')
        .select(['id', 'village_code'])
        .where('county_code', '=', user.county_code)
        .where('id', '=', request.body.enrollmentId)
        .executeTakeFirst();
      if (!enrollment) throw notFound('参保记录');
      checkScope(user, enrollment.village_code, '参保记录');
      const body = request.body;
      return change(config, request, async (ctx) => {
        const outcome = await requestRefund(ctx, {
          enrollmentId: body.enrollmentId,
          reason: body.reason as Parameters<typeof requestRefund>[1]['reason'],
          requestedOn: body.requestedOn,
        });
        const result = {
          id: outcome.refund.id,
          status: outcome.refund.status,
          statusLabel: REFUND_STATUS_LABELS[outcome.refund.status],
          decision: outcome.decision.decision,
          approved: outcome.decision.decision === 'approve',
          clause: outcome.decision.rule.cite,
          amountFen: outcome.refund.amount_fen,
          message: outcome.message,
        };
        return {
          result,
          audit: {
            action: 'refund_request',
            objectType: 'refund',
            objectId: outcome.refund.id,
            regionCode: enrollment.village_code,
            after: result,
          },
        };
      });
    },
  );

  app.post(
    '/api/refunds/:id/pay',
    {
      preValidation: needs('refunds.decide'),
      schema: {
        summary: '支付已批准的退费',
        tags: ['退费'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        body: z.object({ reference: z.string().optional() }).optional(),
      },
    },
    async (request) => {
      const id = request.params.id;
      return change(config, request, async (ctx) => {
        const before = await ctx.db
          .selectFrom('refunds')
          .selectAll()
          .where('county_code', '=', ctx.countyCode)
          .where('id', '=', id)
          .executeTakeFirst();
        if (!before) throw notFound('退费申请');
        const paid = await payRefund(ctx, id, { reference: request.body?.reference ?? null });
        return {
          result: paid,
          audit: { action: 'refund_pay', objectType: 'refund', objectId: id, before, after: paid },
        };
      });
    },
  );
}
