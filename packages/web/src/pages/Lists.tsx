/**
 * The back-office lists — bank withholding batches, tax discrepancies, subsidy reimbursement
 * batches — rendered from whatever fields the server sends, so a field added there shows up here,
 * with each list's own work beside it: generate a withholding batch and download its file for
 * the bank, upload the bank's result; upload the tax office's confirmations; generate a 先缴后补
 * batch per funder and record its payment and its arrival.
 */
import { DownloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Descriptions, Input, Select, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { DataTable, isFlat, labelOf, type Row, renderValue, rowsOf } from '../components/DataTable.tsx';
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
    first: ['batchNo', 'statusLabel', 'createdOn', 'rows', 'totalFen', 'succeeded', 'succeededFen', 'failed'],
    labels: {} as Record<string, string>,
  },
  tax: {
    title: '税务确认',
    hint: '上传税务部门的确认文件，与本系统的缴费逐笔核对；金额或状态不一致的列为差异。',
    endpoint: '/api/tax/discrepancies',
    hide: ['createdAt', 'id'],
    first: ['name', 'docNumber', 'amountFen', 'problem'],
    labels: { receiptNo: '税票号', paidOn: '缴费日期' } as Record<string, string>,
  },
  subsidies: {
    title: '资助结算与先缴后补',
    hint: '资助参保的人数和各资金来源应拨付的金额见资助结算表；先缴后补按资金来源生成批次，拨付后记录已拨付，资金到账后确认。',
    endpoint: '/api/reimbursements',
    hide: ['county_code'],
    first: ['batch_no', 'funderName', 'statusLabel', 'people', 'total_fen'],
    labels: {} as Record<string, string>,
  },
};

type Kind = keyof typeof KINDS;

/** What the page shows after an action: the server's answer, or why it refused. */
type Shown = { answer: Row } | { error: string };

/** The lists inside an answer, with their headings and the fields not worth a column. */
const RESULT_LISTS: Record<string, { title: string; hide: string[] }> = {
  errors: { title: '文件中的错误（未导入任何行，请改正后重新上传）', hide: [] },
  outcomes: { title: '逐行核对结果', hide: ['status', 'confirmationId', 'paymentId'] },
  conflicts: { title: '已扣款但无法入账（需退还持卡人）', hide: ['itemId'] },
};

/** Internal ids in an answer that the user cannot act on. */
const SUMMARY_HIDE = ['batchId'];

/** A result's plain fields (counts, totals, dates, counts by reason) as a small table. */
function Summary({ value }: { value: Row }) {
  const entries = Object.entries(value).filter(
    ([key, v]) => !SUMMARY_HIDE.includes(key) && (v === null || typeof v !== 'object' || isFlat(v)),
  );
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

interface ActionProps {
  onChange: () => void;
  show: (shown: Shown) => void;
}

function WithholdingActions({ onChange, show }: ActionProps) {
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
            message.success(`已生成代扣批次 ${String(batch.batchNo ?? '')}，请在下方批次列表下载代扣文件`);
            // Its `file` is the server's own copy, not something the user can open: the list links it.
            show({ answer: Object.fromEntries(Object.entries(batch).filter(([key]) => key !== 'file')) });
            onChange();
          })
        }
      >
        生成代扣批次
      </Button>
      <Typography.Text>扣款日期</Typography.Text>
      <DatePicker
        value={on}
        onChange={(d) => d && setOn(d)}
        allowClear={false}
        placeholder="扣款日期"
        data-testid="withholding-debit-date"
      />
      <FileButton<Row>
        path="/api/withholding/results"
        label="上传扣款结果"
        fields={{ on: on.format('YYYY-MM-DD') }}
        testId="withholding-result-upload"
        onDone={(answer) => {
          if (answer.status === 'unchanged') message.info('该批次已导入过相同的扣款结果，未作变动');
          else message.success(`扣款结果已记录：成功 ${answer.succeeded} 笔，失败 ${answer.failed} 笔`);
          show({ answer });
          onChange();
        }}
        onError={(error) => show({ error: error.message })}
      />
    </Space>
  );
}

