/**
 * Reading one cell of an imported row: each parser returns the value or throws FieldError with a
 * reason in Chinese; the pipeline adds the line and the column header.
 */
import { DateError, IdNumberError, parseDate, parseIdNumber, parseYuan } from '@canbao/core';
import type { DocType } from '../db/schema.ts';

export class FieldError extends Error {
  override name = 'FieldError';
}

/** YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD or YYYY年M月D日 → YYYY-MM-DD (a real date). */
export function parseDateCell(text: string): string {
  const t = text.trim();
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (!m) throw new FieldError(`日期格式无法识别：“${text}”（应为 2023-01-31 这样的日期）`);
  const iso = `${m[1]}-${(m[2] as string).padStart(2, '0')}-${(m[3] as string).padStart(2, '0')}`;
  try {
    return parseDate(iso).toString();
  } catch (error) {
    if (error instanceof DateError) throw new FieldError(`不存在的日期：“${text}”`);
    throw error;
  }
}

const DOC_TYPES: Readonly<Record<string, DocType>> = {
  居民身份证: 'resident_id',
  身份证: 'resident_id',
  公民身份号码: 'resident_id',
  港澳台居民居住证: 'hk_macau_taiwan_permit',
  港澳居民居住证: 'hk_macau_taiwan_permit',
  台湾居民居住证: 'hk_macau_taiwan_permit',
  外国人永久居留身份证: 'foreigner_permanent_residence',
  外国人永久居留证: 'foreigner_permanent_residence',
  护照: 'passport',
  其他: 'other',
};

export interface PersonDocument {
  readonly docType: DocType;
  readonly number: string;
  /** From an 18-character number; null for passports and other documents. */
  readonly birthDate: string | null;
  readonly sex: 'male' | 'female' | null;
}

/**
 * A person's identity document. Without a type, an 18-character number is checked as GB 11643
 * (and its kind — citizen, HK/Macau/Taiwan permit, foreigner — read from it).
 */
export function parseDocument(typeText: string, numberText: string): PersonDocument {
  const number = numberText.replace(/\s/g, '').toUpperCase();
  if (!number) throw new FieldError('证件号码为空');
  const declared = typeText.trim() ? DOC_TYPES[typeText.trim()] : undefined;
  if (typeText.trim() && !declared) {
    throw new FieldError(`未知的证件类型“${typeText}”（可用：${Object.keys(DOC_TYPES).join('、')}）`);
  }
  if (declared === 'passport' || declared === 'other') {
    if (!/^[0-9A-Z-]{5,30}$/.test(number)) throw new FieldError(`证件号码格式不正确：“${numberText}”`);
    return { docType: declared, number, birthDate: null, sex: null };
  }
  try {
    const parsed = parseIdNumber(number);
    const kind: DocType =
      parsed.kind === 'citizen'
        ? 'resident_id'
        : parsed.kind === 'hk_macau_taiwan_permit'
          ? 'hk_macau_taiwan_permit'
          : 'foreigner_permanent_residence';
    if (declared && declared !== kind) {
      throw new FieldError(
        `证件类型为“${typeText}”，但号码是${kind === 'resident_id' ? '居民身份证' : '居住证或永久居留身份证'}号码`,
      );
    }
    return { docType: kind, number: parsed.number, birthDate: parsed.birthDate.toString(), sex: parsed.sex };
  } catch (error) {
    if (error instanceof IdNumberError) throw new FieldError(error.message);
    throw error;
  }
}

export function parseSex(text: string): 'male' | 'female' {
  const t = text.trim();
  if (t === '男' || t === '男性' || t === '1') return 'male';
  if (t === '女' || t === '女性' || t === '2') return 'female';
  throw new FieldError(`性别应为“男”或“女”：“${text}”`);
}

export function parsePhone(text: string): string {
  const digits = text.replace(/[\s-]/g, '');
  if (/^1\d{10}$/.test(digits) || /^0\d{9,11}$/.test(digits) || /^\d{7,8}$/.test(digits)) return digits;
  throw new FieldError(`电话号码格式不正确：“${text}”`);
}

export function parseNonNegativeInteger(text: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw new FieldError(`应为非负整数：“${text}”`);
  return Number(text.trim());
}

export function parseYear(text: string): number {
  const m = /^(\d{4})(年度?)?$/.exec(text.trim());
  const year = m ? Number(m[1]) : Number.NaN;
  if (!(year >= 1990 && year <= 2100)) throw new FieldError(`应为年度（如 2023）：“${text}”`);
  return year;
}

/** Yuan as written in a spreadsheet ("350", "350.00", "￥350") → fen, never through a float. */
export function parseYuanCell(text: string): number {
  const t = text
    .trim()
    .replace(/^[￥¥]/, '')
    .replace(/元$/, '')
    .replace(/,/g, '');
  try {
    return parseYuan(t);
  } catch {
    throw new FieldError(`金额格式不正确：“${text}”（应为元，最多两位小数）`);
  }
}
