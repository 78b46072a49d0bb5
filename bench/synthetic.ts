/**
 * A repeatable synthetic population for benchmarks: the residents of a Chinese county, as the
 * columns the batch engine reads (BatchFacts), generated from a seed.
 *
 * Generation has two steps so that one population can be run under several policies:
 *
 * 1. `generatePopulation(count, seed)` draws the people once, with every date stored relative to
 *    a policy's calendar (age at the start of the benefit year, position in the collection
 *    period, days between certification and payment, …).
 * 2. `placePopulation(population, calendar)` turns them into BatchFacts for one policy's calendar
 *    (epoch days). The calendar-free columns (groups, flags, years) are shared, not copied.
 *
 * The mix (see MIX) is a plausible county, not a statistical model: ages 0–95 skewed adult, ~9% in
 * subsidised groups with a few overlaps, ~3% students, ~2% migrant workers, ~95% local hukou,
 * ~1% with an employee-insurance history, ~1% newborns of the benefit year, ~5% paying after the
 * collection period and ~3% with no payment date.
 */
import {
  type BatchFacts,
  FLAG,
  fromEpochDay,
  GROUP_CODES,
  type GroupCode,
  groupMask,
  type Policy,
  toEpochDay,
} from '@canbao/core';

// mulberry32 (the same seed gives the same sequence on every machine) is shared with the demo county.
import { mulberry32 } from '../packages/server/src/demo/people.ts';

export { mulberry32 };

/** The proportions the generator draws from (fractions of the whole population unless noted). */
export const MIX = {
  /** Relative weights of the 5-year age bands 0–4, 5–9, …, 85–89, 90–95 (a rural county, skewed adult). */
  ageBandWeights: [4.5, 5.5, 5.5, 5, 4.5, 5, 6.5, 6, 6, 7.5, 8.5, 8, 6, 6, 4.5, 3, 2, 1, 0.5],
  /** Born in the benefit year itself (paid 0–150 days after birth). */
  newborn: 0.01,
  /** Subsidised groups; a person drawn into one gets a second one with probability `overlap`. */
  subsidised: [
    ['tekun', 0.005],
    ['dibao', 0.04],
    ['jiance', 0.015],
    ['fanpin', 0.01],
    ['tuopin', 0.015],
    ['disabled_severe', 0.005],
  ] as const satisfies readonly (readonly [GroupCode, number])[],
  overlap: 0.08,
  /** Students are drawn among ages 3–22, migrant workers among 18–55, to these overall shares. */
  student: 0.03,
  migrantWorker: 0.02,
  hukouLocal: 0.95,
  /** Of the people without local hukou, the share holding a residence permit (the rest are not admitted). */
  residencePermitOfNonLocal: 0.96,
  /** Stopped employee insurance within the last year (consecutive years 0–10). */
  employeeHistory: 0.01,
  /** Still in employee insurance / insured in another county: excluded by every policy. */
  inEmployeeInsurance: 0.005,
  insuredElsewhere: 0.003,
  /** Of people other than newborns: no payment date at all, and paying after the collection period. */
  noPaidDay: 0.03,
  late: 0.05,
  /** Certification of a group: a day within this many days before payment (3 years). */
  certifiedWithinDays: 1095,
} as const;

export const PaidKind = { NONE: 0, IN_PERIOD: 1, LATE: 2, AFTER_BIRTH: 3 } as const;

/** People with dates relative to a policy's calendar; see placePopulation. */
export interface Population {
  readonly count: number;
  readonly seed: number;
  /** Birth day minus the first day of the benefit period (negative: born before it). */
  readonly birthOffset: Int32Array;
  readonly groupMask: Int32Array;
  readonly flags: Uint8Array;
  readonly employeeYears: Uint8Array;
  /** Days between stopping employee insurance and the reference day (payment, else collection end); -1: none. */
  readonly employeeStoppedBack: Int16Array;
  readonly paidKind: Uint8Array;
  /** IN_PERIOD: position in the collection period; LATE: position between its end and the benefit end. [0, 1). */
  readonly paidFraction: Float32Array;
  /** AFTER_BIRTH (and babies born during the collection period): days from birth to payment. */
  readonly paidAfterBirth: Int16Array;
  /** Days between certification of the person's group(s) and the reference day; -1: no group. */
  readonly certifiedBack: Int16Array;
}

/** The days of one policy's calendar that placing a population needs. */
export interface Calendar {
  readonly collectionStartDay: number;
  readonly collectionEndDay: number;
  readonly benefitStartDay: number;
  readonly benefitEndDay: number;
}

