/**
 * 排位通报 (issue 5): the villages of a township (or of the county) ranked as of a date on
 * collection (完成率: people enrolled against the task table's people, or money against its amount,
 * as the policy's `incentives.measure` says) and on money deposited (the amount paid against the
 * task table's amount), each with its change in rank since the day before and the last three
 * named; and the policy's staged incentives, each stage evaluated as of its own date.
 *
 * "As of" a date (the same reading as the progress report): an enrollment counts as enrolled from
 * the earlier of its first payment's `paid_on` and the moment of its first event into paid or
 * confirmed (a full-subsidy confirmation has no payment), until its event into refunded (a refund
 * approved ends the enrollment); the amount collected is the payments dated on or before the date,
 * less the refunds paid out (`refunds.paid_on`) on or before it. A bank file recorded later with
 * earlier payment dates therefore changes the earlier days' figures: a stage is judged by when
 * people paid, not by when the file arrived.
 *
 * Targets are the task table's (task_targets) as given — never people × standard. A village
 * without a target for the measure is listed but not ranked.
 *
 * Ties: rates are compared exactly (cross-multiplied in integers). Tied villages share a rank, the
 * best of the places they occupy (1, 2, 2, 4); the last three are counted from the bottom the same
 * way (倒数名次 = 1 + the villages strictly behind), so tied villages are always treated alike and
 * a tie at the boundary names more than three villages.
 */
import { type Fen, formatYuan, type Policy, parseDate } from '@canbao/core';
import { findCampaign } from '../collection/campaign.ts';
import { type CollectionContext, CollectionError } from '../collection/context.ts';
import type { CellValue } from '../files/write-xlsx.ts';
import { reportMeta } from './meta.ts';
import { progressReport, ratePercent } from './progress.ts';
import type { ReportDefinition, ReportTable } from './report.ts';
import { money } from './subsidies.ts';

export type Measure = 'people' | 'amount';

/** A village's figures on one day. */
export interface DayFigures {
  readonly enrolled: number;
  readonly collectedFen: number;
}

/** What a ranking compares: a part of a whole (null or 0: no target, not ranked). */
export interface Rated {
  readonly code: string;
  readonly part: number;
  readonly whole: number | null;
}

export interface Place {
  /** 1 + the villages strictly ahead. */
  readonly rank: number;
  /** 倒数名次: 1 + the villages strictly behind. */
  readonly fromBottom: number;
}

export interface VillageStanding {
  readonly regionCode: string;
  readonly regionName: string;
  readonly targetPeople: number | null;
  readonly targetFen: number | null;
  readonly enrolled: number;
  readonly collectedFen: number;
  /** Percent, two decimals, rounded down (so 99.999% never shows as 100%); null without a target. */
  readonly peopleRate: number | null;
  readonly amountRate: number | null;
  /** The collection ranking (on the measure). */
  readonly collection: RankChange;
  /** The ranking on money deposited (amount paid against the amount target). */
  readonly money: RankChange;
}

export interface RankChange {
  readonly rank: number | null;
  readonly previousRank: number | null;
  /** Places gained since the day before (positive: moved up); null when unranked either day. */
  readonly change: number | null;
  readonly lastThree: boolean;
}

export interface StageVillage {
  readonly regionCode: string;
  readonly regionName: string;
  /** Percent on the measure, two decimals rounded down. */
  readonly rate: number;
  readonly rank: number;
  /** The tier reached (its percent), null when none. */
  readonly tierPercent: number | null;
  readonly rewardFen: number;
  /** Whether the stage's required percent is reached; null when the stage requires none. */
  readonly reachedRequired: boolean | null;
  /** 倒数名次 among the stage's candidates for the last three, when among them. */
  readonly lastThreePlace: number | null;
  readonly fineFen: number;
}

export interface StageResult {
  readonly id: string;
  /** 第N阶段. */
  readonly label: string;
  readonly by: string;
  /** False when the stage's date is after the report date: not evaluated yet. */
  readonly due: boolean;
  readonly cite: readonly string[];
  /** The cited clauses' references and text. */
  readonly quote: string;
  readonly consequence: string;
  readonly fines: readonly number[];
  readonly villages: readonly StageVillage[];
  readonly rewardsFen: number;
  readonly finesFen: number;
}

