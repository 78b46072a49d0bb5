/**
 * The collector's cash page, built for a phone at a household's door: find the household, tick the
 * members being paid for (all who still owe, by default: the premium is paid for the whole
 * household), type the receipt number from the paper book, confirm the total, print the receipt.
 */
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Empty,
  Input,
  Row,
  Space,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, query } from '../api.ts';
import { SearchBox } from '../components/SearchBox.tsx';
import { PAYABLE, StatusTag } from '../components/StatusTag.tsx';
import { useAction, useLoad } from '../components/useLoad.ts';
import { yuan } from '../format.ts';
import type { PeoplePage, PersonItem } from './People.tsx';
import type { HouseholdDue } from './PersonDetail.tsx';

interface CashAnswer {
  orderId: number | string;
  amountFen: number;
  replayed: boolean;
}

interface HouseholdHit {
  householdId: number;
  householdNumber: string | null;
  villageName: string | null;
  people: PersonItem[];
}

function households(items: PersonItem[]): HouseholdHit[] {
  const byId = new Map<number, HouseholdHit>();
  for (const p of items) {
    if (p.householdId === null) continue;
    let hit = byId.get(p.householdId);
    if (!hit) {
      hit = {
        householdId: p.householdId,
        householdNumber: p.householdNumber,
        villageName: p.villageName,
        people: [],
      };
      byId.set(p.householdId, hit);
    }
    hit.people.push(p);
  }
  return [...byId.values()];
}

function FindHousehold({
  q,
  onSearch,
  onPick,
}: {
  q: string;
  onSearch: (q: string) => void;
  onPick: (id: number) => void;
}) {
  const { data, loading } = useLoad(
    (signal) => api.get<PeoplePage>(`/api/people${query({ q, pageSize: 50 })}`, { signal }),
    [q],
    q !== '',
  );
  const hits = useMemo(() => households(data?.items ?? []), [data]);
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <SearchBox
        placeholder="户主姓名 / 身份证号后几位 / 户号"
        buttonText="查找"
        size="large"
        defaultValue={q}
        testId="collect-search"
        onSearch={onSearch}
      />
      {loading && <Spin />}
      {!loading && q && hits.length === 0 && <Empty description="没有找到该户，请换个关键词" />}
      {hits.map((h, i) => (
        <Card
          key={h.householdId}
          size="small"
          hoverable
          onClick={() => onPick(h.householdId)}
          data-testid={`collect-household-${i}`}
        >
          <Space orientation="vertical" size={2}>
            <Typography.Text strong>户号 {h.householdNumber ?? '—'}</Typography.Text>
            <Typography.Text type="secondary">{h.villageName ?? ''}</Typography.Text>
            <div>
              {h.people.map((p) => (
                <Tag key={p.id}>{p.name}</Tag>
              ))}
            </div>
          </Space>
        </Card>
      ))}
    </Space>
  );
}

