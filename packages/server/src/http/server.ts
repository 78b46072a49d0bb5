/**
 * `canbao serve` (what `npm start` runs): opens the database (migrating the embedded one), loads the
 * demo county on the first start of an empty database, builds the web application when its build
 * is missing or older than its sources, and listens. The business date is CANBAO_TODAY, else the
 * demo database's own date, else today in Asia/Shanghai.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUser } from '../access/users.ts';
import { businessClock, demoToday, fixedBusinessDate } from '../business-date.ts';
import { campaignCounties } from '../collection/campaign.ts';
import { type DatabaseHandle, openDatabase } from '../db/open.ts';
import { DEMO_COUNTY, type DemoSummary, loadDemoCounty } from '../demo/load.ts';
import { type App, buildApp } from './app.ts';

/** The demo accounts' password: a demo database holds synthetic people only. */
export const DEMO_PASSWORD = 'canbao2021';

export const DEMO_ACCOUNTS = [
  { username: 'admin', displayName: '系统管理员', role: 'admin', regionCode: DEMO_COUNTY },
  { username: 'yibao', displayName: '医保局 王科长', role: 'bureau', regionCode: DEMO_COUNTY },
  { username: 'shuiwu', displayName: '税务局 李主任', role: 'tax', regionCode: DEMO_COUNTY },
  { username: 'caizheng', displayName: '财政局 赵会计', role: 'finance', regionCode: DEMO_COUNTY },
  {
    username: 'minzheng',
    displayName: '民政局 孙科员',
    role: 'department',
    regionCode: DEMO_COUNTY,
    department: 'civil_affairs',
  },
  {
    username: 'xiangcun',
    displayName: '乡村振兴局 周科员',
    role: 'department',
    regionCode: DEMO_COUNTY,
    department: 'rural_revitalisation',
  },
  {
    username: 'qixianzhen',
    displayName: '蕲县镇 社保所 陈所长',
    role: 'township',
    regionCode: `${DEMO_COUNTY}900`,
  },
  {
    username: 'cun01',
    displayName: '蕲县村 代收员 刘会计',
    role: 'village',
    regionCode: `${DEMO_COUNTY}900001`,
  },
  {
    username: 'cun02',
    displayName: '邱元村 代收员 吴会计',
    role: 'village',
    regionCode: `${DEMO_COUNTY}900002`,
  },
  { username: 'yinhang', displayName: '农商银行 代扣专员', role: 'bank', regionCode: DEMO_COUNTY },
] as const;

export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  /** Load the demo county into an empty database (default true). */
  readonly demo: boolean;
  /** Build the web application when missing or stale (default true). */
  readonly buildWeb: boolean;
  readonly log: (line: string) => void;
  readonly logger?: boolean;
}

export interface Running {
  readonly app: App;
  readonly url: string;
  readonly handle: DatabaseHandle;
  readonly demo: DemoSummary | null;
  close(): Promise<void>;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds packages/web when its dist is missing or older than its sources (a fresh clone, a pull). */
export async function ensureWebBuilt(log: (line: string) => void): Promise<string | null> {
  const dist = join(WEB_DIR, 'dist');
  const index = join(dist, 'index.html');
  const sources = join(WEB_DIR, 'src');
  if (!existsSync(sources)) return null;
  const stale = !existsSync(index) || statSync(index).mtimeMs < newestMtime(sources);
  if (stale) {
    log('正在构建网页界面（首次启动需要约半分钟）…');
    const { build } = await import('vite');
    await build({ root: WEB_DIR, logLevel: 'warn' });
  }
  return dist;
}

export async function startServer(options: ServeOptions): Promise<Running> {
  const handle = await openDatabase();
  try {
    const db = handle.db;
    let demo: DemoSummary | null = null;
    const users = await db.selectFrom('users').select('id').limit(1).execute();
    const people = await db.selectFrom('people').select('id').limit(1).execute();
    const now = new Date().toISOString();
    if (users.length === 0 && people.length === 0 && options.demo) {
      options.log('首次启动：正在载入演示数据（埇桥区蕲县镇，合成人员）…');
      let shown = -1;
      demo = await loadDemoCounty(handle, {
        onProgress: (done, total) => {
          const percent = Math.floor((done * 100) / total);
          if (percent >= shown + 20) {
            shown = percent;
            options.log(`  ${percent}%`);
          }
        },
      });
      options.log(
        `演示数据已载入：${demo.people} 人，${demo.households} 户，已缴费 ${demo.paid} 人（用时 ${(demo.elapsedMs / 1000).toFixed(1)} 秒）`,
      );
    }
    const isDemo = (await demoToday(db)) !== null;
    if (users.length === 0 && isDemo) {
      // A demo county (loaded just now, or by `canbao demo load`): its accounts, one password.
      for (const account of DEMO_ACCOUNTS) await createUser(db, { ...account, password: DEMO_PASSWORD }, now);
    } else if (users.length === 0) {
      // Real data and no user yet: one administrator with a one-time password, printed once.
      const counties = await campaignCounties(db);
      const county =
        counties[0] ??
        (await db.selectFrom('people').select('county_code').limit(1).executeTakeFirst())?.county_code;
      if (county) {
        const password = randomBytes(9).toString('base64url');
        await createUser(
          db,
          { username: 'admin', displayName: '系统管理员', role: 'admin', regionCode: county, password },
          now,
        );
        options.log(`已创建管理员账号 admin，初始密码 ${password}（请登录后在“用户管理”中修改）`);
      }
    }
    const fixed = await fixedBusinessDate(db);
    const webRoot = options.buildWeb ? await ensureWebBuilt(options.log) : join(WEB_DIR, 'dist');
    const dataDir = resolve(process.env.CANBAO_DATA ?? './data');
    const app = await buildApp({
      db,
      dialect: handle.dialect,
      filesDir: join(dataDir, 'files'),
      clock: businessClock(fixed),
      gatewayKey: process.env.CANBAO_GATEWAY_KEY ?? 'canbao-development-gateway-key',
      // The simulator only stands in for a gateway there is none of (the development key).
      gatewaySimulator: process.env.CANBAO_GATEWAY_KEY === undefined,
      webRoot,
      secureCookies: process.env.CANBAO_SECURE_COOKIES === '1',
      trustProxy: process.env.CANBAO_TRUST_PROXY === '1',
      logger: options.logger ?? false,
    });
    await app.listen({ port: options.port, host: options.host });
    // The port actually bound (port 0 asks the system for a free one: tests).
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const url = `http://${options.host === '0.0.0.0' ? 'localhost' : options.host}:${port}`;
    options.log('');
    options.log(`canbao 已启动：${url}`);
    options.log(
      `数据：${handle.location}${fixed ? `；业务日期 ${fixed}${isDemo ? '（演示数据）' : ''}` : ''}`,
    );
    options.log(`接口文档：${url}/api/docs`);
    if (isDemo) {
      options.log(`演示账号（密码均为 ${DEMO_PASSWORD}）：`);
      for (const a of DEMO_ACCOUNTS) options.log(`  ${a.username.padEnd(11)} ${a.displayName}`);
      options.log('  居民自助缴费：登录页“居民缴费查询”，无需账号');
    }
    return {
      app,
      url,
      handle,
      demo,
      close: async () => {
        await app.close();
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
