/**
 * Property tests of the engine over every local policy in policies/: generated people, checked
 * against what DOMAIN.md and the policy files themselves say must hold, whatever the person.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listPolicyIds, loadPolicy } from '../../server/src/policy/repository.ts';
import { allocateBatchFacts, assessBatch, FLAG } from '../src/engine/batch.ts';
import { groupMask } from '../src/engine/facts.ts';
import { GROUP_CODES, type GroupCode } from '../src/groups.ts';
import {
  type Assessment,
  assess,
  explainWhy,
  type Facts,
  FactsError,
  type Policy,
  PolicyLoadError,
  parseDate,
  percentOf,
  type SubsidyRule,
  toEpochDay,
} from '../src/index.ts';

/** CANBAO_PROPERTY_RUNS raises the number of generated cases for a deeper (slower) search. */
const RUNS = Number(process.env.CANBAO_PROPERTY_RUNS ?? 300);
const DAY_MS = 86_400_000;
/** Payment dates are drawn a little beyond the brief's range, to reach the refusals at both ends. */
const MARGIN_DAYS = 45;

// Day arithmetic for the generators, by the JavaScript Date: independent of the code under test.
const dayOf = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
const isoOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function localPolicies(): Policy[] {
  const policies: Policy[] = [];
  for (const id of listPolicyIds()) {
    try {
      policies.push(loadPolicy(id));
    } catch (error) {
      // A layer (kind: layer) is not a policy to assess with; every other load failure is a failure.
      if (error instanceof PolicyLoadError && error.issues.some((issue) => issue.path === 'kind')) continue;
      throw error;
    }
  }
  return policies;
}

const policies = localPolicies();

interface Person {
  readonly facts: Facts;
  /** Day the person's groups were certified when one date is used for all (batch form), else NaN. */
  readonly certifiedDay: number;
}

interface Options {
  /** One certification date for all of a person's groups, and only facts the batch columns carry. */
  readonly batch: boolean;
}

function bounds(policy: Policy) {
  return {
    benefitStart: dayOf(policy.benefitPeriod.start.toString()),
    benefitEnd: dayOf(policy.benefitPeriod.end.toString()),
    collectionStart: dayOf(policy.collection.start.toString()),
    collectionEnd: dayOf(policy.collection.end.toString()),
    newbornFrom: dayOf(policy.newborn.bornOnOrAfter.toString()),
  };
}

/** Mostly false: exclusions are facts most residents do not have. */
const rarely = fc.constantFrom(false, false, false, true);

