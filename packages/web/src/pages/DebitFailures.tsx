/**
 * 代扣失败名单: the people of the user's region whose latest bank debit failed and who still have
 * not paid — a village clerk's follow-up list after the bank's result file. Each row says what to do
 * (余额不足 → remind the holder to deposit; a closed or frozen card → change the card) and opens the
 * person page, where the card is changed. On a phone the rows become cards.
 */
import { Alert, Card, Empty, Grid, Pagination, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, query } from '../api.ts';
import { RegionPicker } from '../components/RegionPicker.tsx';
import { rowTestId } from '../components/testid.ts';
import { useLoad } from '../components/useLoad.ts';
import { yuan } from '../format.ts';
import { useSession } from '../session.tsx';

type Action = 'top_up' | 'change_card' | 'check';

interface Failure {
  personId: number;
  name: string;
  idNumberMasked: string;
  villageCode: string | null;
  villageName: string | null;
  bank: string;
  cardMasked: string;
  holderName: string;
  amountFen: number;
  failureReason: string | null;
  batchNo: string;
  resultOn: string | null;
  cardChanged: boolean;
  action: Action;
  advice: string;
}

interface FailureList {
  benefitYear: number;
  total: number;
  byAction: Record<Action, number>;
  items: Failure[];
}

const ACTION_TAGS: Record<Action, { label: string; color: string }> = {
  top_up: { label: '提醒存款', color: 'orange' },
  change_card: { label: '更换银行卡', color: 'red' },
  check: { label: '核实原因', color: 'default' },
};

function ActionTag({ failure }: { failure: Failure }) {
  if (failure.cardChanged) return <Tag color="green">已换卡</Tag>;
  const tag = ACTION_TAGS[failure.action];
  return <Tag color={tag.color}>{tag.label}</Tag>;
}

const PAGE_SIZE = 50;

export default function DebitFailures() {
  const { can } = useSession();
  const phone = Grid.useBreakpoint().md === false;
  const [region, setRegion] = useState<string>();
  const [page, setPage] = useState(1);
  const { data, loading } = useLoad(
    (signal) =>
      api.get<FailureList>(`/api/withholding/failures${query({ region, page, pageSize: PAGE_SIZE })}`, {
        signal,
      }),
    [region, page],
  );

  const summary = data && (
    <Alert
      type={data.total > 0 ? 'warning' : 'success'}
      showIcon
      data-testid="failures-summary"
      title={
        data.total > 0
          ? `${data.benefitYear} 年度共 ${data.total} 人银行代扣失败、尚未缴费`
          : `${data.benefitYear} 年度没有待处理的代扣失败`
      }
      description={
        data.total > 0
          ? `余额不足 ${data.byAction.top_up} 人：请提醒持卡人存入足额款项，下一批次将再次扣款；卡已注销、冻结等 ${data.byAction.change_card} 人：请在人员页面“银行代扣”中更换银行卡；其他 ${data.byAction.check} 人：请与银行核实原因。`
          : undefined
      }
    />
  );

  const rows = data?.items ?? [];
  // On a phone each failure is a small card (a table would scroll sideways at the door).
  const list = phone ? (
    <Space orientation="vertical" size="small" style={{ width: '100%' }} data-testid="failures-list">
      {!loading && rows.length === 0 && <Empty description="没有待处理的代扣失败" />}
      {rows.map((f) => (
        <Card size="small" key={f.personId} data-testid={`failure-${f.personId}`}>
          <Space orientation="vertical" size={2} style={{ width: '100%' }}>
            <Space wrap>
              <Link to={`/people/${f.personId}`} data-testid={`failure-link-${f.personId}`}>
                <strong>{f.name}</strong>
              </Link>
              <ActionTag failure={f} />
              <Typography.Text type="secondary">{f.villageName ?? ''}</Typography.Text>
            </Space>
            <Typography.Text>
              {f.failureReason ?? '未说明原因'} · {yuan(f.amountFen)} · {f.resultOn ?? ''}
            </Typography.Text>
            <Typography.Text type="secondary">
              {f.bank} {f.cardMasked}（{f.holderName}）
            </Typography.Text>
            <Typography.Text>{f.advice}</Typography.Text>
          </Space>
        </Card>
      ))}
    </Space>
  ) : (
    <Table
      size="small"
      rowKey="personId"
      loading={loading}
      dataSource={rows}
      pagination={false}
      scroll={{ x: 'max-content' }}
      data-testid="failures-table"
      locale={{ emptyText: '没有待处理的代扣失败' }}
      onRow={(f) => rowTestId(`failure-${f.personId}`)}
      columns={[
        {
          title: '姓名',
          dataIndex: 'name',
          render: (name: string, f) => (
            <Link to={`/people/${f.personId}`} data-testid={`failure-link-${f.personId}`}>
              {name}
            </Link>
          ),
        },
        { title: '证件号码', dataIndex: 'idNumberMasked' },
        { title: '村（社区）', dataIndex: 'villageName', render: (v: string | null) => v ?? '—' },
        { title: '失败原因', dataIndex: 'failureReason', render: (v: string | null) => v ?? '未说明' },
        { title: '应扣', dataIndex: 'amountFen', align: 'right', render: (v: number) => yuan(v) },
        { title: '开户银行', dataIndex: 'bank' },
        { title: '卡号', dataIndex: 'cardMasked' },
        { title: '持卡人', dataIndex: 'holderName' },
        { title: '批次号', dataIndex: 'batchNo' },
        { title: '扣款日期', dataIndex: 'resultOn', render: (v: string | null) => v ?? '—' },
        {
          title: '处理',
          dataIndex: 'advice',
          render: (advice: string, f) => (
            <Space size={4} wrap>
              <ActionTag failure={f} />
              <span>{advice}</span>
            </Space>
          ),
        },
      ]}
    />
  );

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="debit-failures">
      <Typography.Title level={4} style={{ margin: 0 }}>
        代扣失败名单
      </Typography.Title>
      {can('reports.read') && (
        <RegionPicker
          value={region}
          onChange={(code) => {
            setRegion(code);
            setPage(1);
          }}
          testId="failures-region"
          style={{ width: phone ? '100%' : 280 }}
        />
      )}
      {summary}
      <Card size="small" styles={{ body: { padding: phone ? 8 : undefined } }}>
        {list}
        {data && data.total > PAGE_SIZE && (
          <Pagination
            style={{ marginTop: 12 }}
            size="small"
            current={page}
            pageSize={PAGE_SIZE}
            total={data.total}
            showSizeChanger={false}
            onChange={setPage}
          />
        )}
      </Card>
    </Space>
  );
}