export function calendarOf(policy: Policy): Calendar {
  return {
    collectionStartDay: toEpochDay(policy.collection.start),
    collectionEndDay: toEpochDay(policy.collection.end),
    benefitStartDay: toEpochDay(policy.benefitPeriod.start),
    benefitEndDay: toEpochDay(policy.benefitPeriod.end),
  };
}

const BAND_YEARS = 5;
const LAST_AGE = 95;

/** Cumulative distribution over ages 0..95 from the 5-year band weights. */
function ageDistribution(): Float64Array {
  const weights = new Float64Array(LAST_AGE + 1);
  const bands = MIX.ageBandWeights;
  for (let age = 0; age <= LAST_AGE; age++) {
    const band = Math.min(Math.floor(age / BAND_YEARS), bands.length - 1);
    const width = band === bands.length - 1 ? LAST_AGE + 1 - band * BAND_YEARS : BAND_YEARS;
    weights[age] = (bands[band] as number) / width;
  }
  let total = 0;
  for (const w of weights) total += w;
  const cumulative = new Float64Array(LAST_AGE + 1);
  let sum = 0;
  for (let age = 0; age <= LAST_AGE; age++) {
    sum += (weights[age] as number) / total;
    cumulative[age] = sum;
  }
  cumulative[LAST_AGE] = 1;
  return cumulative;
}

function shareOfAges(cumulative: Float64Array, from: number, to: number): number {
  return (cumulative[to] as number) - (from > 0 ? (cumulative[from - 1] as number) : 0);
}

/** Draws `count` people from `seed`. Deterministic: the same arguments give the same columns. */
export function generatePopulation(count: number, seed = 20261124): Population {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const ages = ageDistribution();
  const studentRate = MIX.student / shareOfAges(ages, 3, 22);
  const migrantRate = MIX.migrantWorker / shareOfAges(ages, 18, 55);
  const subsidised = MIX.subsidised.map(([code, share]) => [groupMask([code]), share] as const);
  const subsidisedTotal = subsidised.reduce((sum, [, share]) => sum + share, 0);
  const pickSubsidised = (u: number): number => {
    let sum = 0;
    for (const [mask, share] of subsidised) {
      sum += share / subsidisedTotal;
      if (u < sum) return mask;
    }
    return (subsidised[subsidised.length - 1] as readonly [number, number])[0];
  };
  const studentMask = groupMask(['student']);
  const migrantMask = groupMask(['migrant_worker']);

  const p: Population = {
    count,
    seed,
    birthOffset: new Int32Array(count),
    groupMask: new Int32Array(count),
    flags: new Uint8Array(count),
    employeeYears: new Uint8Array(count),
    employeeStoppedBack: new Int16Array(count).fill(-1),
    paidKind: new Uint8Array(count),
    paidFraction: new Float32Array(count),
    paidAfterBirth: new Int16Array(count),
    certifiedBack: new Int16Array(count).fill(-1),
  };

  for (let i = 0; i < count; i++) {
    const newborn = random() < MIX.newborn;
    let age = 0;
    if (newborn) {
      p.birthOffset[i] = int(365);
    } else {
      const u = random();
      while ((ages[age] as number) < u) age++;
      // Age `age` on the first day of the benefit period: born 365*age + 1 .. 365*(age+1) days before.
      p.birthOffset[i] = -(Math.floor(age * 365.25) + 1 + int(365));
    }

    let mask = 0;
    if (random() < subsidisedTotal) {
      mask = pickSubsidised(random());
      if (random() < MIX.overlap) mask |= pickSubsidised(random());
    }
    if (!newborn && age >= 3 && age <= 22 && random() < studentRate) mask |= studentMask;
    if (!newborn && age >= 18 && age <= 55 && random() < migrantRate) mask |= migrantMask;
    p.groupMask[i] = mask;

    let flags = 0;
    if (random() < MIX.hukouLocal) flags |= FLAG.hukouLocal;
    else if (random() < MIX.residencePermitOfNonLocal) flags |= FLAG.residencePermit;
    if (!newborn && age >= 18) {
      if (random() < MIX.inEmployeeInsurance) flags |= FLAG.inEmployeeInsurance;
      if (random() < MIX.insuredElsewhere) flags |= FLAG.insuredElsewhere;
      if (random() < MIX.employeeHistory) {
        p.employeeYears[i] = int(11);
        p.employeeStoppedBack[i] = int(365);
      }
    }
    p.flags[i] = flags;

    const u = random();
    p.paidAfterBirth[i] = int(151);
    if (u < MIX.noPaidDay) {
      p.paidKind[i] = PaidKind.NONE;
    } else if (newborn) {
      p.paidKind[i] = PaidKind.AFTER_BIRTH;
    } else if (u < MIX.noPaidDay + MIX.late) {
      p.paidKind[i] = PaidKind.LATE;
      // Late payers mostly pay early in the benefit year.
      const v = random();
      p.paidFraction[i] = v * v;
    } else {
      p.paidKind[i] = PaidKind.IN_PERIOD;
      p.paidFraction[i] = random();
    }
    if (mask !== 0) p.certifiedBack[i] = int(MIX.certifiedWithinDays);
  }
  return p;
}

