import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addFen,
  type Fen,
  fen,
  formatYuan,
  MoneyError,
  parseYuan,
  percentOf,
  splitFen,
  subtractFen,
  yuanFromInput,
} from '../src/money.ts';

const RUNS = { numRuns: 300 };

/** Largest whole-yuan amount parseYuan accepts (13 digits); its fen value is still a safe integer. */
const MAX_YUAN = 9_999_999_999_999;

/** Reference: amount × p / 10000, rounded half up, computed exactly with BigInt. */
function percentReference(amount: number, hundredths: number): number {
  const scaled = BigInt(amount) * BigInt(hundredths);
  return Number((scaled + 5_000n) / 10_000n);
}

describe('fen', () => {
  it('brands safe integers, including zero and negatives', () => {
    expect(fen(0)).toBe(0);
    expect(fen(35_000)).toBe(35_000);
    expect(fen(-1)).toBe(-1);
    expect(fen(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(fen(Number.MIN_SAFE_INTEGER)).toBe(Number.MIN_SAFE_INTEGER);
  });

  it.each([
    ['a fraction', 0.5],
    ['a float from yuan arithmetic', 310.5 * 100 + 0.1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['2^53 (unsafe)', 2 ** 53],
    ['-(2^53) (unsafe)', -(2 ** 53)],
  ])('rejects %s', (_, value) => {
    expect(() => fen(value)).toThrow(MoneyError);
  });

  it('rejects every non-integer (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
        (x) => {
          expect(() => fen(x)).toThrow(MoneyError);
        },
      ),
      RUNS,
    );
  });
});

describe('parseYuan', () => {
  it.each([
    ['350', 35_000],
    ['310.5', 31_050],
    ['310.50', 31_050],
    ['40.00', 4_000],
    ['0.01', 1],
    ['0.1', 10],
    ['0', 0],
    ['0.00', 0],
    ['175', 17_500],
    ['1234567.89', 123_456_789],
    ['-5', -500],
    ['-0.05', -5],
  ])('parses "%s" as %i fen', (text, expected) => {
    expect(parseYuan(text)).toBe(expected);
  });

  it('parses the largest accepted amount exactly', () => {
    expect(parseYuan(`${MAX_YUAN}.99`)).toBe(MAX_YUAN * 100 + 99);
    expect(Number.isSafeInteger(parseYuan(`${MAX_YUAN}.99`))).toBe(true);
  });

  it.each([
    ['three decimals', '1.234'],
    ['letters', 'abc'],
    ['the empty string', ''],
    ['blank', '   '],
    ['exponent notation', '1e3'],
    ['a trailing dot', '1.'],
    ['a leading dot', '.5'],
    ['a thousands separator', '1,000'],
    ['a currency sign', '¥350'],
    ['a unit', '350元'],
    ['two dots', '1.2.3'],
    ['a lone minus', '-'],
    ['Infinity', 'Infinity'],
    ['NaN', 'NaN'],
    ['hex', '0x10'],
    ['an amount beyond safe fen', '100000000000000'],
    ['an amount of 90 trillion yuan', '90071992547409.92'],
  ])('rejects %s', (_, text) => {
    expect(() => parseYuan(text)).toThrow(MoneyError);
  });

  it('reads whole yuan and up to two decimals digit by digit (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_YUAN }), fc.integer({ min: 0, max: 99 }), (yuan, cents) => {
        const two = String(cents).padStart(2, '0');
        expect(parseYuan(`${yuan}.${two}`)).toBe(yuan * 100 + cents);
        expect(parseYuan(`-${yuan}.${two}`)).toBe(-(yuan * 100 + cents));
        expect(parseYuan(String(yuan))).toBe(yuan * 100);
        if (cents % 10 === 0) expect(parseYuan(`${yuan}.${cents / 10}`)).toBe(yuan * 100 + cents);
      }),
      RUNS,
    );
  });

  it('rejects more than two decimals (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.stringMatching(/^\d{3,6}$/),
        (yuan, decimals) => {
          expect(() => parseYuan(`${yuan}.${decimals}`)).toThrow(MoneyError);
        },
      ),
      RUNS,
    );
  });

  it('round-trips with formatYuan (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(MAX_YUAN * 100 + 99), max: MAX_YUAN * 100 + 99 }), (amount) => {
        expect(parseYuan(formatYuan(fen(amount)))).toBe(amount);
      }),
      RUNS,
    );
  });
});

