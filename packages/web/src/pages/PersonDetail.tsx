/**
 * One person: who they are, which subsidised groups they belong to, each year's enrollment with its
 * history, the payments, and why they pay what they pay (the rules with their clauses). The full
 * identity number is shown only on request, and the server records who asked.
 */
import { EyeOutlined, UserAddOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Grid,
  Result,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api.ts';
import { AgreementCard } from '../components/AgreementCard.tsx';
import { NewbornModal, VerificationModal } from '../components/HouseholdForms.tsx';
import { PAYABLE, StatusTag } from '../components/StatusTag.tsx';
import { useLoad } from '../components/useLoad.ts';
import { dateTime, readableWhy, sexLabel, yuan } from '../format.ts';
import { useSession } from '../session.tsx';

interface PersonAnswer {
  person: {
    id: number;
    name: string;
    idNumberMasked: string;
    sex: string | null;
    birthDate: string | null;
    phone: string | null;
    address: string | null;
    isStudent: boolean;
    householdId: number | null;
    householdNumber: string | null;
    villageCode: string | null;
    villageName: string | null;
  };
  groups: {
    code: string;
    label: string;
    department: string | null;
    validFrom: string | null;
    validTo: string | null;
  }[];
  enrollments: {
    id: number;
    benefitYear: number;
    status: string;
    statusLabel: string;
    paysFen: number;
    subsidyFen: number;
    paidFen: number;
    benefitStart: string | null;
    benefitEnd: string | null;
    why: string | null;
    events: {
      at: string;
      actor: string | null;
      /** Who, as people know them (a user's display name). */
      actorName?: string | null;
      fromStatus: string | null;
      toStatus: string;
      reason: string | null;
    }[];
  }[];
  payments: {
    id: number;
    orderId: string | number | null;
    channel: string;
    channelLabel: string;
    amountFen: number;
    paidOn: string;
    receiptNo: string | null;
    txnId: string | null;
  }[];
}

export interface HouseholdDue {
  householdId: number;
  householdNumber: string;
  villageCode: string;
  villageName: string;
  benefitYear: number;
  members: {
    enrollmentId: number | null;
    personId: number;
    name: string;
    idNumberMasked: string;
    status: string | null;
    statusLabel: string | null;
    paysFen: number;
    why: string | null;
    /** Why the member pays that amount, in Chinese with the clause (null where it cannot be said). */
    reason: string | null;
  }[];
  totalDueFen: number;
}

interface Explanation {
  benefitYear: number;
  lines: string[];
  rules?: { id: string; cite: string; text: string; quote: string }[];
}

function Explain({ id }: { id: string }) {
  const { data, loading, error } = useLoad(
    (signal) => api.get<Explanation>(`/api/people/${id}/explain`, { signal }),
    [id],
  );
  if (loading) return <Skeleton active />;
  if (error || !data) return <Empty description={error?.message ?? '没有测算依据'} />;
  return (
    <div data-testid="person-explain">
      <Typography.Paragraph type="secondary">
        {data.benefitYear} 年度金额与待遇期所依据的规则：
      </Typography.Paragraph>
      <ol style={{ paddingLeft: 20, lineHeight: 1.9 }}>
        {data.rules
          ? data.rules.map((r) => (
              <li key={r.id}>
                {r.text} <Tag color="blue">{r.cite}</Tag>
                {r.quote && (
                  <Typography.Paragraph type="secondary" style={{ margin: 0, fontSize: 12 }}>
                    原文：{r.quote}
                  </Typography.Paragraph>
                )}
              </li>
            ))
          : data.lines.map((line) => <li key={line}>{line}</li>)}
      </ol>
    </div>
  );
}

function Household({ householdId, currentId }: { householdId: number; currentId: number }) {
  const { can } = useSession();
  const phone = Grid.useBreakpoint().md === false;
  const navigate = useNavigate();
  const [newborn, setNewborn] = useState(false);
  const [verify, setVerify] = useState(false);
  const { data, loading, reload } = useLoad(
    (signal) => api.get<HouseholdDue>(`/api/households/${householdId}/due`, { signal }),
    [householdId],
  );
  const actions = (
    <Space wrap>
      {can('collection.cash') && data && (
        <Button size="small" type="primary" onClick={() => navigate(`/collect?household=${householdId}`)}>
          收缴
        </Button>
      )}
      {can('people.write') && (
        <>
          <Button
            size="small"
            icon={<UserAddOutlined />}
            onClick={() => setNewborn(true)}
            data-testid="newborn-button"
          >
            新增新生儿
          </Button>
          <Button size="small" onClick={() => setVerify(true)} data-testid="verification-button">
            入户核实
          </Button>
        </>
      )}
    </Space>
  );
  return (
    <Card
      size="small"
      title={`家庭成员${data ? `（户号 ${data.householdNumber}）` : ''}`}
      // On a phone the header has no room for the buttons: they go above the members.
      extra={phone ? null : actions}
    >
      {phone && <div style={{ marginBottom: 8 }}>{actions}</div>}
      {phone ? (
        // On a phone a five-column table scrolls sideways and hides the amounts: one block a member.
        <Space orientation="vertical" size="small" style={{ width: '100%' }} data-testid="household-members">
          {loading && !data && <Skeleton active />}
          {(data?.members ?? []).map((m) => (
            <div key={m.personId} className="member-row" data-testid={`household-member-${m.personId}`}>
              <Space wrap size={4}>
                {m.personId === currentId ? (
                  <strong>{m.name}</strong>
                ) : (
                  <Link to={`/people/${m.personId}`}>{m.name}</Link>
                )}
                <StatusTag status={m.status} label={m.statusLabel} />
                {/* Once paid nothing is owed: "应缴 0.00 元" beside a 320 元 reason would only confuse. */}
                {(m.paysFen > 0 || (m.status !== null && PAYABLE.has(m.status))) && (
                  <Typography.Text className="money">应缴 {yuan(m.paysFen)}</Typography.Text>
                )}
              </Space>
              <div>
                <Typography.Text type="secondary">{m.idNumberMasked}</Typography.Text>
              </div>
              {m.reason && (
                <div>
                  <Typography.Text type="secondary">{m.reason}</Typography.Text>
                </div>
              )}
            </div>
          ))}
        </Space>
      ) : (
        <Table
          size="small"
          rowKey="personId"
          loading={loading}
          dataSource={data?.members ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          data-testid="household-members"
          columns={[
            {
              title: '姓名',
              dataIndex: 'name',
              render: (name: string, m) =>
                m.personId === currentId ? (
                  <strong>{name}</strong>
                ) : (
                  <Link to={`/people/${m.personId}`}>{name}</Link>
                ),
            },
            { title: '证件号码', dataIndex: 'idNumberMasked' },
            {
              title: '状态',
              dataIndex: 'status',
              render: (s: string | null, m) => <StatusTag status={s} label={m.statusLabel} />,
            },
            { title: '应缴', dataIndex: 'paysFen', align: 'right', render: (v: number) => yuan(v) },
            { title: '说明', dataIndex: 'reason', render: (r: string | null) => r ?? '—' },
          ]}
        />
      )}
      <NewbornModal
        householdId={householdId}
        open={newborn}
        onClose={() => setNewborn(false)}
        onDone={(personId) => {
          setNewborn(false);
          navigate(`/people/${personId}`);
        }}
      />
      <VerificationModal
        householdId={householdId}
        members={data?.members ?? []}
        open={verify}
        onClose={() => setVerify(false)}
        onDone={() => {
          setVerify(false);
          reload();
        }}
      />
    </Card>
  );
}

export default function PersonDetail() {
  const { id = '' } = useParams();
  const { modal, message } = App.useApp();
  const { can } = useSession();
  const [fullId, setFullId] = useState<string>();
  const { data, loading, error } = useLoad(
    (signal) => api.get<PersonAnswer>(`/api/people/${id}`, { signal }),
    [id],
  );

  if (loading && !data) return <Skeleton active />;
  if (error?.status === 404) {
    return <Result status="404" title="找不到此人" subTitle={error.message} data-testid="person-not-found" />;
  }
  if (!data) return <Result status="error" title="加载失败" subTitle={error?.message} />;
  const { person, groups, enrollments, payments } = data;

  const reveal = () =>
    modal.confirm({
      title: '查看完整证件号码',
      content: '查看完整证件号码将被记录（操作人、时间、对象），请仅在核对身份时查看。',
      okText: '确认查看',
      onOk: async () => {
        try {
          const answer = await api.post<{ idNumber: string }>(`/api/people/${id}/reveal`);
          setFullId(answer.idNumber);
        } catch (err) {
          message.error((err as Error).message);
        }
      },
    });

  const basic = (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Descriptions
        bordered
        size="small"
        column={{ xs: 1, md: 2 }}
        styles={{ label: { whiteSpace: 'nowrap' } }}
      >
        <Descriptions.Item label="姓名">{person.name}</Descriptions.Item>
        <Descriptions.Item label="证件号码">
          <Space wrap>
            <span data-testid="person-id-number">{fullId ?? person.idNumberMasked}</span>
            {!fullId && can('id.reveal') && (
              <Button size="small" icon={<EyeOutlined />} onClick={reveal} data-testid="reveal-button">
                查看完整证件号
              </Button>
            )}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label="性别">{sexLabel(person.sex)}</Descriptions.Item>
        <Descriptions.Item label="出生日期">{person.birthDate ?? '—'}</Descriptions.Item>
        <Descriptions.Item label="联系电话">{person.phone ?? '—'}</Descriptions.Item>
        <Descriptions.Item label="在校学生">{person.isStudent ? '是' : '否'}</Descriptions.Item>
        <Descriptions.Item label="村（社区）">{person.villageName ?? '—'}</Descriptions.Item>
        <Descriptions.Item label="户号">{person.householdNumber ?? '—'}</Descriptions.Item>
        <Descriptions.Item label="住址" span={2}>
          {person.address ?? '—'}
        </Descriptions.Item>
      </Descriptions>
      {/* Keyed by the person: a newborn just registered opens on the same household, which must load again to list her. */}
      {person.householdId !== null && (
        <Household key={person.id} householdId={person.householdId} currentId={person.id} />
      )}
      <AgreementCard personId={person.id} personName={person.name} />
    </Space>
  );

  const items = [
    { key: 'basic', label: '基本信息', children: basic },
    {
      key: 'groups',
      label: `资助身份（${groups.length}）`,
      children: (
        <Table
          size="small"
          rowKey={(g) => `${g.code}-${g.validFrom}`}
          dataSource={groups}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: '不属于资助人群' }}
          columns={[
            { title: '人群', dataIndex: 'label', render: (l: string) => <Tag color="geekblue">{l}</Tag> },
            { title: '认定部门', dataIndex: 'department' },
            { title: '有效期起', dataIndex: 'validFrom' },
            { title: '有效期止', dataIndex: 'validTo', render: (v: string | null) => v ?? '长期' },
          ]}
        />
      ),
    },
    {
      key: 'enrollments',
      label: `参保记录（${enrollments.length}）`,
      children:
        enrollments.length === 0 ? (
          <Empty description="没有参保记录" />
        ) : (
          <Space orientation="vertical" style={{ width: '100%' }}>
            {enrollments.map((e) => (
              <Card
                key={e.id}
                size="small"
                title={`${e.benefitYear} 年度`}
                extra={
                  <Space size="small">
                    <StatusTag status={e.status} label={e.statusLabel} />
                    {can('refunds.request') && (e.status === 'paid' || e.status === 'confirmed') && (
                      <Link to={`/refunds?enrollment=${e.id}`} data-testid={`refund-link-${e.id}`}>
                        申请退费
                      </Link>
                    )}
                  </Space>
                }
              >
                <Descriptions size="small" column={{ xs: 1, md: 3 }}>
                  <Descriptions.Item label="参保登记号">{e.id}</Descriptions.Item>
                  <Descriptions.Item label="个人缴费">{yuan(e.paysFen)}</Descriptions.Item>
                  <Descriptions.Item label="资助金额">{yuan(e.subsidyFen)}</Descriptions.Item>
                  <Descriptions.Item label="已缴">{yuan(e.paidFen)}</Descriptions.Item>
                  <Descriptions.Item label="待遇期">
                    {e.benefitStart ? `${e.benefitStart} 至 ${e.benefitEnd ?? ''}` : '—'}
                  </Descriptions.Item>
                  <Descriptions.Item label="说明" span={2}>
                    {readableWhy(e.why) ?? '见“测算依据”'}
                  </Descriptions.Item>
                </Descriptions>
                <Timeline
                  style={{ marginTop: 12 }}
                  items={e.events.map((ev) => ({
                    title: dateTime(ev.at),
                    content: (
                      <span>
                        {ev.fromStatus ? <StatusTag status={ev.fromStatus} /> : null}
                        {ev.fromStatus ? '→ ' : ''}
                        <StatusTag status={ev.toStatus} />
                        {ev.reason ?? ''}
                        {ev.actor ? (
                          <Typography.Text type="secondary">（{ev.actorName ?? ev.actor}）</Typography.Text>
                        ) : null}
                      </span>
                    ),
                  }))}
                />
              </Card>
            ))}
          </Space>
        ),
    },
    {
      key: 'payments',
      label: `缴费记录（${payments.length}）`,
      children: (
        <Table
          size="small"
          rowKey="id"
          dataSource={payments}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: '没有缴费记录' }}
          columns={[
            { title: '缴费日期', dataIndex: 'paidOn' },
            { title: '渠道', dataIndex: 'channelLabel' },
            { title: '金额', dataIndex: 'amountFen', align: 'right', render: (v: number) => yuan(v) },
            {
              title: '收据号',
              dataIndex: 'receiptNo',
              render: (r: string | null, p) =>
                r && p.orderId !== null ? <Link to={`/receipts/${p.orderId}`}>{r}</Link> : (r ?? '—'),
            },
            { title: '交易号', dataIndex: 'txnId', render: (v: string | null) => v ?? '—' },
          ]}
        />
      ),
    },
    { key: 'explain', label: '测算依据', children: <Explain id={id} /> },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="person-detail">
      <Space wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {person.name}
        </Typography.Title>
        {groups.map((g) => (
          <Tag key={`${g.code}-${g.validFrom}`} color="geekblue">
            {g.label}
          </Tag>
        ))}
      </Space>
      <Card size="small">
        <Tabs items={items} destroyOnHidden={false} />
      </Card>
    </Space>
  );
}
