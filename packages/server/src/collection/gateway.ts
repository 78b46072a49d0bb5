/**
 * Online self-service payment through a payment gateway, and a local simulator of that gateway.
 *
 * The resident gives name and ID number and sees what their household owes (`startCheckout`).
 * canbao signs a checkout token naming the enrollments and the amount; the gateway takes the money
 * and calls back with its own transaction id, signed with the merchant key. `handleGatewayCallback`
 * verifies both signatures and records the payment through `recordPayment` with the gateway's
 * transaction id — so a callback delivered twice (gateways retry) records one payment, and a forged
 * or altered callback records none.
 *
 * The simulator stands in for the real gateway in development, demos and tests: it accepts a
 * checkout, "takes" the money and produces the callback a real gateway would send.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Fen, formatYuan, maskIdNumber, Temporal } from '@canbao/core';
import type { Person } from '../db/schema.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import { personByDocument } from './enrollments.ts';
import { householdDue, type PaymentResult, recordPayment } from './payments.ts';

export interface GatewayConfig {
  /** The merchant key shared by canbao and the gateway (HMAC-SHA256). */
  readonly merchantKey: string;
}

export interface CheckoutMember {
  readonly name: string;
  readonly docNumber: string;
  readonly status: string;
  readonly paysFen: number;
}

export interface Checkout {
  /** Signed by canbao: which enrollments, how much, for which county. */
  readonly token: string;
  readonly amountFen: number;
  readonly members: readonly CheckoutMember[];
}

interface TokenBody {
  readonly county: string;
  readonly enrollmentIds: readonly number[];
  readonly amountFen: number;
  readonly issuedOn: string;
}

const sign = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64url');

function verify(key: string, text: string, signature: string): boolean {
  const expected = Buffer.from(sign(key, text));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * What the resident sees after typing name and ID number: each household member's status and
 * amount due (ID numbers masked), and a checkout for the total. A name that does not match the
 * ID number gets the same answer as an unknown number, so the page cannot be used to find names.
 */
export async function startCheckout(
  ctx: CollectionContext,
  config: GatewayConfig,
  input: { readonly name: string; readonly docNumber: string },
): Promise<Checkout> {
  const notFound = new CollectionError('not_found', '未查到与该姓名和证件号码相符的参保登记');
  let person: Awaited<ReturnType<typeof personByDocument>>;
  try {
    person = await personByDocument(ctx.db, ctx.countyCode, input.docNumber);
  } catch {
    throw notFound;
  }
  if (person.name !== input.name.trim()) throw notFound;
  return checkoutFor(ctx, config, person);
}

/**
 * The checkout of a person the caller has already identified by name and number: the whole
 * household's open amounts, signed.
 */
export async function checkoutFor(
  ctx: CollectionContext,
  config: GatewayConfig,
  person: Person,
): Promise<Checkout> {
  const due = await householdDue(ctx, person);
  const payable = due.members.filter((m) => m.status === 'awaiting_payment' && m.paysFen > 0);
  const body: TokenBody = {
    county: ctx.countyCode,
    enrollmentIds: payable.map((m) => m.enrollmentId),
    amountFen: due.totalDueFen,
    issuedOn: ctx.today,
  };
  const text = Buffer.from(JSON.stringify(body)).toString('base64url');
  return {
    token: `${text}.${sign(config.merchantKey, text)}`,
    amountFen: due.totalDueFen,
    members: due.members.map((m) => ({
      name: m.name,
      docNumber: maskIdNumber(m.docNumber),
      status: m.status,
      paysFen: m.paysFen,
    })),
  };
}

/** What the gateway posts back once the money is taken. */
export interface GatewayCallback {
  readonly gatewayTxnId: string;
  readonly token: string;
  readonly amountFen: number;
  /** When the gateway took the money (ISO instant). */
  readonly paidAt: string;
  /** HMAC-SHA256 (base64url) with the merchant key over the other fields. */
  readonly signature: string;
}

function callbackText(c: Omit<GatewayCallback, 'signature'>): string {
  return [c.gatewayTxnId, c.token, c.amountFen, c.paidAt].join('|');
}

/** Verifies a gateway callback and records the payment (idempotent by the gateway's id). */
export async function handleGatewayCallback(
  ctx: CollectionContext,
  config: GatewayConfig,
  callback: GatewayCallback,
): Promise<PaymentResult> {
  if (!verify(config.merchantKey, callbackText(callback), callback.signature)) {
    throw new CollectionError('bad_signature', '支付回调签名无效，未记录');
  }
  const [text = '', tokenSignature = ''] = callback.token.split('.');
  if (!verify(config.merchantKey, text, tokenSignature)) {
    throw new CollectionError('bad_signature', '缴费单签名无效，未记录');
  }
  const body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as TokenBody;
  if (body.county !== ctx.countyCode) throw new CollectionError('bad_county', '缴费单不属于本统筹区');
  if (body.amountFen !== callback.amountFen) {
    throw new CollectionError(
      'amount_mismatch',
      `支付金额 ${formatYuan(callback.amountFen as Fen)} 元与缴费单金额 ${formatYuan(body.amountFen as Fen)} 元不符，未记录`,
    );
  }
  const paidOn = Temporal.Instant.from(callback.paidAt)
    .toZonedDateTimeISO('Asia/Shanghai')
    .toPlainDate()
    .toString();
  return recordPayment(ctx, {
    channel: 'online',
    txnId: callback.gatewayTxnId,
    enrollmentIds: body.enrollmentIds,
    amountFen: callback.amountFen,
    paidOn,
    reference: '支付网关',
  });
}

/** The local stand-in for the payment gateway. */
export class GatewaySimulator {
  private readonly config: GatewayConfig;
  constructor(config: GatewayConfig) {
    this.config = config;
  }

  /** Takes the money for a checkout at `paidAt` and returns the callback the gateway would post. */
  pay(checkout: Pick<Checkout, 'token' | 'amountFen'>, paidAt: string): GatewayCallback {
    if (checkout.amountFen <= 0) throw new CollectionError('nothing_due', '没有需要缴纳的金额');
    const fields = {
      gatewayTxnId: `SIM${randomUUID().replaceAll('-', '').slice(0, 24).toUpperCase()}`,
      token: checkout.token,
      amountFen: checkout.amountFen,
      paidAt,
    };
    return { ...fields, signature: sign(this.config.merchantKey, callbackText(fields)) };
  }
}
