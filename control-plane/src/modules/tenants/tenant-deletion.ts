// Deleting a tenant from every store (docs/knowledge-and-data-rights.md, "Tenant deletion"). One
// pass, each step idempotent and committed on its own, so a pass that fails half-way is resumed by
// running it again:
//   1. fence: API keys revoked, the tenant suspended (messages answer 409), `tenant.deletion-started`
//      audited — the record that lets a later pass find the deletion once the rows are gone;
//   2. PostgreSQL: every tenant table, children first, then the tenants row, and the Tenant resource
//      deleted on the cluster before that transaction commits (as creating a tenant writes it last);
//   3. the vector store's points;
//   4. the PII keys, last: destroyed only once no row they open is left.
// The audit trail stays (append-only); the pass's report is its last event, `tenant.deleted`.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { KeyCache } from '../../auth/principal-store.ts';
import type { Pii } from '../../crypto/pii.ts';
import { withTenantScope } from '../../db/tenant-scope.ts';
import { notFound } from '../../errors.ts';
import { asDomainError, type KnowledgeIndex } from '../../knowledge/knowledge-index.ts';
import type { ResourceWriter, TenantRemoval } from '../../kube/resource-writer.ts';
import { transitKeyName } from '../../vault/transit.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { TenantDeletionView } from './tenants.schemas.ts';

export interface TenantDeletionDeps {
  root: EntityManager;
  writer: ResourceWriter;
  audit: AuditLog;
  /** Unset: no Vault, so no PII key was ever made for any tenant. */
  pii: Pii | undefined;
  /** Unset: no vector store configured. */
  index: KnowledgeIndex | undefined;
  /** The authentication cache: the revoked keys must stop working in this process at once. */
  keys?: Pick<KeyCache, 'forgetTenant'>;
}

/**
 * Every table holding a tenant's rows, children before parents (the composite foreign keys), the
 * tenants row after them. `audit_events` is left out on purpose: the trail outlives the tenant.
 */
export const tenantDataTables = [
  'data_export_parts',
  'data_exports',
  'knowledge_chunks',
  'knowledge_documents',
  'webhook_deliveries',
  'outbound_webhooks',
  'leads',
  'results',
  'messages',
  'conversations',
  'agent_instances',
  'usage_records',
  'flag_overrides',
  'memberships',
  'users',
  'api_keys',
  'tenant_keys',
  'tenant_placements',
] as const;

type VectorReport = TenantDeletionView['vectorStore'];

interface Deletion {
  startedAt: string;
  apiKeysRevoked: number;
  /** Rows deleted per table, summed over the passes so far. */
  postgres: Record<string, number>;
  /** The last pass's report, when one finished. */
  report: TenantDeletionView | undefined;
  /** The tenant's audit events: they stay. */
  auditEvents: number;
  /** An earlier pass asked the cluster to delete the Tenant. */
  deleteRequested: boolean;
}

const affected = (result: unknown) => (result as { affectedRows?: number }).affectedRows ?? 0;