export interface RankingReport {
  readonly benefitYear: number;
  readonly asOf: string;
  readonly previousDay: string;
  readonly measure: Measure;
  /** Where the policy says what 完成率 counts (or that it has no incentives). */
  readonly measureNote: string;
  /** Sorted by collection rank (unranked last), then by code. */
  readonly villages: readonly VillageStanding[];
  readonly totals: {
    readonly targetPeople: number;
    readonly targetFen: number;
    readonly enrolled: number;
    readonly collectedFen: number;
  };
  readonly stages: readonly StageResult[];
}

const yuanText = (fen: number) => formatYuan(fen as Fen);

/** Sign of a/b − c/d for positive b and d, exactly (amounts in fen overflow doubles when multiplied). */
function compareRates(a: Rated, b: Rated): number {
  const left = BigInt(a.part) * BigInt(b.whole as number);
  const right = BigInt(b.part) * BigInt(a.whole as number);
  return left === right ? 0 : left > right ? 1 : -1;
}

/** Ranks and places from the bottom of the items with a target; the others are left out. */
export function rankPlaces(items: readonly Rated[]): Map<string, Place> {
  const ranked = items.filter((i) => i.whole !== null && i.whole > 0);
  const places = new Map<string, Place>();
  for (const item of ranked) {
    let ahead = 0;
    let behind = 0;
    for (const other of ranked) {
      const c = compareRates(other, item);
      if (c > 0) ahead++;
      else if (c < 0) behind++;
    }
    places.set(item.code, { rank: ahead + 1, fromBottom: behind + 1 });
  }
  return places;
}

/** part / whole ≥ hundredths / 10000, exactly. */
function reaches(part: number, whole: number, hundredths: number): boolean {
  return BigInt(part) * 10000n >= BigInt(hundredths) * BigInt(whole);
}

type Stage = NonNullable<Policy['incentives']>['stages'][number];

/**
 * One stage for villages' figures on its date: the highest tier each reached, whether the
 * required percent is reached, and the last three — among the villages that have not reached the
 * required percent when the stage sets one (未完成任务后三名), else among all ranked villages.
 * The fines are listed in the policy in the order of the last three as ranked, the best of them
 * first: the village at 倒数第 k pays fines[length − k] (倒数第一 the last-listed, largest one).
 */
export function evaluateStage(
  stage: Pick<Stage, 'tiers' | 'requiredPercent' | 'lastThree'>,
  rated: readonly (Rated & { name: string })[],
): StageVillage[] {
  const withTarget = rated.filter((r) => r.whole !== null && r.whole > 0);
  const all = rankPlaces(withTarget);
  const required = stage.requiredPercent;
  const reached = (r: Rated) => required !== null && reaches(r.part, r.whole as number, required);
  const candidates = rankPlaces(withTarget.filter((r) => !reached(r)));
  const tiers = [...stage.tiers].sort((a, b) => b.atLeastPercent - a.atLeastPercent);
  const fines = stage.lastThree.fines;
  const villages = withTarget.map((r): StageVillage => {
    const tier = tiers.find((t) => reaches(r.part, r.whole as number, t.atLeastPercent)) ?? null;
    const bottom = candidates.get(r.code)?.fromBottom ?? null;
    const lastThreePlace = bottom !== null && bottom <= 3 ? bottom : null;
    return {
      regionCode: r.code,
      regionName: r.name,
      rate: ratePercent(r.part, r.whole) as number,
      rank: (all.get(r.code) as Place).rank,
      tierPercent: tier ? tier.atLeastPercent / 100 : null,
      rewardFen: tier ? tier.reward : 0,
      reachedRequired: required === null ? null : reached(r),
      lastThreePlace,
      fineFen: lastThreePlace === null ? 0 : (fines[fines.length - lastThreePlace] ?? 0),
    };
  });
  return villages.sort((a, b) => a.rank - b.rank || a.regionCode.localeCompare(b.regionCode));
}

/**
 * Enrolled people and money collected per village at the end of each of `days`: the progress
 * report's figures (the same reading of "as of", and its per-village day changes kept between
 * reports, so a ranking does not go through every enrollment of the county again).
 */
