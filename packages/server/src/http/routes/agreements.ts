/**
 * Bank withholding for village and township staff: a person's agreement card (open one, or change a
 * closed or frozen card with the reason) with the year's debit results, and the failed debits still
 * to be dealt with in the user's region. Card numbers leave the server masked, like identity numbers.
 */
import { z } from 'zod';
import { CollectionError } from '../../collection/context.ts';
import { addAgreement, changeAgreement, currentAgreement, maskCard } from '../../collection/withholding.ts';
import {
  FAILURES_MAX_PAGE,
  listWithholdingFailures,
  personWithholding,
} from '../../collection/withholding-failures.ts';
import type { App } from '../app.ts';
import { type AppConfig, change, checkScope, collectionContext, needs, userOf } from '../context.ts';
import { AppError, notFound } from '../errors.ts';
import { scopedPerson } from './people.ts';

const Id = z.object({ id: z.coerce.number().int().positive() });

const AgreementBody = z.object({
  bank: z.string().trim().min(1, '请填写开户银行'),
  cardNumber: z.string().trim().min(1, '请填写银行卡号'),
  holderName: z.string().trim().min(1, '请填写持卡人姓名'),
  holderIdNumber: z.string().trim().optional(),
  reason: z.string().trim().max(200, '原因不超过 200 字').optional(),
  /** Household members to give the same card (a household's card closed: all its members move). */
  alsoFor: z.array(z.number().int().positive()).max(30, '一次最多 30 名家庭成员').optional(),
});

const shownAgreement = (a: NonNullable<Awaited<ReturnType<typeof currentAgreement>>>) => ({
  id: a.id,
  bank: a.bank,
  cardMasked: maskCard(a.card_number),
  holderName: a.holder_name,
  validFrom: a.valid_from,
  validTo: a.valid_to,
  closeReason: a.close_reason,
});

/** The API's names of the card fields the service names in its refusals. */
const CARD_FIELDS: Readonly<Record<string, string>> = {
  bank: 'bank',
  cardNumber: 'cardNumber',
  holderName: 'holderName',
  holderDocNumber: 'holderIdNumber',
};

/** A card refusal reads like a validation error naming the field: `cardNumber：银行卡号应为…`. */
function fieldError(error: unknown): unknown {
  if (!(error instanceof CollectionError)) return error;
  if (error.code === 'bad_card') {
    const field = CARD_FIELDS[error.field ?? ''] ?? 'cardNumber';
    return new AppError(400, 'bad_card', `请求内容有误：${field}：${error.message}`);
  }
  if (error.code === 'reason_required') {
    return new AppError(400, 'reason_required', `请求内容有误：reason：${error.message}`);
  }
  return error;
}

export async function agreementRoutes(app: App, config: AppConfig) {
  app.get(
    '/api/people/:id/agreement',
    {
      preValidation: needs('people.read'),
      schema: {
        summary: '银行代扣：本人的代扣协议（卡号脱敏）、历史协议与本年度扣款结果',
        tags: ['银行代扣'],
        params: Id,
      },
    },
    async (request) => {
      const user = userOf(request);
      const { person } = await scopedPerson(config, user, request.params.id);
      return personWithholding(collectionContext(config, user), person.id);
    },
  );

  app.post(
    '/api/people/:id/agreement',
    {
      preValidation: needs('people.write'),
      schema: {
        summary: '开通银行代扣或更换银行卡（原协议终止并注明原因，新协议当日生效）',
        tags: ['银行代扣'],
        params: Id,
        body: AgreementBody,
      },
    },
    async (request) => {
      const user = userOf(request);
      const { person, village } = await scopedPerson(config, user, request.params.id);
      const body = request.body;
      const card = {
        bank: body.bank,
        cardNumber: body.cardNumber,
        holderName: body.holderName,
        holderDocNumber: body.holderIdNumber || null,
      };
      const others = [...new Set(body.alsoFor ?? [])].filter((id) => id !== person.id);
      try {
        return await change(config, request, async (ctx) => {
          /** Opens the card for one person, or changes theirs to it. */
          const apply = async (personId: number) => {
            const existing = await currentAgreement(ctx.db, ctx.countyCode, personId);
            const done = existing
              ? await changeAgreement(ctx, { ...card, personId, reason: body.reason ?? '' })
              : await addAgreement(ctx, { ...card, personId });
            const result = {
              personId,
              changed: existing !== null,
              agreement: shownAgreement(done.agreement),
              closed: done.closed ? shownAgreement(done.closed) : null,
              withholdMarked: done.withholdMarked,
              pendingBatches: done.pendingBatches,
            };
            const audit = {
              action: existing ? 'agreement_change' : 'agreement_add',
              objectType: 'person',
              objectId: personId,
              regionCode: village,
              before: result.closed,
              after: { ...result.agreement, holderIdNumber: body.holderIdNumber || null },
            };
            return { result, audit };
          };
          const main = await apply(person.id);
          // Household members only (a card shared in the household): the same village, so in scope.
          const members = others.length
            ? await ctx.db
                .selectFrom('people')
                .select(['id', 'name'])
                .where('county_code', '=', ctx.countyCode)
                .where('household_id', '=', person.household_id ?? -1)
                .where('id', 'in', others)
                .execute()
            : [];
          const stranger = others.find((id) => !members.some((m) => m.id === id));
          if (stranger !== undefined) throw notFound(`家庭成员 #${stranger}`);
          const also = [];
          for (const m of members) also.push({ name: m.name, ...(await apply(m.id)) });
          return {
            result: {
              ...main.result,
              alsoFor: also.map((a) => ({ name: a.name, ...a.result })),
            },
            audit: [main.audit, ...also.map((a) => a.audit)],
          };
        });
      } catch (error) {
        throw fieldError(error);
      }
    },
  );

  app.get(
    '/api/withholding/failures',
    {
      preValidation: needs('people.read'),
      schema: {
        summary: '代扣失败名单：本辖区最近一次扣款失败且仍未缴费的人员，附处理建议',
        tags: ['银行代扣'],
        querystring: z.object({
          region: z
            .string()
            .regex(/^\d{6}(\d{3}(\d{3})?)?$/, '区划代码应为 6、9 或 12 位数字')
            .optional(),
          year: z.coerce.number().int().optional(),
          page: z.coerce.number().int().min(1).default(1),
          pageSize: z.coerce.number().int().min(1).max(FAILURES_MAX_PAGE).default(50),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const { region = user.region_code, year, page, pageSize } = request.query;
      checkScope(user, region, '区划');
      return listWithholdingFailures(collectionContext(config, user), {
        region,
        benefitYear: year,
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
    },
  );
}
