/**
 * Tables for answers whose shape the page does not fix: the lists of withholding batches, tax
 * discrepancies, reimbursements and refunds, and the report tables. Columns come from the data;
 * known field names get Chinese headers, money in fen is shown in yuan, and nested values as text.
 */
import { Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { ReactNode } from 'react';
import { count, dateTime, pct, yuan } from '../format.ts';

/** Headers for the field names the lists use (camelCase; snake_case names are looked up as camelCase). */
const LABELS: Record<string, string> = {
  id: '编号',
  name: '姓名',
  label: '名称',
  status: '状态',
  statusLabel: '状态',
  decision: '结论',
  decisionLabel: '结论',
  reason: '原因',
  clause: '依据条款',
  cite: '依据条款',
  ruleText: '适用规则',
  message: '说明',
  problem: '问题',
  batchNo: '批次号',
  bank: '银行',
  bankName: '银行',
  funder: '资助部门',
  funderName: '资助部门',
  channel: '渠道',
  channelLabel: '渠道',
  createdOn: '生成日期',
  createdAt: '创建时间',
  completedAt: '完成时间',
  requestedOn: '申请日期',
  decidedOn: '审核日期',
  paidOn: '支付日期',
  confirmedOn: '确认日期',
  exportedOn: '导出日期',
  completedOn: '完成日期',
  date: '日期',
  rows: '行数',
  rowsTotal: '总行数',
  people: '人数',
  count: '笔数',
  succeeded: '成功笔数',
  succeededFen: '成功金额（元）',
  failed: '失败笔数',
  failedFen: '失败金额（元）',
  failureReasons: '失败原因',
  conflicts: '冲突笔数',
  retried: '其中重扣笔数',
  file: '文件',
  matched: '匹配笔数',
  matchedFen: '匹配金额（元）',
  discrepancies: '差异笔数',
  unchanged: '此前已导入（未变动）',
  enrollmentsConfirmed: '确认参保人数',
  enrollmentConfirmed: '参保已确认',
  outcome: '核对结果',
  line: '行号',
  column: '列',
  resultFile: '回盘文件',
  personName: '姓名',
  docNumber: '证件号码',
  idNumberMasked: '证件号码',
  enrollmentId: '参保登记号',
  paymentId: '缴费记录号',
  benefitYear: '待遇年度',
  villageName: '村（社区）',
  regionName: '地区',
  taxReceiptNo: '完税凭证号',
  receiptNo: '票据号',
  channelTxnId: '渠道流水号',
  payoutReference: '支付凭证号',
  orderId: '订单号',
  source: '来源',
  sourceLine: '来源行号',
  actor: '操作人',
  note: '备注',
  amount: '金额',
  total: '合计',
  succeededAmount: '成功金额',
  subsidyReversed: '冲回资助',
};

/** Codes the lists send as values, in words. */
const VALUES: Record<string, Record<string, string>> = {
  reason: {
    duplicate: '重复缴费',
    employee_insurance: '参加职工医保',
    insured_elsewhere: '参加其他统筹地区居民医保',
    death: '死亡',
  },
  decision: { approve: '准予退费', refuse: '不予退费', not_specified: '政策未规定' },
  // A withholding batch, a bank result upload, a tax file.
  status: {
    exported: '已导出，待银行回盘',
    completed: '已完成',
    unchanged: '未变动（与此前导入相同）',
    rejected: '文件有误，未导入',
    matched: '已匹配',
    discrepancy: '差异',
  },
  outcome: { matched: '已匹配', discrepancy: '差异', unchanged: '此前已导入' },
};

/** Field names whose values are years: shown as written, not as counts ("2,022"). */
const isYear = (key: string) => /(^y|Y)ear$/.test(key);

/** An instant as the server writes it ("2026-11-24T08:30:00.000Z"): shown in the browser's time. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Field names whose values are amounts in fen. */
function isMoney(key: string): boolean {
  return /Fen$|_fen$/.test(key);
}

function isFraction(key: string): boolean {
  return /^(pct|rate)|Rate$|Pct$|coverage$/i.test(key);
}

export function labelOf(key: string): string {
  const name = camel(key);
  if (LABELS[name]) return LABELS[name];
  if (isMoney(name)) {
    const base = name.replace(/Fen$/, '');
    return `${LABELS[base] ?? base}（元）`;
  }
  return key;
}

export function renderValue(key: string, value: unknown): ReactNode {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number') {
    if (isYear(camel(key))) return String(value);
    if (isMoney(key)) return yuan(value, false);
    if (isFraction(key) && value >= 0 && value <= 1) return pct(value);
    return count(value);
  }
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (typeof value === 'string') {
    if (INSTANT.test(value)) return dateTime(value);
    return VALUES[camel(key)]?.[value] ?? value;
  }
  if (isFlat(value)) {
    // Counts by name (failures per reason): "余额不足 2；卡已注销 1".
    const parts = Object.entries(value).map(
      ([k, v]) => `${k} ${typeof v === 'number' ? count(v) : String(v)}`,
    );
    return parts.length ? parts.join('；') : '—';
  }
  if (typeof value === 'object') {
    return (
      <Typography.Text code style={{ whiteSpace: 'pre-wrap', fontSize: 12 }}>
        {JSON.stringify(value)}
      </Typography.Text>
    );
  }
  return String(value);
}

