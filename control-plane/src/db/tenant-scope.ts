// A tenant scope is a forked EntityManager inside a transaction that runs as the API role with
// `app.tenant_id` set; row-level security then shows and accepts only that tenant's rows.
import type { EntityManager } from '@mikro-orm/postgresql';

/** The database role every request runs as (migrations create it; see control-plane/docs/data-isolation.md). */
export const apiRole = 'agentplane_api';

// Role and tenant in one round trip. `set_config(…, true)` is `SET LOCAL`: both end with the
// transaction (commit or rollback), so a pooled connection never carries one request's tenant or
// role into the next. (A fork's `session` option would send the same as two statements.)
const enterScope = `select set_config('role', '${apiRole}', true), set_config('app.tenant_id', ?, true)`;

/**
 * Forks `root`, begins a transaction and scopes it to `tenantId`. The caller must `commit()` or
 * `rollback()` the returned EntityManager. Throws the driver's error when PostgreSQL is unreachable.
 */
export async function openTenantScope(root: EntityManager, tenantId: string): Promise<EntityManager> {
  const em = root.fork();
  await em.begin();
  try {
    await em.execute(enterScope, [tenantId]);
  } catch (error) {
    // The transaction's connection goes back to the pool only once the transaction ends.
    await em.rollback().catch(() => {});
    throw error;
  }
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
