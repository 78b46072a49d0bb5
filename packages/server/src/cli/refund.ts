/**
 * `canbao refund`: refunds (退费).
 *   check    may a person who has paid get their contribution back, and under which clause? (the
 *            policy alone, no database; JSON)
 *   request  a person's refund request decided by the campaign's policy and recorded; an approved
 *            one terminates the enrollment and returns subsidies to their funders
 *   pay      an approved refund paid out to the person
 *   list     the county's refund requests
 * The database commands print Chinese text, or JSON with --json.
 */
import {
  canRefund,
  FactsError,
  type Fen,
  formatYuan,
  MoneyError,
  maskIdNumber,
  parseYuan,
  REFUND_REASONS,
  type RefundReason,
} from '@canbao/core';
import type { Command } from 'commander';
import type { CollectionContext } from '../collection/context.ts';
import { getPerson, personByDocument } from '../collection/enrollments.ts';
import {
  listRefunds,
  payRefund,
  REFUND_STATUS_LABELS,
  type RefundStatus,
  requestRefund,
} from '../collection/refunds.ts';
import type { Person } from '../db/schema.ts';
import { loadPolicy } from '../policy/repository.ts';
import { type CampaignOptions, campaignOptions, dateOf, idOf, withCollection } from './collection-context.ts';
import { InputError, writeJson, writeLines } from './io.ts';

interface CheckOptions {
  readonly policy: string;
  readonly paid: string;
  readonly reason: string;
  readonly requestedOn: string;
  readonly benefitStart?: string;
}

interface JsonOption {
  readonly json?: boolean;
}

/** canRefund's field names → the options they came from. */
const OPTION_OF: Readonly<Record<string, string>> = {
  paidFen: '--paid',
  reason: '--reason',
  requestedOn: '--requested-on',
  benefitStart: '--benefit-start',
};

const REASONS_TEXT = Object.entries(REFUND_REASONS)
  .map(([code, label]) => `${code}（${label}）`)
  .join('、');

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

