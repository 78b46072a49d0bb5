/**
 * School collective payment (学校集体缴费): a school collects its pupils' contributions and pays
 * them in one transfer. The class list (.xlsx/.csv with 姓名 and 证件号码) says who is paid for;
 * the transfer is one order under the school's transaction id covering every pupil, split exactly
 * into what each owes. A list with any bad row is refused whole, with the lines, and nothing is
 * recorded: the school's one transfer cannot be half applied.
 */
import { type Fen, formatYuan } from '@canbao/core';
import { openTable } from '../files/read-table.ts';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import { enrollmentOf, STATUS_LABELS } from './enrollments.ts';
import { type PaymentResult, recordPayment } from './payments.ts';

export interface SchoolPaymentInput {
  readonly file: string;
  readonly school: string;
  /** The school's transfer reference (bank slip or transaction id). */
  readonly txnId: string;
  /** The transfer's total, fen: must equal what the listed pupils owe. */
  readonly amountFen: number;
  readonly paidOn: string;
}

const NAME = ['姓名', '学生姓名'];
const DOCUMENT = ['证件号码', '公民身份号码', '身份证号码', '身份证号'];

export async function recordSchoolPayment(
  ctx: CollectionContext,
  input: SchoolPaymentInput,
): Promise<PaymentResult> {
  if (!input.school.trim()) throw new CollectionError('channel_field', '学校集体缴费须填写学校名称');
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode);
  const table = await openTable(input.file, { requiredHeaders: [NAME, DOCUMENT] });
  const nameHeader = table.headers.find((h) => NAME.includes(h)) as string;
  const docHeader = table.headers.find((h) => DOCUMENT.includes(h)) as string;
  const problems: string[] = [];
  const ids: number[] = [];
  const seen = new Map<string, number>();
  let due = 0;
  for await (const row of table.rows()) {
    const name = row.values[nameHeader] ?? '';
    const doc = (row.values[docHeader] ?? '').toUpperCase();
    const at = `第 ${row.line} 行`;
    if (!doc) {
      problems.push(`${at}：缺少证件号码`);
      continue;
    }
    const earlier = seen.get(doc);
    if (earlier !== undefined) {
      problems.push(`${at}：与第 ${earlier} 行是同一人`);
      continue;
    }
    seen.set(doc, row.line);
    const person = await ctx.db
      .selectFrom('people')
      .select(['id', 'name'])
      .where('county_code', '=', ctx.countyCode)
      .where('doc_number', '=', doc)
      .executeTakeFirst();
    if (!person) {
      problems.push(`${at}：登记中没有证件号码为 ${doc} 的人员`);
      continue;
    }
    if (name && name !== person.name) {
      problems.push(`${at}：姓名“${name}”与登记的“${person.name}”不符`);
      continue;
    }
    const e = await enrollmentOf(ctx.db, ctx.countyCode, person.id, campaign.benefit_year);
    if (!e) {
      problems.push(`${at}：${person.name} 尚未办理 ${campaign.benefit_year} 年度参保登记`);
      continue;
    }
    if (e.status !== 'awaiting_payment') {
      problems.push(`${at}：${person.name} 的参保记录为“${STATUS_LABELS[e.status]}”，不能缴费`);
      continue;
    }
    ids.push(e.id);
    due += e.pays_fen;
  }
  if (ids.length === 0 && problems.length === 0) problems.push('名单中没有学生');
  if (problems.length > 0) {
    throw new CollectionError('school_list', `${input.file} 有误，未记录任何缴费：\n${problems.join('\n')}`);
  }
  if (due !== input.amountFen) {
    throw new CollectionError(
      'amount_mismatch',
      `名单中 ${ids.length} 名学生应缴合计 ${formatYuan(due as Fen)} 元，学校转账 ${formatYuan(input.amountFen as Fen)} 元，金额不符，未记录`,
    );
  }
  return recordPayment(ctx, {
    channel: 'school',
    txnId: input.txnId,
    enrollmentIds: ids,
    amountFen: input.amountFen,
    paidOn: input.paidOn,
    payer: input.school,
    reference: input.school,
  });
}
