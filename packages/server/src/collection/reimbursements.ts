/**
 * 先缴后补 reimbursement batches. Under a `refund_later` subsidy (达拉特旗: local 低保 and monitored
 * people) the person pays the full standard, and the funder (civil affairs, rural revitalisation)
 * pays them the subsidy back later. The bureau gathers everyone who has paid and is owed such a
 * subsidy by one funder into a batch, hands the funder the list (.xlsx, full ID numbers: the funder
 * pays people), records the funder's payout and finally the funder's confirmation.
 *
 *   created ──pay──▶ paid ──confirm──▶ confirmed
 *
 * The books: creating the batch books what the funder owes the people (Dr funder:<f> / Cr
 * reimbursements_payable, the batch total); the payout clears both (Dr reimbursements_payable /
 * Cr funder:<f>). The enrollments' own accounts are not touched: the person's contribution stays
 * what they paid; the subsidy reaches them outside the fund.
 *
 * An enrollment enters at most one batch (unique index), and a batch never changes once created:
 * the list has been handed to the funder. A refund of someone in a batch waits until the funder has
 * paid (see refunds.ts).
 */
import {
  type Assessment,
  departmentFromLabel,
  type Fen,
  FUNDERS,
  type FunderCode,
  formatYuan,
  groupLabel,
  isGroupCode,
  parseDate,
} from '@canbao/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, ReimbursementBatchesTable } from '../db/schema.ts';
import { type CellValue, writeXlsx } from '../files/write-xlsx.ts';
import { recordTransfer } from '../ledger/journal.ts';
import { chunks } from '../registry/people.ts';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import { ENROLLED } from './enrollments.ts';

export type ReimbursementBatch = Selectable<ReimbursementBatchesTable>;
export type BatchStatus = ReimbursementBatch['status'];

type Db = Kysely<Database> | Transaction<Database>;

export const BATCH_STATUS_LABELS: Readonly<Record<BatchStatus, string>> = {
  created: '已生成（待拨付）',
  paid: '已拨付',
  confirmed: '已确认',
};

const PAGE = 5000;

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

/** Rows page by page in id order (keyset), so a county-wide scan never sits in memory at once. */
async function* pages<T extends { id: number }>(fetch: (after: number) => Promise<T[]>): AsyncGenerator<T[]> {
  let after = 0;
  for (;;) {
    const page = await fetch(after);
    if (page.length === 0) return;
    after = page.at(-1)?.id ?? after;
    yield page;
  }
}

/** The funders as a user may choose them: code（name）、… */
export const FUNDER_CHOICES = Object.entries(FUNDERS)
  .map(([code, name]) => `${code}（${name}）`)
  .join('、');

/**
 * A funder given as its code (civil_affairs) or as people name it (民政, 民政局, 乡村振兴统筹发展中心,
 * 财政局, 医疗救助), or null.
 */
export function funderFromLabel(label: string): FunderCode | null {
  const text = label.trim();
  if (Object.hasOwn(FUNDERS, text)) return text as FunderCode;
  const department = departmentFromLabel(text);
  if (department && Object.hasOwn(FUNDERS, department)) return department as FunderCode;
  const squashed = text.replace(/[\s（）()]/g, '').replace(/(局|部门|委员会|委|中心|事务局)$/, '');
  if (!squashed) return null;
  for (const [code, name] of Object.entries(FUNDERS)) {
    if (name === squashed || name.startsWith(squashed)) return code as FunderCode;
  }
  return null;
}

export function funderName(funder: string): string {
  return Object.hasOwn(FUNDERS, funder) ? FUNDERS[funder as FunderCode] : funder;
}

/** The refund_later subsidy an assessment owes from one funder, fen (0 when none). */
export function refundLaterFrom(assessment: Pick<Assessment, 'subsidies'>, funder: string): number {
  return assessment.subsidies
    .filter((s) => s.mode === 'refund_later' && s.funder === funder)
    .reduce((n, s) => n + s.amount, 0);
}