function TaxActions({ onChange, show }: ActionProps) {
  const { message } = App.useApp();
  return (
    <FileButton<Row>
      path="/api/tax/confirmations"
      label="上传税务确认文件"
      testId="tax-upload"
      onDone={(answer) => {
        if (answer.status === 'rejected') message.error('文件有误，未导入任何行，请按下表改正后重新上传');
        else message.success(`税务确认已导入：匹配 ${answer.matched} 笔，差异 ${answer.discrepancies} 笔`);
        show({ answer });
        onChange();
      }}
      onError={(error) => show({ error: error.message })}
    />
  );
}

function SubsidyActions({ onChange, show }: ActionProps) {
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
        data-testid="reimbursement-funder"
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
            show({ answer: batch });
            onChange();
          })
        }
      >
        生成先缴后补批次
      </Button>
      {/* What finance budgets and transfers is computed by the reports; the batches are here. */}
      <Link to="/reports/subsidies" data-testid="subsidies-report-link">
        资助结算表（按人群和资金来源，应拨付金额）
      </Link>
      <Link to="/reports/funds" data-testid="funds-report-link">
        资金对账（渠道、待报解、国库）
      </Link>
    </Space>
  );
}

export default function Lists({ kind }: { kind: Kind }) {
  const spec = KINDS[kind];
  const { message } = App.useApp();
  const [shown, setShown] = useState<Shown>();
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
    withholding: <WithholdingActions onChange={reload} show={setShown} />,
    tax: <TaxActions onChange={reload} show={setShown} />,
    subsidies: <SubsidyActions onChange={reload} show={setShown} />,
  };
  const rowActions: Record<Kind, ((row: Row) => ReactNode) | null> = {
    withholding: (row) => (
      <Space size="small">
        {(['xlsx', 'csv'] as const).map((format) => (
          <Button
            key={format}
            size="small"
            icon={<DownloadOutlined />}
            data-testid={`withholding-file-${format}`}
            href={`/api/withholding/batches/${encodeURIComponent(String(row.batchNo))}/file?format=${format}`}
          >
            {format === 'xlsx' ? '代扣文件（Excel）' : 'CSV'}
          </Button>
        ))}
        {Number(row.failed) > 0 ? (
          <Button
            size="small"
            data-testid="withholding-failures"
            onClick={() =>
              run(async () => {
                // Who failed and why, for the townships to follow up (change of card, top up).
                const answer = await api.get<Record<string, unknown>>(
                  `/api/withholding/batches/${encodeURIComponent(String(row.batchNo))}/items?failed=1`,
                );
                setShown({ answer });
              })
            }
          >
            失败名单
          </Button>
        ) : null}
      </Space>
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
      {shown && 'error' in shown && (
        <Alert
          type="error"
          showIcon
          title="未能处理"
          description={<div style={{ whiteSpace: 'pre-wrap' }}>{shown.error}</div>}
          data-testid="list-action-error"
        />
      )}
      {shown && 'answer' in shown && (
        <Card size="small" title="处理结果">
          <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
            <Summary value={shown.answer} />
            {Object.entries(shown.answer)
              .filter(([, v]) => Array.isArray(v) && v.length > 0)
              .map(([key, v]) => (
                <div key={key}>
                  <Typography.Text strong>{RESULT_LISTS[key]?.title ?? labelOf(key)}</Typography.Text>
                  <DataTable
                    rows={v as Row[]}
                    hide={RESULT_LISTS[key]?.hide}
                    labels={spec.labels}
                    testId={`list-action-${key}`}
                  />
                </div>
              ))}
          </Space>
        </Card>
      )}
      <Card size="small" title={kind === 'tax' ? '差异清单' : '批次'}>
        <DataTable
          rows={rowsOf(data)}
          loading={loading}
          hide={spec.hide}
          first={spec.first}
          labels={spec.labels}
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