async function figuresOn(
  ctx: CollectionContext,
  regionCode: string,
  benefitYear: number,
  days: readonly string[],
): Promise<Map<string, Map<string, DayFigures>>> {
  const result = new Map<string, Map<string, DayFigures>>();
  for (const day of days) {
    const progress = await progressReport(ctx, regionCode, day, benefitYear);
    result.set(
      day,
      new Map(
        progress.rows
          .filter((r) => r.level === 'village')
          .map((r) => [r.regionCode, { enrolled: r.today.enrolled, collectedFen: r.today.collectedFen }]),
      ),
    );
  }
  return result;
}

interface Village {
  readonly code: string;
  readonly name: string;
  readonly targetPeople: number | null;
  readonly targetFen: number | null;
}

const ZERO: DayFigures = { enrolled: 0, collectedFen: 0 };

function rated(villages: readonly Village[], figures: Map<string, DayFigures>, measure: Measure) {
  return villages.map((v) => {
    const f = figures.get(v.code) ?? ZERO;
    return measure === 'people'
      ? { code: v.code, name: v.name, part: f.enrolled, whole: v.targetPeople }
      : { code: v.code, name: v.name, part: f.collectedFen, whole: v.targetFen };
  });
}

function rankChange(today: Map<string, Place>, before: Map<string, Place>, code: string): RankChange {
  const now = today.get(code);
  const then = before.get(code);
  return {
    rank: now?.rank ?? null,
    previousRank: then?.rank ?? null,
    change: now && then ? then.rank - now.rank : null,
    lastThree: now !== undefined && now.fromBottom <= 3,
  };
}

function quoteClauses(policy: Policy, keys: readonly string[]): string {
  return keys
    .map((key) => {
      const clause = policy.clauses[key];
      return clause ? `${clause.ref}：${clause.text}` : key;
    })
    .join(' ');
}

