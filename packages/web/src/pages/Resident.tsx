/**
 * Resident self-service, no account: name and identity number, then the status, what is owed and
 * why, and a button to pay. Big type and one column: residents are on phones, often elderly.
 */
import { Alert, Button, Card, Descriptions, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, api } from '../api.ts';
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
  /** Why the amount, in Chinese with the clause. */
  reason?: string | null;
  /** The whole household's members: the premium is paid for the household at once. */
  household?: {
    name: string;
    idNumberMasked: string;
    status: string;
    statusLabel: string;
    paysFen: number;
    reason?: string | null;
    benefitStart?: string | null;
    benefitEnd?: string | null;
  }[];
  totalDueFen?: number;
  canPay: boolean;
}

/** States in which the cover dates are settled, not what they would be once paid. */
const COVERED = new Set(['paid', 'confirmed']);

interface Checkout {
  checkoutId: string;
  amountFen: number;
  payUrl: string;
}

export default function Resident() {
  const navigate = useNavigate();
  const [who, setWho] = useState<{ name: string; idNumber: string }>();
  const [result, setResult] = useState<Lookup>();
  const [missing, setMissing] = useState(false);
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
            setMissing(false);
            await run(async () => {
              try {
                setResult(await api.post<Lookup>('/api/resident/lookup', input, { quiet401: true }));
                setWho(input);
              } catch (error) {
                // Not found is the answer most often met (a typo, a newborn): say what to do, on the page.
                if (error instanceof ApiError && error.status === 404) setMissing(true);
                else throw error;
              }
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
        {missing && (
          <Alert
            style={{ marginTop: 16 }}
            type="warning"
            showIcon
            data-testid="resident-not-found"
            title="未查到与该姓名和证件号码相符的参保登记"
            description="请核对姓名和身份证号码是否与户口簿上的一致。新生儿或尚未登记的人员，请携带户口簿到所在村（社区）或乡镇（街道）办理参保登记。"
          />
        )}
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
              {(result.reason ?? readableWhy(result.why)) && (
                <Descriptions.Item label="缴费依据">
                  <span data-testid="resident-reason">{result.reason ?? readableWhy(result.why)}</span>
                </Descriptions.Item>
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
                {/* One block a member (not a table): the reason and the cover dates need the width. */}
                <div data-testid="resident-household">
                  {result.household.map((m, i) => (
                    <div
                      key={`${m.name}-${m.idNumberMasked}`}
                      className="member-row"
                      data-testid={`resident-member-${i}`}
                    >
                      <Space wrap size={4}>
                        <Typography.Text strong>{m.name}</Typography.Text>
                        <StatusTag status={m.status} label={m.statusLabel} />
                        <Typography.Text className="money">应缴 {yuan(m.paysFen)}</Typography.Text>
                      </Space>
                      {m.reason && (
                        <div>
                          <Typography.Text type="secondary">{m.reason}</Typography.Text>
                        </div>
                      )}
                      {m.benefitStart && (
                        <div>
                          <Typography.Text type="secondary">
                            {COVERED.has(m.status) ? '待遇期' : '缴费后待遇期'} {m.benefitStart} 至{' '}
                            {m.benefitEnd ?? ''}
                          </Typography.Text>
                        </div>
                      )}
                    </div>
                  ))}
                </div>
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
