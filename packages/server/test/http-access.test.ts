/**
 * The access-control matrix: every API route (read from the published OpenAPI document, so a new
 * route without an entry here fails) × every role × signed in or not, and objects inside and
 * outside the user's region. A role without the permission gets 403 before its request is even
 * validated; another region's person, household or receipt answers 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, type Permission } from '../src/access/roles.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { describeEachEngine } from './db-harness.ts';
import { PEOPLE, type Session, USERS, type UserName, type WebWorld, webWorld } from './http-harness.ts';

/** What each route asks for: a permission, a signed-in user of any role, or nothing (resident, gateway). */
const ROUTES: Record<string, Permission | 'session' | 'public'> = {
  'POST /api/session': 'public',
  'GET /api/session': 'session',
  'DELETE /api/session': 'session',
  'GET /api/roles': 'session',
  'GET /api/people': 'people.read',
  'GET /api/people/{id}': 'people.read',
  'POST /api/people/{id}/reveal': 'id.reveal',
  'GET /api/people/{id}/explain': 'people.read',
  'GET /api/people/{id}/agreement': 'people.read',
  'POST /api/people/{id}/agreement': 'people.write',
  'GET /api/withholding/failures': 'people.read',
  'POST /api/households/{id}/newborns': 'people.write',
  'POST /api/households/{id}/verifications': 'people.write',
  'GET /api/households/{id}/due': 'people.read',
  'POST /api/households/{id}/cash-payments': 'collection.cash',
  'GET /api/receipts/{orderId}': 'people.read',
  'GET /api/collector/cash': 'collection.cash',
  'POST /api/collector/remittances': 'collection.cash',
  'GET /api/regions': 'reports.read',
  'GET /api/reports': 'reports.read',
  'GET /api/reports/{name}': 'reports.read',
  'GET /api/reports/{name}/xlsx': 'reports.read',
  'GET /api/dashboard': 'dashboard.read',
  'POST /api/imports/groups': 'imports.department',
  'GET /api/imports': 'imports.department',
  'GET /api/imports/{id}/errors.xlsx': 'imports.department',
  'GET /api/withholding/batches': 'withholding.manage',
  'GET /api/tax/discrepancies': 'tax.manage',
  'GET /api/reimbursements': 'subsidies.manage',
  'GET /api/refunds': 'refunds.request',
  'POST /api/refunds': 'refunds.request',
  'POST /api/refunds/{id}/pay': 'refunds.decide',
  'GET /api/policy': 'policy.read',
  'POST /api/withholding/batches': 'withholding.manage',
  'GET /api/withholding/batches/{batchNo}/file': 'withholding.manage',
  'GET /api/withholding/batches/{batchNo}/items': 'withholding.manage',
  'POST /api/withholding/results': 'withholding.manage',
  'POST /api/tax/confirmations': 'tax.manage',
  'POST /api/reimbursements': 'subsidies.manage',
  'POST /api/reimbursements/{batchNo}/pay': 'subsidies.manage',
  'POST /api/reimbursements/{batchNo}/confirm': 'subsidies.manage',
  'GET /api/department/members': 'imports.department',
  'POST /api/resident/lookup': 'public',
  'POST /api/resident/checkout': 'public',
  'POST /api/gateway/callback': 'public',
  'POST /api/gateway/simulator/pay': 'public',
  'GET /api/users': 'users.manage',
  'POST /api/users': 'users.manage',
  'PATCH /api/users/{id}': 'users.manage',
  'GET /api/audit': 'audit.read',
};

