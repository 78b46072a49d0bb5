/**
 * Server-side sessions: the cookie holds a random token, the database its SHA-256 (so a copy of
 * the database opens no session). A session ends after 30 minutes without a request or 12 hours
 * after sign-in, whichever comes first. Each carries its own CSRF token, which every state-changing
 * request must echo in a header (synchronizer token pattern).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, User } from '../db/schema.ts';

export const IDLE_MINUTES = 30;
export const ABSOLUTE_HOURS = 12;

export interface SessionTimeouts {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

export const DEFAULT_TIMEOUTS: SessionTimeouts = {
  idleMs: IDLE_MINUTES * 60_000,
  absoluteMs: ABSOLUTE_HOURS * 3_600_000,
};

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface OpenedSession {
  readonly token: string;
  readonly csrfToken: string;
}

export async function openSession(
  db: Kysely<Database>,
  user: Pick<User, 'id'>,
  now: string,
  ip: string | null,
  timeouts: SessionTimeouts = DEFAULT_TIMEOUTS,
): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db
    .insertInto('sessions')
    .values({
      token_hash: hashOf(token),
      user_id: user.id,
      csrf_token: csrfToken,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(Date.parse(now) + timeouts.absoluteMs).toISOString(),
      ip,
    })
    .execute();
  return { token, csrfToken };
}

export interface ActiveSession {
  readonly user: User;
  readonly csrfToken: string;
}

/** The session's user, or null when the token is unknown, idle too long or past its end. */
export async function resumeSession(
  db: Kysely<Database>,
  token: string,
  now: string,
  timeouts: SessionTimeouts = DEFAULT_TIMEOUTS,
): Promise<ActiveSession | null> {
  const tokenHash = hashOf(token);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.csrf_token', 'sessions.last_seen_at', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return null;
  const nowMs = Date.parse(now);
  if (
    row.disabled ||
    Date.parse(row.expires_at) <= nowMs ||
    Date.parse(row.last_seen_at) + timeouts.idleMs <= nowMs
  ) {
    await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
    return null;
  }
  // Touch at most once a minute: a dashboard polling every few seconds should not write each time.
  if (nowMs - Date.parse(row.last_seen_at) > 60_000) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute();
  }
  const { csrf_token, last_seen_at: _seen, expires_at: _expires, ...user } = row;
  return { user, csrfToken: csrf_token };
}

export async function closeSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashOf(token)).execute();
}