function personArb(policy: Policy, options: Options): fc.Arbitrary<Person> {
  const b = bounds(policy);
  const earliestBirth = dayOf('1930-01-01');
  const birth = fc.oneof(
    { arbitrary: fc.integer({ min: earliestBirth, max: b.benefitEnd }), weight: 3 },
    // Enough newborns to reach the newborn rules.
    {
      arbitrary: fc.integer({ min: Math.max(earliestBirth, b.newbornFrom - 60), max: b.benefitEnd }),
      weight: 2,
    },
  );
  return birth.chain((birthDay) => {
    const payLo = Math.max(b.collectionStart - MARGIN_DAYS, birthDay);
    const payHi = b.benefitEnd + MARGIN_DAYS;
    const paidDay = fc.option(
      fc.oneof(
        fc.integer({ min: payLo, max: payHi }),
        // Around the end of a newborn's window (90 days: DOMAIN §3).
        fc.integer({ min: 85, max: 95 }).map((k) => clamp(birthDay + k, payLo, payHi)),
        // Around the end of the collection period and of its extensions.
        fc.integer({ min: -5, max: 70 }).map((k) => clamp(b.collectionEnd + k, payLo, payHi)),
      ),
      { nil: null, freq: 4 },
    );
    return fc
      .record({
        paidDay,
        groups: fc.subarray(GROUP_CODES, { maxLength: 3 }),
        hukouLocal: fc.boolean(),
        residencePermit: fc.boolean(),
        inEmployeeInsurance: rarely,
        insuredElsewhere: rarely,
        employee: fc.option(
          fc.record({
            consecutiveYears: fc.integer({ min: 0, max: 10 }),
            stoppedDay: fc.integer({ min: b.collectionStart - 730, max: b.benefitEnd }),
          }),
          { nil: null },
        ),
        sinceSeed: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
        otherYear: fc.constantFrom(0, 0, 0, 1, -1),
        lastCoveredYear: fc.option(fc.integer({ min: policy.benefitYear - 6, max: policy.benefitYear - 1 }), {
          nil: null,
        }),
        madeUpYears: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
      })
      .map((r): Person => {
        const sinceLo = dayOf('2020-01-01');
        const sinceHi = Math.max(sinceLo, r.paidDay ?? b.benefitEnd);
        const sinceDay = (seed: number) => sinceLo + Math.floor(seed * (sinceHi - sinceLo));
        const certifiedDay = sinceDay(r.sinceSeed[0] as number);
        const facts: Facts = {
          birthDate: isoOf(birthDay),
          groups: [...r.groups],
          hukouLocal: r.hukouLocal,
          residencePermit: r.residencePermit,
          inEmployeeInsurance: r.inEmployeeInsurance,
          insuredElsewhere: r.insuredElsewhere,
        };
        if (r.groups.length > 0) {
          facts.groupsSince = Object.fromEntries(
            r.groups.map((g, i) => [
              g,
              isoOf(options.batch ? certifiedDay : sinceDay(r.sinceSeed[i] as number)),
            ]),
          );
        }
        if (r.paidDay !== null) facts.paidOn = isoOf(r.paidDay);
        if (r.employee) {
          facts.employeeInsurance = {
            consecutiveYears: r.employee.consecutiveYears,
            stoppedOn: isoOf(r.employee.stoppedDay),
          };
        }
        if (birthDay >= b.newbornFrom) {
          // Policies that let parents choose the year need it; others ignore it.
          facts.coverageYear =
            policy.benefitYear + (options.batch || !policy.newborn.yearChoice ? 0 : r.otherYear);
        }
        if (!options.batch) {
          if (r.lastCoveredYear !== null) facts.lastCoveredYear = r.lastCoveredYear;
          if (r.madeUpYears !== null) facts.madeUpYears = r.madeUpYears;
        }
        return { facts, certifiedDay: r.groups.length > 0 ? certifiedDay : Number.NaN };
      });
  });
}

/** assess, where a FactsError (a fact some rule needs) is the only acceptable failure. */
function tryAssess(policy: Policy, facts: Facts): Assessment | null {
  try {
    return assess(policy, facts);
  } catch (error) {
    if (error instanceof FactsError) return null;
    throw error;
  }
}

