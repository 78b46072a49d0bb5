/**
 * The payment channels, each an adapter behind one interface: what it needs with a payment (a
 * collector and receipt for cash, a terminal for POS, a school for collective payment), where the
 * money sits afterwards in the books, and whether a whole household must pay together.
 *
 * Money paid through any channel but cash lands in the 待报解 account (the tax side's collection
 * account) directly; cash stays with its collector (`collector:<id>`) until remitted.
 */
import type { AccountCode } from '@canbao/core';
import type { ChannelCode } from '../db/schema.ts';
import { CollectionError } from './context.ts';

export interface ChannelPayment {
  readonly collector?: string | null;
  readonly receiptNo?: string | null;
  readonly reference?: string | null;
}

export interface PaymentChannel {
  readonly code: ChannelCode;
  readonly label: string;
  /** Checks the channel's own fields; throws CollectionError naming the missing one. */
  validate(payment: ChannelPayment): void;
  /** The account the money is in once paid. */
  account(payment: ChannelPayment): AccountCode;
  /**
   * Whether a policy's 整户缴费 rule binds this channel. Bank withholding debits each member's
   * agreement card on its own row, so a failed card must not hold the rest of the household back.
   */
  readonly wholeHousehold: boolean;
}

const COLLECTOR = /^[A-Za-z0-9][\w.-]{0,63}$/;

const toPending = (): AccountCode => 'pending_remittance';

function requireField(value: string | null | undefined, label: string, channel: string): void {
  if (!value?.trim()) throw new CollectionError('channel_field', `${channel}缴费须填写${label}`);
}

export const CHANNELS: Readonly<Record<ChannelCode, PaymentChannel>> = {
  cash_collection: {
    code: 'cash_collection',
    label: '村（社区）现金代收',
    wholeHousehold: true,
    validate(p) {
      requireField(p.collector, '代收员编号', '现金代收');
      requireField(p.receiptNo, '收据号', '现金代收');
      if (!COLLECTOR.test(p.collector as string)) {
        throw new CollectionError(
          'channel_field',
          `代收员编号“${p.collector}”只能由字母、数字、点、横线和下划线组成`,
        );
      }
    },
    account: (p) => `collector:${p.collector as string}`,
  },
  online: {
    code: 'online',
    label: '线上缴费（支付网关）',
    wholeHousehold: true,
    validate() {},
    account: toPending,
  },
  bank_withholding: {
    code: 'bank_withholding',
    label: '协议银行代扣',
    wholeHousehold: false,
    validate(p) {
      requireField(p.reference, '代扣批次明细', '银行代扣');
    },
    account: toPending,
  },
  tax_hall: {
    code: 'tax_hall',
    label: '办税服务厅',
    wholeHousehold: true,
    validate() {},
    account: toPending,
  },
  bank_counter: {
    code: 'bank_counter',
    label: '合作银行柜台',
    wholeHousehold: true,
    validate() {},
    account: toPending,
  },
  pos: {
    code: 'pos',
    label: 'POS 刷卡',
    wholeHousehold: true,
    validate(p) {
      requireField(p.reference, 'POS 终端号', 'POS 刷卡');
    },
    account: toPending,
  },
  school: {
    code: 'school',
    label: '学校集体缴费',
    wholeHousehold: false,
    validate(p) {
      requireField(p.reference, '学校名称', '学校集体');
    },
    account: toPending,
  },
};

export function channelOf(code: string): PaymentChannel {
  const channel = CHANNELS[code as ChannelCode];
  if (!channel || !Object.hasOwn(CHANNELS, code)) {
    throw new CollectionError(
      'unknown_channel',
      `未知的缴费渠道“${code}”。可用：${Object.values(CHANNELS)
        .map((c) => `${c.code}（${c.label}）`)
        .join('、')}`,
    );
  }
  return channel;
}
