/**
 * Users and signing in: password check with lockout after repeated failures. Messages do not say
 * whether the user name exists (one message for both), so the login form cannot be used to find
 * accounts.
 */
import { DEPARTMENTS, isDepartmentCode, regionCodeLevel } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { Database, User } from '../db/schema.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { isRoleCode, ROLES } from './roles.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

export class AccessError extends Error {
  override name = 'AccessError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface NewUser {
  readonly username: string;
  readonly displayName: string;
  readonly password: string;
  readonly role: string;
  readonly regionCode: string;
  readonly department?: string | null;
}

/** The user fields safe to show (no hash). */
export type PublicUser = Omit<User, 'password_hash'>;

export function publicUser(user: User): PublicUser {
  const { password_hash: _, ...rest } = user;
  return rest;
}

function checkNewUser(input: NewUser): void {
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(input.username)) {
    throw new AccessError('bad_username', '用户名须为 3–32 位字母、数字、下划线、点或连字符');
  }
  if (!isRoleCode(input.role)) throw new AccessError('bad_role', `未知角色：${input.role}`);
  const role = ROLES[input.role];
  const level = regionCodeLevel(input.regionCode);
  if (level !== role.scope) {
    const names = { county: '县（区）', township: '乡镇（街道）', village: '村（社区）' };
    throw new AccessError('bad_scope', `${role.label}的管辖范围应为${names[role.scope]}级区划代码`);
  }
  if ('needsDepartment' in role) {
    if (!input.department || !isDepartmentCode(input.department)) {
      throw new AccessError(
        'bad_department',
        `部门认定人员须指定部门：${Object.values(DEPARTMENTS)
          .map((d) => d.label)
          .join('、')}`,
      );
    }
  }
  const problem = passwordProblem(input.password);
  if (problem) throw new AccessError('weak_password', problem);
}

export async function createUser(db: Kysely<Database>, input: NewUser, now: string): Promise<User> {
  checkNewUser(input);
  const region = await db
    .selectFrom('regions')
    .select(['code', 'county_code'])
    .where('code', '=', input.regionCode)
    .executeTakeFirst();
  if (!region) throw new AccessError('unknown_region', `区划代码 ${input.regionCode} 不存在`);
  const existing = await db
    .selectFrom('users')
    .select('id')
    .where('username', '=', input.username)
    .executeTakeFirst();
  if (existing) throw new AccessError('duplicate_username', `用户名 ${input.username} 已存在`);
  return db
    .insertInto('users')
    .values({
      username: input.username,
      display_name: input.displayName,
      password_hash: await hashPassword(input.password),
      role: input.role,
      department: input.role === 'department' ? (input.department ?? null) : null,
      region_code: input.regionCode,
      county_code: region.county_code ?? input.regionCode.slice(0, 6),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

const BAD_LOGIN = '用户名或密码错误';

/** Checks a password; counts failures and locks the account for a while after too many. */
export async function authenticate(
  db: Kysely<Database>,
  username: string,
  password: string,
  now: string,
): Promise<User> {
  const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  if (!user) {
    // Spend the same time as a real check, so timing does not reveal which names exist.
    await verifyPassword(password, DUMMY_HASH);
    throw new AccessError('bad_login', BAD_LOGIN);
  }
  if (user.disabled) throw new AccessError('disabled', '账号已停用，请联系系统管理员');
  if (user.locked_until && user.locked_until > now) {
    throw new AccessError('locked', `密码错误次数过多，账号已锁定至 ${shanghaiTime(user.locked_until)}`);
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    const failures = user.failed_logins + 1;
    const lock = failures >= MAX_FAILED_LOGINS;
    await db
      .updateTable('users')
      .set({
        failed_logins: lock ? 0 : failures,
        locked_until: lock
          ? new Date(Date.parse(now) + LOCKOUT_MINUTES * 60_000).toISOString()
          : user.locked_until,
        updated_at: now,
      })
      .where('id', '=', user.id)
      .execute();
    if (lock)
      throw new AccessError(
        'locked',
        `密码连续错误 ${MAX_FAILED_LOGINS} 次，账号锁定 ${LOCKOUT_MINUTES} 分钟`,
      );
    throw new AccessError('bad_login', `${BAD_LOGIN}（还可尝试 ${MAX_FAILED_LOGINS - failures} 次）`);
  }
  if (user.failed_logins > 0 || user.locked_until) {
    await db
      .updateTable('users')
      .set({ failed_logins: 0, locked_until: null, updated_at: now })
      .where('id', '=', user.id)
      .execute();
  }
  return user;
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function shanghaiTime(instant: string): string {
  return new Date(instant).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

export async function listUsers(db: Kysely<Database>, countyCode: string): Promise<PublicUser[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('county_code', '=', countyCode)
    .orderBy('id')
    .execute();
  return rows.map(publicUser);
}
