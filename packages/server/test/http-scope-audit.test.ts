/**
 * The scope audit of docs/ACCESS.md, by real requests: what a user of another village, a lower
 * level or no session at all can read or change through each route. Each hole the audit found has
 * a test here that failed before its fix (a newborn form enrolling and naming another village's
 * person, a receipt number answering with another village's payment, the gateway simulator paying
 * beside a real gateway); the rest pins the rules every route keeps (CSRF on every write, sessions
 * ended by disabling or a new password, identity numbers masked, region parameters that cannot
 * widen a list or an export).
 */
import { afterEach, expect, it } from 'vitest';
import { can } from '../src/access/roles.ts';
import { createUser } from '../src/access/users.ts';
import type { AppConfig } from '../src/http/context.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import {
  COUNTY,
  ident,
  PEOPLE,
  type Session,
  TODAY,
  TOWNSHIP,
  USERS,
  type UserName,
  VILLAGE_1,
  VILLAGE_2,
  type WebWorld,
  webWorld,
} from './http-harness.ts';

/** Someone registered in 蕲县村 (village 1) and not enrolled yet. */
const SUN = { name: '孙七', doc: ident('1985-06-07', 51) };

describeEachEngine('scope audit of the web API', (engine) => {
  const fresh = useFreshDatabases(engine);
  let web: WebWorld | null = null;
  afterEach(async () => {
    await web?.close();
    web = null;
  });
  const open = async (options: Partial<AppConfig> = {}) => {
    web = await webWorld(await fresh(), options);
    return web;
  };
  const count = async (w: WebWorld, table: 'enrollments' | 'audit_log' | 'payments' | 'sessions') =>
    Number(
      (
        await w.config.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const payHousehold = async (w: WebWorld, clerk: Session, household: number, receiptNo: string) => {
    const due = (await w.call(clerk, 'GET', `/api/households/${household}/due`)).json();
    return w.call(clerk, 'POST', `/api/households/${household}/cash-payments`, {
      enrollmentIds: due.members.map((m: { enrollmentId: number }) => m.enrollmentId),
      amountFen: due.totalDueFen,
      receiptNo,
    });
  };

  /** A user the harness does not make (another township's, another county's). */
  const addUser = (w: WebWorld, username: string, role: string, regionCode: string) =>
    createUser(
      w.config.db,
      { username, displayName: username, password: 'test-password-1', role, regionCode },
      `${TODAY}T04:00:00.000Z`,
    );
  /** Q1 (village 1) paid in cash by its clerk, and a refund of its first member asked by the bureau. */
  const paidAndRefunded = async (w: WebWorld) => {
    const clerk = await w.login('village1');
    const q1 = await w.householdId('Q1');
    const due = (await w.call(clerk, 'GET', `/api/households/${q1}/due`)).json();
    const enrollmentIds: number[] = due.members.map((m: { enrollmentId: number }) => m.enrollmentId);
    const paid = await w.call(clerk, 'POST', `/api/households/${q1}/cash-payments`, {
      enrollmentIds,
      amountFen: due.totalDueFen,
      receiptNo: 'Q1-1',
    });
    expect(paid.statusCode).toBe(200);
    const refund = await w.call(await w.login('bureau'), 'POST', '/api/refunds', {
      enrollmentId: enrollmentIds[0],
      reason: 'duplicate',
    });
    expect(refund.statusCode).toBe(200);
    return {
      q1,
      due,
      enrollmentIds,
      orderId: paid.json().orderId as number,
      refundId: refund.json().id as number,
    };
  };

  it("refuses a newborn form naming another household's person: no name told, nobody enrolled", async () => {
    const w = await open();
    await w.world.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系,村（社区）',
      `${SUN.name},${SUN.doc},Q3,户主,蕲县村`,
    ]);
    const clerk2 = await w.login('village2');
    const r1 = await w.householdId('R1');
    const enrollments = await count(w, 'enrollments');
    const audits = await count(w, 'audit_log');

    // A wrong name used to answer with the registered one: a look-up of anyone in the county.
    const guess = await w.call(clerk2, 'POST', `/api/households/${r1}/newborns`, {
      name: '某某',
      idNumber: PEOPLE.zhang,
    });
    expect(guess.statusCode).toBe(422);
    expect(guess.json().message).toContain('证件号码');
    expect(guess.body).not.toContain('张三');
    expect(guess.body).not.toContain('蕲县');

    // The right name used to enroll the other village's person through this household's form.
    const enroll = await w.call(clerk2, 'POST', `/api/households/${r1}/newborns`, {
      name: SUN.name,
      idNumber: SUN.doc,
    });
    expect(enroll.statusCode).toBe(422);
    expect(enroll.body).not.toContain('personId');
    // The same answer whether or not the name was right: nothing confirms it.
    expect(enroll.json().message).toBe(
      (
        await w.call(clerk2, 'POST', `/api/households/${r1}/newborns`, { name: '某某', idNumber: SUN.doc })
      ).json().message,
    );
    expect(await count(w, 'enrollments')).toBe(enrollments);
    expect(await count(w, 'audit_log')).toBe(audits);

    // Within the household the form still takes a member already registered (the name must match).
    const clerk1 = await w.login('village1');
    const own = await w.call(clerk1, 'POST', `/api/households/${await w.householdId('Q3')}/newborns`, {
      name: SUN.name,
      idNumber: SUN.doc,
    });
    expect(own.statusCode).toBe(200);
    expect(own.json().personId).toBe(await w.personId(SUN.doc));
  });

  it("answers another collector's receipt number without that payment's date or amount", async () => {
    const w = await open();
    const clerk1 = await w.login('village1');
    const clerk2 = await w.login('village2');
    const q2 = await w.householdId('Q2');
    const due = (await w.call(clerk1, 'GET', `/api/households/${q2}/due`)).json();
    const first = {
      enrollmentIds: due.members.map((m: { enrollmentId: number }) => m.enrollmentId),
      amountFen: due.totalDueFen,
      receiptNo: 'M-1',
    };
    const paid = await w.call(clerk1, 'POST', `/api/households/${q2}/cash-payments`, first);
    expect(paid.statusCode).toBe(200);
    const payments = await count(w, 'payments');

    const reused = await payHousehold(w, clerk2, await w.householdId('R1'), 'M-1');
    expect(reused.statusCode).toBe(409);
    expect(reused.json().message).toContain('收据号 M-1 已被使用');
    expect(reused.body).not.toContain('320');
    expect(reused.body).not.toContain('2021-10-20');
    expect(await count(w, 'payments')).toBe(payments);

    // The collector's own receipt number again with other people: the service's full answer.
    const own = await payHousehold(w, clerk1, await w.householdId('Q1'), 'M-1');
    expect(own.statusCode).toBe(409);
    expect(own.json().message).toContain('320.00');
    // And the same request again is still the replay it was.
    const replay = await w.call(clerk1, 'POST', `/api/households/${q2}/cash-payments`, first);
    expect(replay.json()).toMatchObject({ replayed: true, orderId: paid.json().orderId });
  });

  it('keeps the gateway simulator off unless asked for: no payment without a gateway', async () => {
    const w = await open({ gatewaySimulator: undefined });
    const checkout = (
      await w.call(null, 'POST', '/api/resident/checkout', { name: '赵六', idNumber: PEOPLE.zhao })
    ).json();
    expect(checkout.amountFen).toBe(32_000);
    const payments = await count(w, 'payments');
    const paid = await w.call(null, 'POST', '/api/gateway/simulator/pay', {
      checkoutId: checkout.checkoutId,
    });
    expect(paid.statusCode).toBe(404);
    expect(await count(w, 'payments')).toBe(payments);
    const after = (
      await w.call(null, 'POST', '/api/resident/lookup', { name: '赵六', idNumber: PEOPLE.zhao })
    ).json();
    expect(after.status).toBe('awaiting_payment');
  });

  it('refuses every write without the session CSRF token, or with another session’s', async () => {
    const w = await open();
    const bureau = await w.login('bureau');
    const clerk = await w.login('village1');
    const doc = (await w.call(null, 'GET', '/api/docs/json')).json();
    const writes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) =>
        Object.keys(methods)
          .map((m) => m.toUpperCase())
          .filter(
            (m) => m !== 'GET' && m !== 'HEAD' && path.startsWith('/api/') && !path.startsWith('/api/docs'),
          )
          .map((m) => [m as 'POST' | 'PATCH' | 'DELETE', path.replace(/\{\w+\}/g, '1')] as const),
    );
    expect(writes.length).toBeGreaterThan(20);
    const audits = await count(w, 'audit_log');
    for (const [method, url] of writes) {
      for (const csrf of [undefined, clerk.csrf]) {
        const response = await w.app.inject({
          method,
          url,
          payload: {},
          headers: { cookie: `canbao_sid=${bureau.cookie}`, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
        });
        expect([method, url, response.statusCode, response.json().code]).toEqual([method, url, 403, 'csrf']);
      }
    }
    expect(await count(w, 'audit_log')).toBe(audits);
    // The session itself survives: the token was wrong, not the session.
    expect((await w.call(bureau, 'GET', '/api/session')).statusCode).toBe(200);
  });

  it('ends the sessions of a disabled user and of a user given a new password, and only theirs', async () => {
    const w = await open();
    const admin = await w.login('admin');
    const users = (await w.call(admin, 'GET', '/api/users')).json() as { id: number; username: string }[];
    const idOf = (name: string) => users.find((u) => u.username === name)?.id as number;

    const clerk = await w.login('village1');
    const clerkOtherBrowser = await w.login('village1');
    const township = await w.login('township');
    const disabled = await w.call(admin, 'PATCH', `/api/users/${idOf('village1')}`, { disabled: true });
    expect(disabled.statusCode).toBe(200);
    for (const s of [clerk, clerkOtherBrowser]) {
      expect((await w.call(s, 'GET', '/api/people')).statusCode).toBe(401);
      expect(
        (await w.call(s, 'POST', `/api/people/${await w.personId(PEOPLE.zhang)}/reveal`)).statusCode,
      ).toBe(401);
    }
    expect((await w.call(township, 'GET', '/api/people')).statusCode).toBe(200);
    expect(
      (await w.call(null, 'POST', '/api/session', { username: 'village1', password: 'test-password-1' }))
        .statusCode,
    ).toBe(403);

    const before = await w.login('township');
    const changed = await w.call(admin, 'PATCH', `/api/users/${idOf('township')}`, {
      password: 'a-new-password-2',
    });
    expect(changed.statusCode).toBe(200);
    for (const s of [township, before]) expect((await w.call(s, 'GET', '/api/session')).statusCode).toBe(401);
    expect((await w.call(admin, 'GET', '/api/session')).statusCode).toBe(200);
    const again = await w.login('township', 'a-new-password-2');
    expect((await w.call(again, 'GET', '/api/people')).statusCode).toBe(200);
    // An admin changes users of the own county only: another county's id does not exist for them.
    expect((await w.call(admin, 'PATCH', '/api/users/999999', { disabled: true })).statusCode).toBe(404);
  });

  it('answers no GET route of any role with a whole identity number; the reveal alone, and audited', async () => {
    const w = await open();
    const sessions = new Map<UserName, Session>();
    for (const name of Object.keys(USERS) as UserName[]) sessions.set(name, await w.login(name));
    const clerk = sessions.get('village1') as Session;
    const paid = await payHousehold(w, clerk, await w.householdId('Q1'), 'M-9');
    const person = await w.personId(PEOPLE.zhang);
    const household = await w.householdId('Q1');
    const doc = (await w.call(null, 'GET', '/api/docs/json')).json();
    const reads = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(
        ([path, methods]) => 'get' in methods && path.startsWith('/api/') && !path.startsWith('/api/docs'),
      )
      .map(([path]) =>
        path
          .replace('{id}', String(path.includes('/households/') ? household : person))
          .replace('{orderId}', String(paid.json().orderId))
          .replace('{name}', 'progress')
          .replace('{batchNo}', 'NO-SUCH-BATCH'),
      );
    let answered = 0;
    for (const [name, session] of sessions) {
      for (const url of reads) {
        const response = await w.call(session, 'GET', url);
        if (response.statusCode === 200) answered++;
        for (const id of Object.values(PEOPLE)) {
          expect([name, url, response.body.includes(id)]).toEqual([name, url, false]);
        }
      }
    }
    expect(answered).toBeGreaterThan(30);
    const audits = await count(w, 'audit_log');
    const revealed = await w.call(clerk, 'POST', `/api/people/${person}/reveal`);
    expect(revealed.json().idNumber).toBe(PEOPLE.zhang);
    expect(await count(w, 'audit_log')).toBe(audits + 1);
    // The administrator reads people but may not reveal them.
    expect(
      (await w.call(sessions.get('admin') as Session, 'POST', `/api/people/${person}/reveal`)).statusCode,
    ).toBe(403);
    // The audit log itself keeps the number masked.
    const log = await w.call(sessions.get('admin') as Session, 'GET', '/api/audit');
    expect(log.statusCode).toBe(200);
    for (const id of Object.values(PEOPLE)) expect(log.body).not.toContain(id);
  });

  it('lets no region parameter widen a list, a report or its .xlsx beyond the user', async () => {
    const w = await open();
    const clerk2 = await w.login('village2');
    const township = await w.login('township');
    const outside: [Session, string][] = [
      [clerk2, VILLAGE_1],
      [clerk2, TOWNSHIP],
      [clerk2, COUNTY],
      [township, COUNTY],
      [township, '341302901'],
      [township, '341303'],
    ];
    for (const [session, region] of outside) {
      for (const url of [
        `/api/reports/progress?region=${region}`,
        `/api/reports/progress/xlsx?region=${region}`,
        `/api/reports/subsidies/xlsx?region=${region}`,
        `/api/dashboard?region=${region}`,
        `/api/withholding/failures?region=${region}`,
      ]) {
        const response = await w.call(session, 'GET', url);
        expect([url, response.statusCode]).toEqual([url, 404]);
        expect(response.json().message).toBe('区划不存在或不在您的管辖范围内');
      }
    }
    // Inside the scope the export answers.
    const own = await w.call(clerk2, 'GET', `/api/reports/progress/xlsx?region=${VILLAGE_2}`);
    expect(own.statusCode).toBe(200);
    expect(own.headers['content-type']).toContain('spreadsheetml');
    // A search's village outside the scope falls back to the user's own region, never beyond it.
    for (const village of [VILLAGE_1, TOWNSHIP, COUNTY, '3413']) {
      const found = (await w.call(clerk2, 'GET', `/api/people?village=${village}`)).json();
      expect(found.items.map((p: { name: string }) => p.name)).toEqual(['赵六']);
    }
    // A full identity number of another village's person finds nothing (not even a count).
    const byNumber = (await w.call(clerk2, 'GET', `/api/people?q=${PEOPLE.zhang}`)).json();
    expect(byNumber).toEqual({ total: 0, items: [] });
    // The regions offered are the user's own.
    const regions = (await w.call(clerk2, 'GET', '/api/regions')).json();
    expect(regions.map((r: { code: string }) => r.code)).toEqual([VILLAGE_2]);
  });
  it("keeps a department's submitter to its own list, its imports and their error reports", async () => {
    const w = await open();
    const bureau = await w.login('bureau');
    const minzheng = await w.login('minzheng');
    const upload = async (fields: Record<string, string>, content: string) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([content]), '名单.csv');
      const request = new Request('http://x/', { method: 'POST', body: form });
      return w.app.inject({
        method: 'POST',
        url: '/api/imports/groups',
        payload: Buffer.from(await request.arrayBuffer()),
        headers: {
          'content-type': request.headers.get('content-type') as string,
          cookie: `canbao_sid=${bureau.cookie}`,
          'x-csrf-token': bureau.csrf,
        },
      });
    };
    // The bureau files a 乡村振兴 list, and a rejected one with its error report.
    const good = await upload(
      { department: '乡村振兴' },
      `姓名,公民身份号码,人员类别\n张三,${PEOPLE.zhang},监测对象`,
    );
    expect(good.json()).toMatchObject({ status: 'completed', rowsWritten: 1 });
    const bad = await upload({ department: '乡村振兴' }, `姓名,公民身份号码,人员类别\n无名,123,监测对象`);
    expect(bad.json()).toMatchObject({ status: 'rejected' });
    expect((await w.call(bureau, 'GET', `/api/imports/${bad.json().id}/errors.xlsx`)).statusCode).toBe(200);

    // 民政 sees none of it: not the imports, not the report, not the list (a parameter cannot widen it).
    expect((await w.call(minzheng, 'GET', '/api/imports')).json()).toEqual([]);
    const report = await w.call(minzheng, 'GET', `/api/imports/${bad.json().id}/errors.xlsx`);
    expect(report.statusCode).toBe(404);
    expect(report.json().message).toBe('导入记录不存在或不在您的管辖范围内');
    const members = (
      await w.call(minzheng, 'GET', '/api/department/members?department=rural_revitalisation')
    ).json();
    expect(members).toMatchObject({ department: 'civil_affairs', total: 0, items: [] });
    const theirs = (
      await w.call(bureau, 'GET', '/api/department/members?department=rural_revitalisation')
    ).json();
    expect(theirs).toMatchObject({ department: 'rural_revitalisation', total: 1 });
    // What is no department is refused as such, also a name every object answers to.
    for (const department of ['constructor', '__proto__', 'toString', 'nobody']) {
      const response = await w.call(bureau, 'GET', `/api/department/members?department=${department}`);
      expect([department, response.statusCode, response.json().message]).toEqual([
        department,
        400,
        '请选择认定部门',
      ]);
    }
  });
  it("answers every read and write of another village's or township's objects as not found, and writes nothing", async () => {
    const w = await open();
    // A second township of the county with one village, and its staff.
    await w.config.db
      .insertInto('regions')
      .values(
        [
          ['341302901', '测试镇', 'township', COUNTY],
          ['341302901001', '测试村', 'village', '341302901'],
        ].map(([code, name, level, parent]) => ({
          code: code as string,
          name: name as string,
          level: level as 'township' | 'village',
          parent_code: parent as string,
          county_code: COUNTY,
          valid_from: null,
          valid_to: null,
          merged_into: null,
          source: 'test',
        })),
      )
      .execute();
    await addUser(w, 'township2', 'township', '341302901');
    const { q1, due, enrollmentIds, orderId } = await paidAndRefunded(w);
    const zhang = await w.personId(PEOPLE.zhang);

    const reads = [
      `/api/people/${zhang}`,
      `/api/people/${zhang}/explain`,
      `/api/people/${zhang}/agreement`,
      `/api/households/${q1}/due`,
      `/api/receipts/${orderId}`,
    ];
    const writes: [string, unknown][] = [
      [`/api/people/${zhang}/reveal`, undefined],
      [
        `/api/people/${zhang}/agreement`,
        { bank: '农商银行', cardNumber: '6228480402564890018', holderName: '张三' },
      ],
      [`/api/households/${q1}/newborns`, { name: '张小三', idNumber: ident('2021-09-01', 61) }],
      [`/api/households/${q1}/verifications`, { decision: 'decline', withhold: false }],
      [
        `/api/households/${q1}/cash-payments`,
        { enrollmentIds, amountFen: due.totalDueFen, receiptNo: 'X-9' },
      ],
    ];
    const counts = async () =>
      Promise.all((['enrollments', 'audit_log', 'payments'] as const).map((t) => count(w, t)));
    const township2 = await w.login('township2' as UserName);
    const township = await w.login('township');
    const strangers = { village2: await w.login('village2'), township2 };
    const before = await counts();
    for (const [name, session] of Object.entries(strangers)) {
      for (const url of reads) {
        const response = await w.call(session, 'GET', url);
        expect([name, url, response.statusCode]).toEqual([name, url, 404]);
        expect(response.body).not.toContain('张三');
      }
      for (const [url, body] of writes) {
        const response = await w.call(session, 'POST', url, body);
        expect([name, url, response.statusCode]).toEqual([name, url, 404]);
      }
      // Lists hold nothing of the other region.
      const people = (await w.call(session, 'GET', '/api/people?q=张')).json();
      expect(people).toEqual({ total: 0, items: [] });
      const failures = (await w.call(session, 'GET', '/api/withholding/failures')).json();
      expect(JSON.stringify(failures)).not.toContain('张三');
    }
    // The other township's staff may request refunds, but not of 蕲县镇's enrollments, nor see theirs.
    const other = await w.call(township2, 'POST', '/api/refunds', {
      enrollmentId: enrollmentIds[1],
      reason: 'duplicate',
    });
    expect(other.statusCode).toBe(404);
    expect((await w.call(township2, 'GET', '/api/refunds')).json()).toEqual([]);
    expect((await w.call(township, 'GET', '/api/refunds')).json()).toHaveLength(1);
    expect(await counts()).toEqual(before);
  });
  it('gives the screening and mobilisation lists (residents by name) only to roles that read people', async () => {
    const w = await open();
    for (const name of Object.keys(USERS) as UserName[]) {
      if (!can(USERS[name].role, 'reports.read')) continue;
      const session = await w.login(name);
      const catalog = (await w.call(session, 'GET', '/api/reports')).json() as { name: string }[];
      const readsPeople = can(USERS[name].role, 'people.read');
      expect([name, catalog.some((r) => r.name === 'screening')]).toEqual([name, readsPeople]);
      expect([name, catalog.some((r) => r.name === 'mobilisation')]).toEqual([name, readsPeople]);
      expect(catalog.some((r) => r.name === 'progress')).toBe(true);
      for (const url of ['/api/reports/screening', '/api/reports/screening/xlsx']) {
        const response = await w.call(session, 'GET', url);
        // Those who may read people get the report (this policy has no screening rules: 422 says so).
        expect([name, url, response.statusCode]).toEqual([name, url, readsPeople ? 422 : 403]);
      }
      for (const url of ['/api/reports/mobilisation', '/api/reports/mobilisation/xlsx']) {
        const response = await w.call(session, 'GET', url);
        expect([name, url, response.statusCode]).toEqual([name, url, readsPeople ? 200 : 403]);
      }
    }
  });
  it("gives another county's bureau and administrator nothing of this county, whatever id or code they send", async () => {
    const w = await open();
    await addUser(w, 'qimen-bureau', 'bureau', '341024');
    await addUser(w, 'qimen-admin', 'admin', '341024');
    const { q1, enrollmentIds, orderId, refundId } = await paidAndRefunded(w);
    const users = (await w.call(await w.login('admin'), 'GET', '/api/users')).json() as { id: number }[];
    const qimenBureau = await w.login('qimen-bureau' as UserName);
    const qimenAdmin = await w.login('qimen-admin' as UserName);
    const zhang = await w.personId(PEOPLE.zhang);
    const counts = async () =>
      Promise.all((['enrollments', 'audit_log', 'payments', 'sessions'] as const).map((t) => count(w, t)));
    const before = await counts();

    for (const url of [
      `/api/people/${zhang}`,
      `/api/households/${q1}/due`,
      `/api/receipts/${orderId}`,
      `/api/dashboard?region=${COUNTY}`,
      `/api/reports/progress?region=${VILLAGE_1}`,
      `/api/withholding/failures?region=${COUNTY}`,
    ]) {
      expect([url, (await w.call(qimenBureau, 'GET', url)).statusCode]).toEqual([url, 404]);
    }
    expect((await w.call(qimenBureau, 'GET', '/api/people?q=张')).json()).toEqual({ total: 0, items: [] });
    expect((await w.call(qimenBureau, 'GET', '/api/refunds')).json()).toEqual([]);
    expect((await w.call(qimenBureau, 'GET', '/api/imports')).json()).toEqual([]);
    const writes: [Session, 'POST' | 'PATCH', string, unknown][] = [
      [qimenBureau, 'POST', `/api/refunds/${refundId}/pay`, {}],
      [qimenBureau, 'POST', '/api/refunds', { enrollmentId: enrollmentIds[1], reason: 'duplicate' }],
      [qimenBureau, 'POST', `/api/people/${zhang}/reveal`, undefined],
      [qimenAdmin, 'PATCH', `/api/users/${users[0]?.id}`, { disabled: true }],
      [qimenAdmin, 'PATCH', `/api/users/${users[1]?.id}`, { password: 'a-new-password-2' }],
    ];
    for (const [session, method, url, body] of writes) {
      expect([url, (await w.call(session, method, url, body)).statusCode]).toEqual([url, 404]);
    }
    // Users are created inside the administrator's own region only.
    const create = await w.call(qimenAdmin, 'POST', '/api/users', {
      username: 'intruder',
      displayName: '外县',
      password: 'test-password-1',
      role: 'village',
      regionCode: VILLAGE_1,
    });
    expect(create.statusCode).toBe(400);
    expect(
      (await w.call(qimenAdmin, 'GET', '/api/users')).json().map((u: { username: string }) => u.username),
    ).toEqual(['qimen-bureau', 'qimen-admin']);
    // Their audit log holds their own county's sign-ins only.
    const log = (await w.call(qimenAdmin, 'GET', '/api/audit')).json() as { actor: string }[];
    expect(new Set(log.map((r) => r.actor))).toEqual(new Set(['qimen-bureau', 'qimen-admin']));
    expect(await counts()).toEqual(before);
  });
});
