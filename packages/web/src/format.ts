/**
 * Display formats. Money travels as integer fen and is only turned into text here, with integer
 * arithmetic, so no floating-point rounding ever reaches a receipt.
 */

/** 123456 → "1,234.56 元". */
export function yuan(fen: number | null | undefined, unit = true): string {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return '—';
  const whole = Math.round(fen);
  const sign = whole < 0 ? '-' : '';
  const abs = Math.abs(whole);
  const yuanPart = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fenPart = String(abs % 100).padStart(2, '0');
  return `${sign}${yuanPart}.${fenPart}${unit ? ' 元' : ''}`;
}

/** A fraction 0..1 as a percentage with one decimal ("87.5%"). */
export function pct(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString('zh-CN');
}

/** "2026-11-24T08:30:00.000Z" → "2026-11-24 16:30" in the browser's zone. */
export function dateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export const SEX_LABELS: Record<string, string> = {
  M: '男',
  F: '女',
  male: '男',
  female: '女',
  '1': '男',
  '2': '女',
};

export function sexLabel(sex: string | null | undefined): string {
  if (!sex) return '—';
  return SEX_LABELS[sex] ?? sex;
}

/**
 * The server's `why` is sometimes a rule trace for developers ("qixian-2022 A:hukou-local S:- …")
 * rather than words; only a text in Chinese is worth showing to a clerk or a resident.
 */
export function readableWhy(why: string | null | undefined): string | null {
  return why && /[\u4e00-\u9fff]/.test(why) ? why : null;
}