export async function rankingReport(
  ctx: CollectionContext,
  regionCode: string,
  asOf: string,
  benefitYear?: number,
): Promise<RankingReport> {
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const db = ctx.db;
  const region = await db
    .selectFrom('regions')
    .select(['code', 'name', 'level'])
    .where('code', '=', regionCode)
    .executeTakeFirstOrThrow();
  if (region.level === 'village') {
    throw new CollectionError(
      'ranking_scope',
      `排位通报对乡镇或全县内的各村排名：${region.name}（${region.code}）是村级区划，请给出其所属乡镇或县的代码`,
    );
  }
  const prefix = `${regionCode}%`;
  const regions = await db
    .selectFrom('regions')
    .select(['code', 'name', 'valid_to'])
    .where('county_code', '=', ctx.countyCode)
    .where('code', 'like', prefix)
    .where('level', '=', 'village')
    .orderBy('code')
    .execute();
  const targets = await db
    .selectFrom('task_targets')
    .select(['region_code', 'eligible_people', 'amount_fen'])
    .where('county_code', '=', ctx.countyCode)
    .where('benefit_year', '=', campaign.benefit_year)
    .where('region_code', 'like', prefix)
    .execute();
  const targetOf = new Map(targets.map((t) => [t.region_code, t]));
  const villages: Village[] = regions
    .filter((r) => r.valid_to === null || r.valid_to > asOf || targetOf.has(r.code))
    .map((r) => ({
      code: r.code,
      name: r.name,
      targetPeople: targetOf.get(r.code)?.eligible_people ?? null,
      targetFen: targetOf.get(r.code)?.amount_fen ?? null,
    }));

  const incentives = policy.incentives;
  const measure: Measure = incentives?.measure ?? 'people';
  const measureNote = incentives
    ? `完成率按${measure === 'people' ? '参保人数占任务人数' : '已缴金额占任务金额'}计算（依据 ${quoteClauses(policy, incentives.measureCite)}）`
    : '政策未规定奖惩（incentives），完成率按参保人数占任务人数计算';
  const previousDay = parseDate(asOf).subtract({ days: 1 }).toString();
  const stages = incentives?.stages ?? [];
  const stageDays = stages.map((s) => s.by.toString()).filter((d) => d <= asOf);
  const days = [...new Set([asOf, previousDay, ...stageDays])];
  const figures = await figuresOn(ctx, regionCode, campaign.benefit_year, days);
  const today = figures.get(asOf) as Map<string, DayFigures>;
  const before = figures.get(previousDay) as Map<string, DayFigures>;

  const collectionNow = rankPlaces(rated(villages, today, measure));
  const collectionBefore = rankPlaces(rated(villages, before, measure));
  const moneyNow = rankPlaces(rated(villages, today, 'amount'));
  const moneyBefore = rankPlaces(rated(villages, before, 'amount'));
  const standings = villages.map((v): VillageStanding => {
    const f = today.get(v.code) ?? ZERO;
    return {
      regionCode: v.code,
      regionName: v.name,
      targetPeople: v.targetPeople,
      targetFen: v.targetFen,
      enrolled: f.enrolled,
      collectedFen: f.collectedFen,
      peopleRate: ratePercent(f.enrolled, v.targetPeople),
      amountRate: ratePercent(f.collectedFen, v.targetFen),
      collection: rankChange(collectionNow, collectionBefore, v.code),
      money: rankChange(moneyNow, moneyBefore, v.code),
    };
  });
  const unranked = Number.MAX_SAFE_INTEGER;
  standings.sort(
    (a, b) =>
      (a.collection.rank ?? unranked) - (b.collection.rank ?? unranked) ||
      a.regionCode.localeCompare(b.regionCode),
  );
  const sum = (f: (v: VillageStanding) => number | null) => standings.reduce((n, v) => n + (f(v) ?? 0), 0);

  const stageResults = stages.map((stage, i): StageResult => {
    const by = stage.by.toString();
    const due = by <= asOf;
    const evaluated = due
      ? evaluateStage(stage, rated(villages, figures.get(by) as Map<string, DayFigures>, measure))
      : [];
    return {
      id: stage.id,
      label: `第${i + 1}阶段`,
      by,
      due,
      cite: stage.cite.map((key) => policy.clauses[key]?.ref ?? key),
      quote: quoteClauses(policy, stage.cite),
      consequence: stage.lastThree.consequence,
      fines: stage.lastThree.fines,
      villages: evaluated,
      rewardsFen: evaluated.reduce((n, v) => n + v.rewardFen, 0),
      finesFen: evaluated.reduce((n, v) => n + v.fineFen, 0),
    };
  });

  return {
    benefitYear: campaign.benefit_year,
    asOf,
    previousDay,
    measure,
    measureNote,
    villages: standings,
    totals: {
      targetPeople: sum((v) => v.targetPeople),
      targetFen: sum((v) => v.targetFen),
      enrolled: sum((v) => v.enrolled),
      collectedFen: sum((v) => v.collectedFen),
    },
    stages: stageResults,
  };
}

// ---------------------------------------------------------------------------------------------
// Tables

/** ↑2 / ↓1 / — (unchanged) / '' (unranked either day). */
export function changeText(change: number | null): string {
  if (change === null) return '';
  return change > 0 ? `↑${change}` : change < 0 ? `↓${-change}` : '—';
}

function lastThreeText(v: VillageStanding): string {
  return [v.collection.lastThree ? '筹资后三名' : '', v.money.lastThree ? '入库后三名' : '']
    .filter(Boolean)
    .join('、');
}

