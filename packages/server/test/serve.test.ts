/**
 * `canbao serve` on a database the demo was loaded into beforehand (`canbao demo load`): the demo's
 * accounts and its business date, as on a first start that loads the demo itself.
 */
import { afterEach, expect, it } from 'vitest';
import { loadDemoCounty } from '../src/demo/load.ts';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, type Running, startServer } from '../src/http/server.ts';
import { describeEachEngine } from './db-harness.ts';

describeEachEngine('canbao serve after canbao demo load', (engine) => {
  let running: Running | undefined;
  const saved = { ...process.env };
  afterEach(async () => {
    await running?.close();
    running = undefined;
    process.env = { ...saved };
  });

  it('signs in with the demo accounts and runs on the demo date', async () => {
    const handle = await engine.open();
    await loadDemoCounty(handle, { people: 60, today: '2021-10-20' });
    await handle.close();
    const location = engine.lastLocation();
    if (location.url) process.env.DATABASE_URL = location.url;
    else {
      delete process.env.DATABASE_URL;
      process.env.CANBAO_DATA = location.dataDir as string;
    }
    delete process.env.CANBAO_TODAY;
    const lines: string[] = [];
    running = await startServer({
      port: 0,
      host: '127.0.0.1',
      demo: true,
      buildWeb: false,
      log: (line) => lines.push(line),
    });
    expect(running.demo).toBeNull(); // loaded already, not again
    expect(lines.join('\n')).toContain('业务日期 2021-10-20（演示数据）');
    expect(lines.join('\n')).not.toContain('初始密码');
    const signIn = await fetch(`${running.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'cun01', password: DEMO_PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    const users = await running.handle.db
      .selectFrom('users')
      .select('username')
      .orderBy('username')
      .execute();
    expect(users.map((u) => u.username)).toEqual(DEMO_ACCOUNTS.map((a) => a.username).sort());
  });
});
