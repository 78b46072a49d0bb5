/**
 * Resident self-service, no account: name and identity number, then the status, what is owed and
 * why, and a button to pay. Big type and one column: residents are on phones, often elderly.
 */
import { Alert, Button, Card, Descriptions, Form, Input, Table, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api.ts';
import { StatusTag } from '../components/StatusTag.tsx';
import { useAction } from '../components/useLoad.ts';
import { readableWhy, yuan } from '../format.ts';
import { ID_NUMBER_RULE } from '../rules.ts';

interface Lookup {
  name: string;
  idNumberMasked: string;
  benefitYear: number;
  status: string | null;
  statusLabel: string | null;
  paysFen: number;
  benefitStart: string | null;
  benefitEnd: string | null;
  why: string | null;
  /** The whole household's members: the premium is paid for the household at once. */
  household?: {
    name: string;
    idNumberMasked: string;
    status: string;
    statusLabel: string;
    paysFen: number;
  }[];
  totalDueFen?: number;
  canPay: boolean;
}

interface Checkout {
  checkoutId: string;
  amountFen: number;
  payUrl: string;
}

export default function Resident() {
  const navigate = useNavigate();
  const [who, setWho] = useState<{ name: string; idNumber: string }>();
  const [result, setResult] = useState<Lookup>();
  const [busy, run] = useAction();
  const [paying, runPay] = useAction();

  const pay = () =>
    runPay(async () => {
      if (!who) return;
      const checkout = await api.post<Checkout>('/api/resident/checkout', who, { quiet401: true });
      // The gateway page: the simulator is part of this application; a real gateway is elsewhere.
      const url = new URL(checkout.payUrl, window.location.origin);
      if (url.origin === window.location.origin)
        navigate(`${url.pathname}${url.search}`, {
          state: { amountFen: checkout.amountFen, name: who.name },
        });
      else window.location.assign(url.toString());
    });

  return (
    <div className="login-page">
      <Card className="login-card" style={{ maxWidth: 480 }} title="居民医保缴费查询">
        <Form
          layout="vertical"
          data-testid="resident-form"
          onFinish={async (values: { name: string; idNumber: string }) => {
            const input = { name: values.name.trim(), idNumber: values.idNumber.trim().toUpperCase() };
            setResult(undefined);
            await run(async () => {
              setResult(await api.post<Lookup>('/api/resident/lookup', input, { quiet401: true }));
              setWho(input);
            });
          }}
        >
          <Form.Item name="name" label="姓名" rules={[{ required: true, message: '请输入姓名' }]}>
            <Input size="large" autoComplete="name" data-testid="resident-name" />
          </Form.Item>
          <Form.Item
            name="idNumber"
            label="身份证号码"
            rules={[{ required: true, message: '请输入身份证号码' }, ID_NUMBER_RULE]}
          >
            <Input size="large" maxLength={18} data-testid="resident-id-number" />
          </Form.Item>
          <Button
            type="primary"
            htmlType="submit"
            size="large"
            block
            loading={busy}
            data-testid="resident-submit"
          >
            查询
          </Button>
        </Form>
        {result && (
          <div style={{ marginTop: 24 }} data-testid="resident-result">
            <Descriptions column={1} bordered size="small" styles={{ label: { whiteSpace: 'nowrap' } }}>
              <Descriptions.Item label="姓名">{result.name}</Descriptions.Item>
              <Descriptions.Item label="证件号码">{result.idNumberMasked}</Descriptions.Item>
              <Descriptions.Item label="待遇年度">{result.benefitYear} 年</Descriptions.Item>
              <Descriptions.Item label="参保状态">
                <StatusTag status={result.status} label={result.statusLabel} />
              </Descriptions.Item>
              <Descriptions.Item label="个人应缴">
                <Typography.Text strong data-testid="resident-amount">
                  {yuan(result.paysFen)}
                </Typography.Text>
              </Descriptions.Item>
              {readableWhy(result.why) && (
                <Descriptions.Item label="说明">{readableWhy(result.why)}</Descriptions.Item>
              )}
              {result.benefitStart && (
                <Descriptions.Item label="待遇期">
                  {result.benefitStart} 至 {result.benefitEnd ?? ''}
                </Descriptions.Item>
              )}
            </Descriptions>
            {result.household && result.household.length > 0 && (
              <>
                <Typography.Paragraph strong style={{ margin: '16px 0 8px' }}>
                  全户应缴 {yuan(result.totalDueFen ?? 0)}
                </Typography.Paragraph>
                <Table
                  size="small"
                  pagination={false}
                  rowKey={(m) => `${m.name}-${m.idNumberMasked}`}
                  dataSource={result.household}
                  data-testid="resident-household"
                  columns={[
                    { title: '姓名', dataIndex: 'name' },
                    {
                      title: '状态',
                      dataIndex: 'status',
                      render: (s: string, m) => <StatusTag status={s} label={m.statusLabel} />,
                    },
                    { title: '应缴', dataIndex: 'paysFen', align: 'right', render: (v: number) => yuan(v) },
                  ]}
                />
              </>
            )}
            {result.canPay ? (
              <Button
                type="primary"
                size="large"
                block
                style={{ marginTop: 16 }}
                loading={paying}
                onClick={pay}
                data-testid="resident-pay"
              >
                全户缴费 {yuan(result.totalDueFen ?? result.paysFen)}
              </Button>
            ) : (
              <Alert style={{ marginTop: 16 }} type="info" showIcon title="目前无需在线缴费" />
            )}
          </div>
        )}
        <div style={{ marginTop: 16 }}>
          <Link to="/login">工作人员登录</Link>
        </div>
      </Card>
    </div>
  );
}