export type Row = Record<string, unknown>;

/** An object of plain values (no lists, no nesting): shown inline rather than as JSON. */
export function isFlat(value: unknown): value is Record<string, string | number | boolean | null> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => v === null || typeof v !== 'object')
  );
}

interface DataTableProps {
  rows: Row[] | undefined;
  loading?: boolean;
  /** Extra columns at the end (actions). */
  extra?: ColumnsType<Row>;
  /** Fields not to show (internal ids the user cannot act on). */
  hide?: string[];
  /** Fields to put first, in this order (who and what state, before the details). */
  first?: string[];
  /** Headers this list words differently (a tax file's receiptNo is its 税票号). */
  labels?: Record<string, string>;
  testId?: string;
}

export function DataTable({
  rows,
  loading,
  extra = [],
  hide = [],
  first = [],
  labels = {},
  testId,
}: DataTableProps) {
  const keys: string[] = first.filter((k) => rows?.some((row) => k in row));
  for (const row of rows ?? []) {
    for (const key of Object.keys(row)) if (!keys.includes(key) && !hide.includes(key)) keys.push(key);
  }
  // A label field already says what its code says: show one of the pair.
  const shown = keys.filter(
    (k) => !(keys.includes(`${k}Label`) || keys.includes(`${k}Name`)) || k === 'id' || k === 'name',
  );
  const columns: ColumnsType<Row> = [
    ...shown.map((key) => ({
      title: labels[key] ?? labelOf(key),
      dataIndex: key,
      key,
      align: isMoney(key) ? ('right' as const) : undefined,
      render: (value: unknown) => renderValue(key, value),
    })),
    // Action columns only beside rows: an empty list shows just "no data".
    ...(rows?.length ? extra : []),
  ];
  return (
    <Table<Row>
      data-testid={testId}
      size="small"
      rowKey={(row) => String(row.id ?? JSON.stringify(row))}
      columns={columns}
      dataSource={rows ?? []}
      loading={loading}
      scroll={{ x: 'max-content' }}
      pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
    />
  );
}

/** Lists arrive as arrays or wrapped ({ items }, { rows }, { batches }…): take the first array. */
export function rowsOf(answer: unknown): Row[] {
  if (Array.isArray(answer)) return answer as Row[];
  if (answer && typeof answer === 'object') {
    for (const value of Object.values(answer)) if (Array.isArray(value)) return value as Row[];
  }
  return [];
}
