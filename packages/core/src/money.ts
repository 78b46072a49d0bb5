/**
 * Money is integer fen (1 yuan = 100 fen) in a branded number type, never a float.
 *
 * Amounts reach canbao as decimal yuan text (policy files, spreadsheets, forms); they are parsed
 * digit by digit so that no binary fraction ever touches a figure. A yuan amount above
 * Number.MAX_SAFE_INTEGER fen (≈ 90 trillion yuan) is refused rather than rounded.
 */
export type Fen = number & { readonly __brand: 'Fen' };

export class MoneyError extends Error {
  override name = 'MoneyError';
}

const YUAN_PATTERN = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/;

/** Brands an integer number of fen; throws on fractions, NaN and unsafe integers. */
export function fen(value: number): Fen {
  if (!Number.isSafeInteger(value)) {
    throw new MoneyError(`金额必须是整数分：${value}`);
  }
  return value as Fen;
}

/** Parses yuan written as decimal text ("350", "310.5", "40.00") into fen. */
export function parseYuan(text: string): Fen {
  const match = YUAN_PATTERN.exec(text.trim());
  if (!match) {
    throw new MoneyError(`不是有效的金额（元，最多两位小数）："${text}"`);
  }
  const [, minus, whole, fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return fen(minus ? -cents : cents);
}

/**
 * Accepts what a YAML or JSON file may hold for a yuan amount: an integer number of yuan, or
 * decimal text. A non-integer number is refused because it has already been through a float.
 */
export function yuanFromInput(value: unknown): Fen {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new MoneyError(`带小数的金额请写成字符串（如 "310.50"），以免浮点误差：${value}`);
    }
    return fen(value * 100);
  }
  if (typeof value === 'string') return parseYuan(value);
  throw new MoneyError(`金额必须是数字或字符串：${String(value)}`);
}

/** Formats fen as yuan with two decimals: 35000 → "350.00". */
export function formatYuan(amount: Fen): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function addFen(...amounts: readonly Fen[]): Fen {
  let total = 0;
  for (const amount of amounts) total += amount;
  return fen(total);
}

export function subtractFen(a: Fen, b: Fen): Fen {
  return fen(a - b);
}

/**
 * `percent` of an amount, where percent is given in basis points of a percent (hundredths:
 * 9000 = 90.00%), rounded half up to the fen. Integer arithmetic only.
 */
export function percentOf(amount: Fen, percentHundredths: number): Fen {
  if (!Number.isSafeInteger(percentHundredths) || percentHundredths < 0 || percentHundredths > 10_000) {
    throw new MoneyError(`百分比超出范围：${percentHundredths / 100}%`);
  }
  const scaled = amount * percentHundredths;
  if (Number.isSafeInteger(scaled + 5_000)) return fen(Math.floor((scaled + 5_000) / 10_000));
  // Beyond 2^53 the product is no longer exact as a double: do it in BigInt (floor division).
  const big = BigInt(amount) * BigInt(percentHundredths) + 5_000n;
  const quotient = big / 10_000n - (big < 0n && big % 10_000n !== 0n ? 1n : 0n);
  return fen(Number(quotient));
}

/**
 * Splits a total into parts in proportion to weights; the remainder left by rounding down goes
 * to the first part, so the parts always sum to the total exactly.
 */
export function splitFen(total: Fen, weights: readonly number[]): Fen[] {
  if (weights.length === 0) throw new MoneyError('拆分金额至少需要一份');
  const weightSum = weights.reduce((sum, w) => sum + w, 0);
  if (weightSum <= 0 || weights.some((w) => w < 0 || !Number.isSafeInteger(w))) {
    throw new MoneyError('拆分权重必须是非负整数且总和大于零');
  }
  const parts = weights.map((w) => Math.floor((total * w) / weightSum));
  const assigned = parts.reduce((sum, p) => sum + p, 0);
  parts[0] = (parts[0] ?? 0) + (total - assigned);
  return parts.map((p) => fen(p));
}
