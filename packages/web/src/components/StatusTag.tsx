import { Tag } from 'antd';

/**
 * Colours by enrollment state, so a list reads at a glance: orange still owes, green is covered.
 * The words come from the server's statusLabel; the ones here serve the few answers without one
 * (the states in an enrollment's history).
 */
const STYLE: Record<string, { color: string; text: string }> = {
  registered: { color: 'blue', text: '已登记' },
  awaiting_payment: { color: 'orange', text: '待缴费' },
  paid: { color: 'green', text: '已缴费' },
  confirmed: { color: 'cyan', text: '已确认参保' },
  suspended: { color: 'default', text: '暂停' },
  terminated: { color: 'red', text: '已终止' },
  refunded: { color: 'purple', text: '已退费' },
  not_enrolled: { color: 'default', text: '未参保' },
};

/** The states in which a member can still be paid for at the counter. */
export const PAYABLE = new Set(['registered', 'awaiting_payment']);

export function StatusTag({ status, label }: { status: string | null | undefined; label?: string | null }) {
  if (!status) return <Tag>未登记</Tag>;
  const style = STYLE[status];
  return <Tag color={style?.color ?? 'default'}>{label ?? style?.text ?? status}</Tag>;
}