/** The deletion under way for `tenant` (started after its latest creation), read from the audit trail. */
async function deletionOf(em: EntityManager, tenant: string): Promise<Deletion | undefined> {
  const [start] = await em.execute<{ seq: string; created_at: Date; details: { apiKeysRevoked?: number } }[]>(
    `select seq, created_at, details from audit_events
     where tenant_id = ? and action = 'tenant.deletion-started'
       and seq > coalesce((select max(seq) from audit_events where tenant_id = ? and action = 'tenant.created'), 0)
     order by seq desc limit 1`,
    [tenant, tenant],
  );
  if (!start) return undefined;
  const later = await em.execute<{ action: string; details: Record<string, unknown> }[]>(
    `select action, details from audit_events
     where tenant_id = ? and seq > ? and action in ('tenant.data-deleted', 'tenant.deleted') order by seq`,
    [tenant, start.seq],
  );
  const [events] = await em.execute<{ n: number }[]>(
    'select count(*)::int as n from audit_events where tenant_id = ?',
    [tenant],
  );
  const postgres: Record<string, number> = {};
  let report: TenantDeletionView | undefined;
  let deleteRequested = false;
  for (const { action, details } of later) {
    const kubernetes = details.kubernetes as TenantRemoval | undefined;
    deleteRequested ||= Boolean(kubernetes?.deleteRequested);
    if (action === 'tenant.deleted') report = details as unknown as TenantDeletionView;
    else
      for (const [table, rows] of Object.entries(details.postgres as Record<string, number>))
        postgres[table] = (postgres[table] ?? 0) + rows;
  }
  return {
    startedAt: new Date(start.created_at).toISOString(),
    apiKeysRevoked: start.details.apiKeysRevoked ?? 0,
    postgres,
    report,
    auditEvents: events?.n ?? 0,
    deleteRequested,
  };
}

function stateOf(kubernetes: TenantRemoval, vectorStore: VectorReport): TenantDeletionView['state'] {
  if (vectorStore && vectorStore.pointsAfter > 0) return 'incomplete';
  return kubernetes.present ? 'deleting' : 'completed';
}

