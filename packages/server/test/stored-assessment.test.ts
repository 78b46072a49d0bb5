/**
 * What an enrollment stores of its assessment: the lean JSON (no copy of what its columns carry),
 * the same text whether encoded whole or with the shared part once (a payment batch), and the
 * explanation rebuilt from row and JSON equal to the assessment it was made from.
 */
import { assess, type Facts, idCheckCharacter } from '@canbao/core';
import { describe, expect, it } from 'vitest';
import {
  assessmentColumns,
  explainEnrollment,
  storedAssessment,
  storedAssessmentJson,
} from '../src/collection/enrollments.ts';
import { loadPolicy } from '../src/policy/repository.ts';

const policy = loadPolicy('qixian-2022');
/** A valid identity number from its first 17 characters. */
const id = (first17: string) => first17 + idCheckCharacter(first17);
const people: Facts[] = [
  { idNumber: id('34130219800101001'), groups: [], hukouLocal: true },
  { idNumber: id('34130219500101001'), groups: ['dibao'], hukouLocal: true, paidOn: '2021-10-11' },
  { idNumber: id('34130220000101001'), groups: ['tekun'], hukouLocal: true },
  {
    idNumber: id('34130219900101001'),
    groups: ['dibao', 'fanpin'],
    groupsSince: { dibao: '2020-05-01', fanpin: '2021-09-15' },
    hukouLocal: true,
    paidOn: '2021-12-20',
  },
] as Facts[];

describe('the stored assessment', () => {
  for (const facts of people) {
    it(`keeps only what the columns do not carry, and explains back to the same (${JSON.stringify(facts.groups)})`, () => {
      const a = assess(policy, facts);
      const whole = JSON.stringify(storedAssessment({ ...a, facts }));
      // Encoding the shared part once gives exactly the same text, for everyone sharing it.
      expect(storedAssessmentJson(a, facts)).toBe(whole);
      const other = { ...facts, idNumber: id('34130219800101002') } as Facts;
      expect(storedAssessmentJson(a, other)).toBe(JSON.stringify(storedAssessment({ ...a, facts: other })));
      // An assessment that carries facts of its own (first, here) is encoded whole, facts given.
      const withOwn = { facts: other, ...a } as typeof a;
      expect(storedAssessmentJson(withOwn, facts)).toBe(
        JSON.stringify(storedAssessment({ ...withOwn, facts })),
      );
      const stored = JSON.parse(whole);
      for (const key of [
        'policy',
        'standard',
        'pays',
        'refundLater',
        'benefitStart',
        'benefitEnd',
        'why',
        'rules',
      ]) {
        expect(stored).not.toHaveProperty(key);
      }
      expect(stored).toMatchObject({ eligible: a.eligible, subsidies: a.subsidies, facts });

      const columns = assessmentColumns({ ...a, facts }, '2021-10-11');
      const explained = explainEnrollment(policy, { ...columns, why: a.why });
      expect(explained).toMatchObject({
        standard: a.standard,
        pays: a.pays,
        refundLater: a.refundLater,
        benefitStart: a.benefitStart,
        benefitEnd: a.benefitEnd,
        why: a.why,
        subsidies: a.subsidies,
        eligible: a.eligible,
        policy: a.policy,
      });
      expect(explained.rules.map((r) => r.id)).toEqual(a.rules.map((r) => r.id));
    });
  }

  it('reads rows stored before with the whole assessment in the JSON the same way', () => {
    const facts = people[1] as Facts;
    const a = assess(policy, facts);
    const { rules: _rules, ...old } = { ...a, facts };
    const columns = { ...assessmentColumns({ ...a, facts }, '2021-10-11'), assessment: JSON.stringify(old) };
    const explained = explainEnrollment(policy, columns);
    expect(explained).toMatchObject({ pays: a.pays, subsidies: a.subsidies, benefitStart: a.benefitStart });
  });
});