describe('yuanFromInput', () => {
  it('accepts integer yuan numbers', () => {
    expect(yuanFromInput(350)).toBe(35_000);
    expect(yuanFromInput(0)).toBe(0);
    expect(yuanFromInput(310)).toBe(31_000);
  });

  it('accepts decimal yuan text', () => {
    expect(yuanFromInput('310.50')).toBe(31_050);
    expect(yuanFromInput('310.5')).toBe(31_050);
    expect(yuanFromInput('350')).toBe(35_000);
  });

  it.each([
    ['a float', 310.5],
    ['a float with one cent', 0.01],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an integer whose fen value is unsafe', 1e14],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { yuan: 350 }],
    ['bad text', '1.234'],
  ])('refuses %s', (_, value) => {
    expect(() => yuanFromInput(value)).toThrow(MoneyError);
  });

  it('refuses every non-integer number (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)),
        (x) => {
          expect(() => yuanFromInput(x)).toThrow(MoneyError);
        },
      ),
      RUNS,
    );
  });

  it('gives the same fen for an integer number and its text (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), (yuan) => {
        expect(yuanFromInput(yuan)).toBe(yuan * 100);
        expect(yuanFromInput(String(yuan))).toBe(yuanFromInput(yuan));
      }),
      RUNS,
    );
  });
});

describe('formatYuan', () => {
  it.each([
    [35_000, '350.00'],
    [31_050, '310.50'],
    [4_000, '40.00'],
    [0, '0.00'],
    [5, '0.05'],
    [1, '0.01'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [123_456_789, '1234567.89'],
    [-5, '-0.05'],
    [-31_050, '-310.50'],
    [-100, '-1.00'],
  ])('formats %i fen as "%s"', (amount, expected) => {
    expect(formatYuan(fen(amount))).toBe(expected);
  });

  it('always has exactly two decimals and a sign only when negative (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (amount) => {
        const text = formatYuan(fen(amount));
        expect(text).toMatch(/^-?(0|[1-9]\d*)\.\d{2}$/);
        expect(text.startsWith('-')).toBe(amount < 0);
      }),
      RUNS,
    );
  });
});

describe('addFen and subtractFen', () => {
  it('add and subtract integer fen', () => {
    expect(addFen()).toBe(0);
    expect(addFen(fen(31_000), fen(4_000))).toBe(35_000);
    expect(addFen(fen(1), fen(2), fen(3))).toBe(6);
    expect(subtractFen(fen(35_000), fen(31_000))).toBe(4_000);
    expect(subtractFen(fen(0), fen(5))).toBe(-5);
  });

  it('refuse a sum that is no longer a safe integer', () => {
    expect(() => addFen(fen(Number.MAX_SAFE_INTEGER), fen(1))).toThrow(MoneyError);
    expect(() => subtractFen(fen(Number.MIN_SAFE_INTEGER), fen(1))).toThrow(MoneyError);
  });
});

