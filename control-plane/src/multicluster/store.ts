// The hub's reads and writes of PostgreSQL. Platform rows (clusters, placements) are read as the
// API role without a tenant; a tenant's own rows only inside its tenant scope, where row-level
// security holds as for any request.
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AgentInstance, Tenant } from '../db/entities.ts';
import { apiRole, withTenantScope } from '../db/tenant-scope.ts';
import { MemberCluster, TenantPlacement } from './entities.ts';

/** Runs `work` in a transaction as the API role, with no tenant set (platform tables only). */
export async function withPlatformScope<T>(
  root: EntityManager,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const em = root.fork({ session: { role: apiRole } });
  return em.transactional(work);
}

export interface ClusterUsage {
  tenants: number;
  cpuMillis: number;
  memoryBytes: number;
}

/** Per cluster: tenants placed there or moving there or away, and the quota they take. */
export async function clusterUsage(em: EntityManager): Promise<Map<string, ClusterUsage>> {
  const rows = await em.execute<Array<{ cluster: string; tenants: number; cpu: string; memory: string }>>(`
    select cluster, count(*)::int as tenants, sum(cpu_millis)::text as cpu, sum(memory_bytes)::text as memory
    from (
      select cluster, cpu_millis, memory_bytes from tenant_placements
      union all
      select migration_peer, cpu_millis, memory_bytes from tenant_placements where migration_peer is not null
    ) involved
    group by cluster`);
  return new Map(
    rows.map((r) => [
      r.cluster,
      { tenants: r.tenants, cpuMillis: Number(r.cpu), memoryBytes: Number(r.memory) },
    ]),
  );
}

export const listClusters = (em: EntityManager) => em.find(MemberCluster, {}, { orderBy: { name: 'asc' } });

/** The tenant's placement; `lock` reads it FOR SHARE (inside a transaction). */
export const findPlacement = (em: EntityManager, tenantId: string, { lock = false } = {}) =>
  em.findOne(TenantPlacement, { tenantId }, lock ? { lockMode: LockMode.PESSIMISTIC_READ } : {});

/** Every placed tenant, for periodic re-syncs and resuming migrations. */
export async function placedTenants(root: EntityManager): Promise<string[]> {
  const rows = await withPlatformScope(root, (em) =>
    em.find(TenantPlacement, {}, { fields: ['tenantId'], orderBy: { tenantId: 'asc' } }),
  );
  return rows.map((row) => row.tenantId);
}

/** The tenants placed on `cluster` or moving to or from it. */
export async function tenantsInvolving(root: EntityManager, cluster: string): Promise<string[]> {
  const rows = await withPlatformScope(root, (em) =>
    em.find(TenantPlacement, { $or: [{ cluster }, { migrationPeer: cluster }] }, { fields: ['tenantId'] }),
  );
  return rows.map((row) => row.tenantId);
}

export interface StoredTenant {
  tenant: Tenant;
  instances: AgentInstance[];
}

/**
 * The tenant and its agent instances as committed. The rows are read FOR SHARE: a request that
 * changed them and is about to commit (after writing the member itself) is waited for, so this
 * read never brings back the state that request just replaced.
 */
export function storedTenant(root: EntityManager, tenantId: string): Promise<StoredTenant | undefined> {
  return withTenantScope(root, tenantId, async (em) => {
    const tenant = await em.findOne(Tenant, { id: tenantId }, { lockMode: LockMode.PESSIMISTIC_READ });
    if (!tenant) return undefined;
    const instances = await em.find(
      AgentInstance,
      { tenantId },
      { lockMode: LockMode.PESSIMISTIC_READ, orderBy: { name: 'asc' } },
    );
    return { tenant, instances };
  });
}