describeEachEngine('access-control matrix', (engine) => {
  let w: WebWorld;
  // One database for the whole matrix (the suite reads far more than it writes).
  let handle: DatabaseHandle;
  const sessions = new Map<UserName, Session>();
  let ids: Record<string, number>;
  let routes: string[];

  beforeAll(async () => {
    handle = await engine.open();
    w = await webWorld(handle);
    for (const name of Object.keys(USERS) as UserName[]) sessions.set(name, await w.login(name));
    const clerk = sessions.get('village1') as Session;
    const q2 = await w.householdId('Q2');
    const due = (await w.call(clerk, 'GET', `/api/households/${q2}/due`)).json();
    const paid = await w.call(clerk, 'POST', `/api/households/${q2}/cash-payments`, {
      enrollmentIds: due.members.map((m: { enrollmentId: number }) => m.enrollmentId),
      amountFen: due.totalDueFen,
      receiptNo: 'M-1',
    });
    ids = {
      person: await w.personId(PEOPLE.zhang),
      household: await w.householdId('Q1'),
      order: paid.json().orderId,
      user: 1,
    };
    const doc = (await w.call(null, 'GET', '/api/docs/json')).json();
    routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
  }, 120_000);
  afterAll(async () => {
    await w?.close();
    await handle?.close();
  });

  const urlOf = (route: string) =>
    (route.split(' ')[1] as string)
      .replace(
        '{id}',
        String(
          route.includes('/people/')
            ? ids.person
            : route.includes('/households/')
              ? ids.household
              : route.includes('/users/')
                ? ids.user
                : 999_999,
        ),
      )
      .replace('{orderId}', String(ids.order))
      .replace('{name}', 'progress')
      .replace('{batchNo}', 'NO-SUCH-BATCH');

  it('knows every published route', () => {
    expect(routes.filter((r) => r.includes('/api/') && !r.includes('/api/docs')).sort()).toEqual(
      Object.keys(ROUTES).sort(),
    );
  });

  it('refuses every non-public route without a session (401)', async () => {
    for (const [route, need] of Object.entries(ROUTES)) {
      if (need === 'public') continue;
      const [method] = route.split(' ') as ['GET' | 'POST' | 'PATCH' | 'DELETE'];
      const response = await w.call(null, method, urlOf(route), method === 'GET' ? undefined : {});
      expect([route, response.statusCode]).toEqual([route, 401]);
    }
  });

  describe('each role', () => {
    for (const name of Object.keys(USERS) as UserName[]) {
      it(`${name}: 403 exactly where its role lacks the permission`, async () => {
        const session = sessions.get(name) as Session;
        for (const [route, need] of Object.entries(ROUTES)) {
          if (need === 'public' || need === 'session' || route === 'DELETE /api/session') continue;
          const [method] = route.split(' ') as ['GET' | 'POST' | 'PATCH' | 'DELETE'];
          // Writes are sent without a valid body: allowed roles get a validation error (400) or a
          // refusal, never a change; others must be stopped before validation.
          const response = await w.call(session, method, urlOf(route), method === 'GET' ? undefined : {});
          const allowed = can(USERS[name].role, need);
          if (allowed) expect([route, response.statusCode]).not.toEqual([route, 403]);
          else expect([route, response.statusCode]).toEqual([route, 403]);
          expect(response.statusCode).not.toBe(401);
        }
      });
    }
  });

  it("answers 404 for another village's person, household and receipt, and lets the township in", async () => {
    const reads = [
      `/api/people/${ids.person}`,
      `/api/people/${ids.person}/agreement`,
      `/api/households/${ids.household}/due`,
      `/api/receipts/${ids.order}`,
    ];
    for (const url of reads) {
      expect([url, (await w.call(sessions.get('village2') as Session, 'GET', url)).statusCode]).toEqual([
        url,
        404,
      ]);
      expect([url, (await w.call(sessions.get('village1') as Session, 'GET', url)).statusCode]).toEqual([
        url,
        200,
      ]);
      expect([url, (await w.call(sessions.get('township') as Session, 'GET', url)).statusCode]).toEqual([
        url,
        200,
      ]);
      expect([url, (await w.call(sessions.get('bureau') as Session, 'GET', url)).statusCode]).toEqual([
        url,
        200,
      ]);
    }
    const other = sessions.get('village2') as Session;
    const reveal = await w.call(other, 'POST', `/api/people/${ids.person}/reveal`);
    expect(reveal.statusCode).toBe(404);
    const pay = await w.call(other, 'POST', `/api/households/${ids.household}/cash-payments`, {
      enrollmentIds: [1],
      amountFen: 32_000,
      receiptNo: 'X-1',
    });
    expect(pay.statusCode).toBe(404);
    // Searches and reports are limited to the user's own region.
    const search = (await w.call(other, 'GET', '/api/people')).json();
    expect(search.items.map((p: { name: string }) => p.name)).toEqual(['赵六']);
    expect((await w.call(other, 'GET', '/api/dashboard?region=341302900001')).statusCode).toBe(404);
    expect((await w.call(other, 'GET', '/api/reports/progress?region=341302')).statusCode).toBe(404);
  });
});
