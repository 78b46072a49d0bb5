/** Users, roles and the audit log: the administrator's pages. */
import { z } from 'zod';
import { listAudit } from '../../access/audit.ts';
import { hashPassword, passwordProblem } from '../../access/passwords.ts';
import { AccessError, createUser, listUsers, publicUser } from '../../access/users.ts';
import type { App } from '../app.ts';
import { type AppConfig, change, needs, userOf } from '../context.ts';
import { notFound } from '../errors.ts';

const UserOut = z.object({
  id: z.number(),
  username: z.string(),
  displayName: z.string(),
  role: z.string(),
  department: z.string().nullable(),
  regionCode: z.string(),
  disabled: z.boolean(),
  lockedUntil: z.string().nullable(),
  createdAt: z.string(),
});

const present = (u: ReturnType<typeof publicUser>): z.infer<typeof UserOut> => ({
  id: u.id,
  username: u.username,
  displayName: u.display_name,
  role: u.role,
  department: u.department,
  regionCode: u.region_code,
  disabled: u.disabled === 1,
  lockedUntil: u.locked_until,
  createdAt: u.created_at,
});

export async function adminRoutes(app: App, config: AppConfig) {
  app.get(
    '/api/users',
    {
      preValidation: needs('users.manage'),
      schema: { summary: '用户列表', tags: ['管理'], response: { 200: z.array(UserOut) } },
    },
    async (request) => (await listUsers(config.db, userOf(request).county_code)).map(present),
  );

  app.post(
    '/api/users',
    {
      preValidation: needs('users.manage'),
      schema: {
        summary: '新建用户（角色与管辖区划）',
        tags: ['管理'],
        body: z.object({
          username: z.string(),
          displayName: z.string().trim().min(1, '请填写姓名'),
          password: z.string(),
          role: z.string(),
          regionCode: z.string(),
          department: z.string().nullable().optional(),
        }),
        response: { 200: UserOut },
      },
    },
    async (request) => {
      const admin = userOf(request);
      if (!request.body.regionCode.startsWith(admin.region_code)) {
        throw new AccessError('bad_scope', '只能在本人管辖范围内新建用户');
      }
      return change(config, request, async (ctx) => {
        const created = await createUser(ctx.db, request.body, ctx.now);
        const result = present(publicUser(created));
        return {
          result,
          audit: {
            action: 'user_create',
            objectType: 'user',
            objectId: created.id,
            regionCode: created.region_code,
            after: result,
          },
        };
      });
    },
  );

  app.patch(
    '/api/users/:id',
    {
      preValidation: needs('users.manage'),
      schema: {
        summary: '停用/启用用户、重置密码、解除锁定',
        tags: ['管理'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        body: z.object({
          disabled: z.boolean().optional(),
          password: z.string().optional(),
          unlock: z.boolean().optional(),
        }),
        response: { 200: UserOut },
      },
    },
    async (request) => {
      const admin = userOf(request);
      const body = request.body;
      return change(config, request, async (ctx) => {
        const before = await ctx.db
          .selectFrom('users')
          .selectAll()
          .where('id', '=', request.params.id)
          .where('county_code', '=', admin.county_code)
          .executeTakeFirst();
        if (!before?.region_code.startsWith(admin.region_code)) throw notFound('用户');
        if (before.id === admin.id && body.disabled) throw new AccessError('self', '不能停用自己的账号');
        const set: Record<string, unknown> = { updated_at: ctx.now };
        if (body.disabled !== undefined) set.disabled = body.disabled ? 1 : 0;
        if (body.unlock) Object.assign(set, { failed_logins: 0, locked_until: null });
        if (body.password !== undefined) {
          const problem = passwordProblem(body.password);
          if (problem) throw new AccessError('weak_password', problem);
          set.password_hash = await hashPassword(body.password);
        }
        const after = await ctx.db
          .updateTable('users')
          .set(set)
          .where('id', '=', before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        // A disabled user or a new password ends the user's sessions.
        if (body.disabled || body.password !== undefined) {
          await ctx.db.deleteFrom('sessions').where('user_id', '=', before.id).execute();
        }
        const result = present(publicUser(after));
        return {
          result,
          audit: {
            action: 'user_update',
            objectType: 'user',
            objectId: before.id,
            regionCode: before.region_code,
            before: present(publicUser(before)),
            after: { ...result, passwordChanged: body.password !== undefined },
          },
        };
      });
    },
  );

  app.get(
    '/api/audit',
    {
      preValidation: needs('audit.read'),
      schema: {
        summary: '操作日志',
        tags: ['管理'],
        querystring: z.object({
          action: z.string().optional(),
          actor: z.string().optional(),
          beforeId: z.coerce.number().int().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const rows = await listAudit(config.db, { countyCode: user.county_code, ...request.query });
      return rows.map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        role: r.role,
        action: r.action,
        objectType: r.object_type,
        objectId: r.object_id,
        regionCode: r.region_code,
        beforeJson: r.before_json,
        afterJson: r.after_json,
        ip: r.ip,
      }));
    },
  );
}