/**
 * Takes the row locks of enrollments that are still paid or confirmed (a write that changes
 * nothing), and returns how many were. A concurrent refund holding one of them makes this wait
 * and then not count it, so a batch never takes in someone refunded at the same moment; and a
 * refund waits for a batch being created to commit before it looks for the person's batch.
 */
export async function lockEnrolled(trx: Db, countyCode: string, ids: readonly number[]): Promise<number> {
  let locked = 0;
  for (const part of chunks(ids)) {
    const result = await trx
      .updateTable('enrollments')
      .set((eb) => ({ status: eb.ref('status') }))
      .where('county_code', '=', countyCode)
      .where('id', 'in', part)
      .where('status', 'in', ENROLLED)
      .executeTakeFirst();
    locked += Number(result.numUpdatedRows);
  }
  return locked;
}

/** The batch an enrollment is in, with its item, or null. */
export async function reimbursementOf(db: Db, countyCode: string, enrollmentId: number) {
  return (
    (await db
      .selectFrom('reimbursement_items')
      .innerJoin('reimbursement_batches', 'reimbursement_batches.id', 'reimbursement_items.batch_id')
      .select([
        'reimbursement_batches.batch_no',
        'reimbursement_batches.funder',
        'reimbursement_batches.status',
        'reimbursement_batches.paid_on',
        'reimbursement_items.amount_fen',
      ])
      .where('reimbursement_items.county_code', '=', countyCode)
      .where('reimbursement_items.enrollment_id', '=', enrollmentId)
      .executeTakeFirst()) ?? null
  );
}

export interface CreateBatchInput {
  readonly funder: FunderCode;
  readonly benefitYear?: number;
}

export interface CreatedBatch {
  readonly batch: ReimbursementBatch;
  readonly items: readonly {
    readonly enrollmentId: number;
    readonly personId: number;
    readonly amountFen: number;
  }[];
}

/**
 * Gathers every paid or confirmed enrollment of the campaign year whose stored assessment owes a
 * refund_later subsidy from the funder and that is in no batch yet, into a new batch numbered
 * `<county>-<funder>-<YYYYMMDD>-<n>` (n counts that funder's batches of the day).
 */
