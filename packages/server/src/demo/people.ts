/**
 * The demo county's people, generated from a seed: villages sized like the policy's task table,
 * households of one to six (a head, a spouse, children, the head's parents) with birth dates that
 * fit together, names from common surnames and given names, identity numbers with a valid GB 11643
 * check character whose birth date and sex digit agree with the person, phones, students, the
 * department lists' groups, last year's enrollment, and what each household will do in the
 * campaign (whether and when it pays, through which channel).
 *
 * Pure: no database, clock or file. The same seed and size give the same county.
 */
import { type DepartmentCode, type GroupCode, idCheckCharacter, parseDate, Temporal } from '@canbao/core';

/** mulberry32: a small 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** An index drawn with the given weights. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.next() * total;
    for (const [i, w] of weights.entries()) {
      x -= w;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}

// The most common surnames of Anhui's north, and given names in the styles of each generation.
const SURNAMES = [
  ...'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段',
];
const MALE_OLD =
  '建国 建华 国庆 志强 德明 永福 文华 明山 庆华 广才 振华 学文 玉山 长海 保国 金生 春生 树林 汉 荣 忠 宝 山'.split(
    ' ',
  );
const FEMALE_OLD = '秀英 桂英 秀兰 玉兰 桂兰 凤英 淑珍 玉梅 秀珍 兰英 翠花 桂芳 素芳 金兰 英 芳 珍 兰'.split(
  ' ',
);
const MALE_MID = '伟 强 磊 军 勇 杰 涛 斌 超 明 刚 辉 海涛 建军 小龙 永刚 立新 红军 志刚 春雷 海波'.split(
  ' ',
);
const FEMALE_MID = '丽 娟 艳 敏 静 霞 燕 红梅 丽娟 海燕 春燕 晓红 丽华 玉霞 彩霞 美玲 艳红 小芳'.split(' ');
const MALE_YOUNG =
  '浩然 子轩 宇航 俊杰 梓豪 一鸣 浩宇 子涵 思远 博文 天佑 宇轩 家豪 明轩 晨阳 睿 轩 航'.split(' ');
const FEMALE_YOUNG =
  '梓涵 欣怡 子涵 雨涵 诗琪 梦瑶 思雨 佳怡 可馨 雨欣 语桐 若曦 一诺 欣妍 梓萱 悦 萱 琪'.split(' ');

/** Counties a spouse married into the township often comes from (their numbers keep that code). */
const NEARBY_COUNTIES = ['341321', '341322', '341323', '341324', '340321', '341621', '342201'];

const SCHOOLS = {
  kindergarten: '蕲县镇中心幼儿园',
  primary: '蕲县镇中心小学',
  middle: '蕲县镇初级中学',
  high: '宿州市埇桥区第二中学',
} as const;

const COMPANIES = ['宿州经济开发区某电子厂', '合肥某物流有限公司', '上海某建筑工程公司', '埇桥区某纺织厂'];

export interface DemoGroup {
  readonly label: string;
  readonly code: GroupCode;
  readonly department: DepartmentCode;
  readonly certifiedOn: string;
  /** The monthly update that first lists it (null: the department's first list). */
  readonly listedOn: string | null;
}

export interface DemoPerson {
  readonly name: string;
  readonly idNumber: string;
  readonly sex: 'male' | 'female';
  readonly birthDate: string;
  /** 与户主关系 as a roster writes it. */
  readonly relation: string;
  readonly phone: string | null;
  readonly school: string | null;
  readonly groups: DemoGroup[];
  /** On last year's enrollment roster. */
  lastYear: boolean;
  /** A member not enrolled last year who enrolls when the household pays. */
  joins: boolean;
  /** Employee insurance (current) or resident insurance in another region. */
  external: {
    readonly kind: '职工医保' | '异地居民医保';
    readonly detail: string;
    readonly years: number;
  } | null;
  deceasedOn: string | null;
  /** Activated the medical insurance e-certificate on this date (only once enrolled). */
  ecertOn: string | null;
}

