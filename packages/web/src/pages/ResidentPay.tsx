/**
 * The payment gateway simulator (demo data only): stands in for the bank or WeChat Pay page, so a
 * resident's whole path — look up, pay, see the cover dates — can be walked without real money.
 */
import { Alert, Button, Card, Descriptions, Result, Table } from 'antd';
import { useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { api } from '../api.ts';
import { useAction } from '../components/useLoad.ts';
import { yuan } from '../format.ts';

interface Paid {
  status: string;
  orderId: number;
  amountFen: number;
  lines: { name: string; amountFen: number; benefitStart: string | null; benefitEnd: string | null }[];
}

/**
 * The amount inside the checkout token (its first part is base64url JSON, signed by the server),
 * so the page still shows it after a reload; the server checks the signature when paying.
 */
function amountOfToken(token: string): number | undefined {
  try {
    const part = (token.split('.')[0] ?? '').replaceAll('-', '+').replaceAll('_', '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const value = JSON.parse(new TextDecoder().decode(bytes)).amountFen;
    return typeof value === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

export default function ResidentPay() {
  const { checkoutId = '' } = useParams();
  const location = useLocation();
  const state = location.state as { amountFen?: number; name?: string } | null;
  const amountFen = state?.amountFen ?? amountOfToken(checkoutId);
  const [busy, run] = useAction();
  const [paid, setPaid] = useState<Paid>();

  const pay = () =>
    run(async () => {
      setPaid(await api.post<Paid>('/api/gateway/simulator/pay', { checkoutId }, { quiet401: true }));
    });

  return (
    <div className="login-page">
      <Card className="login-card" style={{ maxWidth: 480 }} title="支付（模拟收银台）">
        {paid ? (
          <div data-testid="resident-paid">
            <Result status="success" title="缴费成功" subTitle={`已缴 ${yuan(paid.amountFen)}`} />
            <Table
              size="small"
              pagination={false}
              rowKey="name"
              dataSource={paid.lines}
              columns={[
                { title: '姓名', dataIndex: 'name' },
                { title: '金额', dataIndex: 'amountFen', align: 'right', render: (v: number) => yuan(v) },
                {
                  title: '待遇期',
                  key: 'benefit',
                  render: (_: unknown, l) =>
                    l.benefitStart ? `${l.benefitStart} 至 ${l.benefitEnd ?? ''}` : '待确认',
                },
              ]}
            />
            <div style={{ marginTop: 16, textAlign: 'center' }}>
              <Link to="/resident">返回查询</Link>
            </div>
          </div>
        ) : (
          <>
            <Alert type="warning" showIcon title="演示环境：此页面模拟支付渠道，不会发生真实扣款" />
            <Descriptions column={1} size="small" style={{ marginTop: 16 }}>
              {state?.name && <Descriptions.Item label="缴费人">{state.name}</Descriptions.Item>}
              {amountFen !== undefined && (
                <Descriptions.Item label="金额">
                  <strong data-testid="simulator-amount">{yuan(amountFen)}</strong>
                </Descriptions.Item>
              )}
            </Descriptions>
            <Button
              type="primary"
              size="large"
              block
              loading={busy}
              onClick={pay}
              data-testid="simulator-pay"
            >
              模拟支付成功
            </Button>
          </>
        )}
      </Card>
    </div>
  );
}
