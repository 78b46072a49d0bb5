/**
 * One report, rendered from the tables the server describes (headers, rows, notes): the same tables
 * the .xlsx export holds, so what is on screen is what is sent to the city.
 */
import { DownloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, DatePicker, Empty, Space, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, query } from '../api.ts';
import { RegionPicker } from '../components/RegionPicker.tsx';
import { useLoad } from '../components/useLoad.ts';
import { useUser } from '../session.tsx';

type Cell = string | number | null;

interface ReportTable {
  name: string;
  title: string;
  columns: { header: string; width?: number }[];
  rows: Cell[][];
  notes?: string[];
}

interface ReportAnswer {
  meta: { regionCode: string; regionName: string; asOf: string; title?: string; [key: string]: unknown };
  data: unknown;
  tables: ReportTable[];
}

/**
 * A cell as text. The server sends yuan and percentages as numbers (so the .xlsx can add them up);
 * on screen they take two decimals like every other amount here ("94.40", "87,750.00"), where
 * String() would give "94.4" beside "85.47" and "1234.5" without separators.
 */
function cellText(value: Cell, header = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'number') return value;
  const fixed = /元|%/.test(header) ? 2 : Number.isInteger(value) ? 0 : undefined;
  return value.toLocaleString(
    'zh-CN',
    fixed === undefined ? {} : { minimumFractionDigits: fixed, maximumFractionDigits: fixed },
  );
}

function ReportTableView({ table, testId }: { table: ReportTable; testId: string }) {
  return (
    <Card size="small" title={table.title}>
      <Table<{ key: number; cells: Cell[] }>
        size="small"
        bordered
        data-testid={testId}
        dataSource={table.rows.map((cells, key) => ({ key, cells }))}
        scroll={{ x: 'max-content' }}
        pagination={table.rows.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
        columns={table.columns.map((c, i) => ({
          title: c.header,
          key: String(i),
          // Spreadsheet widths do not carry over to the screen; short columns stay on one line,
          // long text columns (notes, problems) wrap.
          onCell: () => ({ style: { whiteSpace: (c.width ?? 0) > 30 ? 'normal' : 'nowrap' } }),
          onHeaderCell: () => ({ style: { whiteSpace: 'nowrap' } }),
          align: table.rows.some((r) => typeof r[i] === 'number') ? ('right' as const) : undefined,
          render: (_: unknown, row: { cells: Cell[] }) => cellText(row.cells[i] ?? null, c.header),
        }))}
      />
      {table.notes?.map((note) => (
        <Typography.Paragraph key={note} type="secondary" style={{ margin: '8px 0 0' }}>
          {note}
        </Typography.Paragraph>
      ))}
    </Card>
  );
}

export default function ReportView() {
  const { name = '' } = useParams();
  const { today } = useUser();
  const [region, setRegion] = useState<string>();
  const [asOf, setAsOf] = useState<Dayjs>(dayjs(today));
  const params = query({ region, asOf: asOf.format('YYYY-MM-DD') });
  const { data, loading, error } = useLoad(
    (signal) => api.get<ReportAnswer>(`/api/reports/${encodeURIComponent(name)}${params}`, { signal }),
    [name, params],
  );

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {data?.meta.title ?? data?.tables[0]?.title ?? '报表'}
      </Typography.Title>
      <Space wrap>
        <RegionPicker value={region} onChange={setRegion} testId="report-region" />
        <DatePicker
          value={asOf}
          onChange={(d) => d && setAsOf(d)}
          allowClear={false}
          data-testid="report-date"
        />
        <Button
          type="primary"
          icon={<DownloadOutlined />}
          href={`/api/reports/${encodeURIComponent(name)}/xlsx${params}`}
          data-testid="report-export"
        >
          导出 Excel
        </Button>
      </Space>
      {data && (
        <Typography.Text type="secondary">
          {data.meta.regionName} · 截至 {data.meta.asOf}
        </Typography.Text>
      )}
      {error && <Alert type="error" showIcon title={error.message} />}
      {loading && !data ? (
        <Card loading />
      ) : data && data.tables.length === 0 ? (
        <Empty description="没有数据" />
      ) : (
        data?.tables.map((t, i) => <ReportTableView key={t.name} table={t} testId={`report-table-${i}`} />)
      )}
    </Space>
  );
}
