/**
 * Failed bank debits still to be dealt with, and one person's withholding at a glance — what a
 * village or township clerk needs to follow up a bank's result file: whom to remind to top up the
 * card, whose card to change.
 *
 * A failure is still to be dealt with when it is the latest withholding item of the person's
 * enrollment for the year (a later batch has not tried again yet) and the enrollment still awaits
 * payment (nobody paid meanwhile in cash or online). The village is the person's household's, or
 * their 12-digit hukou region without a household — the same rule the person page is scoped by
 * (enrollments.villageOf), so a clerk sees in the list exactly the people she may open.
 */
import { maskIdNumber } from '@canbao/core';
import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { regionNames } from '../registry/regions.ts';
import { findCampaign } from './campaign.ts';
import type { CollectionContext } from './context.ts';
import { maskCard, RESULT_LABELS } from './withholding.ts';

/** What the clerk should do about a failure, from the bank's reason. */
export type FailureAction = 'top_up' | 'change_card' | 'check';

export const FAILURE_ADVICE: Readonly<Record<FailureAction, string>> = {
  top_up: '提醒持卡人存入足额款项，下一批次将再次扣款',
  change_card: '请为其更换银行卡（变更代扣协议）',
  check: '请与银行核实失败原因；如卡不能再用，请更换银行卡',
};

const CARD_CHANGED_ADVICE = '已更换银行卡，下一批次将从新卡扣款';

/** The reasons banks give for a card that cannot be debited again (closed, frozen, wrong). */
const CARD_UNUSABLE =
  /注销|销户|冻结|挂失|止付|作废|过期|失效|卡号|账号|户名|不存在|无效|不符|状态异常|睡眠|久悬/;
const LOW_BALANCE = /余额|不足|超限|超过限额/;

export function failureAction(reason: string | null): FailureAction {
  if (!reason) return 'check';
  if (CARD_UNUSABLE.test(reason)) return 'change_card';
  if (LOW_BALANCE.test(reason)) return 'top_up';
  return 'check';
}

/**
 * The person's village as the person page scopes it: the household's village, else a 12-digit hukou
 * region code.
 */
type PeopleAndHouseholds = { p: Database['people']; h: Database['households'] };

function villageExpression(eb: ExpressionBuilder<PeopleAndHouseholds, 'p' | 'h'>) {
  return eb.fn.coalesce(
    'h.village_code',
    eb
      .case()
      .when(eb.fn<number>('length', ['p.hukou_region_code']), '=', 12)
      .then(eb.ref('p.hukou_region_code'))
      .end(),
  );
}

export interface FailureRow {
  readonly personId: number;
  readonly name: string;
  readonly idNumberMasked: string;
  readonly villageCode: string | null;
  readonly villageName: string | null;
  readonly bank: string;
  readonly cardMasked: string;
  readonly holderName: string;
  readonly amountFen: number;
  readonly failureReason: string | null;
  readonly batchNo: string;
  readonly resultOn: string | null;
  /** The card has been changed since this debit failed: the next batch debits the new card. */
  readonly cardChanged: boolean;
  readonly action: FailureAction;
  readonly advice: string;
}

export interface FailureList {
  readonly benefitYear: number;
  readonly total: number;
  /** Failures in the whole region by what is to be done (not only the page). */
  readonly byAction: Readonly<Record<FailureAction, number>>;
  readonly items: readonly FailureRow[];
}

export interface FailureQuery {
  /** A region code prefix (county, township or village): inScope semantics. */
  readonly region: string;
  readonly benefitYear?: number;
  readonly limit?: number;
  readonly offset?: number;
}

/** The most rows one call returns. */
export const FAILURES_MAX_PAGE = 500;

/**
 * Failed debits still to be dealt with in a region, ordered by village and name. A region of six
 * digits or fewer (the county) also holds people without a village.
 */