export function registerRefund(program: Command): void {
  const refund = program
    .command('refund')
    .summary('退费：判断、申请、支付、查询')
    .description('退费：按政策判断（check）、办理退费申请（request）、支付已准予的退费（pay）、查询（list）');

  refund
    .command('check')
    .summary('按政策判断退费申请（不读写数据库）')
    .description(
      '按政策判断已缴费人员的退费申请：准予、不予或本政策未规定，并给出依据条款。输出 JSON，金额单位为分。',
    )
    .usage('--policy <政策> --paid <元> --reason <原因> --requested-on <日期> [--benefit-start <日期>]')
    .requiredOption('-p, --policy <id|file>', '政策 id 或政策文件路径')
    .requiredOption('--paid <yuan>', '已缴金额，单位元，最多两位小数（如 350 或 40.50）')
    .requiredOption('--reason <reason>', `退费原因：${REASONS_TEXT}`)
    .requiredOption('--requested-on <date>', '申请日期 YYYY-MM-DD')
    .option('--benefit-start <date>', '该参保记录的待遇起始日 YYYY-MM-DD（默认为待遇期开始日）')
    .action((options: CheckOptions) => {
      const policy = loadPolicy(options.policy);
      const paidFen = paid(options.paid);
      try {
        writeJson(
          canRefund(
            policy,
            { paidFen, benefitStart: options.benefitStart ?? null },
            { reason: options.reason as RefundReason, requestedOn: options.requestedOn },
          ),
        );
      } catch (error) {
        if (error instanceof FactsError) {
          const option = OPTION_OF[error.field] ?? error.field;
          const prefix = `${error.field}：`;
          const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
          throw new InputError(`选项 ${option} 有误：${text}`);
        }
        throw error;
      }
    });

  campaignOptions(
    refund
      .command('request')
      .summary('办理一人的退费申请')
      .description(
        '按本年度征缴政策的退费规则办理退费申请并登记：准予的终止参保、资助退回资助部门，待支付；不予或政策未规定的只登记，显示所依据的条款。',
      )
      .requiredOption('--person <证件号码|#id>', '人员证件号码，或 #登记编号')
      .requiredOption('--reason <reason>', `退费原因：${REASONS_TEXT}（可写代码或中文）`)
      .option('--on <date>', '申请日期 YYYY-MM-DD（默认今天）'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (options: CampaignOptions & JsonOption & { person: string; reason: string; on?: string }) => {
        const reason = reasonOf(options.reason);
        await withCollection(options, async (ctx) => {
          const person = await resolvePerson(ctx, options.person);
          const outcome = await requestRefund(ctx, {
            personId: person.id,
            reason,
            requestedOn: dateOf(options.on, '--on', ctx.today),
          });
          if (options.json) {
            writeJson({
              refund: outcome.refund,
              enrollmentStatus: outcome.enrollment.status,
              returned: outcome.returned,
              message: outcome.message,
            });
            return;
          }
          const r = outcome.refund;
          writeLines([
            `退费申请 #${r.id}：${person.name}（${maskIdNumber(person.doc_number)}）${outcome.enrollment.benefit_year} 年度，${REFUND_STATUS_LABELS[r.status]}`,
            outcome.message,
            ...(outcome.person.deceased_on ? [`登记的死亡日期：${outcome.person.deceased_on}`] : []),
            ...(r.status === 'approved'
              ? [`支付退费后请登记：canbao refund pay ${r.id} --on <支付日期> --reference <凭证号>`]
              : []),
          ]);
        });
      },
    );

  campaignOptions(
    refund
      .command('pay')
      .summary('登记已准予退费的支付')
      .description(
        '登记已准予的退费已支付给本人（应退个人缴费 → 国库）；同一退费以相同日期和凭证重复登记只记一次',
      )
      .argument('<refundId>', '退费申请编号')
      .option('--on <date>', '支付日期 YYYY-MM-DD（默认今天）')
      .option('--reference <text>', '支付凭证号'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (id: string, options: CampaignOptions & JsonOption & { on?: string; reference?: string }) => {
        const refundId = idOf(id.replace(/^#/, ''), '<refundId>');
        await withCollection(options, async (ctx) => {
          const result = await payRefund(ctx, refundId, {
            paidOn: dateOf(options.on, '--on', ctx.today),
            reference: options.reference ?? null,
          });
          if (options.json) {
            writeJson(result);
            return;
          }
          const r = result.refund;
          const person = await getPerson(ctx.db, ctx.countyCode, r.person_id);
          writeLines([
            `退费申请 #${r.id} 已支付：${person.name} ${yuan(r.amount_fen)}，${r.paid_on}${r.payout_reference ? `，凭证 ${r.payout_reference}` : ''}${result.replayed ? '（此前已登记，未重复支付）' : ''}`,
          ]);
        });
      },
    );

  campaignOptions(
    refund
      .command('list')
      .summary('查询退费申请')
      .description('列出本县的退费申请及其结果、金额与依据条款')
      .option('--status <status>', `只列出某一结果：${statusText()}`),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { status?: string }) => {
      const status = statusOf(options.status);
      await withCollection(options, async (ctx) => {
        const rows = await listRefunds(ctx, status ? { status } : {});
        if (options.json) {
          writeJson(rows);
          return;
        }
        writeLines([
          `退费申请 ${rows.length} 笔`,
          ...rows.map(
            (r) =>
              `  #${r.id} ${r.requested_on} ${r.name}（${maskIdNumber(r.doc_number)}）${r.benefit_year} 年度 ${REFUND_REASONS[r.reason as RefundReason] ?? r.reason}：${REFUND_STATUS_LABELS[r.status]}${
                r.decision === 'approve'
                  ? `，退还 ${yuan(r.amount_fen)}${r.subsidy_reversed_fen > 0 ? `，资助退回 ${yuan(r.subsidy_reversed_fen)}` : ''}`
                  : ''
              }${r.paid_on ? `，${r.paid_on} 已支付` : ''}〔${r.cite}〕`,
          ),
        ]);
      });
    });
}

/** `--person` is an ID number (or other document number), or `#<id>` for the registry id. */
async function resolvePerson(ctx: CollectionContext, ref: string): Promise<Person> {
  if (/^#\d+$/.test(ref)) return getPerson(ctx.db, ctx.countyCode, Number(ref.slice(1)));
  return personByDocument(ctx.db, ctx.countyCode, ref);
}

/** A reason given as its code or its Chinese label. */
function reasonOf(text: string): RefundReason {
  const trimmed = text.trim();
  if (Object.hasOwn(REFUND_REASONS, trimmed)) return trimmed as RefundReason;
  const byLabel = Object.entries(REFUND_REASONS).find(([, label]) => label === trimmed);
  if (byLabel) return byLabel[0] as RefundReason;
  throw new InputError(`选项 --reason 有误：未知的退费原因“${text}”（可选：${REASONS_TEXT}）`);
}

function statusText(): string {
  return Object.entries(REFUND_STATUS_LABELS)
    .map(([code, label]) => `${code}（${label}）`)
    .join('、');
}

function statusOf(text: string | undefined): RefundStatus | undefined {
  if (text === undefined) return undefined;
  if (Object.hasOwn(REFUND_STATUS_LABELS, text)) return text as RefundStatus;
  throw new InputError(`选项 --status 有误：未知的结果“${text}”（可选：${statusText()}）`);
}

function paid(text: string): number {
  try {
    const amount = parseYuan(text);
    if (amount < 0) throw new InputError('选项 --paid 有误：已缴金额不能为负数');
    return amount;
  } catch (error) {
    if (error instanceof MoneyError) throw new InputError(`选项 --paid 有误：${error.message}`);
    throw error;
  }
}
