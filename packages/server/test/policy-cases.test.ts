/**
 * Runs every policies/<id>.test.yaml (and the test fixtures'), checks that each notice clause is
 * quoted verbatim from the stored notice, and reports clauses no case exercises.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy, policiesDir } from '../src/policy/repository.ts';
import { findCaseFiles, runCase } from './policy-cases.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const caseFiles = findCaseFiles([policiesDir(), fixtures]);

/** Whitespace differs between the notices' layout and a quotation; nothing else may. */
const squash = (text: string) => text.replace(/\s+/g, '');

describe.each(caseFiles.map((f) => [f.policyId, f] as const))('policy %s', (_id, file) => {
  const policy = loadPolicy(file.policyPath);
  const covered = new Set<string>();

  it('names the policy file it sits beside', () => {
    expect(policy.id).toBe(file.policyId);
  });

  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const outcome = runCase(policy, c);
    for (const key of outcome.clauses) covered.add(key);
    expect(outcome.failures).toEqual([]);
  });

  it('quotes every notice clause verbatim from the stored notice', () => {
    const quotes = Object.entries(policy.clauses).filter(([, clause]) => clause.kind === 'notice');
    const notice = quotes.length
      ? squash(readFileSync(join(policiesDir(), 'notices', policy.source.notice), 'utf8'))
      : '';
    const misquoted = quotes
      .filter(([, clause]) => !notice.includes(squash(clause.text)))
      .map(([key]) => key);
    expect(misquoted).toEqual([]);
  });

  it('has a case for every clause of the file (clause coverage report)', () => {
    const own = Object.keys(policy.clauses).filter((key) => !key.includes(':'));
    const untested = own.filter((key) => !covered.has(key));
    if (untested.length > 0) console.log(`[${policy.id}] clauses with no test: ${untested.join(', ')}`);
    expect(untested).toEqual([]);
  });
});