export function createTenantDeletion({ root, writer, audit, pii, index, keys }: TenantDeletionDeps) {
  const inScope = <T>(tenant: string, work: (em: EntityManager) => Promise<T>) =>
    withTenantScope(root, tenant, work);

  /** Step 1. Throws 404 when the tenant neither exists nor is being deleted. */
  const fence = (tenant: string, actor: string) =>
    inScope(tenant, async (em) => {
      const [row] = await em.execute(
        'select id, tier, display_name, isolation, region from tenants where id = ? for update',
        [tenant],
      );
      const started = await deletionOf(em, tenant);
      if (!row && !started) throw notFound('tenant', tenant);
      if (!row) return started as Deletion;
      const revoked = affected(
        await em.execute(
          'update api_keys set revoked_at = now() where tenant_id = ? and revoked_at is null',
          [tenant],
          'run',
        ),
      );
      await em.execute(
        'update tenants set suspended = true, updated_at = now() where id = ?',
        [tenant],
        'run',
      );
      if (started) return { ...started, apiKeysRevoked: started.apiKeysRevoked + revoked };
      await audit.record(em, {
        tenantId: tenant,
        actor,
        action: 'tenant.deletion-started',
        target: `tenant/${tenant}`,
        before: row,
        details: { apiKeysRevoked: revoked },
      });
      return (await deletionOf(em, tenant)) as Deletion;
    });

  /** Step 2: one transaction for the rows; the cluster is asked before it commits. */
  const deleteRows = (tenant: string, actor: string) =>
    inScope(tenant, async (em) => {
      // Locked first: the hub's reconcile reads this row FOR SHARE and must queue behind the whole
      // deletion (never hold it while we delete its children), then find nothing to re-create.
      await em.execute('select id from tenants where id = ? for update', [tenant]);
      const postgres: Record<string, number> = {};
      for (const table of tenantDataTables)
        postgres[table] = affected(
          await em.execute(`delete from ${table} where tenant_id = ?`, [tenant], 'run'),
        );
      postgres.tenants = affected(await em.execute('delete from tenants where id = ?', [tenant], 'run'));
      const kubernetes = await writer.deleteTenant(tenant);
      const deleted = Object.fromEntries(Object.entries(postgres).filter(([, rows]) => rows > 0));
      if (Object.keys(deleted).length > 0)
        await audit.record(em, {
          tenantId: tenant,
          actor,
          action: 'tenant.data-deleted',
          target: `tenant/${tenant}`,
          details: { postgres: deleted, kubernetes },
        });
      return kubernetes;
    });

  /** Step 3. Null without a vector store; 503 when it fails. */
  async function deletePoints(tenant: string): Promise<VectorReport> {
    if (!index) return null;
    try {
      await index.ready();
      const pointsBefore = await index.store.count(tenant);
      let cursor: string | undefined;
      do {
        const page = await index.store.list(tenant, { limit: 256, ...(cursor ? { cursor } : {}) });
        if (page.points.length > 0)
          await index.store.delete(
            tenant,
            page.points.map((point) => point.id),
          );
        cursor = page.next;
      } while (cursor);
      return { pointsBefore, pointsAfter: await index.store.count(tenant) };
    } catch (error) {
      throw asDomainError(error);
    }
  }

  /** Step 4. */
  async function destroyKeys(tenant: string): Promise<TenantDeletionView['vault']> {
    const transitKey = transitKeyName(tenant);
    if (!pii) return { configured: false, transitKey, keysDestroyed: false };
    await pii.destroyTenantKeys(tenant);
    return { configured: true, transitKey, keysDestroyed: true };
  }

  return {
    /**
     * Deletes tenant `tenant` everywhere and returns the report (state `deleting` while the operator
     * still cleans up the cluster side). Idempotent: a repeated call resumes an unfinished pass and
     * reports the whole deletion. Throws 404 for a tenant that neither exists nor is being deleted,
     * 503 when a store is down (the steps done so far stay done).
     */
    async remove(tenant: string, actor: string): Promise<TenantDeletionView> {
      const started = await fence(tenant, actor);
      keys?.forgetTenant(tenant); // committed: no lookup from now on finds the revoked keys
      const kubernetes = await deleteRows(tenant, actor);
      const points = await deletePoints(tenant);
      const vault = await destroyKeys(tenant);
      return inScope(tenant, async (em) => {
        const totals = (await deletionOf(em, tenant)) ?? started;
        const earlier = totals.report?.vectorStore;
        const vectorStore = points && earlier ? { ...points, pointsBefore: earlier.pointsBefore } : points;
        const view: TenantDeletionView = {
          tenant,
          state: stateOf(kubernetes, vectorStore),
          startedAt: started.startedAt,
          finishedAt: new Date().toISOString(),
          apiKeysRevoked: started.apiKeysRevoked,
          kubernetes: {
            ...kubernetes,
            deleteRequested: kubernetes.deleteRequested || totals.deleteRequested,
          },
          postgres: Object.fromEntries(
            [...tenantDataTables, 'tenants'].map((t) => [t, totals.postgres[t] ?? 0]),
          ),
          auditEventsKept: totals.auditEvents + 1, // this pass's own event included
          vectorStore,
          vault,
        };
        await audit.record(em, {
          tenantId: tenant,
          actor,
          action: 'tenant.deleted',
          target: `tenant/${tenant}`,
          details: { ...view },
        });
        return view;
      });
    },

    /** The deletion's last report with the cluster side read now. 404 when none was started. */
    async progress(tenant: string): Promise<TenantDeletionView> {
      const deletion = await inScope(tenant, (em) => deletionOf(em, tenant));
      if (!deletion) throw notFound('tenant deletion', tenant);
      const live = await writer.tenantRemoval(tenant);
      const last = deletion.report;
      const kubernetes = { ...live, deleteRequested: live.deleteRequested || deletion.deleteRequested };
      if (!last)
        return {
          tenant,
          state: 'incomplete',
          startedAt: deletion.startedAt,
          finishedAt: null,
          apiKeysRevoked: deletion.apiKeysRevoked,
          kubernetes,
          postgres: deletion.postgres,
          auditEventsKept: deletion.auditEvents,
          vectorStore: null,
          vault: { configured: Boolean(pii), transitKey: transitKeyName(tenant), keysDestroyed: false },
        };
      return {
        ...last,
        kubernetes,
        state: stateOf(kubernetes, last.vectorStore),
        auditEventsKept: deletion.auditEvents,
      };
    },
  };
}

export type TenantDeletion = ReturnType<typeof createTenantDeletion>;
