/**
 * The campaign from the command line: open a campaign on a policy, enroll (one person, renewal in
 * bulk, subsidised people), see a household's dues, record payments through any channel (with a
 * printable receipt), pay online through the gateway simulator, remit cash, list the people to
 * mobilise. Every command prints Chinese text, or JSON with --json.
 */
import { type Assessment, type Fen, formatYuan, maskIdNumber } from '@canbao/core';
import type { Command } from 'commander';
import { findCampaign, openCampaign } from '../collection/campaign.ts';
import { CHANNELS, channelOf } from '../collection/channels.ts';
import type { CollectionContext } from '../collection/context.ts';
import {
  enroll,
  enrollmentHistory,
  enrollmentOf,
  enrollSubsidised,
  explainEnrollment,
  getPerson,
  personByDocument,
  reassessPending,
  renewEnrollments,
  STATUS_LABELS,
  setEnrollmentStatus,
  staleAssessments,
} from '../collection/enrollments.ts';
import { GatewaySimulator, handleGatewayCallback, startCheckout } from '../collection/gateway.ts';
import { mobilisationList } from '../collection/mobilisation.ts';
import {
  collectorBalance,
  householdDue,
  orderEnrollments,
  type PaymentResult,
  recordPayment,
  recordRemittance,
} from '../collection/payments.ts';
import { registerAndEnroll } from '../collection/registration.ts';
import { recordSchoolPayment } from '../collection/school.ts';
import { openDatabase } from '../db/open.ts';
import type { ChannelCode, Person } from '../db/schema.ts';
import { writeXlsx } from '../files/write-xlsx.ts';
import { mobilisationDefinition } from '../reports/mobilisation.ts';
import { reportSheets } from '../reports/report.ts';
import {
  actorOf,
  type CampaignOptions,
  campaignOptions,
  dateOf,
  idOf,
  withCollection,
  yuanOf,
} from './collection-context.ts';
import { InputError, writeJson, writeLines } from './io.ts';
import { businessDay } from './today.ts';

const yuan = (fen: number) => `${formatYuan(fen as Fen)} 元`;

interface JsonOption {
  readonly json?: boolean;
}

