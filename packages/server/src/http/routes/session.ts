/** Signing in and out, and who am I (with the CSRF token the page must send back). */
import { z } from 'zod';
import { writeAudit } from '../../access/audit.ts';
import { isRoleCode, PERMISSIONS, type Permission, ROLES } from '../../access/roles.ts';
import { closeSession, openSession } from '../../access/sessions.ts';
import { authenticate } from '../../access/users.ts';
import type { User } from '../../db/schema.ts';
import { inUnitOfWork } from '../../db/unit-of-work.ts';
import { type App, SESSION_COOKIE } from '../app.ts';
import { type AppConfig, userOf } from '../context.ts';
import { AppError } from '../errors.ts';

export const SessionUser = z.object({
  id: z.number(),
  username: z.string(),
  displayName: z.string(),
  role: z.string(),
  roleLabel: z.string(),
  department: z.string().nullable(),
  regionCode: z.string(),
  regionName: z.string(),
  countyCode: z.string(),
  permissions: z.array(z.string()),
});

const SessionBody = z.object({
  user: SessionUser,
  csrfToken: z.string(),
  /** The business date ("today" in Asia/Shanghai, or a demo database's date). */
  today: z.string(),
});

async function sessionUser(config: AppConfig, user: User): Promise<z.infer<typeof SessionUser>> {
  const region = await config.db
    .selectFrom('regions')
    .select('name')
    .where('code', '=', user.region_code)
    .executeTakeFirst();
  const role = isRoleCode(user.role) ? ROLES[user.role] : null;
  return {
    id: user.id,
    username: user.username,
    displayName: user.display_name,
    role: user.role,
    roleLabel: role?.label ?? user.role,
    department: user.department,
    regionCode: user.region_code,
    regionName: region?.name ?? user.region_code,
    countyCode: user.county_code,
    permissions: role ? [...(role.permissions as readonly Permission[])] : [],
  };
}

export async function sessionRoutes(app: App, config: AppConfig) {
  app.post(
    '/api/session',
    {
      schema: {
        summary: '登录',
        tags: ['会话'],
        body: z.object({
          username: z.string().min(1, '请输入用户名'),
          password: z.string().min(1, '请输入密码'),
        }),
        response: { 200: SessionBody },
      },
      config: { rateLimit: { max: config.strictRateLimitPerMinute ?? 20, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const now = config.clock.now();
      const user = await authenticate(config.db, request.body.username, request.body.password, now);
      const opened = await inUnitOfWork(config.db, async (_db, trx) => {
        const session = await openSession(trx, user, now, request.ip, config.timeouts);
        await writeAudit(
          trx,
          {
            userId: user.id,
            name: user.username,
            role: user.role,
            countyCode: user.county_code,
            ip: request.ip,
          },
          { action: 'login', objectType: 'user', objectId: user.id },
          now,
        );
        return session;
      });
      reply.setCookie(SESSION_COOKIE, opened.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        // Secure behind TLS: configured, or the request came over HTTPS (directly or via the proxy).
        secure: config.secureCookies || request.protocol === 'https',
      });
      return {
        user: await sessionUser(config, user),
        csrfToken: opened.csrfToken,
        today: config.clock.today(),
      };
    },
  );

  app.get(
    '/api/session',
    { schema: { summary: '当前用户', tags: ['会话'], response: { 200: SessionBody } } },
    async (request) => {
      const user = userOf(request);
      return {
        user: await sessionUser(config, user),
        csrfToken: request.auth?.csrfToken ?? '',
        today: config.clock.today(),
      };
    },
  );

  app.delete(
    '/api/session',
    { schema: { summary: '退出登录', tags: ['会话'], response: { 204: z.null() } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (!token || !request.auth) throw new AppError(401, 'unauthenticated', '请先登录');
      await closeSession(config.db, token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/roles',
    {
      schema: {
        summary: '角色与权限',
        tags: ['会话'],
        response: {
          200: z.object({
            roles: z.array(
              z.object({
                code: z.string(),
                label: z.string(),
                scope: z.string(),
                permissions: z.array(z.string()),
              }),
            ),
            permissions: z.record(z.string(), z.string()),
          }),
        },
      },
    },
    async (request) => {
      userOf(request);
      return {
        roles: Object.entries(ROLES).map(([code, r]) => ({
          code,
          label: r.label,
          scope: r.scope,
          permissions: [...(r.permissions as readonly string[])],
        })),
        permissions: { ...PERMISSIONS },
      };
    },
  );
}
