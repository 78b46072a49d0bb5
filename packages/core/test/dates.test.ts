import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  ageOn,
  compareDates,
  DateError,
  firstDayOfNextMonth,
  formatDate,
  fromEpochDay,
  maxDate,
  parseDate,
  toEpochDay,
} from '../src/dates.ts';

const RUNS = { numRuns: 300 };
const DAY_MS = 86_400_000;

/** Independent oracle: the ISO date of an epoch day, by the JavaScript Date (UTC). */
function isoOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Days in a month (1-based), by the JavaScript Date: day 0 of the next month. */
function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

function ymd(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Epoch days for 1900-01-01 … 2199-12-31. */
const epochDay = fc.integer({ min: -25_567, max: 83_965 });

describe('parseDate', () => {
  it('parses a valid ISO date', () => {
    const d = parseDate('2025-07-03');
    expect([d.year, d.month, d.day]).toEqual([2025, 7, 3]);
    expect(formatDate(d)).toBe('2025-07-03');
  });

  it('accepts 29 February in a leap year and rejects it otherwise', () => {
    expect(formatDate(parseDate('2024-02-29'))).toBe('2024-02-29');
    expect(formatDate(parseDate('2000-02-29'))).toBe('2000-02-29'); // divisible by 400
    expect(() => parseDate('2023-02-29')).toThrow(DateError);
    expect(() => parseDate('1900-02-29')).toThrow(DateError); // divisible by 100, not 400
    expect(() => parseDate('2100-02-29')).toThrow(DateError);
  });

  it.each([
    '2023-02-30',
    '2023-04-31',
    '2023-06-31',
    '2023-09-31',
    '2023-11-31',
    '2023-13-01',
    '2023-00-10',
    '2023-01-00',
    '2023-01-32',
  ])('rejects the impossible date %s rather than clamping it', (text) => {
    expect(() => parseDate(text)).toThrow(DateError);
  });

  it.each([
    '',
    '2023',
    '2023-2-3',
    '2023-02-3',
    '23-02-03',
    '2023/02/03',
    '20230203',
    '2023-02-03T00:00',
    '2023-02-03Z',
    ' 2023-02-03',
    '2023-02-03 ',
    '+002023-02-03',
    '２０２３-０２-０３',
    '2023年2月3日',
    'yesterday',
  ])('rejects the badly formatted %j', (text) => {
    expect(() => parseDate(text)).toThrow(DateError);
  });

  it('accepts every real calendar date and rejects the day after each month end (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2199 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
        const last = daysInMonth(year, month);
        expect(formatDate(parseDate(ymd(year, month, last)))).toBe(ymd(year, month, last));
        expect(formatDate(parseDate(ymd(year, month, 1)))).toBe(ymd(year, month, 1));
        if (last < 31) expect(() => parseDate(ymd(year, month, last + 1))).toThrow(DateError);
      }),
      RUNS,
    );
  });
});

describe('epoch days', () => {
  it('counts days from 1970-01-01', () => {
    expect(toEpochDay(parseDate('1970-01-01'))).toBe(0);
    expect(toEpochDay(parseDate('1970-01-02'))).toBe(1);
    expect(toEpochDay(parseDate('1969-12-31'))).toBe(-1);
    expect(toEpochDay(parseDate('1971-01-01'))).toBe(365);
    expect(toEpochDay(parseDate('2000-03-01')) - toEpochDay(parseDate('2000-02-28'))).toBe(2);
    expect(formatDate(fromEpochDay(0))).toBe('1970-01-01');
    expect(formatDate(fromEpochDay(-1))).toBe('1969-12-31');
  });

  it('fromEpochDay and toEpochDay round-trip (property)', () => {
    fc.assert(
      fc.property(epochDay, (day) => {
        expect(toEpochDay(fromEpochDay(day))).toBe(day);
      }),
      RUNS,
    );
  });

  it('agree with the JavaScript Date calendar (property)', () => {
    fc.assert(
      fc.property(epochDay, (day) => {
        const iso = isoOfDay(day);
        expect(formatDate(fromEpochDay(day))).toBe(iso);
        expect(toEpochDay(parseDate(iso))).toBe(day);
      }),
      RUNS,
    );
  });

  it('order epoch days as compareDates orders dates (property)', () => {
    fc.assert(
      fc.property(epochDay, epochDay, (a, b) => {
        const da = fromEpochDay(a);
        const db = fromEpochDay(b);
        expect(Math.sign(compareDates(da, db))).toBe(Math.sign(a - b));
        expect(toEpochDay(maxDate(da, db))).toBe(Math.max(a, b));
      }),
      RUNS,
    );
  });
});

