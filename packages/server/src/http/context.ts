/**
 * What every route is given: the database, the clock and configuration, plus the helpers that put
 * the request pipeline of DESIGN.md in one place — who is asking, within which region, and the
 * write path (one transaction with the audit row).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { type AuditActor, type AuditRecord, writeAudit } from '../access/audit.ts';
import { can, inScope, type Permission } from '../access/roles.ts';
import type { SessionTimeouts } from '../access/sessions.ts';
import type { Clock } from '../business-date.ts';
import type { CollectionContext } from '../collection/context.ts';
import type { DialectName } from '../db/migrations/types.ts';
import type { Database, User } from '../db/schema.ts';
import { inUnitOfWork } from '../db/unit-of-work.ts';
import { AppError, forbidden, notFound } from './errors.ts';

export { businessInstant, type Clock } from '../business-date.ts';

export interface AppConfig {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Where uploaded files and their error reports are kept. */
  readonly filesDir: string;
  readonly clock: Clock;
  /** The payment gateway's merchant key (HMAC of callbacks). */
  readonly gatewayKey: string;
  /**
   * Whether the gateway simulator pays checkouts (/api/gateway/simulator/pay). It signs callbacks
   * with the merchant key, so beside a real gateway it would let anyone record a payment never
   * made: off unless asked for (`canbao serve` without CANBAO_GATEWAY_KEY, tests).
   */
  readonly gatewaySimulator?: boolean;
  /** The built web application to serve at /, or null (API only). */
  readonly webRoot: string | null;
  /** Secure cookies: on when served behind TLS. */
  readonly secureCookies: boolean;
  /**
   * Whether X-Forwarded-* headers are believed (true behind a reverse proxy that sets them). Off by
   * default: believed blindly, any client could claim another address and escape rate limits.
   */
  readonly trustProxy?: boolean;
  readonly timeouts?: SessionTimeouts;
  /** Requests per minute per client (global; login and resident routes are stricter). */
  readonly rateLimitPerMinute?: number;
  /** Sign-in attempts and resident look-ups per minute per client. */
  readonly strictRateLimitPerMinute?: number;
  /** Request logging: true for standard output, or a stream (tests); identity numbers are masked. */
  readonly logger?: boolean | { readonly stream: NodeJS.WritableStream };
}

export interface Auth {
  readonly user: User;
  readonly csrfToken: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
}

/** The signed-in user, or 401. */
export function userOf(request: FastifyRequest): User {
  if (!request.auth) throw new AppError(401, 'unauthenticated', '请先登录');
  return request.auth.user;
}

/** A preValidation hook (before the body is even read as valid): the user must be signed in and their role must allow `permission`. */
export function needs(permission: Permission) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const user = userOf(request);
    if (!can(user.role, permission)) throw forbidden();
  };
}

/** 404 unless the object's region is inside the user's scope (another region's object does not exist for them). */
export function checkScope(user: User, regionCode: string | null | undefined, what?: string): void {
  if (!inScope(user.region_code, regionCode)) throw notFound(what);
}

export function actorOf(request: FastifyRequest): AuditActor {
  const user = userOf(request);
  return {
    userId: user.id,
    name: user.username,
    role: user.role,
    countyCode: user.county_code,
    ip: request.ip,
  };
}

export function collectionContext(
  config: AppConfig,
  user: User,
  db: Kysely<Database> = config.db,
): CollectionContext {
  return {
    db,
    countyCode: user.county_code,
    actor: user.username,
    today: config.clock.today(),
    now: config.clock.now(),
  };
}

export interface Change<T> {
  readonly result: T;
  readonly audit: AuditRecord | readonly AuditRecord[];
}

/**
 * The write path: the work and its audit rows in one transaction. The work gets a collection
 * context whose database nests the services' own transactions as savepoints (db/unit-of-work.ts);
 * if the audit row cannot be written, the change rolls back with it.
 */
export async function change<T>(
  config: AppConfig,
  request: FastifyRequest,
  work: (ctx: CollectionContext) => Promise<Change<T>>,
): Promise<T> {
  const user = userOf(request);
  const actor = actorOf(request);
  return inUnitOfWork(config.db, async (db, trx) => {
    const ctx = collectionContext(config, user, db);
    const done = await work(ctx);
    const records = Array.isArray(done.audit) ? done.audit : [done.audit as AuditRecord];
    for (const record of records) await writeAudit(trx, actor, record, ctx.now);
    return done.result;
  });
}
