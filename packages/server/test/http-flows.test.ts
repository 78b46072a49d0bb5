/**
 * The API as its users work it: signing in (lockout, CSRF, sign-out), a village clerk's cash payment
 * for a household with its receipt and audit row, the change rolled back when its audit row cannot
 * be written, why each member pays what they pay (in words, with the clause), a resident paying
 * online through the gateway simulator, a department uploading its list, identity numbers masked
 * except the audited reveal.
 */

import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { MAX_FAILED_LOGINS } from '../src/access/users.ts';
import { reassessPending } from '../src/collection/enrollments.ts';
import { addAgreement, setWithholding } from '../src/collection/withholding.ts';
import { openTable } from '../src/files/read-table.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { PEOPLE, TODAY, VILLAGE_1, type WebWorld, webWorld } from './http-harness.ts';

describeEachEngine('web API flows', (engine) => {
  const fresh = useFreshDatabases(engine);
  let web: WebWorld | null = null;
  afterEach(async () => {
    await web?.close();
    web = null;
  });
  const open = async () => {
    web = await webWorld(await fresh());
    return web;
  };

  it('signs in, refuses writes without the CSRF token, locks after repeated failures, signs out', async () => {
    const w = await open();
    const anonymous = await w.call(null, 'GET', '/api/people');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().message).toBe('请先登录');

    const session = await w.login('village1');
    const me = await w.call(session, 'GET', '/api/session');
    expect(me.json().user).toMatchObject({
      username: 'village1',
      regionCode: VILLAGE_1,
      regionName: '蕲县村',
    });
    expect(me.json().today).toBe(TODAY);
    const person = await w.personId(PEOPLE.zhang);
    const noToken = await w.app.inject({
      method: 'POST',
      url: `/api/people/${person}/reveal`,
      headers: { cookie: `canbao_sid=${session.cookie}` },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('csrf');

    for (let i = 1; i < MAX_FAILED_LOGINS; i++) {
      const bad = await w.call(null, 'POST', '/api/session', {
        username: 'village2',
        password: 'wrong-password',
      });
      expect(bad.statusCode).toBe(401);
      expect(bad.json().message).toContain(`还可尝试 ${MAX_FAILED_LOGINS - i} 次`);
    }
    const locked = await w.call(null, 'POST', '/api/session', {
      username: 'village2',
      password: 'wrong-password',
    });
    expect(locked.statusCode).toBe(423);
    // Locked: even the right password is refused until the lock ends.
    const stillLocked = await w.call(null, 'POST', '/api/session', {
      username: 'village2',
      password: 'test-password-1',
    });
    expect(stillLocked.statusCode).toBe(423);
    const unknown = await w.call(null, 'POST', '/api/session', { username: 'nobody', password: 'x' });
    expect(unknown.json().message).toBe('用户名或密码错误');

    expect((await w.call(session, 'DELETE', '/api/session')).statusCode).toBe(204);
    expect((await w.call(session, 'GET', '/api/session')).statusCode).toBe(401);
  });

  it('keeps full identity numbers out of the request log; marks the cookie Secure behind TLS', async () => {
    const w = await open();
    await w.close();
    const lines: string[] = [];
    web = await webWorld(await fresh(), {
      trustProxy: true,
      logger: { stream: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream },
    });
    const bureau = await web.login('bureau');
    expect((await web.call(bureau, 'GET', `/api/people?q=${PEOPLE.zhang}`)).json().total).toBe(1);
    await web.call(null, 'POST', '/api/resident/lookup', { name: '赵六', idNumber: PEOPLE.zhao });
    const log = lines.join('');
    expect(log).toContain('/api/people?q=341302********');
    expect(log).not.toContain(PEOPLE.zhang);
    expect(log).not.toContain(PEOPLE.zhao);

    const tls = await web.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { username: 'bureau', password: 'test-password-1' },
      headers: { 'x-forwarded-proto': 'https' },
    });
    const cookie = tls.headers['set-cookie'] as string;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/);
    expect(tls.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('ends a session after 30 idle minutes, and after 12 hours whatever the activity', async () => {
    const w = await open();
    await w.close();
    let nowMs = Date.parse(`${TODAY}T01:00:00.000Z`);
    web = await webWorld(await fresh(), {
      clock: { today: () => TODAY, now: () => new Date(nowMs).toISOString() },
    });
    const minutes = (n: number) => {
      nowMs += n * 60_000;
    };
    const idle = await web.login('bureau');
    minutes(29);
    expect((await web.call(idle, 'GET', '/api/session')).statusCode).toBe(200);
    minutes(31);
    expect((await web.call(idle, 'GET', '/api/session')).statusCode).toBe(401);

    const busy = await web.login('bureau');
    // A request every 20 minutes for 11 h 40 min keeps it alive; at 12 hours it ends anyway.
    for (let n = 0; n < 35; n++) {
      minutes(20);
      expect((await web.call(busy, 'GET', '/api/session')).statusCode).toBe(200);
    }
    minutes(20);
    expect((await web.call(busy, 'GET', '/api/session')).statusCode).toBe(401);
  });

  it('records a household cash payment with receipt and audit row; the same receipt again is a replay', async () => {
    const w = await open();
    const clerk = await w.login('village1');
    const household = await w.householdId('Q1');
    const due = (await w.call(clerk, 'GET', `/api/households/${household}/due`)).json();
    expect(due.householdNumber).toBe('Q1');
    expect(due.members.map((m: { name: string }) => m.name)).toEqual(['张三', '李四']);
    // 320 yuan each under qixian-2022 (no group yet).
    expect(due.totalDueFen).toBe(64_000);
    expect(due.members[0].idNumberMasked).toMatch(/^341302\*{8}\d{3}[\dX]$/);
    const ids = due.members.map((m: { enrollmentId: number }) => m.enrollmentId);

    // Bad input: every problem named with its field, in Chinese (a schema's own wording first).
    const bad = await w.call(clerk, 'POST', `/api/households/${household}/cash-payments`, {
      enrollmentIds: [],
      amountFen: 'sixty',
      receiptNo: '',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^请求内容有误：/);
    expect(bad.json().message).toContain('enrollmentIds：请选择缴费人员');
    expect(bad.json().message).toContain('receiptNo：请填写收据号');
    expect(bad.json().message).toMatch(/amountFen：无效输入/);
    expect(bad.json().message).not.toMatch(/Invalid|expected/);
    expect(await w.world.handle.db.selectFrom('payment_orders').select('id').execute()).toEqual([]);

    // 整户缴费: one member alone is refused by the policy.
    const partial = await w.call(clerk, 'POST', `/api/households/${household}/cash-payments`, {
      enrollmentIds: [ids[0]],
      amountFen: 32_000,
      receiptNo: 'R-0001',
    });
    expect(partial.statusCode).toBe(422);
    expect(partial.json().message).toContain('整户');

    const paid = await w.call(clerk, 'POST', `/api/households/${household}/cash-payments`, {
      enrollmentIds: ids,
      amountFen: 64_000,
      receiptNo: 'R-0002',
    });
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({ amountFen: 64_000, replayed: false });
    expect(paid.json().lines[0].benefitStart).toBe('2022-01-01');
    const again = await w.call(clerk, 'POST', `/api/households/${household}/cash-payments`, {
      enrollmentIds: ids,
      amountFen: 64_000,
      receiptNo: 'R-0002',
    });
    expect(again.json()).toMatchObject({ orderId: paid.json().orderId, replayed: true });

    // The payer reads the collector's name on the receipt, not her sign-in name.
    await w.world.handle.db
      .updateTable('users')
      .set({ display_name: '蕲县村 代收员 刘会计' })
      .where('username', '=', 'village1')
      .execute();
    const receipt = (await w.call(clerk, 'GET', `/api/receipts/${paid.json().orderId}`)).json();
    expect(receipt).toMatchObject({
      receiptNo: 'R-0002',
      collector: 'village1',
      collectorName: '蕲县村 代收员 刘会计',
      paidOn: TODAY,
      villageName: '蕲县村',
      householdNumber: 'Q1',
      amountFen: 64_000,
      amountInWords: '陆佰肆拾元整',
    });
    // The person's history names her as people know her, not by her sign-in name.
    const zhang = (await w.call(clerk, 'GET', `/api/people/${await w.personId(PEOPLE.zhang)}`)).json();
    expect(
      zhang.enrollments[0].events
        .filter((e: { actor: string }) => e.actor === 'village1')
        .map((e: { actorName: string }) => e.actorName),
    ).toEqual(['蕲县村 代收员 刘会计']);
    // Her list filtered to who still owes this year, or who has paid: her own village only.
    const names = async (status: string) =>
      (await w.call(clerk, 'GET', `/api/people?status=${status}`))
        .json()
        .items.map((p: { name: string }) => p.name);
    expect(await names('paid')).toEqual(['张三', '李四']);
    expect(await names('unpaid')).toEqual(['王五']);
    expect((await w.call(clerk, 'GET', '/api/people?status=owing')).statusCode).toBe(400);
    // In the evening she sees what she owes the 待报解 account, and hands it over.
    const cash = (await w.call(clerk, 'GET', '/api/collector/cash')).json();
    expect(cash).toMatchObject({
      ordersToday: 1,
      collectedTodayFen: 64_000,
      heldFen: 64_000,
      remittances: [],
    });
    const over = await w.call(clerk, 'POST', '/api/collector/remittances', {
      slipNo: 'S-1',
      amountFen: 64_001,
    });
    expect(over.statusCode).toBe(422);
    const remitted = await w.call(clerk, 'POST', '/api/collector/remittances', {
      slipNo: 'S-1',
      amountFen: 64_000,
    });
    expect(remitted.json()).toMatchObject({ amountFen: 64_000, replayed: false, heldFen: 0 });
    expect((await w.call(clerk, 'GET', '/api/collector/cash')).json().remittances).toEqual([
      { slipNo: 'S-1', amountFen: 64_000, remittedOn: TODAY },
    ]);

    // The clerk's dashboard: her village's figures moved, and its place in the township's bulletin.
    const dashboard = (await w.call(clerk, 'GET', '/api/dashboard')).json();
    expect(dashboard.region.name).toBe('蕲县村');
    expect(dashboard.totals.paidPeople).toBe(2);
    expect(dashboard.totals.changePeople).toBe(2);
    expect(
      dashboard.ranking.rows.filter((r: { own: boolean }) => r.own).map((r: { name: string }) => r.name),
    ).toEqual(['蕲县村']);
    // The other village's clerk cannot read this receipt.
    const other = await w.login('village2');
    expect((await w.call(other, 'GET', `/api/receipts/${paid.json().orderId}`)).statusCode).toBe(404);

    const audit = await w.world.handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', 'in', ['cash_payment', 'cash_payment_replayed'])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.actor, a.action, a.region_code])).toEqual([
      ['village1', 'cash_payment', VILLAGE_1],
      ['village1', 'cash_payment_replayed', VILLAGE_1],
    ]);
    const status = await w.world.handle.db
      .selectFrom('enrollments')
      .select('status')
      .where('id', 'in', ids)
      .execute();
    expect(status.map((s) => s.status)).toEqual(['paid', 'paid']);
  });

  it('rolls the payment back when its audit row cannot be written', async () => {
    const w = await open();
    const db = w.world.handle.db;
    // Make every audit insert fail: the change must fail with it.
    if (w.config.dialect === 'sqlite') {
      await sql`create trigger audit_broken before insert on audit_log begin select raise(abort, 'audit down'); end`.execute(
        db,
      );
    } else {
      await sql`create function audit_broken() returns trigger language plpgsql as $$ begin raise exception 'audit down'; end $$`.execute(
        db,
      );
      await sql`create trigger audit_broken before insert on audit_log for each row execute function audit_broken()`.execute(
        db,
      );
    }
    const clerk = await w.login('village1').catch(() => null);
    // Sign-in writes an audit row too, so it fails as well; use a session made without it.
    expect(clerk).toBeNull();
    const user = await db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'village1')
      .executeTakeFirstOrThrow();
    const { openSession } = await import('../src/access/sessions.ts');
    const opened = await openSession(db, user, new Date().toISOString(), null);
    const session = { cookie: opened.token, csrf: opened.csrfToken };
    const household = await w.householdId('Q2');
    const due = (await w.call(session, 'GET', `/api/households/${household}/due`)).json();
    const response = await w.call(session, 'POST', `/api/households/${household}/cash-payments`, {
      enrollmentIds: due.members.map((m: { enrollmentId: number }) => m.enrollmentId),
      amountFen: due.totalDueFen,
      receiptNo: 'R-9',
    });
    expect(response.statusCode).toBe(500);
    const orders = await db.selectFrom('payment_orders').select('id').execute();
    expect(orders).toEqual([]);
    const journal = await db.selectFrom('journal_transfers').select('id').execute();
    expect(journal).toEqual([]);
  });

  it('says in Chinese, with the clause, why each household member pays what they pay, to the clerk and the resident', async () => {
    const w = await open();
    // 张三 is certified 低保: the medical assistance fund pays 280 of his 320.
    await w.world.importKind(
      'groups',
      ['姓名,公民身份号码,人员类别,认定日期', `张三,${PEOPLE.zhang},低保,2020-03-01`],
      { department: 'civil_affairs', today: TODAY },
    );
    await reassessPending(w.world.ctx(TODAY, 'bureau'));
    const clerk = await w.login('village1');
    const due = (await w.call(clerk, 'GET', `/api/households/${await w.householdId('Q1')}/due`)).json();
    const [zhang, li] = due.members;
    expect(zhang).toMatchObject({ name: '张三', paysFen: 4_000 });
    expect(zhang.reason).toMatch(/^低保对象定额资助280元：.*个人缴纳 40\.00 元。依据：四（二）2/);
    expect(li.reason).toMatch(/^不属于资助人群，按个人缴费标准 320\.00 元。依据：四（一）/);

    const lookup = await w.call(null, 'POST', '/api/resident/lookup', { name: '李四', idNumber: PEOPLE.li });
    const answer = lookup.json();
    expect(answer.reason).toBe(li.reason);
    expect(answer.household).toEqual([
      expect.objectContaining({
        name: '张三',
        paysFen: 4_000,
        reason: zhang.reason,
        benefitStart: '2022-01-01',
        benefitEnd: '2022-12-31',
      }),
      expect.objectContaining({ name: '李四', paysFen: 32_000, reason: li.reason }),
    ]);
    // Nothing in the answer reads like code.
    expect(JSON.stringify(answer.household)).not.toMatch(/qixian-2022|A:|S:/);
  });

  it('lets a resident look up and pay online through the gateway simulator; a replayed callback pays once', async () => {
    const w = await open();
    const wrongName = await w.call(null, 'POST', '/api/resident/lookup', {
      name: '赵七',
      idNumber: PEOPLE.zhao,
    });
    expect(wrongName.statusCode).toBe(404);
    const found = await w.call(null, 'POST', '/api/resident/lookup', { name: '赵六', idNumber: PEOPLE.zhao });
    expect(found.json()).toMatchObject({
      statusLabel: '待缴费',
      paysFen: 32_000,
      totalDueFen: 32_000,
      canPay: true,
    });
    expect(found.body).not.toContain(PEOPLE.zhao);
    const checkout = (
      await w.call(null, 'POST', '/api/resident/checkout', { name: '赵六', idNumber: PEOPLE.zhao })
    ).json();
    expect(checkout.amountFen).toBe(32_000);
    const paid = await w.call(null, 'POST', '/api/gateway/simulator/pay', {
      checkoutId: checkout.checkoutId,
    });
    expect(paid.statusCode).toBe(200);
    expect(paid.json().lines[0]).toMatchObject({
      name: '赵六',
      amountFen: 32_000,
      benefitStart: '2022-01-01',
    });
    const after = (
      await w.call(null, 'POST', '/api/resident/lookup', { name: '赵六', idNumber: PEOPLE.zhao })
    ).json();
    expect(after).toMatchObject({ status: 'paid', canPay: false, benefitStart: '2022-01-01' });

    // The gateway posting the same callback twice: recorded once.
    const { GatewaySimulator } = await import('../src/collection/gateway.ts');
    const w2checkout = (
      await w.call(null, 'POST', '/api/resident/checkout', { name: '王五', idNumber: PEOPLE.wang })
    ).json();
    const callback = new GatewaySimulator({ merchantKey: 'test-gateway-key' }).pay(
      { token: w2checkout.checkoutId, amountFen: w2checkout.amountFen },
      `${TODAY}T04:00:00.000Z`,
    );
    const first = await w.call(null, 'POST', '/api/gateway/callback', callback);
    const second = await w.call(null, 'POST', '/api/gateway/callback', callback);
    expect(first.json().replayed).toBe(false);
    expect(second.json()).toMatchObject({ replayed: true, orderId: first.json().orderId });
    const forged = await w.call(null, 'POST', '/api/gateway/callback', { ...callback, amountFen: 1 });
    expect(forged.statusCode).toBe(422);
  });

  /** A multipart upload as `session`, fields first (the API reads fields that come before the file). */
  async function uploadAs(
    w: WebWorld,
    session: { cookie: string; csrf: string },
    url: string,
    fields: Record<string, string>,
    name: string,
    content: Buffer | string,
  ) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([content]), name);
    const request = new Request('http://x/', { method: 'POST', body: form });
    return w.app.inject({
      method: 'POST',
      url,
      payload: Buffer.from(await request.arrayBuffer()),
      headers: {
        'content-type': request.headers.get('content-type') as string,
        cookie: `canbao_sid=${session.cookie}`,
        'x-csrf-token': session.csrf,
      },
    });
  }

  it('lets the bank export a withholding batch and return its result file; the tax bureau confirms by file', async () => {
    const w = await open();
    const zhao = await w.personId(PEOPLE.zhao);
    const ctx = w.world.ctx(TODAY, 'bureau');
    await addAgreement(ctx, {
      personId: zhao,
      bank: '农商银行',
      cardNumber: '6228480012345678',
      holderName: '赵六',
    });
    await setWithholding(ctx, zhao, true, '入户核实：同意代扣');
    const bank = await w.login('bank');
    const created = await w.call(bank, 'POST', '/api/withholding/batches', { format: 'csv' });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ rows: 1, totalFen: 32_000 });
    const batchNo = created.json().batchNo as string;
    const file = await w.call(bank, 'GET', `/api/withholding/batches/${batchNo}/file?format=csv`);
    expect(file.statusCode).toBe(200);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const exported = join(mkdtempSync(join(tmpdir(), 'canbao-bank-')), 'batch.csv');
    writeFileSync(exported, file.rawPayload);
    const table = await openTable(exported, { requiredHeaders: [['批次号'], ['序号'], ['应扣金额（元）']] });
    const rows: Record<string, string>[] = [];
    for await (const row of table.rows()) rows.push({ ...row.values });
    expect(rows.map((r) => r.参保人姓名)).toEqual(['赵六']);
    const headers = table.headers;
    const result = [
      headers.join(','),
      ...rows.map((r) => headers.map((h) => (h === '扣款结果' ? '成功' : (r[h] ?? ''))).join(',')),
    ].join('\n');
    const answered = await uploadAs(
      w,
      bank,
      '/api/withholding/results',
      { on: TODAY },
      '扣款结果.csv',
      result,
    );
    if (answered.statusCode !== 200) throw new Error(answered.body);
    expect(answered.json()).toMatchObject({
      status: 'completed',
      succeeded: 1,
      succeededFen: 32_000,
      failed: 0,
    });
    const enrollment = await w.world.handle.db
      .selectFrom('enrollments')
      .select(['status', 'paid_fen'])
      .where('person_id', '=', zhao)
      .executeTakeFirstOrThrow();
    expect(enrollment).toEqual({ status: 'paid', paid_fen: 32_000 });

    const items = (await w.call(bank, 'GET', `/api/withholding/batches/${batchNo}/items`)).json();
    expect(items.items).toHaveLength(1);
    expect(items.items[0]).toMatchObject({ name: '赵六', holderName: '赵六', amountFen: 32_000 });
    expect(items.items[0].cardNumber).not.toContain('12345678');
    expect(JSON.stringify(items)).not.toContain(PEOPLE.zhao);
    expect(
      (await w.call(bank, 'GET', `/api/withholding/batches/${batchNo}/items?failed=1`)).json().items,
    ).toEqual([]);

    // The tax bureau's file: one receipt for an unknown person lands in the discrepancy list.
    const tax = await w.login('tax');
    const confirmations = await uploadAs(
      w,
      tax,
      '/api/tax/confirmations',
      {},
      '税务确认.csv',
      ['税票号,证件号码,姓名,缴费金额,缴费日期', `T-1,${PEOPLE.wang},王五,320.00,${TODAY}`].join('\n'),
    );
    expect(confirmations.statusCode).toBe(200);
    expect(confirmations.json()).toMatchObject({ status: 'completed', matched: 0, discrepancies: 1 });
    const discrepancies = (await w.call(tax, 'GET', '/api/tax/discrepancies')).json();
    expect(JSON.stringify(discrepancies)).toContain('T-1');
    expect(JSON.stringify(discrepancies)).not.toContain(PEOPLE.wang);
    const audit = await w.world.handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('actor', 'in', ['bank', 'tax'])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'login',
      'withholding_export',
      'withholding_result',
      'login',
      'tax_confirmations',
    ]);
  });

  it('takes a 民政 低保 list upload: the subsidy shows and the amount due is reassessed; other departments refused', async () => {
    const w = await open();
    const minzheng = await w.login('minzheng');
    const list = ['姓名,公民身份号码,人员类别,认定日期', `张三,${PEOPLE.zhang},低保,2020-03-01`].join('\n');
    const upload = (fields: Record<string, string>, content: string) =>
      uploadAs(w, minzheng, '/api/imports/groups', fields, '低保名单.csv', content);
    const response = await upload({ effective: '2021-10-01' }, list);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'completed', rowsWritten: 1, reassessed: 1 });

    const bureau = await w.login('bureau');
    const person = await w.personId(PEOPLE.zhang);
    const detail = (await w.call(bureau, 'GET', `/api/people/${person}`)).json();
    expect(detail.groups.map((g: { code: string }) => g.code)).toEqual(['dibao']);
    // 低保 in qixian-2022: the medical assistance fund pays part; the person pays less than 320.
    expect(detail.enrollments[0].paysFen).toBeLessThan(32_000);
    expect(detail.enrollments[0].subsidyFen + detail.enrollments[0].paysFen).toBe(32_000);
    expect(detail.person.idNumberMasked).not.toBe(PEOPLE.zhang);

    expect((await upload({ department: '乡村振兴' }, '姓名,公民身份号码,人员类别\n')).statusCode).toBe(403);
    // A bad row: nothing written, the rows listed, and the error report to download.
    const bad = await upload(
      {},
      ['身份证号,姓名,类别', `${PEOPLE.li},李四,低保`, '123,无名,低保'].join('\n'),
    );
    expect(bad.json()).toMatchObject({ status: 'rejected', rowsWritten: 0, rowsRejected: 1 });
    expect(bad.json().errors[0]).toMatchObject({ line: 3 });
    const report = await w.call(minzheng, 'GET', `/api/imports/${bad.json().id}/errors.xlsx`);
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toContain('spreadsheetml');
    expect(report.rawPayload.subarray(0, 2).toString()).toBe('PK');
    const imports = (await w.call(minzheng, 'GET', '/api/imports')).json();
    expect(
      imports.map((i: { status: string; hasErrorReport: boolean }) => [i.status, i.hasErrorReport]),
    ).toEqual([
      ['rejected', true],
      ['completed', false],
    ]);
    const importAudit = await w.world.handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'import_groups')
      .execute();
    expect(importAudit).toHaveLength(2);
    // The department's own list shows the person, masked.
    const members = (await w.call(minzheng, 'GET', '/api/department/members')).json();
    expect(members).toMatchObject({ departmentLabel: '民政', total: 1 });
    expect(members.items[0]).toMatchObject({ name: '张三', groupLabel: '城乡低保对象' });
    expect(JSON.stringify(members)).not.toContain(PEOPLE.zhang);

    // The audited reveal gives the full number and leaves a row.
    const reveal = await w.call(bureau, 'POST', `/api/people/${person}/reveal`);
    expect(reveal.json().idNumber).toBe(PEOPLE.zhang);
    const rows = await w.world.handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'reveal_id_number')
      .execute();
    expect(rows).toHaveLength(1);
    // No full identity number is ever stored in the audit log.
    const all = await w.world.handle.db
      .selectFrom('audit_log')
      .select(['before_json', 'after_json'])
      .execute();
    expect(JSON.stringify(all)).not.toContain(PEOPLE.zhang);
  });
});
