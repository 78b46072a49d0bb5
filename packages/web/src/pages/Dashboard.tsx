/**
 * The morning view: progress against the task table, the ranking the township reads out (the last
 * three are named at the meeting, so they are marked), coverage of the subsidised groups and the
 * money collected day by day.
 */
import { Card, Col, Progress, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { api, query } from '../api.ts';
import { Chart } from '../components/Chart.tsx';
import { rowTestId } from '../components/testid.ts';
import { useLoad } from '../components/useLoad.ts';
import { count, pct, yuan } from '../format.ts';
import { useUser } from '../session.tsx';

/** Fractions 0..1; null where there is no target to measure against. */
type Fraction = number | null;

interface RankingRow {
  rank: number;
  code: string;
  name: string;
  pctPeople: Fraction;
  amountFen: number;
  change?: number | null;
  lastThree?: boolean;
}

interface Dashboard {
  today: string;
  asOf?: string;
  region: { code: string; name: string; level?: string };
  benefitYear: number;
  totals: {
    targetPeople: number;
    targetAmountFen: number;
    enrolledPeople: number;
    paidPeople: number;
    amountFen: number;
    pctPeople: Fraction;
    pctAmount: Fraction;
    coverage: Fraction;
    ecertRate: Fraction;
    ecertTarget: Fraction;
    changePeople: number;
    changeAmountFen: number;
  };
  children: {
    code: string;
    name: string;
    targetPeople: number;
    paidPeople: number;
    amountFen: number;
    pctPeople: Fraction;
    pctAmount: Fraction;
    changePeople: number;
  }[];
  groups: { code: string; label: string; people: number; enrolled: number; coverage: Fraction }[];
  daily: { date: string; people: number; amountFen: number }[];
  /** null for a village: the ranking is among a township's villages. */
  ranking: { rows: RankingRow[]; lastThree: string[]; measureNote?: string } | null;
}

interface Region {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
}

export default function DashboardPage() {
  const { user } = useUser();
  const [region, setRegion] = useState<string>();
  const regions = useLoad((signal) => api.get<Region[]>('/api/regions', { signal }), []);
  const { data, loading } = useLoad(
    (signal) => api.get<Dashboard>(`/api/dashboard${query({ region })}`, { signal }),
    [region],
  );

  // Drilling down: the user's own region and the levels above a village.
  const regionOptions = (regions.data ?? [])
    .filter((r) => r.level !== 'village' || r.code === user.regionCode)
    .map((r) => ({ value: r.code, label: r.name }));

  const t = data?.totals;
  const hasChildren = (data?.children.length ?? 0) > 0;
  const barOption = useMemo(
    () =>
      data && {
        grid: { left: 48, right: 16, top: 24, bottom: 64 },
        tooltip: { trigger: 'axis', valueFormatter: (v: number) => pct(v) },
        xAxis: {
          type: 'category',
          data: data.children.map((c) => c.name),
          axisLabel: { rotate: data.children.length > 6 ? 40 : 0, interval: 0 },
        },
        yAxis: { type: 'value', max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
        series: [
          {
            type: 'bar',
            name: '完成率',
            data: data.children.map((c) => c.pctPeople),
            itemStyle: { color: '#0b6bcb' },
            markLine: {
              silent: true,
              symbol: 'none',
              label: { formatter: () => `全域 ${pct(t?.pctPeople)}`, position: 'insideEndTop' },
              data: [{ yAxis: t?.pctPeople ?? 0, name: '全域' }],
            },
          },
        ],
      },
    [data, t?.pctPeople],
  );
  const lineOption = useMemo(
    () =>
      data && {
        grid: { left: 64, right: 48, top: 24, bottom: 32 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'category', data: data.daily.map((d) => d.date.slice(5)) },
        yAxis: [
          {
            type: 'value',
            name: '元',
            axisLabel: { formatter: (v: number) => (v / 100).toLocaleString('zh-CN') },
          },
          { type: 'value', name: '人' },
        ],
        series: [
          {
            type: 'line',
            name: '金额',
            smooth: true,
            data: data.daily.map((d) => d.amountFen),
            tooltip: { valueFormatter: (v: number) => yuan(v) },
          },
          {
            type: 'bar',
            name: '人数',
            yAxisIndex: 1,
            data: data.daily.map((d) => d.people),
            itemStyle: { opacity: 0.4 },
          },
        ],
      },
    [data],
  );

  const lastNames = new Set(data?.ranking?.lastThree ?? []);
  const isLast = (row: RankingRow) => row.lastThree ?? lastNames.has(row.name);
  const cards: { key: string; title: string; value: string; extra?: string }[] = t
    ? [
        {
          key: 'target',
          title: '任务数（人）',
          value: count(t.targetPeople),
          extra: `任务金额 ${yuan(t.targetAmountFen)}`,
        },
        {
          key: 'paid',
          title: '已缴费（人）',
          value: count(t.paidPeople),
          extra: `已参保 ${count(t.enrolledPeople)} 人`,
        },
        { key: 'amount', title: '征缴金额', value: yuan(t.amountFen), extra: `金额完成 ${pct(t.pctAmount)}` },
        { key: 'pct', title: '任务完成率', value: pct(t.pctPeople) },
        { key: 'coverage', title: '参保覆盖率', value: pct(t.coverage) },
        {
          key: 'ecert',
          title: '医保电子凭证激活率',
          value: pct(t.ecertRate),
          extra: `目标 ${pct(t.ecertTarget)}`,
        },
        {
          key: 'change',
          title: '较昨日新增',
          value: `${t.changePeople >= 0 ? '+' : ''}${count(t.changePeople)} 人`,
          extra: `金额 ${yuan(t.changeAmountFen)}`,
        },
      ]
    : [];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {data ? `${data.region.name} ${data.benefitYear} 年度征缴进度` : '征缴进度'}
        </Typography.Title>
        {regionOptions.length > 1 && (
          <Select
            style={{ minWidth: 200 }}
            placeholder="选择地区"
            value={region ?? data?.region.code}
            options={regionOptions}
            onChange={setRegion}
            showSearch={{ optionFilterProp: 'label' }}
            data-testid="dashboard-region"
          />
        )}
      </Space>
      <Row gutter={[12, 12]} data-testid="dashboard-cards">
        {(loading && !t ? ['a', 'b', 'c', 'd'] : []).map((k) => (
          <Col key={k} xs={12} md={8} xl={6}>
            <Card loading />
          </Col>
        ))}
        {cards.map((c) => (
          <Col key={c.key} xs={12} md={8} xl={6}>
            <Card size="small" data-testid={`dashboard-card-${c.key}`}>
              <Statistic title={c.title} value={c.value} />
              {c.extra && <Typography.Text type="secondary">{c.extra}</Typography.Text>}
              {c.key === 'pct' && t && (
                <Progress percent={Math.round((t.pctPeople ?? 0) * 1000) / 10} showInfo={false} />
              )}
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={[12, 12]}>
        {/* A village has no regions below it: the daily chart then takes the row. */}
        {hasChildren && (
          <Col xs={24} xl={12}>
            <Card size="small" title="下级地区任务完成率">
              {barOption && <Chart option={barOption} testId="dashboard-bar" />}
            </Card>
          </Col>
        )}
        <Col xs={24} xl={hasChildren ? 12 : 24}>
          <Card size="small" title="每日征缴">
            {lineOption && <Chart option={lineOption} testId="dashboard-line" />}
          </Card>
        </Col>
      </Row>
      <Row gutter={[12, 12]}>
        <Col xs={24} xl={12}>
          <Card size="small" title="排位通报（后三名标红）">
            {data && !data.ranking ? (
              <Typography.Text type="secondary" data-testid="dashboard-ranking-none">
                排名在乡镇各村之间进行，请查看乡镇排位通报。
              </Typography.Text>
            ) : (
              <>
                <Table
                  size="small"
                  data-testid="dashboard-ranking"
                  rowKey="code"
                  loading={loading}
                  dataSource={data?.ranking?.rows ?? []}
                  pagination={false}
                  scroll={{ x: 'max-content' }}
                  rowClassName={(row) =>
                    [isLast(row) ? 'ranking-last' : '', row.code === user.regionCode ? 'ranking-mine' : '']
                      .filter(Boolean)
                      .join(' ')
                  }
                  onRow={(row) => (row.code === user.regionCode ? rowTestId('dashboard-ranking-mine') : {})}
                  columns={[
                    { title: '排名', dataIndex: 'rank', width: 60 },
                    {
                      title: '地区',
                      dataIndex: 'name',
                      render: (name: string, row) => (
                        <Space>
                          {name}
                          {/* A clerk reads the ranking for her own village: it should not take a search. */}
                          {row.code === user.regionCode && <Tag color="blue">本村</Tag>}
                          {isLast(row) && <Tag color="red">后三名</Tag>}
                        </Space>
                      ),
                    },
                    {
                      title: '完成率',
                      dataIndex: 'pctPeople',
                      align: 'right',
                      render: (v: Fraction) => pct(v),
                    },
                    { title: '金额', dataIndex: 'amountFen', align: 'right', render: (v: number) => yuan(v) },
                  ]}
                />
                {data?.ranking?.measureNote && (
                  <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0' }}>
                    {data.ranking.measureNote}
                  </Typography.Paragraph>
                )}
              </>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title="资助人群参保情况">
            <Table
              size="small"
              data-testid="dashboard-groups"
              rowKey="code"
              loading={loading}
              dataSource={(data?.groups ?? []).filter((g) => g.people > 0)}
              pagination={false}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: '人群', dataIndex: 'label' },
                { title: '人数', dataIndex: 'people', align: 'right', render: (v: number) => count(v) },
                { title: '已参保', dataIndex: 'enrolled', align: 'right', render: (v: number) => count(v) },
                {
                  title: '覆盖率',
                  dataIndex: 'coverage',
                  render: (v: Fraction) =>
                    v === null ? '—' : <Progress percent={Math.round(v * 1000) / 10} size="small" />,
                },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
