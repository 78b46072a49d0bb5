/**
 * Finding a person: by name, by identity number (or its last digits, as people read them out) or by
 * household number. Phones get cards, desktops a table.
 */
import { Card, Empty, Grid, Pagination, Segmented, Space, Table, Tag, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router';
import { api, query } from '../api.ts';
import { SearchBox } from '../components/SearchBox.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { rowTestId } from '../components/testid.ts';
import { useLoad } from '../components/useLoad.ts';
import { sexLabel, yuan } from '../format.ts';

export interface PersonItem {
  id: number;
  name: string;
  idNumberMasked: string;
  sex: string | null;
  birthDate: string | null;
  householdId: number | null;
  householdNumber: string | null;
  villageCode: string | null;
  villageName: string | null;
  groups: { code: string; label: string }[];
  enrollment: { id: number; status: string; statusLabel: string; paysFen: number } | null;
}

export interface PeoplePage {
  total: number;
  items: PersonItem[];
}

/** Who the clerk is looking for: everyone, those who still owe this year, or those already paid. */
const STATUS_FILTERS = [
  { value: '', label: '全部' },
  { value: 'unpaid', label: '待缴费' },
  { value: 'paid', label: '已缴费' },
];

export default function People() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const phone = Grid.useBreakpoint().md === false;
  const q = params.get('q') ?? '';
  const status = STATUS_FILTERS.some((f) => f.value === params.get('status'))
    ? (params.get('status') ?? '')
    : '';
  const page = Number(params.get('page') ?? '1') || 1;
  const pageSize = 20;
  const { data, loading } = useLoad(
    (signal) => api.get<PeoplePage>(`/api/people${query({ q, status, page, pageSize })}`, { signal }),
    [q, status, page],
  );

  const open = (person: PersonItem) => navigate(`/people/${person.id}`);
  /** The search, the filter and the page in the address, so "back" returns to the same list. */
  const show = (next: { q?: string; status?: string; page?: number }) => {
    const merged = { q, status, ...next, page: String(next.page ?? 1) };
    setParams(
      Object.fromEntries(Object.entries(merged).filter(([k, v]) => v && !(k === 'page' && v === '1'))),
    );
  };
  const goTo = (next: number) => show({ page: next });

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        人员查询
      </Typography.Title>
      <SearchBox
        placeholder="姓名 / 身份证号（或后几位）/ 户号"
        size="large"
        defaultValue={q}
        testId="people-search"
        onSearch={(value) => show({ q: value })}
        style={{ maxWidth: 560 }}
      />
      <Segmented
        value={status}
        options={STATUS_FILTERS}
        onChange={(value) => show({ status: String(value) })}
        data-testid="people-status-filter"
      />
      {/* The desktop table says it under the table; a phone's short pager does not. */}
      {phone && data && (
        <Typography.Text type="secondary" data-testid="people-total">
          共 {data.total} 人
        </Typography.Text>
      )}
      {phone ? (
        <Space orientation="vertical" style={{ width: '100%' }}>
          {!loading && data?.items.length === 0 && <Empty description="没有找到" />}
          {(data?.items ?? []).map((p, i) => (
            <Card
              key={p.id}
              size="small"
              hoverable
              onClick={() => open(p)}
              data-testid={`people-result-${i}`}
            >
              <Space style={{ justifyContent: 'space-between', width: '100%' }}>
                <Typography.Text strong>{p.name}</Typography.Text>
                <StatusTag status={p.enrollment?.status} label={p.enrollment?.statusLabel} />
              </Space>
              <div>{p.idNumberMasked}</div>
              <Typography.Text type="secondary">
                {p.villageName ?? '—'} · 户号 {p.householdNumber ?? '—'}
                {p.enrollment ? ` · 应缴 ${yuan(p.enrollment.paysFen)}` : ''}
              </Typography.Text>
              <div>
                {p.groups.map((g) => (
                  <Tag key={g.code} color="geekblue">
                    {g.label}
                  </Tag>
                ))}
              </div>
            </Card>
          ))}
          {(data?.total ?? 0) > pageSize && (
            <Pagination
              simple
              current={page}
              pageSize={pageSize}
              total={data?.total ?? 0}
              onChange={goTo}
              style={{ textAlign: 'center' }}
            />
          )}
        </Space>
      ) : (
        <Table<PersonItem>
          size="middle"
          rowKey="id"
          loading={loading}
          dataSource={data?.items ?? []}
          data-testid="people-table"
          onRow={(p, i) =>
            rowTestId(`people-result-${i}`, { onClick: () => open(p), style: { cursor: 'pointer' } })
          }
          scroll={{ x: 'max-content' }}
          pagination={{
            current: page,
            pageSize,
            total: data?.total ?? 0,
            showSizeChanger: false,
            showTotal: (total) => `共 ${total} 人`,
            onChange: goTo,
          }}
          columns={[
            { title: '姓名', dataIndex: 'name' },
            { title: '证件号码', dataIndex: 'idNumberMasked' },
            { title: '性别', dataIndex: 'sex', render: sexLabel },
            { title: '出生日期', dataIndex: 'birthDate' },
            { title: '户号', dataIndex: 'householdNumber' },
            { title: '村（社区）', dataIndex: 'villageName' },
            {
              title: '资助身份',
              dataIndex: 'groups',
              render: (groups: PersonItem['groups']) =>
                groups.map((g) => (
                  <Tag key={g.code} color="geekblue">
                    {g.label}
                  </Tag>
                )),
            },
            {
              title: '参保状态',
              dataIndex: 'enrollment',
              render: (e: PersonItem['enrollment']) => (
                <StatusTag status={e?.status} label={e?.statusLabel} />
              ),
            },
            {
              title: '个人缴费',
              dataIndex: 'enrollment',
              key: 'pays',
              align: 'right',
              render: (e: PersonItem['enrollment']) => (e ? yuan(e.paysFen) : '—'),
            },
          ]}
        />
      )}
    </Space>
  );
}
