// Tenants: created by platform administrators, in the database (the record the API answers from)
// and on the cluster as a Tenant resource, in one step that fails as a whole. On a multi-cluster hub
// the tenant is first placed on a member cluster, and reading it shows its status there.
import { effectiveTenantSettings, InvalidTenantSpecError, type TenantSpec } from '@agentplane/crds';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Tenant } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { ResourceWriter } from '../../kube/resource-writer.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { PlacementsService } from '../placements/placements.service.ts';
import type { CreateTenantBody, TenantView } from './tenants.schemas.ts';

export interface TenantsDeps {
  writer: ResourceWriter;
  audit: AuditLog;
  /** Present on a multi-cluster hub: places new tenants and reports their live status. */
  placements?: PlacementsService;
}

type Placed = Pick<TenantView, 'placement' | 'status'>;

export function toTenantView(tenant: Tenant, placed: Placed = { placement: null, status: null }): TenantView {
  const { isolation } = effectiveTenantSettings({
    tier: tenant.tier,
    ...(tenant.isolation ? { isolation: tenant.isolation } : {}),
  });
  return {
    id: tenant.id,
    displayName: tenant.displayName ?? null,
    tier: tenant.tier,
    isolation,
    region: tenant.region ?? null,
    suspended: tenant.suspended,
    createdAt: tenant.createdAt.toISOString(),
    ...placed,
  };
}

function specOf(body: CreateTenantBody): TenantSpec {
  const { displayName, tier, isolation, region } = body;
  return {
    tier,
    ...(displayName ? { displayName } : {}),
    ...(isolation ? { isolation } : {}),
    ...(region ? { region } : {}),
  };
}

export function createTenantsService({ writer, audit, placements }: TenantsDeps) {
  return {
    /**
     * Creates tenant `body.name` (em scoped to it). Throws 409 when it exists or (on a hub) when no
     * member cluster can take it, 422 for a tier/isolation mismatch or a pin without a hub.
     */
    async create(em: EntityManager, body: CreateTenantBody, actor: string): Promise<TenantView> {
      const spec = specOf(body);
      try {
        effectiveTenantSettings(spec);
      } catch (error) {
        if (error instanceof InvalidTenantSpecError) throw new DomainError('unprocessable', error.message);
        throw error;
      }
      if (await em.findOne(Tenant, { id: body.name })) {
        throw new DomainError('conflict', `tenant "${body.name}" already exists`);
      }
      if (body.cluster && !placements)
        throw new DomainError(
          'unprocessable',
          'cluster pins a tenant on a multi-cluster hub, and this one is not',
        );
      const tenant = em.create(Tenant, {
        id: body.name,
        displayName: body.displayName ?? null,
        tier: body.tier,
        isolation: body.isolation ?? null,
        region: body.region ?? null,
      });
      await em.flush();
      const placement = placements ? await placements.place(em, tenant, actor, body.cluster) : undefined;
      await audit.record(em, {
        tenantId: tenant.id,
        actor,
        action: 'tenant.created',
        target: `tenant/${tenant.id}`,
        after: spec,
        ...(placement ? { details: { cluster: placement.cluster } } : {}),
      });
      // Last, so a cluster that refuses leaves no database row behind (the transaction rolls back).
      if (placements && placement) await placements.applyTenant(placement.cluster, tenant);
      else await writer.applyTenant(tenant.id, spec);
      return toTenantView(tenant, placements ? await placements.summary(em, tenant.id) : undefined);
    },

    /** The tenant; 404 when it does not exist (or is not the caller's, which RLS makes the same). */
    async get(em: EntityManager, id: string): Promise<TenantView> {
      const tenant = await em.findOne(Tenant, { id });
      if (!tenant) throw notFound('tenant', id);
      return toTenantView(tenant, placements ? await placements.summary(em, id) : undefined);
    },
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
