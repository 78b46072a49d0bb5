/**
 * Tests as data: `policies/<id>.test.yaml` beside each policy. Each case gives facts (or a refund
 * request, or a rule to look up in the policy's description) and what the notice says must come
 * out. The runner also reports the clauses of each policy that no case exercises.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type Assessment,
  assess,
  canRefund,
  describePolicy,
  FactsError,
  type Policy,
  type RefundDecision,
  yuanFromInput,
} from '@canbao/core';
import { parse } from 'yaml';
import { z } from 'zod';

const money = z.union([z.number(), z.string()]).transform((v) => yuanFromInput(v));
const dateOrNull = z.string().nullable();

const assessCase = z.strictObject({
  name: z.string(),
  facts: z.record(z.string(), z.unknown()),
  expect: z.strictObject({
    eligible: z.boolean().optional(),
    standard: money.optional(),
    pays: money.optional(),
    subsidies: z
      .array(
        z.strictObject({
          group: z.string(),
          funder: z.string(),
          amount: money,
          mode: z.enum(['direct', 'refund_later']),
        }),
      )
      .optional(),
    refundLater: money.optional(),
    benefitStart: dateOrNull.optional(),
    benefitEnd: dateOrNull.optional(),
    reasons: z.array(z.string()).optional(),
    notSpecified: z.array(z.string()).optional(),
    rules: z.array(z.string()).optional(),
    why: z.string().optional(),
  }),
});

const errorCase = z.strictObject({
  name: z.string(),
  facts: z.record(z.string(), z.unknown()),
  error: z.strictObject({ field: z.string() }),
});

const refundCase = z.strictObject({
  name: z.string(),
  refund: z.strictObject({
    paid: money,
    benefitStart: z.string().optional(),
    reason: z.enum(['duplicate', 'employee_insurance', 'insured_elsewhere', 'death']),
    requestedOn: z.string(),
  }),
  expect: z.strictObject({
    decision: z.enum(['approve', 'refuse', 'not_specified']),
    amount: money,
    terminate: z.boolean(),
    rule: z.string().optional(),
  }),
});

const explainCase = z.strictObject({
  name: z.string(),
  explain: z.strictObject({ key: z.string(), contains: z.array(z.string()).min(1) }),
});

const caseSchema = z.union([assessCase, errorCase, refundCase, explainCase]);
export type PolicyCase = z.infer<typeof caseSchema>;

export const caseFileSchema = z.strictObject({
  policy: z.string(),
  cases: z.array(caseSchema).min(1),
});

export interface CaseFile {
  readonly path: string;
  readonly policyPath: string;
  readonly policyId: string;
  readonly cases: readonly PolicyCase[];
}

export function findCaseFiles(dirs: readonly string[]): CaseFile[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.test.yaml'))
      .map((name) => {
        const path = join(dir, name);
        const parsed = caseFileSchema.parse(parse(readFileSync(path, 'utf8')));
        return {
          path,
          policyPath: join(dir, `${basename(name, '.test.yaml')}.yaml`),
          policyId: parsed.policy,
          cases: parsed.cases,
        };
      }),
  );
}

export interface CaseOutcome {
  /** Clause keys the case exercised. */
  readonly clauses: readonly string[];
  /** Mismatches between what came out and what the case expects; empty when it passes. */
  readonly failures: readonly string[];
}

function compare(failures: string[], field: string, actual: unknown, expected: unknown): void {
  if (expected === undefined) return;
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) failures.push(`${field}: expected ${e}, got ${a}`);
}

export function runCase(policy: Policy, c: PolicyCase): CaseOutcome {
  const failures: string[] = [];
  if ('explain' in c) {
    const entries = describePolicy(policy).filter((e) => e.key === c.explain.key);
    if (entries.length === 0)
      return { clauses: [], failures: [`no rule described under key ${c.explain.key}`] };
    const text = entries.map((e) => e.text).join('；');
    for (const piece of c.explain.contains) {
      if (!text.includes(piece)) failures.push(`${c.explain.key}: "${text}" does not contain "${piece}"`);
    }
    return { clauses: entries.flatMap((e) => e.clauses), failures };
  }
  if ('refund' in c) {
    const r: RefundDecision = canRefund(
      policy,
      { paidFen: c.refund.paid, benefitStart: c.refund.benefitStart ?? null },
      { reason: c.refund.reason, requestedOn: c.refund.requestedOn },
    );
    compare(failures, 'decision', r.decision, c.expect.decision);
    compare(failures, 'amount', r.amount, c.expect.amount);
    compare(failures, 'terminate', r.terminate, c.expect.terminate);
    compare(failures, 'rule', r.rule.id, c.expect.rule);
    return { clauses: r.rule.clauses, failures };
  }
  if ('error' in c) {
    try {
      const a = assess(policy, c.facts);
      return {
        clauses: [],
        failures: [`expected a FactsError on ${c.error.field}, got an assessment: ${a.why}`],
      };
    } catch (error) {
      if (!(error instanceof FactsError)) throw error;
      compare(failures, 'error.field', error.field, c.error.field);
      return { clauses: [], failures };
    }
  }
  const a: Assessment = assess(policy, c.facts);
  const x = c.expect;
  compare(failures, 'eligible', a.eligible, x.eligible);
  compare(failures, 'standard', a.standard, x.standard);
  compare(failures, 'pays', a.pays, x.pays);
  compare(
    failures,
    'subsidies',
    a.subsidies.map((s) => ({ group: s.group, funder: s.funder, amount: s.amount, mode: s.mode })),
    x.subsidies,
  );
  compare(failures, 'refundLater', a.refundLater, x.refundLater);
  compare(failures, 'benefitStart', a.benefitStart, x.benefitStart);
  compare(failures, 'benefitEnd', a.benefitEnd, x.benefitEnd);
  compare(failures, 'reasons', a.reasons?.map((r) => r.code) ?? [], x.reasons);
  compare(
    failures,
    'notSpecified',
    a.notSpecified.map((n) => n.topic),
    x.notSpecified,
  );
  compare(failures, 'why', a.why, x.why);
  for (const id of x.rules ?? []) {
    if (!a.rules.some((r) => r.id === id))
      failures.push(`rules: ${id} not applied (applied: ${a.rules.map((r) => r.id).join(', ')})`);
  }
  return { clauses: a.rules.flatMap((r) => r.clauses), failures };
}
