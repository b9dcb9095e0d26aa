// A tenant scope is a forked EntityManager inside a transaction that runs as the API role with
// `app.tenant_id` set; row-level security then shows and accepts only that tenant's rows.
import type { EntityManager } from '@mikro-orm/postgresql';

/** The database role every request runs as (migrations create it; see docs/rls.md). */
export const apiRole = 'agentplane_api';

/**
 * Forks `root`, begins a transaction and scopes it to `tenantId`. The caller must `commit()` or
 * `rollback()` the returned EntityManager. Throws the driver's error when PostgreSQL is unreachable.
 */
export async function openTenantScope(root: EntityManager, tenantId: string): Promise<EntityManager> {
  // MikroORM applies a fork's session context at `begin()` as `set local role` and
  // `set_config(..., true)`: both end with the transaction, so a pooled connection never carries
  // one request's tenant or role into the next.
  const em = root.fork({ session: { role: apiRole, variables: { 'app.tenant_id': tenantId } } });
  await em.begin();
  return em;
}

/** Runs `work` in a tenant scope; commits when it resolves, rolls back when it throws. */
export async function withTenantScope<T>(
  root: EntityManager,
  tenantId: string,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const em = await openTenantScope(root, tenantId);
  try {
    const result = await work(em);
    await em.commit();
    return result;
  } catch (error) {
    if (em.isInTransaction()) await em.rollback();
    throw error;
  }
}
