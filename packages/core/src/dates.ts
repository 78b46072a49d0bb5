/**
 * Calendar dates. The public API speaks Temporal.PlainDate; "today" is always passed in by the
 * caller (Asia/Shanghai), never read here.
 *
 * The batch engine also needs dates as small integers: "epoch days" (days since 1970-01-01),
 * produced by Temporal itself, so that a million comparisons cost nothing. Calendar arithmetic
 * (adding months, month ends) is always done by Temporal, never by hand.
 */
import { Temporal } from 'temporal-polyfill';

export { Temporal };
export type PlainDate = Temporal.PlainDate;

export class DateError extends Error {
  override name = 'DateError';
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const EPOCH = Temporal.PlainDate.from('1970-01-01');

/** Parses YYYY-MM-DD strictly: an impossible date such as 2023-02-30 is an error, not clamped. */
export function parseDate(text: string): PlainDate {
  if (!ISO_DATE.test(text)) {
    throw new DateError(`日期格式应为 YYYY-MM-DD：“${text}”`);
  }
  try {
    return Temporal.PlainDate.from(text, { overflow: 'reject' });
  } catch {
    throw new DateError(`不存在的日期：“${text}”`);
  }
}

export function formatDate(date: PlainDate): string {
  return date.toString();
}

export function toEpochDay(date: PlainDate): number {
  return EPOCH.until(date, { largestUnit: 'days' }).days;
}

export function fromEpochDay(day: number): PlainDate {
  return EPOCH.add({ days: day });
}

/** date + n months, clamped to the month's last day when that day does not exist. */
export function addMonths(date: PlainDate, months: number): PlainDate {
  return date.add({ months }, { overflow: 'constrain' });
}

export function firstDayOfNextMonth(date: PlainDate): PlainDate {
  return date.with({ day: 1 }).add({ months: 1 });
}

export function compareDates(a: PlainDate, b: PlainDate): number {
  return Temporal.PlainDate.compare(a, b);
}

export function maxDate(a: PlainDate, b: PlainDate): PlainDate {
  return compareDates(a, b) >= 0 ? a : b;
}

/** Whole years from birth to a date (the age a person has on that date). */
export function ageOn(birthDate: PlainDate, on: PlainDate): number {
  return birthDate.until(on, { largestUnit: 'years' }).years;
}
