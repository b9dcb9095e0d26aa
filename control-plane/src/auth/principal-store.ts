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
