/**
 * The audit log: one row per change (who, when, what, the object before and after), written in the
 * same transaction as the change, so a change without its audit row cannot commit. Full identity
 * numbers never enter it: values are masked before they are stored.
 */
import { maskIdNumbersIn } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { AuditEntry, Database } from '../db/schema.ts';

export interface AuditActor {
  readonly userId: number | null;
  readonly name: string;
  readonly role: string;
  readonly countyCode: string;
  readonly ip: string | null;
}

export interface AuditRecord {
  readonly action: string;
  readonly objectType: string;
  readonly objectId?: string | number | null;
  readonly regionCode?: string | null;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** JSON of a value with every 18-digit identity number masked. */
export function auditJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return maskIdNumbersIn(JSON.stringify(value));
}

export async function writeAudit(
  db: Kysely<Database>,
  actor: AuditActor,
  record: AuditRecord,
  at: string,
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      county_code: actor.countyCode,
      at,
      user_id: actor.userId,
      actor: actor.name,
      role: actor.role,
      action: record.action,
      object_type: record.objectType,
      object_id: record.objectId === undefined || record.objectId === null ? null : String(record.objectId),
      region_code: record.regionCode ?? null,
      before_json: auditJson(record.before),
      after_json: auditJson(record.after),
      ip: actor.ip,
    })
    .execute();
}

export interface AuditQuery {
  readonly countyCode: string;
  readonly action?: string;
  readonly actor?: string;
  readonly limit: number;
  readonly beforeId?: number;
}

export async function listAudit(db: Kysely<Database>, query: AuditQuery): Promise<AuditEntry[]> {
  let q = db.selectFrom('audit_log').selectAll().where('county_code', '=', query.countyCode);
  if (query.action) q = q.where('action', '=', query.action);
  if (query.actor) q = q.where('actor', '=', query.actor);
  if (query.beforeId) q = q.where('id', '<', query.beforeId);
  return q.orderBy('id', 'desc').limit(query.limit).execute();
}
