/**
 * Batch assessment over columns of packed facts (typed arrays), as a county-wide run loads them
 * from the database: one evaluator call per person, results written to typed arrays, and each
 * person's why code stored as an index into a small table of distinct codes.
 */
import type { Policy } from '../policy/schema.ts';
import { compilePolicy } from './compile.ts';
import { Decision, evaluate, Verdict } from './evaluate.ts';
import { CompactFacts, FactsError } from './facts.ts';
import { whyCode } from './why.ts';

/** Column-wise facts for `count` people. Unknown days are NaN; unknown years 0. */
export interface BatchFacts {
  readonly count: number;
  readonly birthDay: Float64Array;
  readonly groupMask: Int32Array;
  /** Bit 0 hukouLocal, 1 residencePermit, 2 inEmployeeInsurance, 3 insuredElsewhere. */
  readonly flags: Uint8Array;
  readonly employeeYears: Uint8Array;
  readonly employeeStoppedDay: Float64Array;
  readonly paidDay: Float64Array;
  /** Day a subsidised status was certified (one per person: the batch form keeps the latest). */
  readonly certifiedDay: Float64Array;
}

export const FLAG = {
  hukouLocal: 1,
  residencePermit: 2,
  inEmployeeInsurance: 4,
  insuredElsewhere: 8,
} as const;

export function allocateBatchFacts(count: number): BatchFacts {
  return {
    count,
    birthDay: new Float64Array(count).fill(Number.NaN),
    groupMask: new Int32Array(count),
    flags: new Uint8Array(count).fill(FLAG.hukouLocal),
    employeeYears: new Uint8Array(count),
    employeeStoppedDay: new Float64Array(count).fill(Number.NaN),
    paidDay: new Float64Array(count).fill(Number.NaN),
    certifiedDay: new Float64Array(count).fill(Number.NaN),
  };
}

export interface BatchResults {
  readonly eligible: Uint8Array;
  readonly paysFen: Int32Array;
  readonly subsidyFen: Int32Array;
  readonly refundLaterFen: Int32Array;
  readonly benefitStartDay: Float64Array;
  /** Index into `whyCodes`; 0xffff for a person listed in `errors`. */
  readonly why: Uint16Array;
  readonly whyCodes: string[];
  /** People whose facts lack what a rule needs (e.g. a certification date): not assessed. */
  readonly errors: { readonly index: number; readonly field: string; readonly message: string }[];
}

export function allocateBatchResults(count: number): BatchResults {
  return {
    eligible: new Uint8Array(count),
    paysFen: new Int32Array(count),
    subsidyFen: new Int32Array(count),
    refundLaterFen: new Int32Array(count),
    benefitStartDay: new Float64Array(count),
    why: new Uint16Array(count),
    whyCodes: [],
    errors: [],
  };
}

/**
 * Assesses every person of `input`. Pass `out` (from allocateBatchResults, at least input.count
 * long) to reuse result buffers across runs: fresh arrays cost page faults on every run.
 */
export function assessBatch(
  policy: Policy,
  input: BatchFacts,
  out = allocateBatchResults(input.count),
): BatchResults {
  const c = compilePolicy(policy);
  const n = input.count;
  if (out.eligible.length < n) throw new RangeError(`结果数组长度 ${out.eligible.length} 小于人数 ${n}`);
  out.whyCodes.length = 0;
  out.errors.length = 0;
  const whyIndex = new Map<number, number>();
  const f = new CompactFacts();
  const since = new Float64Array(32);
  const d = new Decision();
  for (let i = 0; i < n; i++) {
    const flags = input.flags[i] as number;
    const mask = input.groupMask[i] as number;
    f.birthDay = input.birthDay[i] as number;
    f.groupMask = mask;
    f.hukouLocal = (flags & FLAG.hukouLocal) !== 0;
    f.residencePermit = (flags & FLAG.residencePermit) !== 0;
    f.inEmployeeInsurance = (flags & FLAG.inEmployeeInsurance) !== 0;
    f.insuredElsewhere = (flags & FLAG.insuredElsewhere) !== 0;
    f.employeeYears = input.employeeYears[i] as number;
    f.employeeStoppedDay = input.employeeStoppedDay[i] as number;
    f.paidDay = input.paidDay[i] as number;
    if (mask !== 0) {
      since.fill(input.certifiedDay[i] as number);
      f.sinceDays = since;
    } else {
      f.sinceDays = null;
    }
    try {
      evaluate(c, f, d);
    } catch (error) {
      // One person's missing fact must not stop a county-wide run: record it and go on.
      if (!(error instanceof FactsError)) throw error;
      out.errors.push({ index: i, field: error.field, message: error.message });
      out.benefitStartDay[i] = Number.NaN;
      out.why[i] = 0xffff;
      continue;
    }
    out.eligible[i] = d.verdict === Verdict.ADMITTED ? 1 : 0;
    out.paysFen[i] = d.paysFen;
    out.subsidyFen[i] = d.subsidyFen;
    out.refundLaterFen[i] = d.refundLaterFen;
    out.benefitStartDay[i] = d.benefitStartDay;
    const code = d.code();
    let index = whyIndex.get(code);
    if (index === undefined) {
      index = out.whyCodes.length;
      out.whyCodes.push(whyCode(c, d));
      whyIndex.set(code, index);
    }
    out.why[i] = index;
  }
  return out;
}
