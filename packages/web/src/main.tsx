import 'dayjs/locale/zh-cn';
import './styles.css';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AppRoutes } from './App.tsx';
import { SessionProvider } from './session.tsx';

dayjs.locale('zh-cn');

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');

createRoot(root).render(
  <StrictMode>
    <ConfigProvider locale={zhCN} theme={{ token: { colorPrimary: '#0b6bcb' } }}>
      <AntApp>
        <SessionProvider>
          <AppRoutes />
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  </StrictMode>,
);
