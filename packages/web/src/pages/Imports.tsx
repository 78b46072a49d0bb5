/**
 * Department lists (低保, 特困, 监测对象…) arrive as the Excel files the departments already keep.
 * The submitter sees at once how many rows were taken, which were rejected and why, and can take
 * the error report back to fix the file.
 */
import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Form,
  Progress,
  Result,
  Select,
  Space,
  Table,
  Tag,
  Typography,
  Upload,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, upload } from '../api.ts';
import { renderValue } from '../components/DataTable.tsx';
import { useLoad } from '../components/useLoad.ts';
import { DEPARTMENT_OPTIONS, DEPARTMENTS } from '../departments.ts';
import { dateTime } from '../format.ts';
import { useUser } from '../session.tsx';

interface ImportResult {
  id: number;
  status: 'completed' | 'rejected';
  rowsTotal: number;
  rowsWritten: number;
  rowsRejected: number;
  errors: { line: number; field: string | null; message: string }[];
  summary: Record<string, unknown>;
  /** People whose amount was worked out again because their groups changed. */
  reassessed?: number;
}

/** What a new list changed against the department's previous one (a monthly update). */
const SUMMARY_LABELS: Record<string, string> = {
  peopleAdded: '新建人员',
  added: '新认定',
  removed: '移出名单',
  changed: '认定有变',
  unchanged: '未变',
  reassessed: '重新测算人数',
};

interface ImportRow {
  id: number;
  kind: string;
  fileName: string;
  department: string | null;
  departmentLabel?: string | null;
  effectiveDate?: string | null;
  status: string;
  rowsTotal: number;
  rowsWritten: number;
  rowsRejected: number;
  actor: string | null;
  finishedAt: string | null;
}