export async function createReimbursementBatch(
  ctx: CollectionContext,
  input: CreateBatchInput,
): Promise<CreatedBatch> {
  if (!Object.hasOwn(FUNDERS, input.funder)) {
    throw new CollectionError('unknown_funder', `未知的资助部门“${input.funder}”（可选：${FUNDER_CHOICES}）`);
  }
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, input.benefitYear);
  const funder = input.funder;
  return ctx.db.transaction().execute(async (trx) => {
    const items: { enrollmentId: number; personId: number; amountFen: number }[] = [];
    const candidates = (after: number) =>
      trx
        .selectFrom('enrollments')
        .select(['id', 'person_id', 'assessment'])
        .where('county_code', '=', ctx.countyCode)
        .where('benefit_year', '=', campaign.benefit_year)
        .where('status', 'in', ENROLLED)
        .where('refund_later_fen', '>', 0)
        .where('id', '>', after)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('reimbursement_items')
                .select('reimbursement_items.id')
                .whereRef('reimbursement_items.enrollment_id', '=', 'enrollments.id'),
            ),
          ),
        )
        .orderBy('id')
        .limit(PAGE)
        .execute();
    for await (const page of pages(candidates)) {
      for (const e of page) {
        const amount = refundLaterFrom(JSON.parse(e.assessment) as Assessment, funder);
        if (amount > 0) items.push({ enrollmentId: e.id, personId: e.person_id, amountFen: amount });
      }
    }
    if (items.length === 0) {
      throw new CollectionError(
        'nothing_to_reimburse',
        `${campaign.benefit_year} 年度没有待${funderName(funder)}先缴后补的已缴费人员（已入批次或已退费的不再计入）`,
      );
    }
    const locked = await lockEnrolled(
      trx,
      ctx.countyCode,
      items.map((i) => i.enrollmentId),
    );
    if (locked !== items.length) {
      throw new CollectionError('concurrent', '生成批次时有人员同时办理了退费，请重试');
    }

    const day = ctx.today.replaceAll('-', '');
    const earlier = await trx
      .selectFrom('reimbursement_batches')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('county_code', '=', ctx.countyCode)
      .where('funder', '=', funder)
      .where('created_on', '=', ctx.today)
      .executeTakeFirstOrThrow();
    const batchNo = `${ctx.countyCode}-${funder}-${day}-${Number(earlier.n) + 1}`;
    const total = items.reduce((n, i) => n + i.amountFen, 0);
    const batch = await trx
      .insertInto('reimbursement_batches')
      .values({
        county_code: ctx.countyCode,
        batch_no: batchNo,
        funder,
        benefit_year: campaign.benefit_year,
        status: 'created',
        people: items.length,
        total_fen: total,
        created_on: ctx.today,
        paid_on: null,
        confirmed_on: null,
        actor: ctx.actor,
      })
      .onConflict((oc) => oc.columns(['county_code', 'batch_no']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!batch) throw new CollectionError('concurrent', `批次号 ${batchNo} 正被同时生成，请重试`);
    let inserted = 0;
    for (const part of chunks(items)) {
      const rows = await trx
        .insertInto('reimbursement_items')
        .values(
          part.map((i) => ({
            county_code: ctx.countyCode,
            batch_id: batch.id,
            enrollment_id: i.enrollmentId,
            person_id: i.personId,
            amount_fen: i.amountFen,
          })),
        )
        .onConflict((oc) => oc.columns(['county_code', 'enrollment_id']).doNothing())
        .returning('id')
        .execute();
      inserted += rows.length;
    }
    if (inserted !== items.length) {
      throw new CollectionError('concurrent', '部分人员已被同时生成的另一批次收入，请重试');
    }
    await recordTransfer(trx, {
      countyCode: ctx.countyCode,
      kind: 'reimbursement',
      businessType: 'reimbursement_batch',
      businessId: String(batch.id),
      idempotencyKey: `reimbursement:${batchNo}`,
      occurredOn: ctx.today,
      lines: [
        { account: `funder:${funder}`, amount: total as Fen },
        { account: 'reimbursements_payable', amount: -total as Fen },
      ],
      actor: ctx.actor,
      memo: `先缴后补批次 ${batchNo}，${items.length} 人`,
      recordedAt: ctx.now,
    });
    return { batch, items };
  });
}

export async function getReimbursementBatch(
  db: Db,
  countyCode: string,
  batchNo: string,
): Promise<ReimbursementBatch> {
  const batch = await db
    .selectFrom('reimbursement_batches')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('batch_no', '=', batchNo.trim())
    .executeTakeFirst();
  if (!batch) {
    throw new CollectionError(
      'unknown_batch',
      `没有批次号为“${batchNo}”的先缴后补批次（canbao reimburse list 可查看）`,
    );
  }
  return batch;
}

export interface BatchStep {
  readonly batch: ReimbursementBatch;
  /** True when this step had been recorded before with the same date: nothing new was written. */
  readonly replayed: boolean;
}

function checkStepDate(ctx: CollectionContext, date: string, what: string, notBefore: string, since: string) {
  try {
    parseDate(date);
  } catch (error) {
    throw new CollectionError('bad_date', `${what}有误：${(error as Error).message}`);
  }
  if (date > ctx.today) throw new CollectionError('future_date', `${what} ${date} 晚于今天（${ctx.today}）`);
  if (date < notBefore)
    throw new CollectionError('early_date', `${what} ${date} 早于${since}（${notBefore}）`);
}

/** The two steps after creation: the state each comes from, the date it records, the date it follows. */
const STEPS = {
  paid: {
    from: 'created',
    date: 'paid_on',
    label: '拨付日期',
    after: 'created_on',
    afterLabel: '批次生成日期',
  },
  confirmed: {
    from: 'paid',
    date: 'confirmed_on',
    label: '确认日期',
    after: 'paid_on',
    afterLabel: '拨付日期',
  },
} as const;

