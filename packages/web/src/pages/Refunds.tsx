/**
 * Refunds: a request is decided by the rules at once (approved or refused, with the clause cited),
 * and an approved refund is paid from here.
 */
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { DataTable, type Row, rowsOf } from '../components/DataTable.tsx';
import { FormModal } from '../components/FormModal.tsx';
import { useAction, useLoad } from '../components/useLoad.ts';
import { useSession } from '../session.tsx';

/** The reasons the refund rules know (the engine's codes). */
const REASONS = [
  { value: 'employee_insurance', label: '参加职工医保' },
  { value: 'insured_elsewhere', label: '参加其他统筹地区居民医保' },
  { value: 'duplicate', label: '重复缴费' },
  { value: 'death', label: '死亡' },
];

interface Decision {
  id: number;
  decision: string;
  approved: boolean;
  clause: string | null;
  message: string;
}

export default function Refunds() {
  const { can } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ enrollmentId: number; reason: string; requestedOn?: Dayjs }>();
  // From a person's page (申请退费): the enrollment is filled in.
  const [params] = useSearchParams();
  const fromPerson = Number(params.get('enrollment'));
  const [decision, setDecision] = useState<Decision>();
  const [busy, run] = useAction();
  // The approved refund being paid out: the dialog asks for the payout voucher (bank slip or
  // treasury voucher number), kept with the refund and in the journal's memo.
  const [paying, setPaying] = useState<Row>();
  const list = useLoad((signal) => api.get<unknown>('/api/refunds', { signal }), []);

  const pay = async (row: Row, values: { reference?: string }) => {
    await api.post(`/api/refunds/${row.id}/pay`, { reference: values.reference?.trim() || undefined });
    message.success('退费已支付');
    setPaying(undefined);
    list.reload();
  };

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        退费
      </Typography.Title>
      {can('refunds.request') && (
        <Card size="small" title="退费申请">
          <Form
            form={form}
            initialValues={
              Number.isInteger(fromPerson) && fromPerson > 0 ? { enrollmentId: fromPerson } : undefined
            }
            layout="vertical"
            style={{ maxWidth: 560 }}
            data-testid="refund-form"
            onFinish={(values) => {
              setDecision(undefined);
              return run(async () => {
                const answer = await api.post<Decision>('/api/refunds', {
                  enrollmentId: values.enrollmentId,
                  reason: values.reason,
                  requestedOn: values.requestedOn?.format('YYYY-MM-DD'),
                });
                setDecision(answer);
                list.reload();
              });
            }}
          >
            <Form.Item
              name="enrollmentId"
              label="参保登记号"
              extra="见人员页面“参保记录”，或在人员页面点“申请退费”"
              rules={[{ required: true, message: '请输入参保登记号' }]}
            >
              <InputNumber min={1} precision={0} style={{ width: '100%' }} data-testid="refund-enrollment" />
            </Form.Item>
            <Form.Item name="reason" label="退费原因" rules={[{ required: true, message: '请选择退费原因' }]}>
              <Select options={REASONS} placeholder="选择原因" data-testid="refund-reason" />
            </Form.Item>
            <Form.Item name="requestedOn" label="申请日期（默认今天）">
              <DatePicker />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="refund-submit">
              提交申请
            </Button>
          </Form>
          {decision && (
            <Alert
              style={{ marginTop: 16 }}
              type={decision.approved ? 'success' : 'error'}
              showIcon
              data-testid="refund-decision"
              title={`${decision.approved ? '准予退费' : decision.decision === 'not_specified' ? '政策未规定' : '不予退费'}（申请 #${decision.id}）`}
              description={
                <>
                  <div>{decision.message}</div>
                  {decision.clause && <div>依据：{decision.clause}</div>}
                </>
              }
            />
          )}
        </Card>
      )}
      <Card size="small" title="退费记录">
        <DataTable
          rows={rowsOf(list.data)}
          loading={list.loading}
          hide={['county_code', 'person_id', 'rule_id', 'rule_quote', 'created_at']}
          first={['id', 'name', 'idNumberMasked', 'statusLabel', 'amount_fen', 'reason', 'requested_on']}
          testId="refunds-table"
          extra={
            can('refunds.decide')
              ? [
                  {
                    title: '操作',
                    key: 'pay',
                    fixed: 'right',
                    render: (_: unknown, row: Row) =>
                      row.status === 'approved' ? (
                        <Button
                          size="small"
                          type="primary"
                          data-testid={`refund-pay-${row.id}`}
                          onClick={() => setPaying(row)}
                        >
                          支付
                        </Button>
                      ) : null,
                  },
                ]
              : []
          }
        />
      </Card>
      <FormModal<{ reference?: string }>
        title={paying ? `支付退费 #${String(paying.id)}（${String(paying.name ?? '')}）` : '支付退费'}
        okText="确认已支付"
        open={paying !== undefined}
        onClose={() => setPaying(undefined)}
        onSubmit={(values) => pay(paying as Row, values)}
        testId="refund-pay-form"
      >
        <Form.Item
          name="reference"
          label="支付凭证号"
          extra="银行回单号或国库支付凭证号，记入退费记录和日记账，便于对账"
          rules={[{ max: 64, message: '凭证号不超过 64 个字符' }]}
        >
          <Input data-testid="refund-pay-reference" placeholder="如 HD20211215-0031" />
        </Form.Item>
      </FormModal>
    </Space>
  );
}
