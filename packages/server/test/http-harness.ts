/**
 * A web world for API tests: a 蕲县镇 campaign (qixian-2022) with two households in 蕲县村 and one in
 * 邱元村, everyone enrolled and awaiting payment, a user for every role (village users for both
 * villages), and the Fastify app built over it with a fixed business date. Requests go through
 * `app.inject` — the whole pipeline (cookies, CSRF, rate limits, schemas) without a socket.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { createUser } from '../src/access/users.ts';
import { enroll } from '../src/collection/enrollments.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { type App, buildApp, CSRF_HEADER, SESSION_COOKIE } from '../src/http/app.ts';
import type { AppConfig } from '../src/http/context.ts';
import { campaignWorld, idNumber, type World } from './collection-harness.ts';

export const COUNTY = '341302';
export const TOWNSHIP = '341302900';
export const VILLAGE_1 = '341302900001'; // 蕲县村
export const VILLAGE_2 = '341302900002'; // 邱元村
export const TODAY = '2021-10-20';
export const PASSWORD = 'test-password-1';
export const GATEWAY_KEY = 'test-gateway-key';

export const ident = (birth: string, n: number) =>
  idNumber(`${COUNTY}${birth.replaceAll('-', '')}${String(n).padStart(3, '0')}`);

export const PEOPLE = {
  zhang: ident('1970-03-01', 11), // Q1 head, 蕲县村, 低保 from the department list
  li: ident('1972-05-02', 22), // Q1 spouse, ordinary
  wang: ident('1980-07-03', 31), // Q2 head, 蕲县村, ordinary
  zhao: ident('1990-01-04', 41), // R1 head, 邱元村, ordinary
} as const;

export const USERS = {
  admin: { role: 'admin', regionCode: COUNTY },
  bureau: { role: 'bureau', regionCode: COUNTY },
  tax: { role: 'tax', regionCode: COUNTY },
  finance: { role: 'finance', regionCode: COUNTY },
  minzheng: { role: 'department', regionCode: COUNTY, department: 'civil_affairs' },
  township: { role: 'township', regionCode: TOWNSHIP },
  village1: { role: 'village', regionCode: VILLAGE_1 },
  village2: { role: 'village', regionCode: VILLAGE_2 },
  bank: { role: 'bank', regionCode: COUNTY },
} as const;

export type UserName = keyof typeof USERS;

export interface Session {
  readonly cookie: string;
  readonly csrf: string;
}

export interface WebWorld {
  readonly world: World;
  readonly app: App;
  readonly config: AppConfig;
  login(user: UserName, password?: string): Promise<Session>;
  /** A request as `session` (with its CSRF token on writes), or anonymous. */
  call(
    session: Session | null,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
  ): Promise<LightMyRequestResponse>;
  personId(doc: string): Promise<number>;
  householdId(number: string): Promise<number>;
  close(): Promise<void>;
}

export async function webWorld(handle: DatabaseHandle, options: Partial<AppConfig> = {}): Promise<WebWorld> {
  const world = await campaignWorld(handle, 'qixian-2022', COUNTY, '2021-09-01');
  await world.importKind('population', [
    '姓名,公民身份号码,户号,与户主关系,村（社区）',
    `张三,${PEOPLE.zhang},Q1,户主,蕲县村`,
    `李四,${PEOPLE.li},Q1,配偶,蕲县村`,
    `王五,${PEOPLE.wang},Q2,户主,蕲县村`,
    `赵六,${PEOPLE.zhao},R1,户主,邱元村`,
  ]);
  for (const doc of Object.values(PEOPLE)) {
    await enroll(world.ctx('2021-09-01', 'bureau'), { personId: await world.personId(doc), source: 'new' });
  }
  const now = `${TODAY}T04:00:00.000Z`;
  for (const [username, u] of Object.entries(USERS)) {
    await createUser(handle.db, { username, displayName: username, password: PASSWORD, ...u }, now);
  }
  const config: AppConfig = {
    db: handle.db,
    dialect: handle.dialect,
    filesDir: mkdtempSync(join(tmpdir(), 'canbao-web-')),
    clock: { today: () => TODAY, now: () => new Date().toISOString() },
    gatewayKey: GATEWAY_KEY,
    gatewaySimulator: true,
    webRoot: null,
    secureCookies: false,
    rateLimitPerMinute: 100_000,
    strictRateLimitPerMinute: 100_000,
    ...options,
  };
  const app = await buildApp(config);
  const call: WebWorld['call'] = (session, method, url, payload) =>
    app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      headers: session
        ? {
            cookie: `${SESSION_COOKIE}=${session.cookie}`,
            ...(method === 'GET' ? {} : { [CSRF_HEADER]: session.csrf }),
          }
        : {},
    });
  return {
    world,
    app,
    config,
    call,
    async login(user, password = PASSWORD) {
      const response = await call(null, 'POST', '/api/session', { username: user, password });
      if (response.statusCode !== 200)
        throw new Error(`login ${user}: ${response.statusCode} ${response.body}`);
      const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE)?.value as string;
      return { cookie, csrf: response.json().csrfToken };
    },
    personId: (doc) => world.personId(doc),
    async householdId(number) {
      const row = await handle.db
        .selectFrom('households')
        .select('id')
        .where('number', '=', number)
        .executeTakeFirstOrThrow();
      return row.id;
    },
    close: () => app.close(),
  };
}