/**
 * Moves a batch one step on (check-and-act on its state), with what the step books; the same step
 * with the same date again returns the batch as it is.
 */
async function advance(
  ctx: CollectionContext,
  batchNo: string,
  to: keyof typeof STEPS,
  date: string,
  book?: (trx: Transaction<Database>, batch: ReimbursementBatch) => Promise<unknown>,
): Promise<BatchStep> {
  const step = STEPS[to];
  return ctx.db.transaction().execute(async (trx) => {
    const batch = await getReimbursementBatch(trx, ctx.countyCode, batchNo);
    if (to === 'confirmed' && batch.status === 'created') {
      throw new CollectionError(
        'batch_not_paid',
        `批次 ${batch.batch_no} 尚未拨付，不能确认（请先登记拨付：canbao reimburse pay ${batch.batch_no}）`,
      );
    }
    if (batch.status !== step.from) return alreadyDone(batch, to, date);
    checkStepDate(ctx, date, step.label, batch[step.after] ?? batch.created_on, step.afterLabel);
    const result = await trx
      .updateTable('reimbursement_batches')
      .set({ status: to, [step.date]: date })
      .where('id', '=', batch.id)
      .where('status', '=', step.from)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      return alreadyDone(await getReimbursementBatch(trx, ctx.countyCode, batchNo), to, date);
    }
    await book?.(trx, batch);
    return { batch: { ...batch, status: to, [step.date]: date }, replayed: false };
  });
}

/**
 * The funder has paid the people of the batch: created → paid, and the funder's debt and the
 * payable are cleared in the journal.
 */
export async function payReimbursementBatch(
  ctx: CollectionContext,
  batchNo: string,
  input: { readonly paidOn: string },
): Promise<BatchStep> {
  return advance(ctx, batchNo, 'paid', input.paidOn, (trx, batch) =>
    recordTransfer(trx, {
      countyCode: ctx.countyCode,
      kind: 'reimbursement_payout',
      businessType: 'reimbursement_batch',
      businessId: String(batch.id),
      idempotencyKey: `reimbursement-payout:${batch.batch_no}`,
      occurredOn: input.paidOn,
      lines: [
        { account: 'reimbursements_payable', amount: batch.total_fen as Fen },
        { account: `funder:${batch.funder as FunderCode}`, amount: -batch.total_fen as Fen },
      ],
      actor: ctx.actor,
      memo: `先缴后补批次 ${batch.batch_no} 拨付`,
      recordedAt: ctx.now,
    }),
  );
}

/** The funder confirms the payout reached the people: paid → confirmed (no money moves). */
export async function confirmReimbursementBatch(
  ctx: CollectionContext,
  batchNo: string,
  input: { readonly confirmedOn: string },
): Promise<BatchStep> {
  return advance(ctx, batchNo, 'confirmed', input.confirmedOn);
}

/**
 * A step asked again: the same date returns the batch unchanged (a retried command); another date
 * is refused, naming when the step was recorded.
 */
function alreadyDone(batch: ReimbursementBatch, step: 'paid' | 'confirmed', date: string): BatchStep {
  const recorded = step === 'paid' ? batch.paid_on : batch.confirmed_on;
  if (recorded === date) return { batch, replayed: true };
  const verb = step === 'paid' ? '拨付' : '确认';
  if (recorded === null) {
    throw new CollectionError(
      'bad_batch_state',
      `批次 ${batch.batch_no} 当前为“${BATCH_STATUS_LABELS[batch.status]}”，不能${verb}`,
    );
  }
  throw new CollectionError('batch_done', `批次 ${batch.batch_no} 已于 ${recorded} ${verb}，不能再次${verb}`);
}

