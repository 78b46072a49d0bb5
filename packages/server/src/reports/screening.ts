/**
 * 未参保排查 (issue 5; policy `screening`, 瑶海区 七（三）): people in the household register of the
 * region, or enrolled in one of the policy's previous N years (the bureau's rosters in
 * enrollment_history and the earlier campaigns), who are not enrolled (paid or confirmed) at the
 * end of the report date; those at or over the policy's age and in its flagged groups (students)
 * marked. People known to be covered elsewhere (employee insurance, another region, current on the
 * date), deceased by the date, or whom the engine does not admit are left out and counted by reason.
 *
 * Each person listed gets the amount due — from their enrollment when they have one, else from an
 * assessment under the campaign's policy as of the date — the deadline (the collection end, or a
 * later extension for their groups) and a reminder text ready for SMS with the policy's channels.
 * Nothing is sent. Lists show masked ID numbers; phone numbers stay whole (the reminders need them).
 *
 * A person's village: their household's, else their hukou code, else their current or latest
 * enrollment's. "Enrolled as of" follows the enrollment events recorded by the end of the day
 * (subsidies.ts `statusAsOf`).
 */
import {
  ageOn,
  assess,
  type Facts,
  FactsError,
  type Fen,
  formatYuan,
  groupLabel,
  isGroupCode,
  maskIdNumber,
  type Policy,
  parseDate,
  parseIdNumber,
} from '@canbao/core';
import { sql } from 'kysely';
import { findCampaign } from '../collection/campaign.ts';
import { type CollectionContext, CollectionError } from '../collection/context.ts';
import { ENROLLED, STATUS_LABELS } from '../collection/enrollments.ts';
import type { EnrollmentStatus } from '../db/schema.ts';
import { personFactsBatch } from '../registry/facts.ts';
import { chunks } from '../registry/people.ts';
import { reportMeta } from './meta.ts';
import { PERSON_COLUMNS, type ReportDefinition, type ReportTable, VILLAGE_COLUMNS } from './report.ts';
import { inRegion, money, statusAsOf, yuan } from './subsidies.ts';

export interface ScreenedPerson {
  readonly villageCode: string | null;
  readonly villageName: string;
  readonly householdNumber: string | null;
  readonly personId: number;
  readonly name: string;
  /** Masked (first 6 and last 4). */
  readonly docNumber: string;
  readonly sex: string;
  readonly age: number | null;
  /** Where the person was found: 户籍, 2022年参保 … */
  readonly sources: readonly string[];
  /** Their enrollment's state at the date, or null when they had none. */
  readonly status: EnrollmentStatus | null;
  readonly flags: readonly string[];
  readonly phone: string | null;
  /** What they pay, fen; null when it cannot be assessed (the reason in `basis`). */
  readonly dueFen: number | null;
  readonly basis: string;
  readonly deadline: string;
  readonly message: string;
}

export interface ExcludedPerson {
  readonly villageName: string;
  readonly personId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly reason: string;
}

export interface VillageSummary {
  readonly villageCode: string | null;
  readonly villageName: string;
  readonly people: number;
  /** People per flag, in the order of `flagLabels`. */
  readonly flagged: readonly number[];
  readonly dueFen: number;
}

export interface ScreeningReport {
  readonly benefitYear: number;
  readonly period: { readonly from: string; readonly to: string; readonly cite: string };
  readonly previousYears: readonly number[];
  readonly flagLabels: readonly string[];
  readonly villages: readonly VillageSummary[];
  readonly people: readonly ScreenedPerson[];
  readonly excluded: {
    readonly total: number;
    readonly reasons: readonly { readonly reason: string; readonly people: number }[];
    readonly people: readonly ExcludedPerson[];
  };
}

const NO_VILLAGE = '未落村（社区）';
const shortGroup = (code: string) => (isGroupCode(code) ? groupLabel(code).replace(/（.*$/, '') : code);
const chineseDate = (date: string) => {
  const d = parseDate(date);
  return `${d.year}年${d.month}月${d.day}日`;
};

function birthOf(birthDate: string | null, docNumber: string) {
  if (birthDate) return parseDate(birthDate);
  try {
    return parseIdNumber(docNumber).birthDate;
  } catch {
    return null;
  }
}

