/**
 * Citizen identity numbers (GB 11643-1999): 17 digits and a check character computed with
 * ISO 7064 MOD 11-2. The same 18-character form and check are used by HK/Macau/Taiwan residence
 * permits (prefix 81/82/83) and the 2023 foreigners' permanent residence ID card (prefix 9).
 *
 * The first six digits name the place where the number was first issued; they may be an obsolete
 * code, so they are never checked against today's region table.
 */
import { DateError, type PlainDate, parseDate } from './dates.ts';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

export type IdNumberKind = 'citizen' | 'hk_macau_taiwan_permit' | 'foreigner_permanent_residence';

export interface ParsedIdNumber {
  /** Normalised: upper-case X. */
  readonly number: string;
  readonly kind: IdNumberKind;
  readonly birthDate: PlainDate;
  readonly sex: 'male' | 'female';
}

export class IdNumberError extends Error {
  override name = 'IdNumberError';
  /** Which check failed: length, characters, checksum or birth date. */
  readonly check: 'length' | 'characters' | 'checksum' | 'birth_date';
  constructor(check: IdNumberError['check'], message: string) {
    super(message);
    this.check = check;
  }
}

/** The check character for the first 17 digits. */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (WEIGHTS[i] as number);
  return CHECK_CHARS[sum % 11] as string;
}

/** Validates an 18-character identity number and extracts birth date and sex. Throws IdNumberError. */
export function parseIdNumber(input: string): ParsedIdNumber {
  const number = input.trim().toUpperCase();
  if (number.length !== 18) {
    throw new IdNumberError('length', `身份证号码应为18位，实际为${number.length}位`);
  }
  if (!/^\d{17}[\dX]$/.test(number)) {
    throw new IdNumberError('characters', '身份证号码前17位应为数字，最后一位为数字或X');
  }
  const expected = idCheckCharacter(number);
  if (number[17] !== expected) {
    throw new IdNumberError('checksum', `身份证号码校验位错误：应为${expected}，实际为${number[17]}`);
  }
  const birthText = `${number.slice(6, 10)}-${number.slice(10, 12)}-${number.slice(12, 14)}`;
  let birthDate: PlainDate;
  try {
    birthDate = parseDate(birthText);
  } catch (error) {
    if (error instanceof DateError) {
      throw new IdNumberError('birth_date', `身份证号码中的出生日期不存在：${birthText}`);
    }
    throw error;
  }
  const sexDigit = number.charCodeAt(16) - 48;
  return {
    number,
    kind: idNumberKind(number),
    birthDate,
    sex: sexDigit % 2 === 1 ? 'male' : 'female',
  };
}

export function isValidIdNumber(input: string): boolean {
  try {
    parseIdNumber(input);
    return true;
  } catch {
    return false;
  }
}

function idNumberKind(number: string): IdNumberKind {
  if (number.startsWith('81') || number.startsWith('82') || number.startsWith('83')) {
    return 'hk_macau_taiwan_permit';
  }
  if (number.startsWith('9')) return 'foreigner_permanent_residence';
  return 'citizen';
}

/** Masks an ID number for public display (公示): first 6 and last 4 shown. */
export function maskIdNumber(number: string): string {
  if (number.length <= 10) return '*'.repeat(number.length);
  return `${number.slice(0, 6)}${'*'.repeat(number.length - 10)}${number.slice(-4)}`;
}

/** An 18-character identity number standing on its own in a text (not part of a longer number). */
const ID_NUMBER_IN_TEXT = /\b\d{17}[\dXx]\b/g;

/** A text (a log line, a URL, JSON) with every 18-character identity number in it masked. */
export function maskIdNumbersIn(text: string): string {
  return text.replace(ID_NUMBER_IN_TEXT, (number) => maskIdNumber(number));
}

/** A copy of a JSON value with every identity number in its strings masked. */
export function maskIdNumbersInValue<T>(value: T): T {
  return JSON.parse(maskIdNumbersIn(JSON.stringify(value))) as T;
}
