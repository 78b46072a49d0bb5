/**
 * What the benchmarks share: progress lines on stderr, number formatting, and identity numbers for
 * a synthetic county that are valid (GB 11643) and unique by construction.
 */
import { idCheckCharacter } from '@canbao/core';

export const log = (text: string) => process.stderr.write(`${text}\n`);

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The i-th person's identity number in `county`: birth date from i's low part, sequence from its high part. */
export function idNumberOf(county: string, i: number): string {
  const year = 1940 + (i % 65);
  const day = String(1 + (Math.floor(i / 65) % 28)).padStart(2, '0');
  const month = String(1 + (Math.floor(i / (65 * 28)) % 12)).padStart(2, '0');
  const seq = String(Math.floor(i / (65 * 28 * 12))).padStart(3, '0');
  const prefix = `${county}${year}${month}${day}${seq}`;
  return prefix + idCheckCharacter(prefix);
}

/** The facts of an ordinary local resident (no groups, no other insurance) with this identity number. */
export const ordinaryFacts = (idNumber: string) => ({
  idNumber,
  groups: [],
  hukouLocal: true,
  inEmployeeInsurance: false,
  insuredElsewhere: false,
});