/** `--person` is an ID number (or other document number), or `#<id>` for the registry id. */
async function resolvePerson(ctx: CollectionContext, ref: string): Promise<Person> {
  if (/^#\d+$/.test(ref)) return getPerson(ctx.db, ctx.countyCode, Number(ref.slice(1)));
  return personByDocument(ctx.db, ctx.countyCode, ref);
}

/** The merchant key for the gateway: CANBAO_GATEWAY_KEY, or the simulator's development key. */
function gatewayConfig() {
  return { merchantKey: process.env.CANBAO_GATEWAY_KEY ?? 'canbao-gateway-simulator-development-key' };
}

function assessmentLines(a: Assessment): string[] {
  if (!a.eligible) return [`不能参保：${(a.reasons ?? []).map((r) => r.text).join('；')}`];
  const subsidies = a.subsidies.map(
    (s) => `${s.mode === 'direct' ? '资助' : '先缴后补'} ${yuan(s.amount)}（${s.rule}）`,
  );
  return [
    `个人缴费 ${yuan(a.pays)}（标准 ${yuan(a.standard)}${subsidies.length > 0 ? `；${subsidies.join('；')}` : ''}）`,
    `待遇期 ${a.benefitStart ?? '待缴费后确定'} 至 ${a.benefitEnd ?? '—'}`,
    ...a.rules.map((r) => `  · ${r.text}〔${r.cite}〕`),
  ];
}

function receiptLines(ctx: CollectionContext, result: PaymentResult, input: PaymentPrint): string[] {
  return [
    '──────── 城乡居民医保缴费收据 ────────',
    `统筹区：${ctx.countyCode}    缴费日期：${input.paidOn}`,
    `渠道：${channelOf(input.channel).label}${input.collector ? `    代收员：${input.collector}` : ''}`,
    `${input.receiptNo ? `收据号：${input.receiptNo}    ` : ''}交易流水号：${input.txnId}`,
    ...result.lines.map(
      (l) =>
        `  ${l.name.padEnd(6, '　')} ${yuan(l.amountFen).padStart(12)}   待遇期 ${l.benefitStart} 至 ${l.benefitEnd}`,
    ),
    `合计：${yuan(result.amountFen)}${result.replayed ? '（此流水号已记录，未重复收费）' : ''}`,
    '────────────────────────────────────',
  ];
}

interface PaymentPrint {
  readonly channel: ChannelCode;
  readonly txnId: string;
  readonly paidOn: string;
  readonly collector?: string | undefined;
  readonly receiptNo?: string | undefined;
}

export function registerCollection(program: Command): void {
  const campaign = program.command('campaign').description('征缴年度：按政策开启、查看');
  campaignOptions(
    campaign
      .command('open')
      .description('按政策文件开启（或更新）某县某待遇年度的征缴；政策全文随之保存，测算均注明其哈希')
      .requiredOption('-p, --policy <id|file>', '政策 id 或政策文件路径'),
  ).action(async (options: CampaignOptions & { policy: string }) => {
    const handle = await openDatabase();
    try {
      const opened = await openCampaign(handle.db, {
        ...(options.county ? { countyCode: options.county } : {}),
        policyRef: options.policy,
        actor: actorOf(options),
        now: (await businessDay(handle.db)).now,
      });
      const c = opened.campaign;
      const verb = { opened: '已开启', unchanged: '已开启（政策文本未变）', updated: '已更新政策文本' }[
        opened.outcome
      ];
      writeLines([
        `${verb}：${c.county_code} ${c.benefit_year} 年度征缴，政策 ${c.policy_id}（${opened.policy.title}）`,
        `政策哈希 ${c.policy_hash}`,
      ]);
    } finally {
      await handle.close();
    }
  });
  campaignOptions(campaign.command('show').description('查看当前征缴年度、政策与各状态人数'))
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => {
        const { campaign: c, policy } = await findCampaign(ctx.db, ctx.countyCode);
        const counts = await ctx.db
          .selectFrom('enrollments')
          .select((eb) => [
            'status',
            eb.fn.countAll<number>().as('n'),
            eb.fn.sum<number>('paid_fen').as('paid'),
          ])
          .where('county_code', '=', ctx.countyCode)
          .where('benefit_year', '=', c.benefit_year)
          .groupBy('status')
          .execute();
        if (options.json) {
          writeJson({ campaign: { ...c, policy_text: undefined, layer_text: undefined }, counts });
          return;
        }
        writeLines([
          `${c.county_code} ${c.benefit_year} 年度：${policy.title}`,
          `政策 ${c.policy_id}，哈希 ${c.policy_hash.slice(0, 16)}…，开启于 ${c.opened_at}（${c.actor}）`,
          `征缴期 ${policy.collection.start} 至 ${policy.collection.end}；待遇期 ${policy.benefitPeriod.start} 至 ${policy.benefitPeriod.end}`,
          ...counts.map(
            (r) =>
              `  ${STATUS_LABELS[r.status as keyof typeof STATUS_LABELS] ?? r.status}：${r.n} 人，已缴 ${yuan(Number(r.paid ?? 0))}`,
          ),
        ]);
      });
    });

  const enrollCommand = program.command('enroll').description('参保登记：单人、上年参保人员续保、资助对象');
  campaignOptions(
    enrollCommand
      .command('person')
      .description('为一人办理参保登记（测算应缴金额；全额资助者直接确认参保）')
      .requiredOption('--person <证件号码|#id>', '人员证件号码，或 #登记编号')
      .option('--coverage-year <year>', '新生儿参保年度（政策允许父母选择时必填）')
      .option('--newborn', '按新生儿登记')
      .option('--withhold', '由协议银行卡代扣'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (
        options: CampaignOptions &
          JsonOption & { person: string; coverageYear?: string; newborn?: boolean; withhold?: boolean },
      ) => {
        await withCollection(options, async (ctx) => {
          const person = await resolvePerson(ctx, options.person);
          const coverageYear = options.coverageYear ? idOf(options.coverageYear, '--coverage-year') : null;
          const result = await enroll(ctx, {
            personId: person.id,
            source: options.newborn ? 'newborn' : 'new',
            coverageYear,
            withhold: options.withhold === true,
          });
          if (options.json) {
            writeJson({
              enrollment: result.enrollment,
              created: result.created,
              assessment: result.assessment,
            });
            return;
          }
          writeLines([
            `${result.created ? '已登记' : '已有登记'}：${person.name}（${maskIdNumber(person.doc_number)}）参保记录 #${result.enrollment.id}，${STATUS_LABELS[result.enrollment.status]}`,
            ...assessmentLines(result.assessment),
          ]);
        });
      },
    );
  campaignOptions(
    enrollCommand
      .command('new')
      .description('新参保：登记中还没有的人员（含新生儿），填写姓名、证件号码等后一并登记人员与参保')
      .requiredOption('--name <name>', '姓名')
      .requiredOption('--id <number>', '证件号码')
      .option('--doc-type <type>', '证件类型（默认按号码识别：身份证、港澳台居住证、外国人永久居留身份证）')
      .option('--sex <sex>', '性别（男/女）')
      .option('--address <text>', '户籍地址')
      .option('--phone <number>', '联系电话')
      .option('--village <name|code>', '村（社区）名称或区划代码')
      .option('--household <number>', '户号（加入该户，没有则新建）')
      .option('--relation <text>', '与户主关系')
      .option('--newborn', '新生儿')
      .option('--coverage-year <year>', '新生儿参保年度（政策允许父母选择时必填）')
      .option('--withhold', '由协议银行卡代扣'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (
        options: CampaignOptions &
          JsonOption & {
            name: string;
            id: string;
            docType?: string;
            sex?: string;
            address?: string;
            phone?: string;
            village?: string;
            household?: string;
            relation?: string;
            newborn?: boolean;
            coverageYear?: string;
            withhold?: boolean;
          },
      ) => {
        await withCollection(options, async (ctx) => {
          const result = await registerAndEnroll(ctx, {
            name: options.name,
            docNumber: options.id,
            ...(options.docType ? { docType: options.docType } : {}),
            ...(options.sex ? { sex: options.sex } : {}),
            ...(options.address ? { address: options.address } : {}),
            ...(options.phone ? { phone: options.phone } : {}),
            ...(options.village ? { village: options.village } : {}),
            ...(options.household ? { householdNumber: options.household } : {}),
            ...(options.relation ? { relation: options.relation } : {}),
            newborn: options.newborn === true,
            coverageYear: options.coverageYear ? idOf(options.coverageYear, '--coverage-year') : null,
            withhold: options.withhold === true,
          });
          if (options.json) {
            writeJson(result);
            return;
          }
          writeLines([
            `${result.registered ? '已登记新人员并参保' : result.created ? '已参保（人员已在登记中）' : '已有参保登记'}：${result.person.name}（${maskIdNumber(result.person.doc_number)}）参保记录 #${result.enrollment.id}，${STATUS_LABELS[result.enrollment.status]}`,
            ...assessmentLines(result.assessment),
          ]);
        });
      },
    );
  campaignOptions(enrollCommand.command('renew').description('为上年度参保人员批量办理本年度登记'))
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => bulkSummary(await renewEnrollments(ctx), options));
    });
  campaignOptions(
    enrollCommand
      .command('subsidised')
      .description('为部门名单中的资助对象办理登记：全额资助者由经办机构直接参保，其余待缴费并列入动员名单'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => bulkSummary(await enrollSubsidised(ctx), options));
    });
  campaignOptions(enrollCommand.command('reassess').description('缴费前登记信息有变化的，重新测算未缴费人员'))
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => {
        const changed = await reassessPending(ctx);
        if (options.json) return writeJson(changed);
        writeLines([
          `重新测算：${changed.length} 人有变化`,
          ...changed.map(
            (c) => `  #${c.enrollmentId}：${yuan(c.before.pays)} → ${yuan(c.after.pays)}（${c.after.why}）`,
          ),
        ]);
      });
    });
  campaignOptions(
    enrollCommand
      .command('stale')
      .description('列出缴费后登记信息发生变化的人员（不自动更改，由经办人员处理）'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption) => {
      await withCollection(options, async (ctx) => {
        const stale = await staleAssessments(ctx);
        if (options.json) return writeJson(stale);
        writeLines([
          `缴费后信息变化：${stale.length} 人`,
          ...stale.map(
            (s) =>
              `  #${s.enrollmentId}：已按 ${yuan(s.stored.pays)} 缴费；按现在的信息${s.now.eligible ? `应缴 ${yuan(s.now.pays)}` : '不能参保'}`,
          ),
        ]);
      });
    });
  campaignOptions(
    enrollCommand
      .command('show')
      .description('查看一人本年度的参保记录、测算依据与变更历史')
      .requiredOption('--person <证件号码|#id>', '人员证件号码，或 #登记编号'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { person: string }) => {
      await withCollection(options, async (ctx) => {
        const person = await resolvePerson(ctx, options.person);
        const { campaign: c, policy } = await findCampaign(ctx.db, ctx.countyCode);
        const e = await enrollmentOf(ctx.db, ctx.countyCode, person.id, c.benefit_year);
        if (!e) throw new InputError(`${person.name} 尚未办理 ${c.benefit_year} 年度参保登记`);
        const history = await enrollmentHistory(ctx.db, ctx.countyCode, e.id);
        if (options.json) return writeJson({ enrollment: e, history });
        writeLines([
          `${person.name}（${maskIdNumber(person.doc_number)}）${c.benefit_year} 年度参保记录 #${e.id}：${STATUS_LABELS[e.status]}`,
          ...assessmentLines(explainEnrollment(policy, e)),
          `测算日期 ${e.assessed_on}，政策哈希 ${e.policy_hash.slice(0, 16)}…，依据 ${e.why}`,
          '历史：',
          ...history.map(
            (h) =>
              `  ${h.at} ${h.actor}：${h.from_status ? STATUS_LABELS[h.from_status] : '—'} → ${STATUS_LABELS[h.to_status]}${h.reason ? `（${h.reason}）` : ''}`,
          ),
        ]);
      });
    });
  for (const [name, to, description] of [
    ['suspend', 'suspended', '暂停一人的参保登记（须说明原因）'],
    ['resume', 'awaiting_payment', '恢复被暂停的参保登记'],
    ['terminate', 'terminated', '终止未缴费的参保登记（已缴费的走退费流程）'],
  ] as const) {
    campaignOptions(
      enrollCommand
        .command(name)
        .description(description)
        .requiredOption('--person <证件号码|#id>', '人员证件号码，或 #登记编号')
        .requiredOption('--reason <text>', '原因'),
    ).action(async (options: CampaignOptions & { person: string; reason: string }) => {
      await withCollection(options, async (ctx) => {
        const person = await resolvePerson(ctx, options.person);
        const { campaign: c } = await findCampaign(ctx.db, ctx.countyCode);
        const e = await enrollmentOf(ctx.db, ctx.countyCode, person.id, c.benefit_year);
        if (!e) throw new InputError(`${person.name} 尚未办理 ${c.benefit_year} 年度参保登记`);
        const changed = await setEnrollmentStatus(ctx, e.id, to, options.reason);
        writeLines([`${person.name} 参保记录 #${e.id}：${STATUS_LABELS[changed.status]}`]);
      });
    });
  }

  campaignOptions(
    program
      .command('household')
      .description('查看一户成员本年度的参保状态与应缴金额')
      .requiredOption('--person <证件号码|#id>', '户内任一成员的证件号码，或 #登记编号'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { person: string }) => {
      await withCollection(options, async (ctx) => {
        const person = await resolvePerson(ctx, options.person);
        const due = await householdDue(ctx, person);
        if (options.json) return writeJson(due);
        writeLines([
          `户成员 ${due.members.length} 人，合计应缴 ${yuan(due.totalDueFen)}`,
          ...due.members.map(
            (m) =>
              `  ${m.name}（${maskIdNumber(m.docNumber)}）${m.status === 'not_enrolled' ? '未登记' : STATUS_LABELS[m.status as keyof typeof STATUS_LABELS]}${m.paysFen > 0 ? `，应缴 ${yuan(m.paysFen)}` : ''}${m.enrollmentId ? `（#${m.enrollmentId}）` : ''}`,
          ),
        ]);
      });
    });

  const channels = Object.values(CHANNELS)
    .map((c) => `${c.code}（${c.label}）`)
    .join('、');
  campaignOptions(
    program
      .command('pay')
      .description('记录一笔缴费：一人或整户（--household），金额须等于应缴合计；同一流水号重复提交只记一次')
      .requiredOption('--channel <channel>', `缴费渠道：${channels}`)
      .requiredOption('--person <证件号码|#id>', '缴费人员的证件号码，或 #登记编号')
      .requiredOption('--amount <yuan>', '实收金额（元）')
      .requiredOption('--txn <id>', '渠道交易流水号（现金代收可用收据号）')
      .option('--household', '整户缴费：为该人员所在户所有待缴费成员缴费')
      .option('--on <date>', '缴费日期（默认今天）')
      .option('--collector <code>', '代收员编号（现金代收必填）')
      .option('--receipt <no>', '收据号（现金代收必填）')
      .option('--reference <text>', '渠道信息：POS 终端号、学校名称等')
      .option('--payer <name>', '缴款人'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (
        options: CampaignOptions &
          JsonOption & {
            channel: string;
            person: string;
            amount: string;
            txn: string;
            household?: boolean;
            on?: string;
            collector?: string;
            receipt?: string;
            reference?: string;
            payer?: string;
          },
      ) => {
        await withCollection(options, async (ctx) => {
          const channel = channelOf(options.channel).code;
          const person = await resolvePerson(ctx, options.person);
          const paidOn = dateOf(options.on, '--on', ctx.today);
          const { campaign: c } = await findCampaign(ctx.db, ctx.countyCode);
          // A retried command (same channel and transaction id) replays the first payment: recordPayment
          // returns it when the amount and date match and refuses it as a conflict otherwise.
          const enrollmentIds =
            (await orderEnrollments(ctx, channel, options.txn)) ??
            (await enrollmentsToPay(ctx, person, options.household === true, options.person, c.benefit_year));
          const input = {
            channel,
            txnId: options.txn,
            enrollmentIds,
            amountFen: yuanOf(options.amount, '--amount'),
            paidOn,
            payer: options.payer ?? null,
            collector: options.collector ?? null,
            receiptNo: options.receipt ?? null,
            reference: options.reference ?? null,
          };
          const result = await recordPayment(ctx, input);
          if (options.json) return writeJson(result);
          writeLines(
            receiptLines(ctx, result, {
              channel,
              txnId: options.txn,
              paidOn,
              collector: options.collector,
              receiptNo: options.receipt,
            }),
          );
        });
      },
    );

  const school = program.command('school').description('学校集体缴费');
  campaignOptions(
    school
      .command('pay')
      .description(
        '学校为名单中的学生一次转账缴费：名单（.xlsx/.csv，列：姓名、证件号码）有一行错误即不记录；金额须等于应缴合计',
      )
      .argument('<file>', '学生名单')
      .requiredOption('--school <name>', '学校名称')
      .requiredOption('--txn <id>', '学校转账的交易流水号')
      .requiredOption('--amount <yuan>', '转账金额（元）')
      .option('--on <date>', '缴费日期（默认今天）'),
  )
    .option('--json', '以 JSON 输出')
    .action(
      async (
        file: string,
        options: CampaignOptions & JsonOption & { school: string; txn: string; amount: string; on?: string },
      ) => {
        await withCollection(options, async (ctx) => {
          const paidOn = dateOf(options.on, '--on', ctx.today);
          const result = await recordSchoolPayment(ctx, {
            file,
            school: options.school,
            txnId: options.txn,
            amountFen: yuanOf(options.amount, '--amount'),
            paidOn,
          });
          if (options.json) {
            writeJson(result);
            return;
          }
          writeLines(receiptLines(ctx, result, { channel: 'school', txnId: options.txn, paidOn }));
        });
      },
    );

  const online = program.command('online').description('居民线上缴费（本地支付网关模拟器）');
  campaignOptions(
    online
      .command('pay')
      .description('按姓名和证件号码查询本户应缴金额，经支付网关模拟器支付，并处理网关回调')
      .requiredOption('--name <name>', '姓名')
      .requiredOption('--id <number>', '证件号码'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { name: string; id: string }) => {
      await withCollection(options, async (ctx) => {
        const config = gatewayConfig();
        const checkout = await startCheckout(ctx, config, { name: options.name, docNumber: options.id });
        if (checkout.amountFen === 0) {
          writeLines([
            '本户没有需要缴纳的金额：',
            ...checkout.members.map(
              (m) =>
                `  ${m.name}（${m.docNumber}）${m.status === 'not_enrolled' ? '未登记' : STATUS_LABELS[m.status as keyof typeof STATUS_LABELS]}`,
            ),
          ]);
          return;
        }
        const callback = new GatewaySimulator(config).pay(checkout, ctx.now);
        const result = await handleGatewayCallback(ctx, config, callback);
        if (options.json) return writeJson({ checkout: { ...checkout, token: undefined }, callback, result });
        writeLines(
          receiptLines(ctx, result, { channel: 'online', txnId: callback.gatewayTxnId, paidOn: ctx.today }),
        );
      });
    });

  const collector = program.command('collector').description('现金代收：代收员手中现金与解缴');
  campaignOptions(
    collector
      .command('remit')
      .description('代收员把现金解缴至待报解账户（同一解缴单号只记一次）')
      .requiredOption('--collector <code>', '代收员编号')
      .requiredOption('--slip <no>', '解缴单号（银行回单号）')
      .requiredOption('--amount <yuan>', '解缴金额（元）')
      .option('--on <date>', '解缴日期（默认今天）'),
  ).action(
    async (options: CampaignOptions & { collector: string; slip: string; amount: string; on?: string }) => {
      await withCollection(options, async (ctx) => {
        const { replayed } = await recordRemittance(ctx, {
          collector: options.collector,
          slipNo: options.slip,
          amountFen: yuanOf(options.amount, '--amount'),
          remittedOn: dateOf(options.on, '--on', ctx.today),
        });
        const left = await collectorBalance(ctx, options.collector);
        writeLines([
          `${replayed ? '此解缴单已记录，未重复记账' : '已解缴'}：代收员 ${options.collector} ${yuan(yuanOf(options.amount, '--amount'))}，手中尚有现金 ${yuan(left)}`,
        ]);
      });
    },
  );
  campaignOptions(
    collector
      .command('balance')
      .description('代收员手中尚未解缴的现金')
      .requiredOption('--collector <code>', '代收员编号'),
  ).action(async (options: CampaignOptions & { collector: string }) => {
    await withCollection(options, async (ctx) => {
      writeLines([
        `代收员 ${options.collector} 手中尚未解缴：${yuan(await collectorBalance(ctx, options.collector))}`,
      ]);
    });
  });

  campaignOptions(
    program
      .command('mobilise')
      .description('动员名单：资助对象中尚未缴费、需个人缴费的人员，按村（社区）列出')
      .option('--village <code>', '只列出某村（社区）或乡镇（区划代码）')
      .option('--xlsx <file>', '保存为 .xlsx（按村分列，证件号码脱敏）'),
  )
    .option('--json', '以 JSON 输出')
    .action(async (options: CampaignOptions & JsonOption & { village?: string; xlsx?: string }) => {
      await withCollection(options, async (ctx) => {
        const rows = await mobilisationList(ctx, options.village ? { villageCode: options.village } : {});
        if (options.json) return writeJson(rows);
        if (options.xlsx) {
          // The same sheets as the report (canbao report mobilisation): a summary per village and the list.
          const report = await mobilisationDefinition.run(ctx, {
            regionCode: options.village ?? ctx.countyCode,
            asOf: ctx.today,
          });
          await writeXlsx(options.xlsx, reportSheets(report));
        }
        writeLines([
          `动员名单：${rows.length} 人`,
          ...rows
            .slice(0, 50)
            .map(
              (r) =>
                `  ${r.villageName ?? r.villageCode ?? '（未知村）'} ${r.name}（${maskIdNumber(r.docNumber)}）${r.groups}，应缴 ${yuan(r.paysFen)}，${r.status === 'not_enrolled' ? '未登记' : '待缴费'}`,
            ),
          ...(rows.length > 50 ? [`  ……共 ${rows.length} 人`] : []),
          ...(options.xlsx ? [`已保存：${options.xlsx}`] : []),
        ]);
      });
    });
}