describe('addMonths', () => {
  it('DOMAIN §3: paid 2025-07-03 with a 3-month wait, benefits from 2025-10-03', () => {
    expect(formatDate(addMonths(parseDate('2025-07-03'), 3))).toBe('2025-10-03');
  });

  it.each([
    ['2025-11-30', 3, '2026-02-28'],
    ['2023-11-30', 3, '2024-02-29'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2023-01-31', 1, '2023-02-28'],
    ['2025-08-31', 1, '2025-09-30'],
    ['2025-03-31', 6, '2025-09-30'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2025-10-15', 3, '2026-01-15'],
    ['2025-12-31', 1, '2026-01-31'],
    ['2025-01-01', 12, '2026-01-01'],
    ['2025-05-17', 0, '2025-05-17'],
  ])('%s + %i months = %s (clamped to the month end)', (from, months, expected) => {
    expect(formatDate(addMonths(parseDate(from), months))).toBe(expected);
  });

  it('keeps the day unless the target month is shorter, then takes its last day (property)', () => {
    fc.assert(
      fc.property(epochDay, fc.integer({ min: 0, max: 36 }), (day, months) => {
        const from = fromEpochDay(day);
        const monthIndex = from.year * 12 + (from.month - 1) + months;
        const year = Math.floor(monthIndex / 12);
        const month = (monthIndex % 12) + 1;
        const expected = ymd(year, month, Math.min(from.day, daysInMonth(year, month)));
        expect(formatDate(addMonths(from, months))).toBe(expected);
      }),
      RUNS,
    );
  });
});

describe('firstDayOfNextMonth', () => {
  it.each([
    ['2025-12-15', '2026-01-01'],
    ['2025-12-31', '2026-01-01'],
    ['2025-01-31', '2025-02-01'],
    ['2024-02-29', '2024-03-01'],
    ['2023-02-28', '2023-03-01'],
    ['2025-03-01', '2025-04-01'],
    ['2022-09-01', '2022-10-01'],
  ])('%s → %s', (from, expected) => {
    expect(formatDate(firstDayOfNextMonth(parseDate(from)))).toBe(expected);
  });

  it('is always a first day, after the date, at most 31 days later (property)', () => {
    fc.assert(
      fc.property(epochDay, (day) => {
        const next = firstDayOfNextMonth(fromEpochDay(day));
        const gap = toEpochDay(next) - day;
        expect(next.day).toBe(1);
        expect(gap).toBeGreaterThanOrEqual(1);
        expect(gap).toBeLessThanOrEqual(31);
        // The day before it is the last day of the date's own month.
        expect(formatDate(fromEpochDay(toEpochDay(next) - 1)).slice(0, 7)).toBe(isoOfDay(day).slice(0, 7));
      }),
      RUNS,
    );
  });
});

describe('ageOn', () => {
  it('counts whole years, the birthday itself completing the year', () => {
    const born = parseDate('2000-03-15');
    expect(ageOn(born, parseDate('2000-03-15'))).toBe(0);
    expect(ageOn(born, parseDate('2001-03-14'))).toBe(0);
    expect(ageOn(born, parseDate('2001-03-15'))).toBe(1);
    expect(ageOn(born, parseDate('2025-03-14'))).toBe(24);
    expect(ageOn(born, parseDate('2025-03-15'))).toBe(25);
    expect(ageOn(born, parseDate('2025-12-31'))).toBe(25);
  });

  it('a person born on 29 February completes a year on 1 March in a common year', () => {
    const born = parseDate('2004-02-29');
    expect(ageOn(born, parseDate('2025-02-28'))).toBe(20);
    expect(ageOn(born, parseDate('2025-03-01'))).toBe(21);
    expect(ageOn(born, parseDate('2028-02-29'))).toBe(24);
  });

  it('matches year difference less one before the birthday (property)', () => {
    fc.assert(
      fc.property(epochDay, fc.integer({ min: 0, max: 40_000 }), (birthDay, days) => {
        const birth = fromEpochDay(birthDay);
        const on = fromEpochDay(birthDay + days);
        const beforeBirthday = on.month < birth.month || (on.month === birth.month && on.day < birth.day);
        expect(ageOn(birth, on)).toBe(on.year - birth.year - (beforeBirthday ? 1 : 0));
      }),
      RUNS,
    );
  });
});
