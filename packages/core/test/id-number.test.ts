import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDate } from '../src/dates.ts';
import {
  IdNumberError,
  idCheckCharacter,
  isValidIdNumber,
  maskIdNumber,
  maskIdNumbersIn,
  maskIdNumbersInValue,
  parseIdNumber,
} from '../src/id-number.ts';

const RUNS = { numRuns: 300 };

/** GB 11643 / ISO 7064 MOD 11-2 as DOMAIN.md §4 states it, written out independently of src. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
function referenceCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] as number);
  return CHECK[sum % 11] as string;
}

/** A valid number from its parts: 6-digit address, YYYYMMDD, 3-digit sequence. */
function idNumber(address: string, birth: string, sequence: string): string {
  const first17 = `${address}${birth}${sequence}`;
  return `${first17}${idCheckCharacter(first17)}`;
}

/** The caught IdNumberError's `check`, or a marker when nothing (or something else) was thrown. */
function failedCheck(input: string): string {
  try {
    parseIdNumber(input);
    return 'accepted';
  } catch (error) {
    if (error instanceof IdNumberError) return error.check;
    return `other error: ${String(error)}`;
  }
}

const KNOWN_VALID = '11010519491231002X';

describe('idCheckCharacter', () => {
  it('gives X for the known valid number 11010519491231002X', () => {
    expect(idCheckCharacter('11010519491231002')).toBe('X');
  });

  it('maps sum mod 11 = 0..10 onto 1 0 X 9 8 7 6 5 4 3 2', () => {
    // Only the 8th weight is 1: putting d there (all else zero) makes the sum exactly d.
    const withEighth = (d: number) => `0000000${d}000000000`;
    for (let d = 0; d <= 9; d++) expect(idCheckCharacter(withEighth(d))).toBe(CHECK[d]);
    // 10: weight 10 at position 3.
    expect(idCheckCharacter('00100000000000000')).toBe('2');
    expect(idCheckCharacter('00000000000000000')).toBe('1');
  });

  it('agrees with the DOMAIN.md formula on any 17 digits (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{17}$/), (first17) => {
        expect(idCheckCharacter(first17)).toBe(referenceCheck(first17));
      }),
      RUNS,
    );
  });
});

describe('parseIdNumber', () => {
  it('parses the known valid number', () => {
    const parsed = parseIdNumber(KNOWN_VALID);
    expect(parsed.number).toBe(KNOWN_VALID);
    expect(parsed.kind).toBe('citizen');
    expect(formatDate(parsed.birthDate)).toBe('1949-12-31');
    expect(parsed.sex).toBe('female'); // 17th digit 2 is even
    expect(isValidIdNumber(KNOWN_VALID)).toBe(true);
  });

  it('accepts a lower-case x and normalises it to X', () => {
    const parsed = parseIdNumber('11010519491231002x');
    expect(parsed.number).toBe(KNOWN_VALID);
    expect(isValidIdNumber('11010519491231002x')).toBe(true);
  });

  it('does not check the address code against a region table (obsolete codes are fine)', () => {
    for (const address of ['000000', '999999', '341024', '342422', '110105']) {
      expect(parseIdNumber(idNumber(address, '19800101', '123')).kind).toBe(
        address.startsWith('9') ? 'foreigner_permanent_residence' : 'citizen',
      );
    }
  });

  it('accepts birth on 29 February in a leap year', () => {
    expect(formatDate(parseIdNumber(idNumber('341024', '20000229', '001')).birthDate)).toBe('2000-02-29');
  });

  describe('length', () => {
    it.each([
      ['empty', ''],
      ['17 characters', KNOWN_VALID.slice(0, 17)],
      ['19 characters', `${KNOWN_VALID}0`],
      ['a 15-digit first-generation number', '110105491231002'],
    ])('%s → length', (_, input) => {
      expect(failedCheck(input)).toBe('length');
      expect(isValidIdNumber(input)).toBe(false);
    });

    it('any length other than 18 → length (property)', () => {
      fc.assert(
        fc.property(
          fc.stringMatching(/^\d{0,30}$/).filter((s) => s.length !== 18),
          (input) => {
            expect(failedCheck(input)).toBe('length');
          },
        ),
        RUNS,
      );
    });
  });

  describe('characters', () => {
    it.each([
      ['X in the middle', '1101051949123100X2'],
      ['a letter as check character', '11010519491231002A'],
      ['a letter among the digits', '1101A519491231002X'],
      ['a space inside', '110105 9491231002X'],
      ['a hyphen', '110105-1949123102X'],
      ['full-width digits', '１１０１０５１９４９１２３１００２X'],
    ])('%s → characters', (_, input) => {
      expect(failedCheck(input)).toBe('characters');
    });
  });

  describe('checksum', () => {
    it('a wrong check character → checksum', () => {
      expect(failedCheck('110105194912310021')).toBe('checksum');
      expect(failedCheck('110105194912310020')).toBe('checksum');
    });

    it('every check character other than the computed one → checksum', () => {
      const valid = idNumber('341024', '19750615', '357');
      const first17 = valid.slice(0, 17);
      for (const c of CHECK) {
        if (c === valid[17]) continue;
        expect(failedCheck(`${first17}${c}`)).toBe('checksum');
      }
    });
  });

  describe('birth date', () => {
    it.each([
      ['30 February 1999', '19990230'],
      ['29 February in a common year', '20230229'],
      ['month 13', '19991301'],
      ['month 00', '19990001'],
      ['day 00', '19990100'],
      ['31 April', '20000431'],
    ])('%s → birth_date', (_, birth) => {
      const input = idNumber('110105', birth, '001');
      expect(failedCheck(input)).toBe('birth_date');
      expect(isValidIdNumber(input)).toBe(false);
    });
  });

  describe('sex from the 17th digit', () => {
    it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])('17th digit %i', (digit) => {
      const parsed = parseIdNumber(idNumber('341024', '19900101', `00${digit}`));
      expect(parsed.sex).toBe(digit % 2 === 1 ? 'male' : 'female');
    });
  });

  describe('kind', () => {
    it.each([
      ['81', 'hk_macau_taiwan_permit'],
      ['82', 'hk_macau_taiwan_permit'],
      ['83', 'hk_macau_taiwan_permit'],
      ['91', 'foreigner_permanent_residence'],
      ['93', 'foreigner_permanent_residence'],
      ['11', 'citizen'],
      ['34', 'citizen'],
      ['65', 'citizen'],
    ])('prefix %s → %s', (prefix, kind) => {
      const parsed = parseIdNumber(idNumber(`${prefix}0000`, '19940823', '002'));
      expect(parsed.kind).toBe(kind);
      expect(formatDate(parsed.birthDate)).toBe('1994-08-23');
    });

    it('a residence permit still needs a valid check character', () => {
      const permit = idNumber('810000', '19940823', '002');
      const wrong = CHECK.find((c) => c !== permit[17]) as string;
      expect(failedCheck(`${permit.slice(0, 17)}${wrong}`)).toBe('checksum');
    });
  });
});

