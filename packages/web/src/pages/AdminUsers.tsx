/** Accounts: who may sign in, with which role, over which region. */
import { App, Button, Card, Form, Input, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api.ts';
import { FormModal } from '../components/FormModal.tsx';
import { type Region, RegionPicker } from '../components/RegionPicker.tsx';
import { useAction, useLoad } from '../components/useLoad.ts';
import { DEPARTMENT_OPTIONS, DEPARTMENTS } from '../departments.ts';
import { dateTime } from '../format.ts';

interface UserRow {
  id: number;
  username: string;
  displayName: string;
  role: string;
  roleLabel?: string;
  regionCode: string;
  regionName?: string;
  department: string | null;
  disabled: boolean;
  lockedUntil: string | null;
  createdAt?: string;
}

interface Roles {
  roles: { code: string; label: string; scope: string; permissions: string[] }[];
  permissions: Record<string, string>;
}

/** The server's rule: at least 10 characters, not only digits. */
const PASSWORD_RULES = [
  { required: true, message: '请输入密码' },
  { min: 10, message: '密码至少 10 位' },
  { pattern: /\D/, message: '密码不能全是数字' },
];

interface NewUser {
  username: string;
  displayName: string;
  password: string;
  role: string;
  regionCode: string;
  department?: string;
}

export default function AdminUsers() {
  const { message } = App.useApp();
  const users = useLoad((signal) => api.get<UserRow[] | { items: UserRow[] }>('/api/users', { signal }), []);
  const roles = useLoad((signal) => api.get<Roles>('/api/roles', { signal }), []);
  const regions = useLoad((signal) => api.get<Region[]>('/api/regions', { signal }), []);
  const regionName = new Map((regions.data ?? []).map((r) => [r.code, r.name]));
  // Locked after repeated failed sign-ins, until the time the server set.
  const locked = (u: UserRow) => !!u.lockedUntil && new Date(u.lockedUntil).getTime() > Date.now();
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserRow>();
  const [, run] = useAction();
  const rows = Array.isArray(users.data) ? users.data : (users.data?.items ?? []);
  const roleLabel = (code: string) => roles.data?.roles.find((r) => r.code === code)?.label ?? code;

  const patchUser = async (
    user: UserRow,
    body: { disabled?: boolean; password?: string; unlock?: boolean },
    done: string,
  ) => {
    await api.patch(`/api/users/${user.id}`, body);
    message.success(done);
    users.reload();
  };
  const patch = (user: UserRow, body: { disabled?: boolean; unlock?: boolean }, done: string) =>
    run(() => patchUser(user, body, done));

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          用户管理
        </Typography.Title>
        <Button type="primary" onClick={() => setCreating(true)} data-testid="user-create-button">
          新建用户
        </Button>
      </Space>
      <Card size="small">
        <Table<UserRow>
          size="small"
          rowKey="id"
          loading={users.loading}
          dataSource={rows}
          scroll={{ x: 'max-content' }}
          data-testid="users-table"
          columns={[
            { title: '用户名', dataIndex: 'username' },
            { title: '姓名', dataIndex: 'displayName' },
            { title: '角色', dataIndex: 'role', render: (r: string, u) => u.roleLabel ?? roleLabel(r) },
            {
              title: '管辖地区',
              dataIndex: 'regionCode',
              render: (code: string, u) => u.regionName ?? regionName.get(code) ?? code,
            },
            {
              title: '部门',
              dataIndex: 'department',
              render: (d: string | null) => (d ? (DEPARTMENTS[d] ?? d) : '—'),
            },
            { title: '创建时间', dataIndex: 'createdAt', render: (v: string | undefined) => dateTime(v) },
            {
              title: '状态',
              dataIndex: 'disabled',
              render: (disabled: boolean, u) =>
                disabled ? (
                  <Tag color="red">已停用</Tag>
                ) : locked(u) ? (
                  <Tag color="orange">已锁定</Tag>
                ) : (
                  <Tag color="green">正常</Tag>
                ),
            },
            {
              title: '操作',
              key: 'actions',
              render: (_: unknown, u) => (
                <Space>
                  <Switch
                    size="small"
                    checked={!u.disabled}
                    checkedChildren="启用"
                    unCheckedChildren="停用"
                    onChange={(on) => patch(u, { disabled: !on }, on ? '已启用' : '已停用')}
                  />
                  <Button size="small" onClick={() => setResetting(u)}>
                    重置密码
                  </Button>
                  {locked(u) && (
                    <Button size="small" onClick={() => patch(u, { unlock: true }, '已解除锁定')}>
                      解除锁定
                    </Button>
                  )}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <FormModal<NewUser>
        title="新建用户"
        okText="创建"
        open={creating}
        onClose={() => setCreating(false)}
        testId="user-create-form"
        onSubmit={async (values) => {
          await api.post('/api/users', values);
          message.success('用户已创建');
          setCreating(false);
          users.reload();
        }}
      >
        <Form.Item name="username" label="用户名" rules={[{ required: true, message: '请输入用户名' }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="displayName" label="姓名" rules={[{ required: true, message: '请输入姓名' }]}>
          <Input />
        </Form.Item>
        <Form.Item name="password" label="初始密码" rules={PASSWORD_RULES}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="role" label="角色" rules={[{ required: true, message: '请选择角色' }]}>
          <Select options={(roles.data?.roles ?? []).map((r) => ({ value: r.code, label: r.label }))} />
        </Form.Item>
        <Form.Item
          name="regionCode"
          label="管辖地区（与角色的层级一致）"
          rules={[{ required: true, message: '请选择地区' }]}
        >
          <RegionPicker placeholder="选择区划（可输入名称查找）" />
        </Form.Item>
        {/* Only a department submitter speaks for a department. */}
        <Form.Item noStyle shouldUpdate={(a, b) => a.role !== b.role}>
          {({ getFieldValue }) =>
            getFieldValue('role') === 'department' && (
              <Form.Item
                name="department"
                label="认定部门"
                rules={[{ required: true, message: '请选择部门' }]}
              >
                <Select options={DEPARTMENT_OPTIONS} />
              </Form.Item>
            )
          }
        </Form.Item>
      </FormModal>
      <FormModal<{ password: string }>
        title={`重置密码：${resetting?.displayName ?? ''}`}
        open={!!resetting}
        onClose={() => setResetting(undefined)}
        onSubmit={async ({ password }) => {
          if (!resetting) return;
          await patchUser(resetting, { password }, '密码已重置');
          setResetting(undefined);
        }}
      >
        <Form.Item name="password" label="新密码" rules={PASSWORD_RULES}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </FormModal>
    </Space>
  );
}