export async function listWithholdingFailures(
  ctx: CollectionContext,
  query: FailureQuery,
): Promise<FailureList> {
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, query.benefitYear);
  const limit = Math.min(Math.max(query.limit ?? 100, 1), FAILURES_MAX_PAGE);
  const offset = Math.max(query.offset ?? 0, 0);
  const base = ctx.db
    .selectFrom('withholding_items as wi')
    .innerJoin('withholding_batches as wb', 'wb.id', 'wi.batch_id')
    .innerJoin('enrollments as e', 'e.id', 'wi.enrollment_id')
    .innerJoin('people as p', 'p.id', 'wi.person_id')
    .innerJoin('bank_agreements as a', 'a.id', 'wi.agreement_id')
    .leftJoin('households as h', 'h.id', 'p.household_id')
    .where('wi.county_code', '=', ctx.countyCode)
    .where('wb.benefit_year', '=', campaign.benefit_year)
    .where('wi.result', '=', 'failed')
    .where('e.status', 'in', ['registered', 'awaiting_payment'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('withholding_items as later')
            .select('later.id')
            .whereRef('later.enrollment_id', '=', 'wi.enrollment_id')
            .whereRef('later.id', '>', 'wi.id'),
        ),
      ),
    )
    .$if(query.region.length > 6, (q) =>
      q.where((eb) => eb(villageExpression(eb), 'like', `${query.region}%`)),
    );

  const counted = await base
    .select(['wi.failure_reason', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('wi.failure_reason')
    .execute();
  const byAction: Record<FailureAction, number> = { top_up: 0, change_card: 0, check: 0 };
  let total = 0;
  for (const c of counted) {
    byAction[failureAction(c.failure_reason)] += Number(c.n);
    total += Number(c.n);
  }

  const rows = await base
    .leftJoin('bank_agreements as current', (join) =>
      join.onRef('current.person_id', '=', 'p.id').on('current.valid_to', 'is', null),
    )
    .select((eb) => [
      'p.id as person_id',
      'p.name',
      'p.doc_number',
      villageExpression(eb).as('village_code'),
      'a.bank',
      'a.card_number',
      'a.holder_name',
      'a.id as agreement_id',
      'current.id as current_agreement_id',
      'wi.amount_fen',
      'wi.failure_reason',
      'wi.result_on',
      'wb.batch_no',
    ])
    .orderBy('village_code')
    .orderBy('p.name')
    .orderBy('p.id')
    .limit(limit)
    .offset(offset)
    .execute();
  const names = await regionNames(
    ctx.db,
    rows.map((r) => r.village_code as string | null),
  );
  return {
    benefitYear: campaign.benefit_year,
    total,
    byAction,
    items: rows.map((r) => {
      const village = (r.village_code as string | null) ?? null;
      const cardChanged = r.current_agreement_id !== null && r.current_agreement_id !== r.agreement_id;
      const action = failureAction(r.failure_reason);
      return {
        personId: r.person_id,
        name: r.name,
        idNumberMasked: maskIdNumber(r.doc_number),
        villageCode: village,
        villageName: village ? (names.get(village) ?? null) : null,
        bank: r.bank,
        cardMasked: maskCard(r.card_number),
        holderName: r.holder_name,
        amountFen: r.amount_fen,
        failureReason: r.failure_reason,
        batchNo: r.batch_no,
        resultOn: r.result_on,
        cardChanged,
        action,
        advice: cardChanged ? CARD_CHANGED_ADVICE : FAILURE_ADVICE[action],
      };
    }),
  };
}

export interface AgreementView {
  readonly id: number;
  readonly bank: string;
  readonly cardMasked: string;
  readonly holderName: string;
  readonly holderIdNumberMasked: string | null;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly closeReason: string | null;
}

export interface PersonWithholding {
  readonly benefitYear: number | null;
  readonly current: AgreementView | null;
  /** Earlier agreements, latest first, each with why it was closed. */
  readonly closed: readonly AgreementView[];
  /**
   * Other members of the person's household debited from the same current card (a parent's card
   * paying for the household): when that card is closed, all of them need the new one.
   */
  readonly sharedWith: readonly { readonly personId: number; readonly name: string }[];
  /** The year's enrollment: whether the household asked for withholding, and its state. */
  readonly enrollment: { readonly id: number; readonly status: string; readonly withhold: boolean } | null;
  /** The year's withholding items, latest first. */
  readonly items: readonly {
    readonly batchNo: string;
    readonly exportedOn: string;
    readonly cardMasked: string;
    readonly amountFen: number;
    readonly result: keyof typeof RESULT_LABELS;
    readonly resultLabel: string;
    readonly failureReason: string | null;
    readonly resultOn: string | null;
    /** A failed debit's card has been replaced since: the next batch debits the new one. */
    readonly cardChanged: boolean;
    readonly advice: string | null;
  }[];
}

/**
 * One person's agreements (masked) and the current campaign year's debits. Full card and holder
 * identity numbers stay in the database.
 */
export async function personWithholding(
  ctx: CollectionContext,
  personId: number,
): Promise<PersonWithholding> {
  const year = await ctx.db
    .selectFrom('campaigns')
    .select((eb) => eb.fn.max('benefit_year').as('year'))
    .where('county_code', '=', ctx.countyCode)
    .executeTakeFirst();
  const benefitYear = year?.year ? Number(year.year) : null;
  const agreements = await ctx.db
    .selectFrom('bank_agreements')
    .selectAll()
    .where('county_code', '=', ctx.countyCode)
    .where('person_id', '=', personId)
    .orderBy('id', 'desc')
    .execute();
  const view = (a: (typeof agreements)[number]): AgreementView => ({
    id: a.id,
    bank: a.bank,
    cardMasked: maskCard(a.card_number),
    holderName: a.holder_name,
    holderIdNumberMasked: a.holder_doc_number ? maskIdNumber(a.holder_doc_number) : null,
    validFrom: a.valid_from,
    validTo: a.valid_to,
    closeReason: a.close_reason,
  });
  const current = agreements.find((a) => a.valid_to === null);
  const sharedWith = current
    ? await ctx.db
        .selectFrom('people as p')
        .innerJoin('people as self', 'self.household_id', 'p.household_id')
        .innerJoin('bank_agreements as a', 'a.person_id', 'p.id')
        .select(['p.id as personId', 'p.name'])
        .where('self.id', '=', personId)
        .where('p.id', '!=', personId)
        .where('a.county_code', '=', ctx.countyCode)
        .where('a.valid_to', 'is', null)
        .where('a.card_number', '=', current.card_number)
        .orderBy('p.id')
        .execute()
    : [];
  const enrollment =
    benefitYear === null
      ? undefined
      : await ctx.db
          .selectFrom('enrollments')
          .select(['id', 'status', 'withhold'])
          .where('county_code', '=', ctx.countyCode)
          .where('person_id', '=', personId)
          .where('benefit_year', '=', benefitYear)
          .executeTakeFirst();
  const items = enrollment
    ? await ctx.db
        .selectFrom('withholding_items as wi')
        .innerJoin('withholding_batches as wb', 'wb.id', 'wi.batch_id')
        .innerJoin('bank_agreements as a', 'a.id', 'wi.agreement_id')
        .select([
          'wb.batch_no',
          'wb.created_on',
          'a.id as agreement_id',
          'a.card_number',
          'wi.amount_fen',
          'wi.result',
          'wi.failure_reason',
          'wi.result_on',
        ])
        .where('wi.enrollment_id', '=', enrollment.id)
        .orderBy('wi.id', 'desc')
        .execute()
    : [];
  return {
    benefitYear,
    current: current ? view(current) : null,
    closed: agreements.filter((a) => a.valid_to !== null).map(view),
    sharedWith,
    enrollment: enrollment
      ? { id: enrollment.id, status: enrollment.status, withhold: enrollment.withhold === 1 }
      : null,
    items: items.map((i) => {
      const cardChanged = i.result === 'failed' && !!current && current.id !== i.agreement_id;
      return {
        batchNo: i.batch_no,
        exportedOn: i.created_on,
        cardMasked: maskCard(i.card_number),
        amountFen: i.amount_fen,
        result: i.result,
        resultLabel: RESULT_LABELS[i.result],
        failureReason: i.failure_reason,
        resultOn: i.result_on,
        cardChanged,
        advice:
          i.result !== 'failed'
            ? null
            : cardChanged
              ? CARD_CHANGED_ADVICE
              : FAILURE_ADVICE[failureAction(i.failure_reason)],
      };
    }),
  };
}
