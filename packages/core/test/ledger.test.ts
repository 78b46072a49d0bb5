import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountLabel,
  type Fen,
  fen,
  isAccountCode,
  type JournalLine,
  LedgerError,
  transfer,
  validateTransfer,
} from '../src/index.ts';

describe('validateTransfer', () => {
  it('accepts a balanced transfer between known accounts', () => {
    expect(() => validateTransfer(transfer('resident:12', 'pending_remittance', fen(35000)))).not.toThrow();
    expect(() =>
      validateTransfer([
        { account: 'pending_remittance', amount: fen(35000) },
        { account: 'resident:12', amount: fen(-4000) },
        { account: 'funder:medical_assistance', amount: fen(-31000) },
      ]),
    ).not.toThrow();
  });

  it.each([
    ['one line', [{ account: 'treasury', amount: 100 }], '至少需要两条'],
    [
      'unbalanced',
      [
        { account: 'treasury', amount: 100 },
        { account: 'pending_remittance', amount: -99 },
      ],
      '不平衡',
    ],
    [
      'a zero line',
      [
        { account: 'treasury', amount: 0 },
        { account: 'pending_remittance', amount: 0 },
      ],
      '非零整数',
    ],
    [
      'a fraction of a fen',
      [
        { account: 'treasury', amount: 0.5 },
        { account: 'pending_remittance', amount: -0.5 },
      ],
      '非零整数',
    ],
    [
      'an unknown account',
      [
        { account: 'pocket', amount: 1 },
        { account: 'treasury', amount: -1 },
      ],
      '未知的账户',
    ],
    [
      'an unknown funder',
      [
        { account: 'funder:lottery', amount: 1 },
        { account: 'treasury', amount: -1 },
      ],
      '未知的账户',
    ],
    [
      'a repeated account',
      [
        { account: 'treasury', amount: 1 },
        { account: 'treasury', amount: -1 },
      ],
      '重复',
    ],
  ])('refuses %s', (_name, lines, message) => {
    expect(() => validateTransfer(lines as unknown as JournalLine[])).toThrow(LedgerError);
    expect(() => validateTransfer(lines as unknown as JournalLine[])).toThrow(message);
  });

  it('any amount moved between two accounts balances', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.nat({ max: 10_000_000 }), (amount, person) => {
        const lines = transfer(`resident:${person}`, 'pending_remittance', amount as Fen);
        validateTransfer(lines);
        expect(lines.reduce((sum, l) => sum + l.amount, 0)).toBe(0);
      }),
    );
  });
});

describe('accounts', () => {
  it('knows account codes and names them in Chinese', () => {
    expect(isAccountCode('resident:1')).toBe(true);
    expect(isAccountCode('collector:cun-01')).toBe(true);
    expect(isAccountCode('resident:abc')).toBe(false);
    expect(accountLabel('pending_remittance')).toBe('待报解社会保险费账户');
    expect(accountLabel('funder:civil_affairs')).toBe('民政部门（资助）');
    expect(accountLabel('resident:7')).toBe('参保人 #7');
  });
});
