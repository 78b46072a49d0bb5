/**
 * The signed-in frame: a side menu on desktops, a drawer behind a menu button on phones (village
 * clerks work on phones). The menu holds only what the user's role may do; the header shows the
 * business date and that the data is a demonstration.
 */
import {
  AuditOutlined,
  BankOutlined,
  BarChartOutlined,
  BookOutlined,
  CreditCardOutlined,
  DashboardOutlined,
  LogoutOutlined,
  MenuOutlined,
  MoneyCollectOutlined,
  RollbackOutlined,
  SafetyCertificateOutlined,
  SolutionOutlined,
  TeamOutlined,
  UploadOutlined,
  UserOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import { Button, Drawer, Grid, Layout, Menu, type MenuProps, Space, Tag, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { useSession, useUser } from '../session.tsx';

interface NavItem {
  path: string;
  label: string;
  icon: ReactNode;
  /** Shown when the user holds any of these. */
  any: string[];
}

export const NAV: NavItem[] = [
  { path: '/', label: '工作台', icon: <DashboardOutlined />, any: ['dashboard.read'] },
  { path: '/collect', label: '现金收缴', icon: <MoneyCollectOutlined />, any: ['collection.cash'] },
  { path: '/people', label: '人员查询', icon: <TeamOutlined />, any: ['people.read'] },
  { path: '/debit-failures', label: '代扣失败名单', icon: <CreditCardOutlined />, any: ['people.read'] },
  {
    path: '/imports',
    label: '名单导入',
    icon: <UploadOutlined />,
    any: ['imports.registry', 'imports.department'],
  },
  { path: '/department', label: '部门名单', icon: <SolutionOutlined />, any: ['imports.department'] },
  { path: '/withholding', label: '银行代扣', icon: <BankOutlined />, any: ['withholding.manage'] },
  { path: '/tax', label: '税务确认', icon: <SafetyCertificateOutlined />, any: ['tax.manage'] },
  { path: '/subsidies', label: '资助结算', icon: <WalletOutlined />, any: ['subsidies.manage'] },
  { path: '/refunds', label: '退费', icon: <RollbackOutlined />, any: ['refunds.request', 'refunds.decide'] },
  { path: '/reports', label: '报表', icon: <BarChartOutlined />, any: ['reports.read'] },
  { path: '/policy', label: '政策', icon: <BookOutlined />, any: ['policy.read'] },
  { path: '/admin/users', label: '用户管理', icon: <UserOutlined />, any: ['users.manage'] },
  { path: '/admin/audit', label: '操作日志', icon: <AuditOutlined />, any: ['audit.read'] },
];

/** Where a user starts: the village clerk at the cash page (her daily work), others at the dashboard. */
export function homeOf(user: { role: string; permissions: string[] }): string {
  if (user.role === 'village' && user.permissions.includes('collection.cash')) return '/collect';
  const first = NAV.find((item) => item.any.some((p) => user.permissions.includes(p)));
  return first?.path ?? '/policy';
}

function selectedKey(pathname: string): string {
  if (pathname.startsWith('/receipts')) return '/collect';
  const match = NAV.filter((item) => item.path !== '/' && pathname.startsWith(item.path)).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
  return match?.path ?? '/';
}

export function AppLayout() {
  const { user, today } = useUser();
  const { can, logout } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const [drawerOpen, setDrawerOpen] = useState(false);
  // Before the first measurement every breakpoint is undefined: assume a desktop until told.
  const phone = screens.md === false;

  const items: MenuProps['items'] = NAV.filter((item) => can(...item.any)).map((item) => ({
    key: item.path,
    icon: item.icon,
    label: item.label,
  }));
  const menu = (
    <Menu
      mode="inline"
      selectedKeys={[selectedKey(location.pathname)]}
      items={items}
      data-testid="nav-menu"
      onClick={({ key }) => {
        setDrawerOpen(false);
        navigate(key);
      }}
    />
  );

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!phone && (
        <Layout.Sider
          width={200}
          theme="light"
          className="no-print"
          style={{ borderRight: '1px solid #f0f0f0' }}
        >
          <div className="brand">参保 · 医保征缴</div>
          {menu}
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header className="app-header no-print">
          <Space size="small">
            {phone && (
              <Button
                type="text"
                icon={<MenuOutlined />}
                aria-label="菜单"
                data-testid="nav-drawer-button"
                onClick={() => setDrawerOpen(true)}
              />
            )}
            {phone && <span className="brand-inline">参保</span>}
            <Tag color="gold" data-testid="demo-banner">
              演示数据
            </Tag>
            <Typography.Text type="secondary" data-testid="business-date">
              业务日期 {today}
            </Typography.Text>
          </Space>
          <Space size="small">
            {!phone && (
              <Typography.Text>
                {user.displayName}（{user.roleLabel} · {user.regionName}）
              </Typography.Text>
            )}
            <Button
              icon={<LogoutOutlined />}
              data-testid="logout-button"
              onClick={async () => {
                await logout();
                navigate('/login');
              }}
            >
              {phone ? '' : '退出'}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content className="app-content">
          <Outlet />
        </Layout.Content>
      </Layout>
      {phone && (
        <Drawer
          placement="left"
          open={drawerOpen}
          onClose={() => setDrawerOpen(false)}
          title={`${user.displayName} · ${user.regionName}`}
          size={240}
          styles={{ body: { padding: 0 } }}
        >
          {menu}
        </Drawer>
      )}
    </Layout>
  );
}