/**
 * The population as BatchFacts for one calendar. Sharing: groupMask, flags and employeeYears are
 * the population's own arrays; the four day columns are new.
 */
export function placePopulation(p: Population, cal: Calendar): BatchFacts {
  const n = p.count;
  const birthDay = new Float64Array(n);
  const paidDay = new Float64Array(n);
  const certifiedDay = new Float64Array(n);
  const employeeStoppedDay = new Float64Array(n);
  const collectionDays = cal.collectionEndDay - cal.collectionStartDay + 1;
  const lateDays = cal.benefitEndDay - cal.collectionEndDay;
  for (let i = 0; i < n; i++) {
    const birth = cal.benefitStartDay + (p.birthOffset[i] as number);
    birthDay[i] = birth;
    let paid = Number.NaN;
    switch (p.paidKind[i]) {
      case PaidKind.IN_PERIOD:
        paid = cal.collectionStartDay + Math.floor((p.paidFraction[i] as number) * collectionDays);
        break;
      case PaidKind.LATE:
        paid = cal.collectionEndDay + 1 + Math.floor((p.paidFraction[i] as number) * lateDays);
        break;
      case PaidKind.AFTER_BIRTH:
        paid = birth + (p.paidAfterBirth[i] as number);
        break;
    }
    // A baby born during the collection period pays after birth.
    if (paid < birth) paid = birth + (p.paidAfterBirth[i] as number);
    paidDay[i] = paid;
    const reference = Number.isNaN(paid) ? cal.collectionEndDay : paid;
    const certified = p.certifiedBack[i] as number;
    certifiedDay[i] = certified >= 0 ? reference - certified : Number.NaN;
    const stopped = p.employeeStoppedBack[i] as number;
    employeeStoppedDay[i] = stopped >= 0 ? reference - stopped : Number.NaN;
  }
  return {
    count: n,
    birthDay,
    groupMask: p.groupMask,
    flags: p.flags,
    employeeYears: p.employeeYears,
    employeeStoppedDay,
    paidDay,
    certifiedDay,
  };
}

const dateText = (day: number) => fromEpochDay(day).toString();

/**
 * Person `i` of a batch as facts JSON (the input of assess): every group certified on the
 * batch's certifiedDay. `coverageYear` is set only when given (newborns under a year-choice policy).
 */
export function personFacts(b: BatchFacts, i: number, coverageYear?: number): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  const birth = b.birthDay[i] as number;
  if (!Number.isNaN(birth)) facts.birthDate = dateText(birth);
  const mask = b.groupMask[i] as number;
  if (mask !== 0) {
    const groups = GROUP_CODES.filter((_, index) => (mask & (1 << index)) !== 0);
    facts.groups = groups;
    const certified = b.certifiedDay[i] as number;
    if (!Number.isNaN(certified)) {
      facts.groupsSince = Object.fromEntries(groups.map((g) => [g, dateText(certified)]));
    }
  }
  const flags = b.flags[i] as number;
  facts.hukouLocal = (flags & FLAG.hukouLocal) !== 0;
  facts.residencePermit = (flags & FLAG.residencePermit) !== 0;
  facts.inEmployeeInsurance = (flags & FLAG.inEmployeeInsurance) !== 0;
  facts.insuredElsewhere = (flags & FLAG.insuredElsewhere) !== 0;
  const stopped = b.employeeStoppedDay[i] as number;
  if (!Number.isNaN(stopped)) {
    facts.employeeInsurance = {
      consecutiveYears: b.employeeYears[i] as number,
      stoppedOn: dateText(stopped),
    };
  }
  const paid = b.paidDay[i] as number;
  if (!Number.isNaN(paid)) facts.paidOn = dateText(paid);
  if (coverageYear !== undefined) facts.coverageYear = coverageYear;
  return facts;
}
