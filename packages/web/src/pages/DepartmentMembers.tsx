/**
 * A certifying department's own people: everyone it has certified in a subsidised group, as the
 * county holds them now (a submitter sees only their department; the bureau picks one).
 */
import { Card, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { api, query } from '../api.ts';
import { useLoad } from '../components/useLoad.ts';
import { DEPARTMENT_OPTIONS } from '../departments.ts';
import { useUser } from '../session.tsx';

interface Member {
  personId: number;
  name: string;
  idNumberMasked: string;
  group: string;
  groupLabel: string;
  validFrom: string | null;
  certifiedOn: string | null;
}

interface MembersPage {
  department: string;
  departmentLabel: string;
  total: number;
  items: Member[];
}

const PAGE_SIZE = 50;

export default function DepartmentMembers() {
  const { user } = useUser();
  const own = user.role === 'department' ? user.department : null;
  const [department, setDepartment] = useState<string>(own ?? 'civil_affairs');
  const [page, setPage] = useState(1);
  const { data, loading } = useLoad(
    (signal) =>
      api.get<MembersPage>(
        `/api/department/members${query({ department: own ? undefined : department, page, pageSize: PAGE_SIZE })}`,
        { signal },
      ),
    [department, page],
  );
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {data ? `${data.departmentLabel}认定名单` : '部门认定名单'}
      </Typography.Title>
      {!own && (
        <Select
          style={{ width: 200 }}
          value={department}
          options={DEPARTMENT_OPTIONS}
          onChange={(d) => {
            setDepartment(d);
            setPage(1);
          }}
          data-testid="members-department"
        />
      )}
      <Card size="small">
        <Table<Member>
          size="small"
          rowKey={(m) => `${m.personId}-${m.group}`}
          loading={loading}
          dataSource={data?.items ?? []}
          scroll={{ x: 'max-content' }}
          data-testid="members-table"
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: data?.total ?? 0,
            showSizeChanger: false,
            showTotal: (total) => `共 ${total} 人次`,
            onChange: setPage,
          }}
          columns={[
            { title: '姓名', dataIndex: 'name' },
            { title: '证件号码', dataIndex: 'idNumberMasked' },
            { title: '人员类别', dataIndex: 'groupLabel' },
            { title: '认定日期', dataIndex: 'certifiedOn', render: (v: string | null) => v ?? '—' },
            { title: '生效日期', dataIndex: 'validFrom', render: (v: string | null) => v ?? '—' },
          ]}
        />
      </Card>
    </Space>
  );
}
