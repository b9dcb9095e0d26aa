// The audit trail: append-only (the API role has no UPDATE/DELETE on it) and hash-chained per
// tenant, so a changed, removed or reordered event breaks the chain from that point on.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../../db/entities.ts';

export interface AuditEntry {
  tenantId: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
}

/** JSON with sorted keys: jsonb does not keep key order, and the hash must be reproducible. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const digestOf = (value: unknown) => (value === undefined ? null : sha256(canonicalJson(value)));

type Chained = Pick<
  AuditEvent,
  | 'tenantId'
  | 'seq'
  | 'actor'
  | 'action'
  | 'target'
  | 'beforeDigest'
  | 'afterDigest'
  | 'details'
  | 'createdAt'
  | 'prevHash'
>;

function hashOf(event: Chained): string {
  const { tenantId, seq, actor, action, target, beforeDigest, afterDigest, details, createdAt, prevHash } =
    event;
  // Only the chained fields, by name: an entity also carries its id and hash.
  const fields = { tenantId, actor, action, target, beforeDigest, afterDigest, details, prevHash };
  return sha256(canonicalJson({ ...fields, seq: Number(seq), createdAt: createdAt.toISOString() }));
}

export interface Verification {
  valid: boolean;
  events: number;
  /** The first event whose hash or link does not match. */
  brokenAtSeq?: number;
}

export function createAuditLog() {
  return {
    /** Appends one event in `em`'s transaction; serialised per tenant by an advisory lock. */
    async record(em: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
      await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`audit:${entry.tenantId}`]);
      const last = await em.findOne(AuditEvent, { tenantId: entry.tenantId }, { orderBy: { seq: 'desc' } });
      const chained: Chained = {
        tenantId: entry.tenantId,
        seq: Number(last?.seq ?? 0) + 1,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        beforeDigest: digestOf(entry.before),
        afterDigest: digestOf(entry.after),
        details: entry.details ?? {},
        createdAt: new Date(),
        prevHash: last?.hash ?? '',
      };
      const event = em.create(AuditEvent, { ...chained, hash: hashOf(chained) });
      await em.flush();
      return event;
    },

    /** Recomputes the tenant's chain from the first event. Read-only. */
    async verify(em: EntityManager, tenantId: string): Promise<Verification> {
      const events = await em.find(AuditEvent, { tenantId }, { orderBy: { seq: 'asc' } });
      let prevHash = '';
      for (const [index, event] of events.entries()) {
        const intact =
          Number(event.seq) === index + 1 && event.prevHash === prevHash && hashOf(event) === event.hash;
        if (!intact) return { valid: false, events: events.length, brokenAtSeq: Number(event.seq) };
        prevHash = event.hash;
      }
      return { valid: true, events: events.length };
    },

    list(em: EntityManager, tenantId: string, limit: number) {
      return em.find(AuditEvent, { tenantId }, { orderBy: { seq: 'desc' }, limit });
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
