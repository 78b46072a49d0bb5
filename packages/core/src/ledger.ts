/**
 * The books: an append-only double-entry journal. Every money movement — a payment, a subsidy,
 * a reimbursement, a remittance, a refund — is one transfer of balanced lines between named
 * accounts. Amounts are signed integer fen: a debit is positive, a credit negative, and the lines
 * of a transfer sum to zero, so the whole journal always sums to zero too.
 */
import { FUNDERS, type FunderCode } from './groups.ts';
import type { Fen } from './money.ts';

/** Accounts held once per county. Funders' accounts are named `funder:<code>`. */
export const ACCOUNTS = {
  pending_remittance: '待报解社会保险费账户',
  treasury: '国库',
  fiscal_special: '居民医保财政专户',
  medical_assistance_fund: '医疗救助资金账户',
  refunds_payable: '应退个人缴费',
  reimbursements_payable: '应付先缴后补资助',
} as const;

export type NamedAccount = keyof typeof ACCOUNTS;

/**
 * An account: a named one, a funder's, a resident's (`resident:<personId>`), one enrollment's
 * contributions (`enrollment:<id>`: its credits are what was paid and subsidised for that person
 * and year), or a collector's cash.
 */
export type AccountCode =
  | NamedAccount
  | `funder:${FunderCode}`
  | `resident:${number}`
  | `enrollment:${number}`
  | `collector:${string}`
  | `channel:${string}`;

export interface JournalLine {
  readonly account: AccountCode;
  /** Signed fen: positive debits the account (money arrives there), negative credits it. */
  readonly amount: Fen;
}

export class LedgerError extends Error {
  override name = 'LedgerError';
}

const ACCOUNT_PATTERN =
  /^(?:[a-z_]+|funder:[a-z_]+|resident:\d+|enrollment:\d+|collector:[\w.-]+|channel:[a-z_]+)$/;

export function isAccountCode(code: string): code is AccountCode {
  if (!ACCOUNT_PATTERN.test(code)) return false;
  if (code.startsWith('funder:')) return Object.hasOwn(FUNDERS, code.slice('funder:'.length));
  if (/^[a-z_]+$/.test(code)) return Object.hasOwn(ACCOUNTS, code);
  return true;
}

/** Checks a transfer before it is written: at least two lines, integer fen, no zero line, sum zero. */
export function validateTransfer(lines: readonly JournalLine[]): void {
  if (lines.length < 2) throw new LedgerError('一笔转账至少需要两条分录');
  let sum = 0;
  const seen = new Set<string>();
  for (const line of lines) {
    if (!isAccountCode(line.account)) throw new LedgerError(`未知的账户“${line.account}”`);
    if (!Number.isSafeInteger(line.amount) || line.amount === 0) {
      throw new LedgerError(`分录金额必须是非零整数分：${line.account} ${line.amount}`);
    }
    if (seen.has(line.account)) throw new LedgerError(`同一笔转账中账户“${line.account}”重复`);
    seen.add(line.account);
    sum += line.amount;
  }
  if (sum !== 0) throw new LedgerError(`借贷不平衡：分录合计 ${sum} 分`);
}

/** A simple transfer: `amount` moves from one account to another. */
export function transfer(from: AccountCode, to: AccountCode, amount: Fen): JournalLine[] {
  return [
    { account: to, amount },
    { account: from, amount: -amount as Fen },
  ];
}

/** The Chinese name of an account, for reports. */
export function accountLabel(code: AccountCode): string {
  if (code.startsWith('funder:')) return `${FUNDERS[code.slice(7) as FunderCode]}（资助）`;
  if (code.startsWith('resident:')) return `参保人 #${code.slice(9)}`;
  if (code.startsWith('enrollment:')) return `参保登记 #${code.slice(11)}`;
  if (code.startsWith('collector:')) return `代收员 ${code.slice(10)} 现金`;
  if (code.startsWith('channel:')) return `缴费渠道 ${code.slice(8)}`;
  return ACCOUNTS[code as NamedAccount];
}