/** The reminder text: who, what, by when, how; no ID number. */
function reminder(
  o: { name: string; dueFen: number | null; deadline: string; asOf: string },
  year: number,
  sender: string,
  channels: string,
): string {
  const head = `【${sender}】${o.name}您好，您尚未参加${year}年度城乡居民基本医疗保险`;
  const when =
    o.asOf <= o.deadline
      ? `请于${chineseDate(o.deadline)}前`
      : `集中缴费期已于${chineseDate(o.deadline)}结束，请尽快`;
  if (o.dueFen === 0) return `${head}。您属于资助参保对象，个人无需缴费，${when}联系所在村（社区）确认参保。`;
  const amount =
    o.dueFen === null ? '，请联系所在村（社区）核定缴费金额' : `，个人应缴 ${formatYuan(o.dueFen as Fen)} 元`;
  return `${head}${amount}，${when}缴费。缴费方式：${channels}。`;
}

/**
 * The engine's quote for a person not enrolled. A newborn's parents must choose the year: the
 * screening is for the campaign's year, so a newborn who may enroll for it is quoted for it.
 */
function quote(policy: Policy, facts: Facts, year: number) {
  try {
    return assess(policy, facts, { explain: false });
  } catch (error) {
    if (!(error instanceof FactsError && error.field === 'coverageYear')) throw error;
    return assess(policy, { ...facts, coverageYear: year }, { explain: false });
  }
}

