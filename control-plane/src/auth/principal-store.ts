// Looks an API key up before any tenant is known, through the one SECURITY DEFINER function that
// may read across tenants (and returns at most one row, for one lookup id).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantRole } from './roles.ts';

export interface StoredKey {
  keyId: string;
  tenantId: string;
  role: TenantRole;
  keyHash: string;
  tier: 'basic' | 'pro' | 'enterprise';
  suspended: boolean;
}

export type FindKey = (lookupId: string) => Promise<StoredKey | undefined>;

/** A FindKey reading PostgreSQL through `root` (forked per call). Revoked keys are not found. */
export function createKeyFinder(root: EntityManager): FindKey {
  return async (lookupId) => {
    const [row] = await root.fork().execute<
      {
        key_id: string;
        tenant_id: string;
        role: TenantRole;
        key_hash: string;
        tier: StoredKey['tier'];
        suspended: boolean;
      }[]
    >('select * from api_key_principal(?)', [lookupId]);
    if (!row) return undefined;
    return {
      keyId: row.key_id,
      tenantId: row.tenant_id,
      role: row.role,
      keyHash: row.key_hash,
      tier: row.tier,
      suspended: row.suspended,
    };
  };
}

/** A FindKey that remembers answers for a short while, and forgets a tenant's at once when told. */
export interface KeyCache {
  find: FindKey;
  /**
   * Drops every remembered key of `tenantId` and every lookup in flight. Call it once a change to
   * the tenant's keys (revocation) or to the tenant itself is committed. Idempotent.
   */
  forgetTenant(tenantId: string): void;
}

export interface KeyCacheOptions {
  /** How long a found key is trusted without asking PostgreSQL again (another replica's revocation waits this long). */
  ttlMs?: number;
  /** Remembered keys at most; past it the oldest are dropped. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  until: number;
  stored: Promise<StoredKey | undefined>;
  /** Known once the lookup answered. */
  tenantId?: string;
}

/**
 * Caches `find` per lookup id for `ttlMs` (default 2 s). Only found keys are kept: an unknown or
 * revoked key asks PostgreSQL each time, so a key issued on another replica works at once. The
 * caller still compares the presented key with the stored hash on every request.
 */
export function createKeyCache(
  find: FindKey,
  { ttlMs = 2_000, maxEntries = 10_000, now = Date.now }: KeyCacheOptions = {},
): KeyCache {
  const entries = new Map<string, Entry>();

  const lookUp = (lookupId: string): Entry => {
    const entry: Entry = { until: now() + ttlMs, stored: find(lookupId) };
    entry.stored.then(
      (stored) => {
        if (stored) entry.tenantId = stored.tenantId;
        else if (entries.get(lookupId) === entry) entries.delete(lookupId);
      },
      () => {
        if (entries.get(lookupId) === entry) entries.delete(lookupId);
      },
    );
    return entry;
  };

  return {
    find(lookupId) {
      const hit = entries.get(lookupId);
      if (hit && hit.until > now()) return hit.stored;
      entries.delete(lookupId);
      // Maps iterate in insertion order: the first key is the oldest.
      while (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      const entry = lookUp(lookupId);
      entries.set(lookupId, entry);
      return entry.stored;
    },
    forgetTenant(tenantId) {
      // A lookup in flight may have read the row as it was before the change: it serves the
      // requests already waiting for it, and is not kept for the next ones.
      for (const [lookupId, entry] of entries) {
        if (entry.tenantId === undefined || entry.tenantId === tenantId) entries.delete(lookupId);
      }
    },
  };
}