export async function listReimbursementBatches(
  ctx: CollectionContext,
  options: { readonly funder?: FunderCode; readonly benefitYear?: number } = {},
): Promise<ReimbursementBatch[]> {
  let query = ctx.db
    .selectFrom('reimbursement_batches')
    .selectAll()
    .where('county_code', '=', ctx.countyCode);
  if (options.funder) query = query.where('funder', '=', options.funder);
  if (options.benefitYear !== undefined) query = query.where('benefit_year', '=', options.benefitYear);
  return query.orderBy('id').execute();
}

export interface BatchPerson {
  readonly enrollmentId: number;
  readonly personId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly villageName: string | null;
  /** The group the subsidy was granted for, in Chinese. */
  readonly group: string;
  readonly amountFen: number;
}

/** The people of a batch in the order they were taken in. */
export async function* batchPeople(db: Db, batch: ReimbursementBatch): AsyncGenerator<BatchPerson> {
  const fetch = (after: number) =>
    db
      .selectFrom('reimbursement_items')
      .innerJoin('people', 'people.id', 'reimbursement_items.person_id')
      .innerJoin('enrollments', 'enrollments.id', 'reimbursement_items.enrollment_id')
      .leftJoin('regions', 'regions.code', 'enrollments.village_code')
      .select([
        'reimbursement_items.id',
        'reimbursement_items.enrollment_id',
        'reimbursement_items.person_id',
        'reimbursement_items.amount_fen',
        'people.name',
        'people.doc_number',
        'regions.name as village_name',
        'enrollments.assessment',
      ])
      .where('reimbursement_items.batch_id', '=', batch.id)
      .where('reimbursement_items.id', '>', after)
      .orderBy('reimbursement_items.id')
      .limit(PAGE)
      .execute();
  for await (const rows of pages(fetch)) {
    for (const r of rows) {
      const a = JSON.parse(r.assessment) as Assessment;
      const groups = a.subsidies
        .filter((s) => s.mode === 'refund_later' && s.funder === batch.funder)
        .map((s) => (isGroupCode(s.group) ? groupLabel(s.group) : s.group));
      yield {
        enrollmentId: r.enrollment_id,
        personId: r.person_id,
        name: r.name,
        docNumber: r.doc_number,
        villageName: r.village_name,
        group: groups.join('、'),
        amountFen: r.amount_fen,
      };
    }
  }
}

/**
 * The batch as the funder pays from it: one row per person with the full ID number (the funder
 * pays each person), a header naming county, funder, batch and date, and the total.
 */
export async function exportReimbursementBatch(
  ctx: CollectionContext,
  batchNo: string,
  target: string,
): Promise<{ batch: ReimbursementBatch; rows: number }> {
  const batch = await getReimbursementBatch(ctx.db, ctx.countyCode, batchNo);
  const county = await ctx.db
    .selectFrom('regions')
    .select('name')
    .where('code', '=', ctx.countyCode)
    .executeTakeFirst();
  async function* rows(): AsyncGenerator<CellValue[]> {
    let n = 0;
    for await (const p of batchPeople(ctx.db, batch)) {
      yield [++n, p.name, p.docNumber, p.villageName, p.group, formatYuan(p.amountFen as Fen)];
    }
  }
  const written = await writeXlsx(target, [
    {
      name: '先缴后补发放名单',
      headerLines: [
        `${county?.name ?? ctx.countyCode}${batch.benefit_year}年度城乡居民医保先缴后补资助发放名单`,
        `资助部门：${funderName(batch.funder)}　批次号：${batch.batch_no}　生成日期：${batch.created_on}　状态：${BATCH_STATUS_LABELS[batch.status]}`,
        `人数：${batch.people}　合计：${yuan(batch.total_fen)}`,
      ],
      columns: [
        { header: '序号', width: 8, text: false },
        { header: '姓名', width: 12 },
        { header: '证件号码', width: 22 },
        { header: '村（社区）', width: 16 },
        { header: '人员类别', width: 20 },
        { header: '金额（元）', width: 12 },
      ],
      rows: rows(),
    },
  ]);
  return { batch, rows: written.rows };
}