export async function screeningReport(
  ctx: CollectionContext,
  regionCode: string,
  asOf: string,
  benefitYear?: number,
): Promise<ScreeningReport> {
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const s = policy.screening;
  if (!s) {
    throw new CollectionError(
      'no_screening',
      `政策 ${policy.id} 没有规定未参保排查（应比对几个年度的参保记录、哪些人员重点标记），无法生成排查名单`,
    );
  }
  const db = ctx.db;
  const year = campaign.benefit_year;
  const previousYears = Array.from({ length: s.previousYears }, (_, i) => year - s.previousYears + i);
  const firstYear = year - s.previousYears;
  const local = regionCode !== ctx.countyCode;
  const status = statusAsOf(ctx, asOf);

  const candidates = await db
    .selectFrom('people as p')
    .leftJoin('households as h', 'h.id', 'p.household_id')
    .leftJoin('enrollments as e', (join) =>
      join.onRef('e.person_id', '=', 'p.id').on('e.benefit_year', '=', year),
    )
    .select([
      'p.id',
      'p.name',
      'p.doc_number',
      'p.sex',
      'p.birth_date',
      'p.phone',
      'p.deceased_on',
      'p.is_student',
      'p.hukou_region_code',
      'h.number as household_number',
      'h.village_code',
      'e.id as enrollment_id',
      'e.pays_fen',
      'e.village_code as enrollment_village',
      status.as('status'),
    ])
    .where('p.county_code', '=', ctx.countyCode)
    .where((eb) =>
      eb.or([
        eb('h.village_code', 'like', `${ctx.countyCode}%`),
        eb('p.hukou_region_code', 'like', `${ctx.countyCode}%`),
        // A person registered without a hukou code (a roster without a village column, a
        // department list) is a local resident: the registry's reading (registry/facts.ts).
        eb('p.hukou_region_code', 'is', null),
        eb.exists(
          eb
            .selectFrom('enrollment_history as eh')
            .select('eh.id')
            .whereRef('eh.person_id', '=', 'p.id')
            .where('eh.benefit_year', '>=', firstYear)
            .where('eh.benefit_year', '<', year),
        ),
        eb.exists(
          eb
            .selectFrom('enrollments as pe')
            .select('pe.id')
            .whereRef('pe.person_id', '=', 'p.id')
            .where('pe.benefit_year', '>=', firstYear)
            .where('pe.benefit_year', '<', year)
            .where('pe.status', 'in', ENROLLED),
        ),
      ]),
    )
    .where(sql`coalesce(${status}, 'none')`, 'not in', ENROLLED)
    .$if(local, (q) =>
      q.where((eb) =>
        eb.or([
          eb('h.village_code', 'like', `${regionCode}%`),
          eb('p.hukou_region_code', 'like', `${regionCode}%`),
          eb('e.village_code', 'like', `${regionCode}%`),
          eb.exists(
            eb
              .selectFrom('enrollments as pe')
              .select('pe.id')
              .whereRef('pe.person_id', '=', 'p.id')
              .where('pe.village_code', 'like', `${regionCode}%`),
          ),
        ]),
      ),
    )
    .orderBy('p.id')
    .execute();

  // What each candidate needs beyond their row, a set query per table and chunk.
  const ids = candidates.map((c) => c.id);
  const years = new Map<number, Set<number>>();
  const lastVillage = new Map<number, string>();
  const groups = new Map<number, Set<string>>();
  const covered = new Map<number, string>();
  const addTo = <T>(map: Map<number, Set<T>>, id: number, value: T) => {
    const set = map.get(id) ?? new Set<T>();
    set.add(value);
    map.set(id, set);
  };
  for (const part of chunks(ids)) {
    for (const h of await db
      .selectFrom('enrollment_history')
      .select(['person_id', 'benefit_year'])
      .where('county_code', '=', ctx.countyCode)
      .where('person_id', 'in', part)
      .where('benefit_year', '>=', firstYear)
      .where('benefit_year', '<', year)
      .execute()) {
      addTo(years, h.person_id, h.benefit_year);
    }
    for (const pe of await db
      .selectFrom('enrollments')
      .select(['person_id', 'benefit_year', 'village_code', 'status'])
      .where('county_code', '=', ctx.countyCode)
      .where('person_id', 'in', part)
      .where('benefit_year', '<', year)
      .orderBy('benefit_year')
      .execute()) {
      if (pe.village_code) lastVillage.set(pe.person_id, pe.village_code);
      if (pe.benefit_year >= firstYear && ENROLLED.includes(pe.status))
        addTo(years, pe.person_id, pe.benefit_year);
    }
    for (const g of await db
      .selectFrom('person_groups')
      .select(['person_id', 'group_code'])
      .where('county_code', '=', ctx.countyCode)
      .where('person_id', 'in', part)
      .where('valid_from', '<=', asOf)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', asOf)]))
      .execute()) {
      addTo(groups, g.person_id, g.group_code);
    }
    for (const c of await db
      .selectFrom('external_coverage')
      .select(['person_id', 'kind'])
      .where('county_code', '=', ctx.countyCode)
      .where('person_id', 'in', part)
      .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', asOf)]))
      .where((eb) => eb.or([eb('stopped_on', 'is', null), eb('stopped_on', '>', asOf)]))
      .orderBy('id')
      .execute()) {
      if (!covered.has(c.person_id)) {
        covered.set(c.person_id, c.kind === 'employee_insurance' ? '已参加职工医保' : '已在外地参加居民医保');
      }
    }
  }

  const villageNames = new Map(
    (
      await db
        .selectFrom('regions')
        .select(['code', 'name'])
        .where('code', 'like', `${ctx.countyCode}%`)
        .execute()
    ).map((r) => [r.code, r.name]),
  );
  const sender = `${villageNames.get(ctx.countyCode) ?? ctx.countyCode}医保`;
  const channels = policy.channels.map((c) => c.label).join('；') || '请咨询所在村（社区）';

  // First pass: place, exclusions before assessing; who needs an assessment.
  type Candidate = (typeof candidates)[number] & { village: string | null; sources: string[] };
  const kept: Candidate[] = [];
  const excluded: ExcludedPerson[] = [];
  const exclude = (c: Candidate, reason: string) =>
    excluded.push({
      villageName: c.village ? (villageNames.get(c.village) ?? c.village) : NO_VILLAGE,
      personId: c.id,
      name: c.name,
      docNumber: maskIdNumber(c.doc_number),
      reason,
    });
  for (const c of candidates) {
    const registered = c.village_code ?? c.hukou_region_code;
    const village =
      c.village_code ??
      (c.hukou_region_code?.length === 12 ? c.hukou_region_code : null) ??
      c.enrollment_village ??
      lastVillage.get(c.id) ??
      null;
    if (!inRegion(ctx, regionCode, village)) continue;
    const sources = [
      ...(registered === null || registered.startsWith(ctx.countyCode) ? ['户籍'] : []),
      ...[...(years.get(c.id) ?? [])].sort().map((y) => `${y}年参保`),
    ];
    if (sources.length === 0) continue;
    const candidate = { ...c, village, sources };
    if (c.deceased_on !== null && c.deceased_on <= asOf) exclude(candidate, '已死亡');
    else if (covered.has(c.id)) exclude(candidate, covered.get(c.id) as string);
    else kept.push(candidate);
  }

  const toAssess = kept.filter((c) => c.enrollment_id === null);
  const assessed = new Map<number, { dueFen: number | null; basis: string; eligible: boolean }>();
  for (const part of chunks(toAssess)) {
    const facts = await personFactsBatch(
      db,
      ctx.countyCode,
      part.map((c) => ({ personId: c.id, asOf })),
    );
    part.forEach((c, i) => {
      try {
        const a = quote(policy, facts[i] as Facts, year);
        if (!a.eligible) {
          const reasons = (a.reasons ?? []).map((r) => r.text).join('；');
          assessed.set(c.id, {
            dueFen: null,
            basis: `不符合参保条件：${reasons || '未说明'}`,
            eligible: false,
          });
        } else {
          assessed.set(c.id, { dueFen: a.pays, basis: `按政策测算（${asOf}）`, eligible: true });
        }
      } catch (error) {
        assessed.set(c.id, { dueFen: null, basis: `无法测算：${(error as Error).message}`, eligible: true });
      }
    });
  }

  const flagLabels = [`${s.flagAgeAtLeast}周岁以上`, ...s.flagGroups.map(shortGroup)];
  const people: ScreenedPerson[] = [];
  for (const c of kept) {
    const a = assessed.get(c.id);
    if (a && !a.eligible) {
      exclude(c, a.basis);
      continue;
    }
    const birth = birthOf(c.birth_date, c.doc_number);
    const age = birth ? ageOn(birth, parseDate(asOf)) : null;
    const held = groups.get(c.id) ?? new Set<string>();
    if (c.is_student === 1) held.add('student');
    const flags = [
      ...(age !== null && age >= s.flagAgeAtLeast ? [flagLabels[0] as string] : []),
      ...s.flagGroups.filter((g) => held.has(g)).map(shortGroup),
    ];
    const deadline = [
      policy.collection.end.toString(),
      ...policy.collection.extensions
        .filter((x) => x.groups.some((g) => held.has(g)))
        .map((x) => x.until.toString()),
    ]
      .sort()
      .at(-1) as string;
    const dueFen = a ? a.dueFen : Number(c.pays_fen);
    people.push({
      villageCode: c.village,
      villageName: c.village ? (villageNames.get(c.village) ?? c.village) : NO_VILLAGE,
      householdNumber: c.household_number,
      personId: c.id,
      name: c.name,
      docNumber: maskIdNumber(c.doc_number),
      sex: c.sex === 'male' ? '男' : c.sex === 'female' ? '女' : '',
      age,
      sources: c.sources,
      status: c.status,
      flags,
      phone: c.phone,
      dueFen,
      basis: a ? a.basis : '参保登记',
      deadline,
      message: reminder({ name: c.name, dueFen, deadline, asOf }, year, sender, channels),
    });
  }
  // By village code (people without a village last), household, person.
  const villageOrder = (x: ScreenedPerson, y: ScreenedPerson) =>
    x.villageCode === y.villageCode
      ? 0
      : x.villageCode === null
        ? 1
        : y.villageCode === null
          ? -1
          : x.villageCode < y.villageCode
            ? -1
            : 1;
  people.sort(
    (x, y) =>
      villageOrder(x, y) ||
      (x.householdNumber ?? '').localeCompare(y.householdNumber ?? '') ||
      x.personId - y.personId,
  );

  const villages = new Map<string, { -readonly [K in keyof VillageSummary]: VillageSummary[K] }>();
  for (const p of people) {
    const key = p.villageCode ?? '';
    const v = villages.get(key) ?? {
      villageCode: p.villageCode,
      villageName: p.villageName,
      people: 0,
      flagged: flagLabels.map(() => 0),
      dueFen: 0,
    };
    v.people += 1;
    v.dueFen += p.dueFen ?? 0;
    v.flagged = v.flagged.map((n, i) => n + (p.flags.includes(flagLabels[i] as string) ? 1 : 0));
    villages.set(key, v);
  }
  const reasons = new Map<string, number>();
  for (const x of excluded) reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + 1);
  const cite = s.cite.map((key) => policy.clauses[key]?.ref ?? key).join('、');
  return {
    benefitYear: year,
    period: { from: s.from.toString(), to: s.to.toString(), cite },
    previousYears,
    flagLabels,
    villages: [...villages.values()],
    people,
    excluded: {
      total: excluded.length,
      reasons: [...reasons].map(([reason, n]) => ({ reason, people: n })),
      people: excluded,
    },
  };
}