function HouseholdPayment({ householdId, onBack }: { householdId: number; onBack: () => void }) {
  const { modal, message } = App.useApp();
  const navigate = useNavigate();
  const { data, loading, error } = useLoad(
    (signal) => api.get<HouseholdDue>(`/api/households/${householdId}/due`, { signal }),
    [householdId],
  );
  const payable = useMemo(
    () =>
      (data?.members ?? []).filter(
        (m) => m.enrollmentId !== null && m.status !== null && PAYABLE.has(m.status) && m.paysFen > 0,
      ),
    [data],
  );
  // undefined until the user changes it: by default every member who still owes is ticked.
  const [picked, setPicked] = useState<Set<number>>();
  const selected = picked ?? new Set(payable.map((m) => m.enrollmentId as number));
  const [receiptNo, setReceiptNo] = useState('');
  const [busy, run] = useAction();

  if (loading && !data) return <Spin />;
  if (!data) return <Empty description={error?.message ?? '无法读取该户'} />;

  const chosen = payable.filter((m) => selected.has(m.enrollmentId as number));
  const totalFen = chosen.reduce((sum, m) => sum + m.paysFen, 0);
  const partial = chosen.length > 0 && chosen.length < payable.length;

  const toggle = (enrollmentId: number, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(enrollmentId);
    else next.delete(enrollmentId);
    setPicked(next);
  };

  const record = () => {
    if (!receiptNo.trim()) {
      message.warning('请填写收据号');
      return;
    }
    modal.confirm({
      title: '确认收款',
      content: (
        <div data-testid="record-confirm-content">
          <p>
            户号 {data.householdNumber}，{chosen.map((m) => m.name).join('、')}，共 {chosen.length} 人。
          </p>
          <p>
            收据号 <strong>{receiptNo.trim()}</strong>
          </p>
          <Typography.Title level={3} style={{ margin: 0 }}>
            合计 {yuan(totalFen)}
          </Typography.Title>
        </div>
      ),
      okText: '确认收款',
      okButtonProps: { 'data-testid': 'record-confirm' },
      onOk: () =>
        run(async () => {
          const answer = await api.post<CashAnswer>(`/api/households/${householdId}/cash-payments`, {
            enrollmentIds: chosen.map((m) => m.enrollmentId),
            amountFen: totalFen,
            receiptNo: receiptNo.trim(),
          });
          if (answer.replayed) message.info('该笔缴费此前已记录，显示原收据');
          else message.success(`已收款 ${yuan(answer.amountFen)}`);
          navigate(`/receipts/${answer.orderId}`);
        }),
    });
  };

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={5} style={{ margin: 0 }} data-testid="collect-household-title">
          户号 {data.householdNumber} · {data.villageName} · {data.benefitYear} 年度
        </Typography.Title>
        <Button onClick={onBack}>换一户</Button>
      </Space>
      <Alert
        type={partial ? 'warning' : 'info'}
        showIcon
        title="整户缴费"
        description={
          partial
            ? '城乡居民医保以家庭为单位参保缴费：本户还有待缴成员未勾选，请确认是否只为部分成员缴费。'
            : '城乡居民医保以家庭为单位参保缴费，默认已勾选本户全部待缴成员。'
        }
        data-testid="collect-household-notice"
      />
      <Row gutter={[8, 8]}>
        {data.members.map((m, i) => {
          const canPay = payable.includes(m);
          const on = canPay && selected.has(m.enrollmentId as number);
          return (
            <Col key={m.personId} xs={24} md={12} xl={8}>
              <Card size="small" className={on ? 'member-card selected' : 'member-card'}>
                <Checkbox
                  checked={on}
                  disabled={!canPay}
                  onChange={(e) => toggle(m.enrollmentId as number, e.target.checked)}
                  data-testid={`member-checkbox-${i}`}
                >
                  <Space orientation="vertical" size={0}>
                    <Space wrap>
                      <Typography.Text strong>{m.name}</Typography.Text>
                      <StatusTag status={m.status} label={m.statusLabel} />
                    </Space>
                    <Typography.Text type="secondary">{m.idNumberMasked}</Typography.Text>
                    {/* A paid member owes nothing more: "应缴 0.00 元" read as if she paid nothing. */}
                    {canPay && <Typography.Text className="money">应缴 {yuan(m.paysFen)}</Typography.Text>}
                    {m.reason && (
                      <Typography.Text type="secondary" data-testid={`member-reason-${i}`}>
                        {m.reason}
                      </Typography.Text>
                    )}
                  </Space>
                </Checkbox>
              </Card>
            </Col>
          );
        })}
      </Row>
      {payable.length === 0 ? (
        <Alert type="success" showIcon title="本户没有待缴成员" />
      ) : (
        <Card size="small">
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Typography.Text>
              已选 {chosen.length} 人，合计{' '}
              <Typography.Text strong className="money" data-testid="collect-total">
                {yuan(totalFen)}
              </Typography.Text>
            </Typography.Text>
            <Input
              size="large"
              placeholder="收据号（纸质收据上的编号）"
              value={receiptNo}
              onChange={(e) => setReceiptNo(e.target.value)}
              maxLength={40}
              data-testid="receipt-number"
            />
            <Button
              type="primary"
              size="large"
              block
              disabled={chosen.length === 0}
              loading={busy}
              onClick={record}
              data-testid="record-button"
            >
              收款 {yuan(totalFen)}
            </Button>
          </Space>
        </Card>
      )}
    </Space>
  );
}

interface CollectorCash {
  today: string;
  ordersToday: number;
  collectedTodayFen: number;
  heldFen: number;
  remittances: { slipNo: string; amountFen: number; remittedOn: string }[];
}

/**
 * The collector's cash: what she took today and what she still holds, which she owes the 待报解
 * account; handing it over is recorded with the bank slip's number (a retry with the same number
 * is not counted twice).
 */
function CashInHand() {
  const { message } = App.useApp();
  const { data, reload } = useLoad((signal) => api.get<CollectorCash>('/api/collector/cash', { signal }), []);
  const [slipNo, setSlipNo] = useState('');
  const [busy, run] = useAction();
  if (!data) return null;
  return (
    <Card size="small" title="我的代收现金" data-testid="collector-cash">
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Text>
          今日代收 {data.ordersToday} 笔，{yuan(data.collectedTodayFen)}
        </Typography.Text>
        <Typography.Text strong data-testid="collector-held">
          手中待解缴（应交待报解账户）：{yuan(data.heldFen)}
        </Typography.Text>
        {data.heldFen > 0 && (
          <Space.Compact style={{ width: '100%' }}>
            <Input
              placeholder="解缴单号（银行缴款单上的编号）"
              value={slipNo}
              onChange={(e) => setSlipNo(e.target.value)}
              data-testid="remit-slip"
            />
            <Button
              type="primary"
              loading={busy}
              disabled={!slipNo.trim()}
              data-testid="remit-button"
              onClick={() =>
                run(async () => {
                  await api.post('/api/collector/remittances', {
                    slipNo: slipNo.trim(),
                    amountFen: data.heldFen,
                  });
                  message.success(`已解缴 ${yuan(data.heldFen)}`);
                  setSlipNo('');
                  reload();
                })
              }
            >
              全部解缴
            </Button>
          </Space.Compact>
        )}
        {data.remittances.length > 0 && (
          <Typography.Text type="secondary">
            最近解缴：
            {data.remittances
              .slice(0, 3)
              .map((r) => `${r.remittedOn} ${r.slipNo} ${yuan(r.amountFen)}`)
              .join('；')}
          </Typography.Text>
        )}
      </Space>
    </Card>
  );
}

export default function Collect() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const household = Number(params.get('household') ?? '') || null;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%', maxWidth: 960 }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        现金收缴
      </Typography.Title>
      {household ? (
        <HouseholdPayment key={household} householdId={household} onBack={() => setParams(q ? { q } : {})} />
      ) : (
        <>
          <FindHousehold
            q={q}
            onSearch={(value) => setParams(value ? { q: value } : {})}
            onPick={(id) => setParams(q ? { q, household: String(id) } : { household: String(id) })}
          />
          <CashInHand />
        </>
      )}
    </Space>
  );
}