describe('percentOf', () => {
  it('90% of 380.00 yuan is 342.00 yuan', () => {
    expect(percentOf(fen(38_000), 9_000)).toBe(34_200);
  });

  it('0% is nothing and 100% is everything', () => {
    expect(percentOf(fen(35_000), 0)).toBe(0);
    expect(percentOf(fen(35_000), 10_000)).toBe(35_000);
  });

  it('rounds half up to the fen', () => {
    expect(percentOf(fen(1), 5_000)).toBe(1); // 0.5 → 1
    expect(percentOf(fen(3), 5_000)).toBe(2); // 1.5 → 2
    expect(percentOf(fen(5), 5_000)).toBe(3); // 2.5 → 3
    expect(percentOf(fen(1), 4_999)).toBe(0); // 0.4999 → 0
    expect(percentOf(fen(1), 5_001)).toBe(1); // 0.5001 → 1
    expect(percentOf(fen(35_001), 5_000)).toBe(17_501); // 17500.5 → 17501
    expect(percentOf(fen(35_000), 8_750)).toBe(30_625); // 87.5%: exact
    expect(percentOf(fen(33_333), 3_333)).toBe(11_110); // 11109.8889 → 11110
    expect(percentOf(fen(10_001), 1)).toBe(1); // 1.0001 → 1
    expect(percentOf(fen(15_000), 1)).toBe(2); // 1.5 → 2
    expect(percentOf(fen(14_999), 1)).toBe(1); // 1.4999 → 1
  });

  it.each([
    ['negative', -1],
    ['above 100%', 10_001],
    ['fractional hundredths', 12.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('refuses a percentage that is %s', (_, hundredths) => {
    expect(() => percentOf(fen(35_000), hundredths)).toThrow(MoneyError);
  });

  it('matches exact half-up rounding for realistic amounts (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (amount, p) => {
          const result = percentOf(fen(amount), p);
          expect(result).toBe(percentReference(amount, p));
          expect(result).toBeGreaterThanOrEqual(0);
          expect(result).toBeLessThanOrEqual(amount);
        },
      ),
      RUNS,
    );
  });

  // Regression: beyond 2^53 the product amount × percent is inexact as a double; percentOf must
  // still round half up exactly (1285528403559 × 8161 = 10491197301444999 → …144, not …145).
  it('is exact, or refuses, for every amount parseYuan accepts (12855284035.59 yuan × 81.61%)', () => {
    const amount = parseYuan('12855284035.59');
    const exact = percentReference(amount, 8_161);
    expect(exact).toBe(1_049_119_730_144);
    let result: number | MoneyError;
    try {
      result = percentOf(amount, 8_161);
    } catch (error) {
      if (!(error instanceof MoneyError)) throw error;
      result = error;
    }
    if (!(result instanceof MoneyError)) expect(result).toBe(exact);
  });

  it('is monotone in the percentage (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (amount, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(percentOf(fen(amount), lo)).toBeLessThanOrEqual(percentOf(fen(amount), hi));
        },
      ),
      RUNS,
    );
  });
});

describe('splitFen', () => {
  it('splits in proportion, giving the rounding remainder to the first part', () => {
    expect(splitFen(fen(35_000), [1, 1])).toEqual([17_500, 17_500]);
    expect(splitFen(fen(100), [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitFen(fen(35_000), [31, 4])).toEqual([31_000, 4_000]);
    expect(splitFen(fen(7), [5])).toEqual([7]);
    expect(splitFen(fen(10), [0, 1])).toEqual([0, 10]);
    expect(splitFen(fen(0), [3, 7])).toEqual([0, 0]);
  });

  it.each([
    ['no weights', []],
    ['all-zero weights', [0, 0]],
    ['a negative weight', [2, -1]],
    ['a fractional weight', [0.5, 0.5]],
    ['a NaN weight', [1, Number.NaN]],
  ])('refuses %s', (_, weights) => {
    expect(() => splitFen(fen(100), weights)).toThrow(MoneyError);
  });

  const weights = fc
    .array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 12 })
    .filter((ws) => ws.some((w) => w > 0));

  it('parts always sum to the total (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), weights, (total, ws) => {
        const parts = splitFen(fen(total), ws);
        expect(parts).toHaveLength(ws.length);
        expect(parts.reduce((sum: number, p) => sum + p, 0)).toBe(total);
        for (const p of parts) expect(Number.isSafeInteger(p)).toBe(true);
      }),
      RUNS,
    );
  });

  it('every part but the first is its proportional share rounded down; none is negative (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), weights, (total, ws) => {
        const parts: Fen[] = splitFen(fen(total), ws);
        const weightSum = ws.reduce((s, w) => s + w, 0);
        for (let i = 0; i < ws.length; i++) {
          const exact = (total * (ws[i] as number)) / weightSum;
          const part = parts[i] as number;
          expect(part).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(part).toBe(Math.floor(exact));
          // The first part carries the remainder: less than one fen per part above its share.
          else expect(part - exact).toBeLessThan(ws.length);
        }
        // A zero weight gets nothing unless it is the first part, which takes the remainder.
        ws.forEach((w, i) => {
          if (w === 0 && i > 0) expect(parts[i]).toBe(0);
        });
      }),
      RUNS,
    );
  });
});