function ImportOutcome({ result }: { result: ImportResult }) {
  const summary = Object.entries({
    ...(result.summary ?? {}),
    reassessed: result.reassessed,
  }).filter(([, value]) => value !== null && value !== undefined);
  const ok = result.status === 'completed';
  return (
    <Card size="small" data-testid="import-result">
      <Result
        status={ok ? (result.rowsRejected > 0 ? 'warning' : 'success') : 'error'}
        title={ok ? '导入完成' : '文件未导入'}
        subTitle={
          <>
            共 {result.rowsTotal} 行，写入 {result.rowsWritten} 行，拒收 {result.rowsRejected} 行
            {!ok && (
              // All or nothing: the user must know that the good rows were not taken either.
              <div data-testid="import-next-step">
                整份名单均未导入。请按下表在原文件中改正所列各行（行号即表格中的行号），再重新上传整份名单。
              </div>
            )}
          </>
        }
        extra={
          result.rowsRejected > 0 || result.errors.length > 0 ? (
            <Button
              icon={<DownloadOutlined />}
              href={`/api/imports/${result.id}/errors.xlsx`}
              data-testid="import-error-report"
            >
              下载错误报告
            </Button>
          ) : null
        }
      />
      {summary.length > 0 && (
        <Descriptions size="small" bordered column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }}>
          {summary.map(([key, value]) => (
            <Descriptions.Item key={key} label={SUMMARY_LABELS[key] ?? key}>
              {renderValue(key, value)}
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
      {result.errors.length > 0 && (
        <Table
          size="small"
          data-testid="import-errors"
          rowKey={(e) => `${e.line}-${e.field}-${e.message}`}
          dataSource={result.errors}
          scroll={{ x: 'max-content' }}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          columns={[
            { title: '行号', dataIndex: 'line', width: 80 },
            { title: '字段', dataIndex: 'field', render: (f: string | null) => f ?? '—' },
            { title: '问题', dataIndex: 'message' },
          ]}
        />
      )}
    </Card>
  );
}

export default function Imports() {
  const { user, today } = useUser();
  const { message } = App.useApp();
  const fixedDepartment = user.role === 'department' ? user.department : null;
  const [department, setDepartment] = useState<string | undefined>(fixedDepartment ?? undefined);
  const [effective, setEffective] = useState<Dayjs>(dayjs(today));
  const [file, setFile] = useState<File>();
  const [percent, setPercent] = useState<number>();
  const [result, setResult] = useState<ImportResult>();
  const list = useLoad((signal) => api.get<ImportRow[]>('/api/imports', { signal }), []);

  const start = async () => {
    if (!file) return;
    const form = new FormData();
    // A submitter's department is the one on their account; the server takes it from there.
    if (department && !fixedDepartment) form.append('department', department);
    form.append('effective', effective.format('YYYY-MM-DD'));
    // The file goes last: the server reads the fields before it streams the file.
    form.append('file', file, file.name);
    setPercent(0);
    setResult(undefined);
    try {
      const answer = await upload<ImportResult>('/api/imports/groups', form, setPercent);
      setResult(answer);
      setFile(undefined);
      if (answer.status === 'completed') message.success(`已导入 ${answer.rowsWritten} 行`);
      else message.error('文件未导入，请查看错误');
      list.reload();
    } catch (error) {
      message.error((error as Error).message);
    } finally {
      setPercent(undefined);
    }
  };

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        资助人群名单导入
      </Typography.Title>
      <Card size="small">
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16, maxWidth: 640 }}
          title="请上传完整名单（不是新增部分）"
          description="名单中出现的每个人员类别，以本次上传为该类别当前的全部认定人员：与上次相比，新出现的人员将被认定，本次名单中没有的人员将移出该类别。导入后可查看变化情况。"
        />
        <Form layout="vertical" style={{ maxWidth: 640 }}>
          <Form.Item label="认定部门" required>
            <Select
              value={department}
              onChange={setDepartment}
              disabled={!!fixedDepartment}
              placeholder="选择部门"
              options={DEPARTMENT_OPTIONS}
              data-testid="import-department"
            />
          </Form.Item>
          <Form.Item label="生效日期" required>
            <DatePicker
              value={effective}
              onChange={(d) => d && setEffective(d)}
              allowClear={false}
              data-testid="import-effective"
            />
          </Form.Item>
          <Form.Item label="名单文件（.xlsx / .csv）" required>
            <Upload.Dragger
              accept=".xlsx,.csv"
              multiple={false}
              maxCount={1}
              data-testid="import-upload"
              fileList={file ? [{ uid: 'file', name: file.name, status: 'done' }] : []}
              beforeUpload={(f) => {
                setFile(f);
                // Keep the file here: it is sent with the department and date on "导入".
                return false;
              }}
              onRemove={() => setFile(undefined)}
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              <p className="ant-upload-text">点击或拖入名单文件</p>
              <p className="ant-upload-hint">
                表头须含：姓名、证件类型、公民身份号码、人员类别、认定日期、村（社区）
              </p>
            </Upload.Dragger>
          </Form.Item>
          {percent !== undefined && (
            <Progress percent={percent} status="active" data-testid="import-progress" />
          )}
          <Space wrap>
            <Button
              type="primary"
              disabled={!file || !department}
              loading={percent !== undefined}
              onClick={start}
              data-testid="import-submit"
            >
              导入
            </Button>
            {/* A greyed button alone does not say what it waits for. */}
            {(!file || !department) && (
              <Typography.Text type="secondary" data-testid="import-missing">
                {!department ? '请先选择认定部门' : '请先选择名单文件'}
              </Typography.Text>
            )}
          </Space>
        </Form>
      </Card>
      {result && <ImportOutcome result={result} />}
      <Card size="small" title="导入记录">
        <Table<ImportRow>
          size="small"
          rowKey="id"
          loading={list.loading}
          dataSource={list.data ?? []}
          scroll={{ x: 'max-content' }}
          data-testid="import-list"
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          columns={[
            { title: '编号', dataIndex: 'id', width: 70 },
            { title: '文件', dataIndex: 'fileName' },
            {
              title: '部门',
              dataIndex: 'department',
              render: (d: string | null, row) => row.departmentLabel ?? (d ? (DEPARTMENTS[d] ?? d) : '—'),
            },
            {
              title: '生效日期',
              dataIndex: 'effectiveDate',
              render: (d: string | null | undefined) => d ?? '—',
            },
            {
              title: '结果',
              dataIndex: 'status',
              render: (s: string) => (
                <Tag color={s === 'completed' ? 'green' : 'red'}>
                  {s === 'completed' ? '已导入' : '已拒收'}
                </Tag>
              ),
            },
            { title: '总行数', dataIndex: 'rowsTotal', align: 'right' },
            { title: '写入', dataIndex: 'rowsWritten', align: 'right' },
            { title: '拒收', dataIndex: 'rowsRejected', align: 'right' },
            { title: '操作人', dataIndex: 'actor' },
            { title: '完成时间', dataIndex: 'finishedAt', render: dateTime },
            {
              title: '',
              key: 'errors',
              render: (_: unknown, row) =>
                row.rowsRejected > 0 ? (
                  <a href={`/api/imports/${row.id}/errors.xlsx`} download>
                    错误报告
                  </a>
                ) : null,
            },
          ]}
        />
      </Card>
    </Space>
  );
}