export type DemoChannel = 'cash_collection' | 'online' | 'pos' | 'bank_counter';

export interface DemoHousehold {
  readonly number: string;
  readonly village: number;
  readonly members: DemoPerson[];
  /** The day the household pays (whole household, one order), or null when it does not. */
  payOn: string | null;
  readonly channel: DemoChannel;
}

export interface DemoVillage {
  readonly index: number;
  readonly name: string;
  readonly code: string;
  readonly households: DemoHousehold[];
  readonly people: number;
  /** The share of its households that pay during the period, and how early (higher: earlier). */
  readonly willingness: number;
  readonly earliness: number;
}

export interface DemoVillageInput {
  readonly name: string;
  readonly code: string;
  /** The task table's eligible people: villages are sized in proportion. */
  readonly weight: number;
}

export interface GenerateOptions {
  readonly seed: number;
  readonly people: number;
  readonly countyCode: string;
  readonly villages: readonly DemoVillageInput[];
  /** The collection period: payments fall inside it, up to `today`. */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** The date the rosters are taken (the campaign's first day). */
  readonly rosterDate: string;
  readonly today: string;
  /**
   * The day 民政's monthly update adds a few newly certified 低保 households (动态新增), when it
   * is not after `today`.
   */
  readonly monthlyUpdate?: string;
}

/** Splits `total` in proportion to `weights` (largest remainders), each part at least 1. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map((x) => Math.max(1, Math.floor(x)));
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; parts.reduce((a, b) => a + b, 0) < total; k++) {
    const i = (order[k % order.length] as readonly [number, number])[1];
    parts[i] = (parts[i] as number) + 1;
  }
  return parts;
}

const day = (text: string) => parseDate(text);

/** A person's place in the household before names and numbers are given. */
interface Sketch {
  readonly relation: string;
  readonly sex: 'male' | 'female';
  readonly birth: Temporal.PlainDate;
  /** Takes the head's surname (children), or draws one (spouse, the head's mother). */
  readonly ownSurname: boolean;
}

export function generateCounty(options: GenerateOptions): DemoVillage[] {
  const random = new Random(options.seed);
  const roster = day(options.rosterDate);
  const start = day(options.periodStart);
  const lastPayDay =
    Temporal.PlainDate.compare(day(options.today), day(options.periodEnd)) < 0
      ? day(options.today)
      : day(options.periodEnd);
  const usedIds = new Set<string>();
  const sizes = apportion(
    options.people,
    options.villages.map((v) => v.weight),
  );
  // Villages differ in how many households pay and how early: a spread, shuffled by the seed, so
  // the ranking has leaders, a middle and a tail.
  const order = options.villages.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const n = Math.max(1, options.villages.length - 1);

  const birthBetween = (fromAge: number, toAge: number): Temporal.PlainDate => {
    const latest = roster.subtract({ years: fromAge });
    const earliest = roster.subtract({ years: toAge + 1 }).add({ days: 1 });
    const span = latest.since(earliest).days;
    return earliest.add({ days: random.int(0, span) });
  };
  const ageOf = (birth: Temporal.PlainDate) => birth.until(roster, { largestUnit: 'years' }).years;
  const givenName = (sex: 'male' | 'female', birth: Temporal.PlainDate): string => {
    const age = ageOf(birth);
    if (age >= 55) return random.pick(sex === 'male' ? MALE_OLD : FEMALE_OLD);
    if (age >= 25) return random.pick(sex === 'male' ? MALE_MID : FEMALE_MID);
    return random.pick(sex === 'male' ? MALE_YOUNG : FEMALE_YOUNG);
  };
  const idNumber = (prefix: string, birth: Temporal.PlainDate, sex: 'male' | 'female'): string => {
    const date = birth.toString().replaceAll('-', '');
    for (;;) {
      // The 17th digit is odd for men, even for women; the two before it are the sequence.
      const seq = String(random.int(0, 99)).padStart(2, '0');
      const sexDigit = sex === 'male' ? random.pick([1, 3, 5, 7, 9]) : random.pick([0, 2, 4, 6, 8]);
      const first17 = `${prefix}${date}${seq}${sexDigit}`;
      if (usedIds.has(first17)) continue;
      usedIds.add(first17);
      return first17 + idCheckCharacter(first17);
    }
  };
  const phone = () =>
    `1${random.pick(['3', '5', '8', '9', '7'])}${String(random.int(0, 999_999_999)).padStart(9, '0')}`;
  const schoolOf = (birth: Temporal.PlainDate): string | null => {
    const age = ageOf(birth);
    if (age >= 3 && age <= 5) return SCHOOLS.kindergarten;
    if (age >= 6 && age <= 11) return SCHOOLS.primary;
    if (age >= 12 && age <= 14) return SCHOOLS.middle;
    if (age >= 15 && age <= 17) return SCHOOLS.high;
    return null;
  };

  /** A household's members: the head first. */
  const sketch = (size: number): Sketch[] => {
    if (size === 1) {
      // Alone: mostly the elderly (widowed), some younger single men.
      const old = random.chance(0.75);
      const sex = random.chance(old ? 0.45 : 0.8) ? 'male' : 'female';
      return [
        { relation: '户主', sex, birth: old ? birthBetween(62, 90) : birthBetween(25, 55), ownSurname: true },
      ];
    }
    const withParents =
      size >= 5 || (size === 4 && random.chance(0.3)) || (size === 3 && random.chance(0.15));
    const children = Math.max(0, size - 2 - (withParents ? (size >= 6 ? 2 : 1) : 0));
    const parents = size - 2 - children;
    const elderlyCouple = size === 2 && random.chance(0.5);
    const headBirth = elderlyCouple
      ? birthBetween(60, 82)
      : children > 0
        ? birthBetween(26, 52)
        : birthBetween(24, 60);
    const spouseBirth = headBirth.add({ days: random.int(-3 * 365, 4 * 365) });
    const members: Sketch[] = [
      { relation: '户主', sex: 'male', birth: headBirth, ownSurname: true },
      {
        relation: '配偶',
        sex: 'female',
        birth: Temporal.PlainDate.compare(spouseBirth, roster) < 0 ? spouseBirth : headBirth,
        ownSurname: false,
      },
    ];
    // Children born while the mother was 21–40, not after the roster date.
    const motherBirth = members[1]?.birth as Temporal.PlainDate;
    for (let c = 0; c < children; c++) {
      let birth = motherBirth.add({ years: random.int(21, 40), days: random.int(0, 364) });
      if (Temporal.PlainDate.compare(birth, roster) >= 0)
        birth = roster.subtract({ days: random.int(30, 900) });
      const sex = random.chance(0.52) ? 'male' : 'female';
      members.push({ relation: sex === 'male' ? '子' : '女', sex, birth, ownSurname: true });
    }
    // The head's parents, 22–35 years older than the head (one of them when only one fits).
    for (let p = 0; p < parents; p++) {
      const birth = headBirth.subtract({ years: random.int(22, 35), days: random.int(0, 364) });
      const father = parents === 2 ? p === 0 : random.chance(0.4);
      members.push({
        relation: father ? '父亲' : '母亲',
        sex: father ? 'male' : 'female',
        birth,
        ownSurname: father,
      });
    }
    return members;
  };

  const villages: DemoVillage[] = [];
  for (const [index, input] of options.villages.entries()) {
    const rank = order.indexOf(index);
    const willingness = 0.84 + (0.15 * (n - rank)) / n;
    const earliness = 0.6 + (1.6 * (n - rank)) / n;
    const households: DemoHousehold[] = [];
    let people = 0;
    const target = sizes[index] as number;
    while (people < target) {
      const size = Math.min(target - people, 1 + random.weighted([12, 22, 22, 22, 14, 8]));
      const sketches = sketch(size);
      const surname = random.pick(SURNAMES);
      const prefixOf = (s: Sketch) =>
        s.relation === '配偶' && random.chance(0.3) ? random.pick(NEARBY_COUNTIES) : options.countyCode;
      const members: DemoPerson[] = sketches.map((s) => {
        const age = ageOf(s.birth);
        const name = (s.ownSurname ? surname : random.pick(SURNAMES)) + givenName(s.sex, s.birth);
        const school = schoolOf(s.birth);
        return {
          name,
          idNumber: idNumber(prefixOf(s), s.birth, s.sex),
          sex: s.sex,
          birthDate: s.birth.toString(),
          relation: s.relation,
          phone: age >= 18 && (s.relation === '户主' || random.chance(0.5)) ? phone() : null,
          school,
          groups: [],
          lastYear: random.chance(0.9),
          joins: random.chance(0.55),
          external: null,
          deceasedOn: null,
          ecertOn: null,
        };
      });
      assignGroups(random, members, sketches, roster, ageOf);
      const pays = random.chance(willingness);
      // How far into the period the household pays: u^earliness leans early for the keen villages.
      const span = day(options.periodEnd).since(start).days;
      const offset = Math.floor((span + 1) * random.next() ** earliness);
      const payDay = start.add({ days: offset });
      const channel = (['cash_collection', 'online', 'pos', 'bank_counter'] as const)[
        random.weighted([46, 40, 7, 7])
      ];
      for (const m of members) {
        if (m.deceasedOn === null && random.chance(0.6)) {
          m.ecertOn = start.add({ days: random.int(0, span) }).toString();
        }
      }
      households.push({
        number: `${input.code}${String(households.length + 1).padStart(4, '0')}`,
        village: index,
        members,
        payOn: pays && Temporal.PlainDate.compare(payDay, lastPayDay) <= 0 ? payDay.toString() : null,
        channel: channel as DemoChannel,
      });
      people += members.length;
    }
    ensurePayer(households, start.toString());
    villages.push({ index, name: input.name, code: input.code, households, people, willingness, earliness });
  }
  if (options.monthlyUpdate && options.monthlyUpdate <= options.today) {
    certifyLater(
      villages.flatMap((v) => v.households),
      options.monthlyUpdate,
    );
  }
  return villages;
}

/**
 * The department lists: about 8% of people in a group, as departments certify them — 低保, 监测 and
 * 返贫 by household, 特困 the elderly alone, 优抚 and 老武警 older men, 计生 the parents of an only
 * daughter, 一二级残疾 anyone; plus 脱贫 (no longer subsidised), village cadres, migrant workers,
 * employee insurance and insurance elsewhere, and a few deaths before the period.
 */
function assignGroups(
  random: Random,
  members: DemoPerson[],
  sketches: readonly Sketch[],
  roster: Temporal.PlainDate,
  ageOf: (birth: Temporal.PlainDate) => number,
): void {
  const certified = (fromYear: number) =>
    Temporal.PlainDate.from({
      year: random.int(fromYear, roster.year - 1),
      month: random.int(1, 12),
      day: random.int(1, 28),
    }).toString();
  const give = (
    m: DemoPerson,
    label: string,
    code: GroupCode,
    department: DepartmentCode,
    since = certified(2015),
  ) => m.groups.push({ label, code, department, certifiedOn: since, listedOn: null });
  const household = random.next();
  if (household < 0.035) {
    const since = certified(2016);
    for (const m of members) give(m, '低保对象', 'dibao', 'civil_affairs', since);
  } else if (household < 0.05) {
    const since = certified(2019);
    for (const m of members) give(m, '监测对象', 'jiance', 'rural_revitalisation', since);
  } else if (household < 0.055) {
    const since = certified(2020);
    for (const m of members) give(m, '返贫致贫人口', 'fanpin', 'rural_revitalisation', since);
  } else if (household < 0.07) {
    const since = certified(2016);
    for (const m of members) give(m, '脱贫人口', 'tuopin', 'rural_revitalisation', since);
  }
  const ages = sketches.map((s) => ageOf(s.birth));
  const head = members[0] as DemoPerson;
  if (members.length === 1 && (ages[0] as number) >= 65 && head.groups.length === 0 && random.chance(0.12)) {
    give(head, '特困供养人员', 'tekun', 'civil_affairs');
  }
  const daughters = members.filter((m) => m.relation === '女').length;
  const sons = members.filter((m) => m.relation === '子').length;
  if (daughters === 1 && sons === 0 && members.length === 3 && random.chance(0.15)) {
    give(members[0] as DemoPerson, '独女户', 'dunv', 'health');
    give(members[1] as DemoPerson, '独女户', 'dunv', 'health');
  }
  for (const [i, m] of members.entries()) {
    const age = ages[i] as number;
    if (m.sex === 'male' && age >= 60 && random.chance(0.02)) give(m, '重点优抚对象', 'youfu', 'veterans');
    if (random.chance(0.008))
      give(m, age >= 50 ? '一级残疾人' : '二级残疾人', 'disabled_severe', 'disabled_federation');
    if (m.relation === '户主' && age >= 30 && age < 60 && random.chance(0.02))
      give(m, '村两委干部', 'village_cadre', 'organisation', certified(2018));
    if (age >= 18 && age < 50 && m.relation !== '户主' && random.chance(0.06))
      give(m, '外出务工人员', 'migrant_worker', 'human_resources', certified(2019));
    if (age >= 22 && age < 50 && m.groups.length === 0 && random.chance(0.03)) {
      m.external = random.chance(0.75)
        ? { kind: '职工医保', detail: random.pick(COMPANIES), years: random.int(1, 8) }
        : { kind: '异地居民医保', detail: random.pick(['合肥市', '上海市', '杭州市', '苏州市']), years: 0 };
    }
    if (age >= 75 && random.chance(0.03)) {
      m.deceasedOn = roster.subtract({ days: random.int(10, 200) }).toString();
    }
    // Children and students are mostly on last year's roster; a few newcomers are not.
    if (age < 1) m.lastYear = false;
  }
}

/** Whether a member will owe something (renewed, alive, not insured elsewhere, in no group). */
const ordinaryPayer = (m: DemoPerson) =>
  m.lastYear && m.deceasedOn === null && m.external === null && m.groups.length === 0;

/**
 * Every village has money in by the first day: a small village whose few households all happen to
 * pay late (or not) gets its first ordinary household paying on the period's first day, so the
 * dashboard and the ranking have a figure for every village.
 */
function ensurePayer(households: DemoHousehold[], firstDay: string): void {
  const payers = households.filter((h) => h.members.some(ordinaryPayer));
  if (payers.some((h) => h.payOn !== null)) return;
  const first = payers[0];
  if (first) first.payOn = firstDay;
}

/**
 * About one household in a hundred (at least one), not in any group and not paid by the update,
 * that 民政 certifies as 低保 a few days before its monthly update: the update's diff adds them,
 * the bureau reassesses them (320 → 40) before they pay.
 */
function certifyLater(households: readonly DemoHousehold[], update: string): void {
  const candidates = households.filter(
    (h) =>
      h.members.length >= 2 &&
      h.members.every((m) => m.groups.length === 0 && m.external === null && m.deceasedOn === null) &&
      (h.payOn === null || h.payOn > update),
  );
  const wanted = Math.max(1, Math.round(households.length / 100));
  const every = Math.max(1, Math.floor(candidates.length / wanted));
  const certifiedOn = parseDate(update).subtract({ days: 5 }).toString();
  for (const h of candidates.filter((_, i) => i % every === 0).slice(0, wanted)) {
    for (const m of h.members) {
      m.groups.push({
        label: '低保对象',
        code: 'dibao',
        department: 'civil_affairs',
        certifiedOn,
        listedOn: update,
      });
    }
  }
}

/** A school's roster from the people: every child of school age. */
export function studentsOf(villages: readonly DemoVillage[]): DemoPerson[] {
  return villages.flatMap((v) => v.households.flatMap((h) => h.members.filter((m) => m.school !== null)));
}
