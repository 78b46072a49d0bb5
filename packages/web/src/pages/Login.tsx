import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { homeOf } from '../components/AppLayout.tsx';
import { useSession } from '../session.tsx';

export default function Login() {
  const { session, login } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const from = (location.state as { from?: string } | null)?.from;

  if (session) return <Navigate to={from && from !== '/login' ? from : homeOf(session.user)} replace />;

  return (
    <div className="login-page">
      <Card className="login-card" title="城乡居民医保参保缴费系统">
        <Form
          layout="vertical"
          data-testid="login-form"
          onFinish={async (values: { username: string; password: string }) => {
            setBusy(true);
            setError(undefined);
            try {
              const answer = await login(values.username.trim(), values.password);
              navigate(from && from !== '/login' ? from : homeOf(answer.user), { replace: true });
            } catch (err) {
              setError((err as Error).message);
            } finally {
              setBusy(false);
            }
          }}
        >
          {error && (
            <Alert
              type="error"
              showIcon
              title={error}
              style={{ marginBottom: 16 }}
              data-testid="login-error"
            />
          )}
          <Form.Item name="username" label="用户名" rules={[{ required: true, message: '请输入用户名' }]}>
            <Input
              prefix={<UserOutlined />}
              autoComplete="username"
              data-testid="login-username"
              size="large"
            />
          </Form.Item>
          <Form.Item name="password" label="密码" rules={[{ required: true, message: '请输入密码' }]}>
            <Input.Password
              prefix={<LockOutlined />}
              autoComplete="current-password"
              data-testid="login-password"
              size="large"
            />
          </Form.Item>
          <Button
            type="primary"
            htmlType="submit"
            block
            size="large"
            loading={busy}
            data-testid="login-submit"
          >
            登录
          </Button>
        </Form>
        <div style={{ marginTop: 16, display: 'flex', justifyContent: 'space-between' }}>
          <Link to="/resident" data-testid="resident-link">
            居民缴费查询
          </Link>
          <Typography.Text type="secondary">演示数据</Typography.Text>
        </div>
      </Card>
    </div>
  );
}
