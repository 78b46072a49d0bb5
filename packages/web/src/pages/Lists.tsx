/**
 * The back-office lists — bank withholding batches, tax discrepancies, subsidy reimbursement
 * batches — rendered from whatever fields the server sends, so a field added there shows up here.
 */
import { Card, Space, Typography } from 'antd';
import { api } from '../api.ts';
import { DataTable, rowsOf } from '../components/DataTable.tsx';
import { useLoad } from '../components/useLoad.ts';

const KINDS = {
  withholding: {
    title: '银行代扣批次',
    hint: '税务部门生成代扣文件交协议银行，银行回盘后逐行记录扣款结果（成功、余额不足、账户已销户）。',
    endpoint: '/api/withholding/batches',
    hide: [],
    first: [],
  },
  tax: {
    title: '税务确认差异',
    hint: '税务确认的缴费与本系统记录逐笔核对，金额或状态不一致的列在此处。',
    endpoint: '/api/tax/discrepancies',
    hide: ['createdAt'],
    first: ['name', 'docNumber', 'amountFen', 'problem'],
  },
  subsidies: {
    title: '资助结算与先缴后补',
    hint: '各资助部门的资助金额结算批次及先缴后补的退付情况。',
    endpoint: '/api/reimbursements',
    hide: ['county_code'],
    first: ['batch_no', 'funderName', 'statusLabel', 'people', 'total_fen'],
  },
} as const;

export default function Lists({ kind }: { kind: keyof typeof KINDS }) {
  const spec = KINDS[kind];
  const { data, loading } = useLoad((signal) => api.get<unknown>(spec.endpoint, { signal }), [spec.endpoint]);
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {spec.title}
      </Typography.Title>
      <Typography.Text type="secondary">{spec.hint}</Typography.Text>
      <Card size="small">
        <DataTable
          rows={rowsOf(data)}
          loading={loading}
          hide={[...spec.hide]}
          first={[...spec.first]}
          testId={`${kind}-table`}
        />
      </Card>
    </Space>
  );
}
