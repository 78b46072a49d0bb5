/**
 * The audit log: every change, sign-in and full identity-number view, with the object as it was
 * before and after. Pages backwards by id (the newest first), as the log only grows.
 */
import { Button, Card, Col, Row, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, query } from '../api.ts';
import { SearchBox } from '../components/SearchBox.tsx';
import { useAction, useLoad } from '../components/useLoad.ts';
import { dateTime } from '../format.ts';

interface AuditRow {
  id: number;
  at: string;
  actor: string | null;
  role: string | null;
  action: string;
  objectType: string | null;
  objectId: string | number | null;
  regionCode: string | null;
  beforeJson: unknown;
  afterJson: unknown;
  ip: string | null;
}

function pretty(value: unknown): string {
  if (value === null || value === undefined || value === '') return '（无）';
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

const PAGE = 50;

const SIDES = [
  { key: 'beforeJson', title: '变更前' },
  { key: 'afterJson', title: '变更后' },
] as const;

const FILTERS = [
  { key: 'action', placeholder: '操作代码（如 login、cash_payment）' },
  { key: 'actor', placeholder: '操作人用户名' },
] as const;

/** The actions the server records, in words (an unknown one shows its code). */
const ACTIONS: Record<string, string> = {
  login: '登录',
  reveal_id_number: '查看完整证件号',
  cash_payment: '现金收款',
  cash_payment_replayed: '现金收款（重复提交）',
  gateway_callback: '网上缴费到账',
  gateway_callback_replayed: '网上缴费到账（重复回调）',
  register_newborn: '新生儿登记',
  record_verification: '入户核实',
  import_groups: '名单导入',
  refund_request: '退费申请',
  refund_pay: '退费支付',
  user_create: '新建用户',
  user_update: '修改用户',
};

export default function AdminAudit() {
  const roles = useLoad(
    (signal) => api.get<{ roles: { code: string; label: string }[] }>('/api/roles', { signal }),
    [],
  );
  const roleLabel = (code: string | null) =>
    code ? (roles.data?.roles.find((r) => r.code === code)?.label ?? code) : '—';
  const [filters, setFilters] = useState({ action: '', actor: '' });
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [loading, run] = useAction();
  const [more, setMore] = useState(true);

  const load = (beforeId?: number) =>
    run(async () => {
      const page = await api.get<AuditRow[]>(`/api/audit${query({ ...filters, beforeId, limit: PAGE })}`);
      setRows((old) => (beforeId ? [...old, ...page] : page));
      setMore(page.length >= PAGE);
    });

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts the list again
  useEffect(() => {
    load();
  }, [filters]);

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        操作日志
      </Typography.Title>
      <Row gutter={8}>
        {FILTERS.map((f) => (
          <Col key={f.key} xs={24} md={8}>
            <SearchBox
              placeholder={f.placeholder}
              onSearch={(value) => setFilters((old) => ({ ...old, [f.key]: value }))}
              testId={`audit-${f.key}`}
            />
          </Col>
        ))}
      </Row>
      <Card size="small">
        <Table<AuditRow>
          size="small"
          rowKey="id"
          loading={loading}
          dataSource={rows}
          pagination={false}
          scroll={{ x: 'max-content' }}
          data-testid="audit-table"
          expandable={{
            expandedRowRender: (row) => (
              <Row gutter={12}>
                {SIDES.map((side) => (
                  <Col key={side.key} xs={24} md={12}>
                    <Typography.Text strong>{side.title}</Typography.Text>
                    <pre style={{ fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                      {pretty(row[side.key])}
                    </pre>
                  </Col>
                ))}
              </Row>
            ),
          }}
          columns={[
            { title: '编号', dataIndex: 'id', width: 80 },
            { title: '时间', dataIndex: 'at', render: dateTime },
            { title: '操作人', dataIndex: 'actor' },
            { title: '角色', dataIndex: 'role', render: roleLabel },
            {
              title: '操作',
              dataIndex: 'action',
              render: (a: string) => <Tag title={a}>{ACTIONS[a] ?? a}</Tag>,
            },
            {
              title: '对象',
              key: 'object',
              render: (_: unknown, r) => (r.objectType ? `${r.objectType} #${r.objectId ?? ''}` : '—'),
            },
            { title: '地区', dataIndex: 'regionCode' },
            { title: 'IP', dataIndex: 'ip' },
          ]}
        />
        {more && rows.length > 0 && (
          <Button style={{ marginTop: 12 }} loading={loading} onClick={() => load(rows[rows.length - 1]?.id)}>
            加载更早的记录
          </Button>
        )}
      </Card>
    </Space>
  );
}
