// Where tenants run: the placement of a new tenant (decided and stored in the creating
// transaction, one decision at a time), its live status from the member's cache, an
// administrator's pin, and migrations. The hub's reconcile does the moving; this only records intent.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Tenant } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import { desiredTenant } from '../../multicluster/desired.ts';
import { MemberCluster, type MigrationState, TenantPlacement } from '../../multicluster/entities.ts';
import type { Hub } from '../../multicluster/hub.ts';
import { applyOnMember } from '../../multicluster/hub-writer.ts';
import { liveTenantStatus } from '../../multicluster/live-status.ts';
import {
  type CandidateVerdict,
  decidePlacement,
  type PlacementDecision,
  tenantNeed,
} from '../../multicluster/placement.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import { multiclusterDisabled } from '../clusters/clusters.service.ts';
import type { PlacementView } from './placements.schemas.ts';

// Decisions are serialised so two tenants created at once cannot both take a cluster's last room.
const placementLock = 'agentplane:placement';

function toView(row: TenantPlacement): PlacementView {
  return {
    tenant: row.tenantId,
    cluster: row.cluster,
    pinned: row.pinned,
    decision: row.decision,
    migration: row.migration ?? null,
    sync: row.sync ?? null,
    placedAt: row.placedAt.toISOString(),
  };
}

const summaryOf = (candidates: CandidateVerdict[]) =>
  candidates.map((c) => `${c.cluster}: ${c.reasons.join(', ')}`).join('; ') ||
  'no member cluster is registered';

