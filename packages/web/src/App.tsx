/**
 * Routes. Every page is its own lazily loaded chunk, so a village clerk's phone downloads the cash
 * page, not the charts and admin screens. The resident pages and the login need no session.
 */
import { Result, Spin } from 'antd';
import { lazy, type ReactNode, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { AppLayout, homeOf } from './components/AppLayout.tsx';
import { useSession } from './session.tsx';

const Login = lazy(() => import('./pages/Login.tsx'));
const Dashboard = lazy(() => import('./pages/Dashboard.tsx'));
const People = lazy(() => import('./pages/People.tsx'));
const PersonDetail = lazy(() => import('./pages/PersonDetail.tsx'));
const Collect = lazy(() => import('./pages/Collect.tsx'));
const Receipt = lazy(() => import('./pages/Receipt.tsx'));
const Imports = lazy(() => import('./pages/Imports.tsx'));
const Lists = lazy(() => import('./pages/Lists.tsx'));
const DebitFailures = lazy(() => import('./pages/DebitFailures.tsx'));
const DepartmentMembers = lazy(() => import('./pages/DepartmentMembers.tsx'));
const Refunds = lazy(() => import('./pages/Refunds.tsx'));
const Reports = lazy(() => import('./pages/Reports.tsx'));
const ReportView = lazy(() => import('./pages/ReportView.tsx'));
const Policy = lazy(() => import('./pages/Policy.tsx'));
const Resident = lazy(() => import('./pages/Resident.tsx'));
const ResidentPay = lazy(() => import('./pages/ResidentPay.tsx'));
const AdminUsers = lazy(() => import('./pages/AdminUsers.tsx'));
const AdminAudit = lazy(() => import('./pages/AdminAudit.tsx'));

const loading = (
  <div className="page-loading">
    <Spin />
  </div>
);

/** Signed-in pages: the login page first if there is no session, then only what the role allows. */
function Guard({ any, children }: { any?: string[]; children: ReactNode }) {
  const { session, can } = useSession();
  const location = useLocation();
  if (session === undefined) return loading;
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (any && !can(...any)) {
    return <Result status="403" title="无权访问" subTitle="您的角色不能使用此页面，请联系管理员。" />;
  }
  return <>{children}</>;
}

/**
 * "/" is the dashboard for everyone who may read it (the village clerk reaches it from the menu;
 * signing in takes her to the cash page instead); others go to their first page.
 */
function Home() {
  const { session, can } = useSession();
  if (!session) return null;
  if (!can('dashboard.read')) return <Navigate to={homeOf(session.user)} replace />;
  return <Dashboard />;
}

/** The signed-in pages and the permissions that open them (any one of the list). */
const PAGES: { path: string; any: string[]; element: ReactNode }[] = [
  { path: '/people', any: ['people.read'], element: <People /> },
  { path: '/people/:id', any: ['people.read'], element: <PersonDetail /> },
  { path: '/collect', any: ['collection.cash'], element: <Collect /> },
  { path: '/receipts/:orderId', any: ['collection.cash', 'people.read'], element: <Receipt /> },
  { path: '/imports', any: ['imports.registry', 'imports.department'], element: <Imports /> },
  { path: '/department', any: ['imports.department'], element: <DepartmentMembers /> },
  { path: '/withholding', any: ['withholding.manage'], element: <Lists kind="withholding" /> },
  { path: '/debit-failures', any: ['people.read'], element: <DebitFailures /> },
  { path: '/tax', any: ['tax.manage'], element: <Lists kind="tax" /> },
  { path: '/subsidies', any: ['subsidies.manage'], element: <Lists kind="subsidies" /> },
  { path: '/refunds', any: ['refunds.request', 'refunds.decide'], element: <Refunds /> },
  { path: '/reports', any: ['reports.read'], element: <Reports /> },
  { path: '/reports/:name', any: ['reports.read'], element: <ReportView /> },
  { path: '/policy', any: ['policy.read'], element: <Policy /> },
  { path: '/admin/users', any: ['users.manage'], element: <AdminUsers /> },
  { path: '/admin/audit', any: ['audit.read'], element: <AdminAudit /> },
];

export function AppRoutes() {
  return (
    <BrowserRouter>
      <Suspense fallback={loading}>
        <Routes>
          <Route path="/login" element={<Login />} />
          <Route path="/resident" element={<Resident />} />
          <Route path="/resident/pay/:checkoutId" element={<ResidentPay />} />
          <Route
            element={
              <Guard>
                <AppLayout />
              </Guard>
            }
          >
            <Route index element={<Home />} />
            {PAGES.map((page) => (
              <Route
                key={page.path}
                path={page.path}
                element={<Guard any={page.any}>{page.element}</Guard>}
              />
            ))}
            <Route path="*" element={<Result status="404" title="页面不存在" />} />
          </Route>
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}