/** 1900-01-01 … 2099-12-31 as a YYYYMMDD string, via the JavaScript Date (independent of src). */
const birthText = fc
  .integer({ min: -25_567, max: 47_481 })
  .map((day) => new Date(day * 86_400_000).toISOString().slice(0, 10));

const parts = fc.record({
  address: fc.stringMatching(/^\d{6}$/),
  birth: birthText,
  sequence: fc.stringMatching(/^\d{3}$/),
});

describe('properties', () => {
  it('any 17 digits with a real date and the computed check character parse (property)', () => {
    fc.assert(
      fc.property(parts, ({ address, birth, sequence }) => {
        const first17 = `${address}${birth.replaceAll('-', '')}${sequence}`;
        const number = `${first17}${referenceCheck(first17)}`;
        const parsed = parseIdNumber(number);
        expect(parsed.number).toBe(number);
        expect(formatDate(parsed.birthDate)).toBe(birth);
        expect(parsed.sex).toBe(Number(sequence[2]) % 2 === 1 ? 'male' : 'female');
        expect(parseIdNumber(number.toLowerCase()).number).toBe(number);
      }),
      RUNS,
    );
  });

  it('changing any single digit of the first 17 breaks the checksum (property)', () => {
    fc.assert(
      fc.property(
        parts,
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 9 }),
        ({ address, birth, sequence }, position, shift) => {
          const first17 = `${address}${birth.replaceAll('-', '')}${sequence}`;
          const check = referenceCheck(first17);
          const digit = (Number(first17[position]) + shift) % 10;
          const changed = `${first17.slice(0, position)}${digit}${first17.slice(position + 1)}`;
          expect(changed).not.toBe(first17);
          expect(idCheckCharacter(changed)).not.toBe(check);
          // The checksum fails whatever the changed digit did to the birth date.
          expect(failedCheck(`${changed}${check}`)).toBe('checksum');
        },
      ),
      RUNS,
    );
  });
});

describe('maskIdNumber', () => {
  it('shows the first 6 and last 4 characters', () => {
    expect(maskIdNumber(KNOWN_VALID)).toBe('110105********002X');
  });

  it('masks every identity number in a text or a value, and leaves longer numbers alone', () => {
    expect(maskIdNumbersIn(`GET /api/people?q=${KNOWN_VALID}&x=1`)).toBe(
      'GET /api/people?q=110105********002X&x=1',
    );
    expect(maskIdNumbersIn('card 6228480012345678901 ok')).toBe('card 6228480012345678901 ok');
    expect(maskIdNumbersInValue({ rows: [{ doc: KNOWN_VALID, n: 3 }] })).toEqual({
      rows: [{ doc: '110105********002X', n: 3 }],
    });
  });

  it('keeps the length and hides the birth date (property)', () => {
    fc.assert(
      fc.property(parts, ({ address, birth, sequence }) => {
        const number = idNumber(address, birth.replaceAll('-', ''), sequence);
        const masked = maskIdNumber(number);
        expect(masked).toHaveLength(18);
        expect(masked.slice(0, 6)).toBe(number.slice(0, 6));
        expect(masked.slice(-4)).toBe(number.slice(-4));
        expect(masked.slice(6, 14)).toBe('********');
      }),
      RUNS,
    );
  });

  it('hides a short value entirely', () => {
    expect(maskIdNumber('1234567890')).toBe('**********');
    expect(maskIdNumber('')).toBe('');
  });
});