export function createPlacementsService({ hub, audit }: { hub: Hub | undefined; audit: AuditLog }) {
  const enabled = (): Hub => {
    if (!hub) throw multiclusterDisabled();
    return hub;
  };

  /** Decides for `need` among the current clusters; throws 409 with every cluster's reasons when none fits. */
  async function decide(
    em: EntityManager,
    tenant: string,
    need: ReturnType<typeof tenantNeed>,
    actor: string,
    pin?: string,
  ): Promise<PlacementDecision & { cluster: string }> {
    const active = enabled();
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [placementLock]);
    if (pin !== undefined && !(await em.findOne(MemberCluster, { name: pin })))
      throw notFound('cluster', pin);
    const { cluster, candidates } = decidePlacement(
      need,
      await active.snapshots(em),
      active.settings.rules,
      pin,
    );
    if (!cluster)
      throw new DomainError(
        'conflict',
        `no member cluster can take tenant "${tenant}": ${summaryOf(candidates)}`,
        {
          details: { candidates },
        },
      );
    return { cluster, pinned: pin !== undefined, candidates, decidedAt: new Date().toISOString(), by: actor };
  }

  async function find(em: EntityManager, tenantId: string): Promise<TenantPlacement> {
    enabled();
    const row = await em.findOne(TenantPlacement, { tenantId });
    if (!row) throw notFound('placement', tenantId);
    return row;
  }

  async function startMigration(em: EntityManager, row: TenantPlacement, to: string, actor: string) {
    if (row.migration && row.migration.step !== 'Completed')
      throw new DomainError('conflict', `tenant "${row.tenantId}" is already moving to ${row.migration.to}`, {
        details: { migration: row.migration },
      });
    if (to === row.cluster)
      throw new DomainError('conflict', `tenant "${row.tenantId}" already runs on ${to}`);
    const need = {
      tier: row.tier,
      region: row.region ?? null,
      cpuMillis: row.cpuMillis,
      memoryBytes: row.memoryBytes,
    };
    const decision = await decide(em, row.tenantId, need, actor, to);
    const now = new Date().toISOString();
    const migration: MigrationState = {
      from: row.cluster,
      to,
      step: 'BuildingTarget',
      startedAt: now,
      updatedAt: now,
      message: `building the tenant on ${to}`,
      by: actor,
    };
    Object.assign(row, { migration, migrationPeer: to, decision: { ...decision, pinned: row.pinned } });
    await em.flush();
    await audit.record(em, {
      tenantId: row.tenantId,
      actor,
      action: 'tenant.migration-started',
      target: `tenant/${row.tenantId}`,
      details: { from: row.cluster, to },
    });
  }

  return {
    /** Places a new tenant (its row flushed in `em`); 409 with reasons per cluster when nothing fits. */
    async place(em: EntityManager, tenant: Tenant, actor: string, pin?: string): Promise<TenantPlacement> {
      const need = tenantNeed({
        tier: tenant.tier,
        isolation: tenant.isolation ?? null,
        region: tenant.region ?? null,
      });
      const decision = await decide(em, tenant.id, need, actor, pin);
      const row = em.create(TenantPlacement, {
        tenantId: tenant.id,
        cluster: decision.cluster,
        tier: tenant.tier,
        region: tenant.region ?? null,
        cpuMillis: need.cpuMillis,
        memoryBytes: need.memoryBytes,
        pinned: decision.pinned,
        decision,
      });
      await em.flush();
      return row;
    },

    /** Writes the Tenant to its cluster now, so a member that refuses fails the creation. */
    async applyTenant(cluster: string, tenant: Tenant): Promise<void> {
      const member = enabled().member(cluster);
      if (!member) throw new DomainError('dependency_unavailable', `the hub is not connected to ${cluster}`);
      await applyOnMember(member, desiredTenant(tenant));
    },

    /** Where the tenant runs and its status there, from the hub's cache; nulls without a placement. */
    async summary(em: EntityManager, tenantId: string) {
      const row = hub ? await em.findOne(TenantPlacement, { tenantId }) : null;
      if (!hub || !row) return { placement: null, status: null };
      const member = hub.member(row.cluster);
      const migrating = row.migration && row.migration.step !== 'Completed' ? row.migration.to : null;
      return {
        placement: { cluster: row.cluster, pinned: row.pinned, migratingTo: migrating },
        status: liveTenantStatus(
          row.cluster,
          member?.health(),
          member?.tenants.get(tenantId),
          member?.tenants.hasSynced() ?? false,
        ),
      };
    },

    async get(em: EntityManager, tenantId: string): Promise<PlacementView> {
      return toView(await find(em, tenantId));
    },

    /** Starts moving the tenant to `cluster` (health and capacity must allow it); 409 when pinned elsewhere. */
    async migrate(
      em: EntityManager,
      tenantId: string,
      cluster: string,
      actor: string,
    ): Promise<PlacementView> {
      const row = await find(em, tenantId);
      if (row.pinned && cluster !== row.cluster)
        throw new DomainError(
          'conflict',
          `tenant "${tenantId}" is pinned to ${row.cluster}: unpin it or pin it to ${cluster}`,
        );
      await startMigration(em, row, cluster, actor);
      enabled().enqueue(tenantId);
      return toView(row);
    },

    /** Pins the tenant to `cluster`, moving it there when it runs elsewhere. */
    async pin(em: EntityManager, tenantId: string, cluster: string, actor: string): Promise<PlacementView> {
      const row = await find(em, tenantId);
      if (cluster === row.cluster) {
        const reasons = [`pinned where it runs by ${actor}`];
        row.decision = {
          cluster,
          pinned: true,
          candidates: [{ cluster, fits: true, reasons, headroom: null }],
          decidedAt: new Date().toISOString(),
          by: actor,
        };
      } else {
        await startMigration(em, row, cluster, actor);
        enabled().enqueue(tenantId);
      }
      row.pinned = true;
      await em.flush();
      await audit.record(em, {
        tenantId,
        actor,
        action: 'tenant.pinned',
        target: `tenant/${tenantId}`,
        details: { cluster },
      });
      return toView(row);
    },

    async unpin(em: EntityManager, tenantId: string, actor: string): Promise<PlacementView> {
      const row = await find(em, tenantId);
      row.pinned = false;
      row.decision = { ...row.decision, pinned: false };
      await em.flush();
      await audit.record(em, { tenantId, actor, action: 'tenant.unpinned', target: `tenant/${tenantId}` });
      return toView(row);
    },
  };
}

export type PlacementsService = ReturnType<typeof createPlacementsService>;