function rankingTable(r: RankingReport): ReportTable {
  const t = r.totals;
  return {
    name: '排位通报',
    title: '城乡居民医保征缴排位通报',
    columns: [
      { header: '筹资排名', width: 8, text: false },
      { header: '较上日', width: 7 },
      { header: '村（社区）', width: 12 },
      { header: '任务人数', width: 9, text: false },
      { header: '参保人数', width: 9, text: false },
      { header: '人数完成率（%）', width: 10, text: false },
      { header: '任务金额（元）', width: 13, text: false },
      { header: '已缴金额（元）', width: 13, text: false },
      { header: '金额完成率（%）', width: 10, text: false },
      { header: '入库排名', width: 8, text: false },
      { header: '入库较上日', width: 7 },
      { header: '后三名', width: 14 },
    ],
    rows: [
      ...r.villages.map((v): CellValue[] => [
        v.collection.rank,
        changeText(v.collection.change),
        v.regionName,
        v.targetPeople,
        v.enrolled,
        v.peopleRate,
        v.targetFen === null ? null : money(v.targetFen),
        money(v.collectedFen),
        v.amountRate,
        v.money.rank,
        changeText(v.money.change),
        lastThreeText(v),
      ]),
      [
        null,
        '',
        '合计',
        t.targetPeople,
        t.enrolled,
        ratePercent(t.enrolled, t.targetPeople),
        money(t.targetFen),
        money(t.collectedFen),
        ratePercent(t.collectedFen, t.targetFen),
        null,
        '',
        '',
      ],
    ],
    notes: [
      `筹资排名：${r.measureNote}；入库排名：已缴金额（缴费日期在 ${r.asOf} 及以前，减去已退付的退费）占任务金额。`,
      `较上日：与 ${r.previousDay} 的名次相比（↑ 上升、↓ 下降、— 不变）。任务人数和任务金额取任务分解表，无任务数的村不参加排名。`,
      '并列：完成率完全相同的村名次相同（如 1、2、2、4），后三名按倒数名次计（1 + 排在其后的村数），并列者同等对待，故可能多于三个村。完成率保留两位小数、舍去其后位数。',
    ],
  };
}

function stageTable(r: RankingReport): ReportTable {
  const rows: CellValue[][] = [];
  const notes: string[] = [];
  for (const s of r.stages) {
    const clause = s.cite.join('；');
    if (!s.due) {
      rows.push([s.label, s.by, null, '（未到期）', null, '', null, null, '', clause]);
      continue;
    }
    for (const v of s.villages) {
      const lastThree = v.lastThreePlace === null ? '' : `倒数第${v.lastThreePlace}名：${s.consequence}`;
      const result =
        v.reachedRequired === null
          ? v.tierPercent === null
            ? '未达奖励档次'
            : `达到 ${v.tierPercent}%`
          : v.reachedRequired
            ? '已完成任务'
            : '未完成任务';
      rows.push([
        s.label,
        s.by,
        v.rank,
        v.regionName,
        v.rate,
        result,
        money(v.rewardFen),
        money(v.fineFen),
        lastThree,
        clause,
      ]);
    }
    notes.push(
      `${s.label}（截至 ${s.by}）：奖励合计 ${yuanText(s.rewardsFen)} 元，罚款合计 ${yuanText(s.finesFen)} 元。依据 ${s.quote}`,
    );
  }
  const fined = r.stages.find((s) => s.fines.length > 0);
  if (fined) {
    notes.push(
      `罚款名次：政策文件列出 ${fined.fines.map(yuanText).join('、')} 元（${fined.consequence}）；canbao 按后三名的排名顺序对应，倒数第一适用最后一项（${yuanText(fined.fines.at(-1) as number)} 元），依次向前。`,
    );
  }
  notes.push('各阶段按其截止日当日结束时的数据评定；截止日在报表日期之后的阶段标为未到期。');
  return {
    name: '分阶段奖惩',
    title: '分阶段奖惩结果',
    columns: [
      { header: '阶段', width: 9 },
      { header: '截止日期', width: 11 },
      { header: '排名', width: 6, text: false },
      { header: '村（社区）', width: 12 },
      { header: '完成率（%）', width: 10, text: false },
      { header: '结果', width: 12 },
      { header: '奖励（元）', width: 10, text: false },
      { header: '罚款（元）', width: 10, text: false },
      { header: '后三名处理', width: 30 },
      { header: '条款', width: 12 },
    ],
    rows,
    notes,
  };
}

export const rankingDefinition: ReportDefinition<RankingReport> = {
  name: 'ranking',
  label: '排位通报',
  description:
    '乡镇（或全县）内各村按筹资完成率和资金入库排名、较上日变化、后三名，及政策规定的分阶段奖惩结果',
  async run(ctx, scope) {
    const meta = await reportMeta(ctx, scope);
    const data = await rankingReport(ctx, scope.regionCode, scope.asOf, scope.benefitYear);
    const tables = [rankingTable(data)];
    if (data.stages.length > 0) tables.push(stageTable(data));
    return { meta, data, tables };
  },
};