/** The person's enrollment, or every member of their household with something to pay. */
async function enrollmentsToPay(
  ctx: CollectionContext,
  person: Person,
  household: boolean,
  ref: string,
  benefitYear: number,
): Promise<number[]> {
  if (household) {
    const due = await householdDue(ctx, person, benefitYear);
    const ids = due.members.filter((m) => m.paysFen > 0).map((m) => m.enrollmentId);
    if (ids.length === 0) throw new InputError(`${person.name} 所在户没有待缴费的成员`);
    return ids;
  }
  const e = await enrollmentOf(ctx.db, ctx.countyCode, person.id, benefitYear);
  if (!e) {
    throw new InputError(
      `${person.name} 尚未办理 ${benefitYear} 年度参保登记，请先运行 canbao enroll person --person ${ref}`,
    );
  }
  return [e.id];
}

function bulkSummary(result: Awaited<ReturnType<typeof renewEnrollments>>, options: JsonOption): void {
  if (options.json) {
    writeJson(result);
    return;
  }
  writeLines([
    `新登记待缴费 ${result.created} 人，全额资助直接参保 ${result.confirmed} 人，已有登记 ${result.existing} 人，未登记 ${result.skipped.length} 人`,
    ...result.skipped.slice(0, 50).map((s) => `  ${s.name}（#${s.personId}）：${s.reason}`),
    ...(result.skipped.length > 50 ? [`  ……共 ${result.skipped.length} 人`] : []),
  ]);
}
