/**
 * The back-office lists — bank withholding batches, tax discrepancies, subsidy reimbursement
 * batches — rendered from whatever fields the server sends, so a field added there shows up here,
 * with each list's own work beside it: generate a withholding batch and download its file for
 * the bank, upload the bank's result; upload the tax office's confirmations; generate a 先缴后补
 * batch per funder and record its payment and its arrival.
 */
import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Card, DatePicker, Descriptions, Input, Select, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { type ReactNode, useState } from 'react';
import { api } from '../api.ts';
import { DataTable, labelOf, type Row, renderValue, rowsOf } from '../components/DataTable.tsx';
import { FileButton } from '../components/FileButton.tsx';
import { useAction, useLoad } from '../components/useLoad.ts';
import { FUNDER_OPTIONS } from '../departments.ts';
import { useUser } from '../session.tsx';

const KINDS = {
  withholding: {
    title: '银行代扣批次',
    hint: '生成代扣批次并下载文件交协议银行；银行回盘后上传扣款结果文件，逐行记录扣款成功、余额不足或账户已销户。',
    endpoint: '/api/withholding/batches',
    hide: [] as string[],
    first: [] as string[],
  },
  tax: {
    title: '税务确认',
    hint: '上传税务部门的确认文件，与本系统的缴费逐笔核对；金额或状态不一致的列为差异。',
    endpoint: '/api/tax/discrepancies',
    hide: ['createdAt'],
    first: ['name', 'docNumber', 'amountFen', 'problem'],
  },
  subsidies: {
    title: '资助结算与先缴后补',
    hint: '按资金来源生成先缴后补批次，拨付后记录已拨付，资金到账后确认。',
    endpoint: '/api/reimbursements',
    hide: ['county_code'],
    first: ['batch_no', 'funderName', 'statusLabel', 'people', 'total_fen'],
  },
};

type Kind = keyof typeof KINDS;

/** A result's plain fields (counts, totals, dates) as a small table; lists inside are left out. */
function Summary({ value }: { value: Row }) {
  const entries = Object.entries(value).filter(([, v]) => v === null || typeof v !== 'object');
  return (
    <Descriptions size="small" bordered column={{ xs: 1, md: 3 }} data-testid="list-action-result">
      {entries.map(([key, v]) => (
        <Descriptions.Item key={key} label={labelOf(key)}>
          {renderValue(key, v)}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}

function WithholdingActions({ onChange, show }: { onChange: () => void; show: (r: Row) => void }) {
  const { message } = App.useApp();
  const [bank, setBank] = useState('');
  const [on, setOn] = useState<Dayjs>(dayjs(useUser().today));
  const [busy, run] = useAction();
  return (
    <Space wrap>
      <Input
        placeholder="银行（可不填）"
        value={bank}
        onChange={(e) => setBank(e.target.value)}
        style={{ width: 160 }}
      />
      <Button
        type="primary"
        loading={busy}
        data-testid="withholding-create"
        onClick={() =>
          run(async () => {
            const batch = await api.post<Row>('/api/withholding/batches', { bank: bank.trim() || undefined });
            message.success(`已生成代扣批次 ${String(batch.batchNo ?? '')}`);
            show(batch);
            onChange();
          })
        }
      >
        生成代扣批次
      </Button>
      <DatePicker value={on} onChange={(d) => d && setOn(d)} allowClear={false} placeholder="扣款日期" />
      <FileButton<Row>
        path="/api/withholding/results"
        label="上传扣款结果"
        fields={{ on: on.format('YYYY-MM-DD') }}
        testId="withholding-result-upload"
        onDone={(answer) => {
          message.success('扣款结果已记录');
          show(answer);
          onChange();
        }}
      />
    </Space>
  );
}

function TaxActions({ onChange, show }: { onChange: () => void; show: (r: Row) => void }) {
  const { message } = App.useApp();
  return (
    <FileButton<Row>
      path="/api/tax/confirmations"
      label="上传税务确认文件"
      testId="tax-upload"
      onDone={(answer) => {
        message.success('税务确认已导入');
        show(answer);
        onChange();
      }}
    />
  );
}

function SubsidyActions({ onChange, show }: { onChange: () => void; show: (r: Row) => void }) {
  const { message } = App.useApp();
  const [funder, setFunder] = useState<string>();
  const [busy, run] = useAction();
  return (
    <Space wrap>
      <Select
        placeholder="资金来源"
        options={FUNDER_OPTIONS}
        value={funder}
        onChange={setFunder}
        style={{ width: 180 }}
      />
      <Button
        type="primary"
        disabled={!funder}
        loading={busy}
        data-testid="reimbursement-create"
        onClick={() =>
          run(async () => {
            const batch = await api.post<Row>('/api/reimbursements', { funder });
            message.success(`已生成批次 ${String(batch.batch_no ?? '')}`);
            show(batch);
            onChange();
          })
        }
      >
        生成先缴后补批次
      </Button>
    </Space>
  );
}

export default function Lists({ kind }: { kind: Kind }) {
  const spec = KINDS[kind];
  const { message } = App.useApp();
  const [result, setResult] = useState<Row>();
  const [, run] = useAction();
  const { data, loading, reload } = useLoad(
    (signal) => api.get<unknown>(spec.endpoint, { signal }),
    [spec.endpoint],
  );

  const step = (row: Row, which: 'pay' | 'confirm') =>
    run(async () => {
      await api.post(`/api/reimbursements/${encodeURIComponent(String(row.batch_no))}/${which}`, {});
      message.success(which === 'pay' ? '已记录拨付' : '已确认到账');
      reload();
    });

  const actions: Record<Kind, ReactNode> = {
    withholding: <WithholdingActions onChange={reload} show={setResult} />,
    tax: <TaxActions onChange={reload} show={setResult} />,
    subsidies: <SubsidyActions onChange={reload} show={setResult} />,
  };
  const rowActions: Record<Kind, ((row: Row) => ReactNode) | null> = {
    withholding: (row) => (
      <Button
        size="small"
        icon={<DownloadOutlined />}
        href={`/api/withholding/batches/${encodeURIComponent(String(row.batchNo))}/file`}
      >
        代扣文件
      </Button>
    ),
    tax: null,
    subsidies: (row) =>
      row.status === 'created' ? (
        <Button size="small" onClick={() => step(row, 'pay')}>
          记录拨付
        </Button>
      ) : row.status === 'paid' ? (
        <Button size="small" onClick={() => step(row, 'confirm')}>
          确认到账
        </Button>
      ) : null,
  };
  const rowAction = rowActions[kind];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {spec.title}
      </Typography.Title>
      <Typography.Text type="secondary">{spec.hint}</Typography.Text>
      <Card size="small">{actions[kind]}</Card>
      {result && (
        <Card size="small" title="处理结果">
          <Summary value={result} />
          {rowsOf(result).length > 0 && <DataTable rows={rowsOf(result)} />}
        </Card>
      )}
      <Card size="small" title={kind === 'tax' ? '差异清单' : '批次'}>
        <DataTable
          rows={rowsOf(data)}
          loading={loading}
          hide={spec.hide}
          first={spec.first}
          testId={`${kind}-table`}
          extra={
            rowAction
              ? [
                  {
                    title: '操作',
                    key: 'action',
                    fixed: 'right',
                    render: (_: unknown, row: Row) => rowAction(row),
                  },
                ]
              : []
          }
        />
      </Card>
    </Space>
  );
}
