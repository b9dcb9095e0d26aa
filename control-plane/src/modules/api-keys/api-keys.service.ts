// API keys of a tenant: issued with a role, shown once, stored as a SHA-256 hash, revocable.
import type { EntityManager } from '@mikro-orm/postgresql';
import { apiKeyPrefix, issueKey } from '../../auth/api-key.ts';
import type { Principal, TenantRole } from '../../auth/roles.ts';
import { actorOf } from '../../auth/roles.ts';
import { ApiKey, Tenant } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { ApiKeyView, CreateApiKeyBody } from './api-keys.schemas.ts';

const rank: Record<TenantRole, number> = { owner: 3, admin: 2, developer: 1, member: 1 };

function toView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    prefix: `${apiKeyPrefix}${key.lookupId}`,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

export function createApiKeysService({ audit }: { audit: AuditLog }) {
  return {
    /** Issues a key; the returned `key` is the only time it exists outside the caller. Nobody mints a role above their own. */
    async create(em: EntityManager, tenantId: string, body: CreateApiKeyBody, principal: Principal) {
      if (principal.kind === 'api-key' && rank[body.role] > rank[principal.role]) {
        throw new DomainError('forbidden', `a ${principal.role} cannot issue a key with role ${body.role}`);
      }
      // Only a platform administrator can get here for a tenant that does not exist.
      if (!(await em.findOne(Tenant, { id: tenantId }))) throw notFound('tenant', tenantId);
      const issued = issueKey();
      const key = em.create(ApiKey, {
        tenantId,
        lookupId: issued.lookupId,
        keyHash: issued.hash,
        name: body.name,
        role: body.role,
        revokedAt: null,
      });
      await em.flush();
      await audit.record(em, {
        tenantId,
        actor: actorOf(principal),
        action: 'api-key.created',
        target: `api-key/${key.id}`,
        after: { name: key.name, role: key.role, prefix: issued.prefix },
      });
      return { ...toView(key), key: issued.key };
    },

    async list(em: EntityManager, tenantId: string): Promise<ApiKeyView[]> {
      const keys = await em.find(ApiKey, { tenantId }, { orderBy: { createdAt: 'asc' } });
      return keys.map(toView);
    },

    /** Revokes the key (idempotent); 404 when the tenant has no such key. */
    async revoke(em: EntityManager, tenantId: string, keyId: string, principal: Principal): Promise<void> {
      const key = await em.findOne(ApiKey, { id: keyId, tenantId });
      if (!key) throw notFound('api key', keyId);
      if (key.revokedAt) return;
      key.revokedAt = new Date();
      await em.flush();
      await audit.record(em, {
        tenantId,
        actor: actorOf(principal),
        action: 'api-key.revoked',
        target: `api-key/${key.id}`,
      });
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