/** The subsidy amount a rule gives, in fen, read from the policy file (DOMAIN: integer fen). */
function ruleAmount(policy: Policy, rule: SubsidyRule): number {
  const standard = policy.standard.individual;
  const s = rule.subsidy;
  switch (s.kind) {
    case 'full':
      return standard;
    case 'fixed':
      return s.amount;
    case 'percent':
      return percentOf(standard, s.percent);
    case 'person_pays':
      return standard - s.personPays;
  }
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

it('finds at least one local policy to test', () => {
  expect(policies.length).toBeGreaterThan(0);
});

it('uses the documented batch flag bits', () => {
  expect(FLAG).toEqual({ hukouLocal: 1, residencePermit: 2, inEmployeeInsurance: 4, insuredElsewhere: 8 });
});

describe.each(policies.map((p) => [p.id, p] as const))('policy %s', (_, policy) => {
  const people = personArb(policy, { batch: false });
  const b = bounds(policy);

  /** Runs a property over generated people that assess without a FactsError; returns how many did. */
  function forAssessed(check: (a: Assessment, facts: Facts) => boolean | undefined): {
    assessed: number;
    matched: number;
  } {
    let assessed = 0;
    let matched = 0;
    fc.assert(
      fc.property(people, ({ facts }) => {
        const a = tryAssess(policy, facts);
        if (!a) return;
        assessed++;
        if (check(a, facts) !== false) matched++;
      }),
      { numRuns: RUNS },
    );
    return { assessed, matched };
  }

  it('assesses most generated people (the generators are not vacuous)', () => {
    let eligible = 0;
    let ineligible = 0;
    const { assessed } = forAssessed((a) => {
      if (a.eligible) eligible++;
      else ineligible++;
      return true;
    });
    expect(assessed).toBeGreaterThan(RUNS / 2);
    expect(eligible).toBeGreaterThan(0);
    expect(ineligible).toBeGreaterThan(0);
  });

  it('(1) an eligible person with only direct subsidies pays the standard less the subsidies', () => {
    const { matched } = forAssessed((a) => {
      if (!a.eligible || !a.subsidies.every((s) => s.mode === 'direct')) return false;
      expect(a.standard).toBe(policy.standard.individual);
      expect(a.pays + sum(a.subsidies.map((s) => s.amount))).toBe(a.standard);
      expect(a.refundLater).toBe(0);
      return true;
    });
    expect(matched).toBeGreaterThan(0);
  });

  it('(2) no amount is negative and every amount is whole fen', () => {
    forAssessed((a) => {
      for (const amount of [a.pays, a.refundLater, a.standard, ...a.subsidies.map((s) => s.amount)]) {
        expect(Number.isSafeInteger(amount)).toBe(true);
        expect(amount).toBeGreaterThanOrEqual(0);
      }
      expect(a.pays).toBeLessThanOrEqual(a.standard);
      return true;
    });
  });

  it('(3) a refund_later subsidy: the person pays the full standard and is refunded the subsidy', () => {
    const { matched } = forAssessed((a) => {
      const later = a.subsidies.filter((s) => s.mode === 'refund_later');
      if (!a.eligible || later.length === 0) return false;
      expect(a.pays).toBe(a.standard);
      expect(a.refundLater).toBe(sum(later.map((s) => s.amount)));
      return true;
    });
    if (policy.subsidies.rules.some((r) => r.mode === 'refund_later')) expect(matched).toBeGreaterThan(0);
  });

  it('applies at most one subsidy, the highest the person qualifies for (DOMAIN §3: no two subsidies)', () => {
    const { matched } = forAssessed((a, facts) => {
      if (!a.eligible) return false;
      const held = new Set(facts.groups as GroupCode[]);
      const applicable = policy.subsidies.rules.filter(
        (r) => r.groups.some((g) => held.has(g)) && (facts.hukouLocal !== false || !r.hukouLocalOnly),
      );
      if (applicable.length === 0) {
        expect(a.subsidies).toEqual([]);
        expect(a.pays).toBe(a.standard);
        return false;
      }
      expect(a.subsidies).toHaveLength(1);
      const applied = a.subsidies[0];
      expect(applied?.amount).toBe(Math.max(...applicable.map((r) => ruleAmount(policy, r))));
      expect(applicable.map((r) => r.id)).toContain(applied?.rule);
      expect(held.has(applied?.group as GroupCode)).toBe(true);
      return true;
    });
    if (policy.subsidies.rules.length > 0) expect(matched).toBeGreaterThan(0);
  });

  it('(4) benefits start inside the benefit period and end with it', () => {
    let started = 0;
    let unspecified = 0;
    forAssessed((a) => {
      if (a.benefitStart !== null) {
        started++;
        const start = dayOf(a.benefitStart);
        expect(a.benefitStart).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(start).toBeGreaterThanOrEqual(b.benefitStart);
        expect(start).toBeLessThanOrEqual(b.benefitEnd);
        expect(a.benefitEnd).toBe(policy.benefitPeriod.end.toString());
      } else {
        expect(a.benefitEnd).toBeNull();
        // An eligible person without a start date: the policy does not say, and the engine says so.
        if (a.eligible) {
          unspecified++;
          expect(a.notSpecified.some((n) => n.topic === 'late_enrollment')).toBe(true);
        }
      }
      return true;
    });
    expect(started).toBeGreaterThan(0);
    if ('notSpecified' in policy.lateEnrollment.otherwise) expect(unspecified).toBeGreaterThan(0);
  });

  // Regression: with no paidOn the engine once assumed payment in the collection period even for a
  // baby born after it (yaohai-2024, no newborn window) and started benefits before birth.
  it('benefits never start before the person is born', () => {
    // The counterexample above, as a fixed case for every policy: a baby born in the benefit year.
    const birth = b.benefitStart + 66;
    const baby: Facts = { birthDate: isoOf(birth), hukouLocal: true, coverageYear: policy.benefitYear };
    const fixed = tryAssess(policy, baby);
    if (fixed?.benefitStart) expect(dayOf(fixed.benefitStart)).toBeGreaterThanOrEqual(birth);
    forAssessed((a, facts) => {
      if (a.benefitStart !== null)
        expect(dayOf(a.benefitStart)).toBeGreaterThanOrEqual(dayOf(facts.birthDate as string));
      return true;
    });
  });

  // The one exception the notices make: a newborn paying within the window pays for the birth
  // year even after it has ended (达拉特旗 三（三）: 不受集中缴费期限制).
  it('enrolling after the benefit year is impossible, except for a newborn within the window (DOMAIN §3)', () => {
    const window = policy.newborn.window;
    const bornFrom = dayOf(policy.newborn.bornOnOrAfter.toString());
    const { matched } = forAssessed((a, facts) => {
      if (facts.paidOn === undefined || dayOf(facts.paidOn) <= b.benefitEnd) return false;
      const birth = dayOf(facts.birthDate as string);
      if (window && birth >= bornFrom && dayOf(facts.paidOn) - birth <= window.days) {
        expect(a.reasons?.map((r) => r.code) ?? []).not.toContain('paid-after-benefit-end');
        if (a.eligible) expect(a.benefitStart).toBe(facts.birthDate);
        return true;
      }
      expect(a.eligible).toBe(false);
      return true;
    });
    expect(matched).toBeGreaterThan(0);
  });

  it('a newborn paying within the window is covered from birth, not before the benefit year (DOMAIN §3)', () => {
    const window = policy.newborn.window;
    const { matched } = forAssessed((a, facts) => {
      const birth = dayOf(facts.birthDate as string);
      if (!window || !a.eligible || birth < b.newbornFrom) return false;
      if (facts.paidOn !== undefined && dayOf(facts.paidOn) - birth > window.days) return false;
      expect(a.benefitStart).toBe(isoOf(Math.max(birth, b.benefitStart)));
      return true;
    });
    if (window) expect(matched).toBeGreaterThan(0);
  });

  it('(5) every applied rule cites clauses that exist in the policy file', () => {
    forAssessed((a) => {
      expect(a.rules.length).toBeGreaterThan(0);
      for (const rule of a.rules) {
        expect(rule.cite.trim()).not.toBe('');
        expect(rule.text.trim()).not.toBe('');
        expect(rule.quote.trim()).not.toBe('');
        expect(rule.clauses.length).toBeGreaterThan(0);
        for (const key of rule.clauses) expect(Object.keys(policy.clauses)).toContain(key);
      }
      return true;
    });
  });

  it('assessing without the explanation gives the same assessment without its rules', () => {
    forAssessed((a, facts) => {
      const { rules, ...rest } = a;
      expect(rules.length).toBeGreaterThan(0);
      expect(assess(policy, facts, { explain: false })).toEqual({ ...rest, rules: [] });
      return true;
    });
  });

  it('(6) explainWhy rebuilds the assessment from its why code', () => {
    forAssessed((a, facts) => {
      const withFacts = explainWhy(policy, a.why, facts);
      expect(withFacts.why).toBe(a.why);
      expect(withFacts.eligible).toBe(a.eligible);
      expect(withFacts.pays).toBe(a.pays);
      expect(withFacts.benefitStart).toBe(a.benefitStart);
      expect(withFacts.subsidies).toEqual(a.subsidies);

      const alone = explainWhy(policy, a.why);
      expect(alone.why).toBe(a.why);
      expect(alone.eligible).toBe(a.eligible);
      expect(alone.pays).toBe(a.pays);
      expect(alone.refundLater).toBe(a.refundLater);
      expect(alone.subsidies.map((s) => [s.rule, s.amount, s.mode])).toEqual(
        a.subsidies.map((s) => [s.rule, s.amount, s.mode]),
      );
      // Without the payment date the start may be unknown, but never different.
      if (alone.benefitStart !== null) expect(alone.benefitStart).toBe(a.benefitStart);
      return true;
    });
  });

  it('(7) an ineligible person pays nothing, gets no subsidy or benefits, and is told why', () => {
    const { matched } = forAssessed((a) => {
      if (a.eligible) return false;
      expect(a.pays).toBe(0);
      expect(a.refundLater).toBe(0);
      expect(a.subsidies).toEqual([]);
      expect(a.benefitStart).toBeNull();
      expect(a.benefitEnd).toBeNull();
      expect(a.reasons?.length ?? 0).toBeGreaterThan(0);
      for (const reason of a.reasons ?? []) expect(reason.text.trim()).not.toBe('');
      return true;
    });
    expect(matched).toBeGreaterThan(0);
  });

  it('(8) assessBatch agrees with assess person by person', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.array(personArb(policy, { batch: true }), { minLength: 150, maxLength: 300 }),
        (persons) => {
          const input = allocateBatchFacts(persons.length);
          persons.forEach(({ facts, certifiedDay }, i) => {
            input.birthDay[i] = toEpochDay(parseDate(facts.birthDate as string));
            input.groupMask[i] = groupMask((facts.groups ?? []) as GroupCode[]);
            input.flags[i] =
              (facts.hukouLocal ? 1 : 0) |
              (facts.residencePermit ? 2 : 0) |
              (facts.inEmployeeInsurance ? 4 : 0) |
              (facts.insuredElsewhere ? 8 : 0);
            if (facts.employeeInsurance) {
              input.employeeYears[i] = facts.employeeInsurance.consecutiveYears;
              input.employeeStoppedDay[i] = toEpochDay(parseDate(facts.employeeInsurance.stoppedOn));
            }
            if (facts.paidOn !== undefined) input.paidDay[i] = toEpochDay(parseDate(facts.paidOn));
            input.certifiedDay[i] = certifiedDay;
          });
          const out = assessBatch(policy, input);
          persons.forEach(({ facts }, i) => {
            const a = tryAssess(policy, facts);
            const batchError = out.errors.some((e) => e.index === i);
            // assess refuses exactly the people the batch lists as errors.
            expect(batchError).toBe(!a);
            if (!a) return;
            compared++;
            const start = out.benefitStartDay[i] as number;
            expect({
              eligible: out.eligible[i] === 1,
              pays: out.paysFen[i],
              refundLater: out.refundLaterFen[i],
              subsidy: out.subsidyFen[i],
              benefitStart: Number.isNaN(start) ? null : isoOf(start),
              why: out.whyCodes[out.why[i] as number],
            }).toEqual({
              eligible: a.eligible,
              pays: a.pays,
              refundLater: a.refundLater,
              subsidy: sum(a.subsidies.map((s) => s.amount)),
              benefitStart: a.benefitStart,
              why: a.why,
            });
          });
        },
      ),
      { numRuns: 20 },
    );
    expect(compared).toBeGreaterThan(1_000);
  });
});