function screeningTables(report: ScreeningReport, policy: Pick<Policy, 'id'>, asOf: string): ReportTable[] {
  const { from, to } = report.period;
  const outside = asOf < from || asOf > to ? `报表日期 ${asOf} 不在排查期内。` : '';
  const scope = `排查范围：户籍人口及 ${report.previousYears.join('、') || '（无）'} 年度参保人员中截至报表日期未参保（未缴费或未确认）的人员；排查期 ${from} 至 ${to}（${policy.id} ${report.period.cite}）。${outside}`;
  const exclusions =
    report.excluded.total === 0
      ? '未排除任何人员。'
      : `已排除 ${report.excluded.total} 人：${report.excluded.reasons.map((r) => `${r.reason} ${r.people} 人`).join('，')}（见“排除人员”）。`;
  const total = report.villages.reduce((n, v) => n + v.people, 0);
  const due = report.villages.reduce((n, v) => n + v.dueFen, 0);
  const tables: ReportTable[] = [
    {
      name: '排查汇总',
      title: '未参保排查汇总（按村）',
      columns: [
        ...VILLAGE_COLUMNS,
        { header: '未参保人数', width: 10, text: false },
        ...report.flagLabels.map((l) => ({ header: `其中${l}`, width: 12, text: false })),
        { header: '应缴合计（元）', width: 14, text: false },
      ],
      rows: report.villages.map((v) => [
        v.villageCode,
        v.villageName,
        v.people,
        ...v.flagged,
        money(v.dueFen),
      ]),
      notes: [`合计 ${total} 人，应缴 ${yuan(due)}。`, scope, exclusions],
    },
    {
      name: '未参保名单',
      title: '未参保人员动员名单',
      columns: [
        ...PERSON_COLUMNS,
        { header: '性别', width: 6 },
        { header: '年龄', width: 6, text: false },
        { header: '排查来源', width: 22 },
        { header: '登记状态', width: 10 },
        { header: '重点标记', width: 16 },
        { header: '联系电话', width: 14 },
        { header: '应缴金额（元）', width: 14, text: false },
        { header: '金额依据', width: 24 },
        { header: '缴费截止日期', width: 12 },
      ],
      rows: report.people.map((p) => [
        p.villageCode,
        p.villageName,
        p.householdNumber,
        p.name,
        p.docNumber,
        p.sex,
        p.age,
        p.sources.join('、'),
        p.status ? STATUS_LABELS[p.status] : '未登记',
        p.flags.join('、'),
        p.phone,
        p.dueFen === null ? null : money(p.dueFen),
        p.basis,
        p.deadline,
      ]),
    },
  ];
  // The reminders, one sheet per village: each village's staff send their own.
  for (const v of report.villages) {
    const here = report.people.filter((p) => p.villageCode === v.villageCode);
    tables.push({
      name: `短信-${v.villageName}`,
      title: `催缴短信（${v.villageName}，${here.length} 条，未发送）`,
      columns: [
        { header: '村（社区）', width: 16 },
        { header: '姓名', width: 10 },
        { header: '联系电话', width: 14 },
        { header: '应缴金额（元）', width: 14, text: false },
        { header: '缴费截止日期', width: 12 },
        { header: '短信内容', width: 90 },
      ],
      rows: here.map((p) => [
        p.villageName,
        p.name,
        p.phone,
        p.dueFen === null ? null : money(p.dueFen),
        p.deadline,
        p.message,
      ]),
    });
  }
  tables.push({
    name: '排除人员',
    title: '排查中排除的人员',
    columns: [
      { header: '村（社区）', width: 16 },
      { header: '姓名', width: 10 },
      { header: '证件号码', width: 22 },
      { header: '排除原因', width: 40 },
    ],
    rows: report.excluded.people.map((x) => [x.villageName, x.name, x.docNumber, x.reason]),
    notes: [exclusions],
  });
  return tables;
}

export const screeningDefinition: ReportDefinition<ScreeningReport> = {
  name: 'screening',
  label: '未参保排查',
  listsPeople: true,
  description:
    '户籍人口和往年参保人员中尚未参保的人员，标记高龄和重点人群，按村生成动员名单和催缴短信（不发送）',
  async run(ctx, scope) {
    const meta = await reportMeta(ctx, scope);
    const data = await screeningReport(ctx, scope.regionCode, scope.asOf, meta.campaign.benefit_year);
    return { meta, data, tables: screeningTables(data, meta.policy, scope.asOf) };
  },
};
