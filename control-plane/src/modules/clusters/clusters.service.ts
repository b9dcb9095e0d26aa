// The registry of member clusters (platform administrators only): credentials to Vault first,
// then the row, then the hub connects and probes, so the answer already carries the health.
import { parseQuantity } from '@agentplane/operator/kube';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, notFound } from '../../errors.ts';
import type { ClusterCredentials } from '../../multicluster/credentials.ts';
import { kubeConfigFor } from '../../multicluster/credentials.ts';
import { MemberCluster, TenantPlacement } from '../../multicluster/entities.ts';
import type { HealthRecord } from '../../multicluster/health.ts';
import type { Hub } from '../../multicluster/hub.ts';
import { type ClusterUsage, clusterUsage, listClusters } from '../../multicluster/store.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { ClusterView, RegisterClusterBody } from './clusters.schemas.ts';

const platformTenant = '_platform';

export const multiclusterDisabled = () =>
  new DomainError(
    'dependency_unavailable',
    'multi-cluster placement is off: start the control plane with CONTROL_PLANE_MULTICLUSTER=true (and Vault)',
    { details: { dependency: 'multicluster' } },
  );

function credentialsOf(body: RegisterClusterBody['credentials']): ClusterCredentials {
  const { kubeconfig, token, caData } = body;
  if ((kubeconfig === undefined) === (token === undefined))
    throw new DomainError('invalid_request', 'credentials needs exactly one of kubeconfig or token', {
      details: { field: 'body/credentials' },
    });
  if (kubeconfig !== undefined) return { kind: 'kubeconfig', kubeconfig };
  return { kind: 'token', token: token ?? '', ...(caData ? { caData } : {}) };
}

const toIso = (date: Date | null | undefined) => date?.toISOString() ?? null;

function healthOf(row: MemberCluster, live: HealthRecord | undefined): ClusterView['health'] {
  if (live)
    return {
      state: live.state,
      message: live.message,
      since: toIso(live.since),
      lastProbeAt: toIso(live.lastProbeAt),
      lastSuccessAt: toIso(live.lastSuccessAt),
    };
  return {
    state: row.health,
    message: row.healthMessage ?? '',
    since: toIso(row.healthSince),
    lastProbeAt: toIso(row.lastProbeAt),
    lastSuccessAt: toIso(row.lastSuccessAt),
  };
}

const millisToCpu = (millis: number) => (millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`);
const bytesToMemory = (bytes: number) =>
  bytes % 2 ** 30 === 0
    ? `${bytes / 2 ** 30}Gi`
    : bytes % 2 ** 20 === 0
      ? `${bytes / 2 ** 20}Mi`
      : String(bytes);

export function createClustersService({ hub, audit }: { hub: Hub | undefined; audit: AuditLog }) {
  const enabled = (): Hub => {
    if (!hub) throw multiclusterDisabled();
    return hub;
  };
  const view = (row: MemberCluster, usage: ClusterUsage | undefined, vaultPath: string): ClusterView => ({
    name: row.name,
    region: row.region,
    labels: row.labels,
    capacity: {
      maxTenants: row.maxTenants,
      cpu: millisToCpu(row.cpuMillis),
      memory: bytesToMemory(row.memoryBytes),
    },
    usage: {
      tenants: usage?.tenants ?? 0,
      cpu: millisToCpu(usage?.cpuMillis ?? 0),
      memory: bytesToMemory(usage?.memoryBytes ?? 0),
    },
    apiServer: { url: row.apiServerUrl },
    credentials: { kind: row.credentialsKind, vaultPath },
    runtime: row.runtime,
    health: healthOf(row, hub?.member(row.name)?.health()),
    createdAt: row.createdAt.toISOString(),
  });
  const find = async (em: EntityManager, name: string) => {
    const row = await em.findOne(MemberCluster, { name });
    if (!row) throw notFound('cluster', name);
    return row;
  };

  return {
    /**
     * Registers a member: 409 when the name is taken, 422 for unusable credentials, 503 without Vault.
     * The credentials go to Vault only; a failed insert removes them again.
     */
    async register(em: EntityManager, body: RegisterClusterBody, actor: string): Promise<ClusterView> {
      const active = enabled();
      const credentials = credentialsOf(body.credentials);
      kubeConfigFor(credentials, body.apiServer.url); // refuses an unusable kubeconfig before anything is stored
      if (await em.findOne(MemberCluster, { name: body.name }))
        throw new DomainError('conflict', `cluster "${body.name}" is already registered`);
      await active.credentials.put(body.name, credentials);
      const row = em.create(MemberCluster, {
        name: body.name,
        region: body.region,
        labels: body.labels ?? {},
        maxTenants: body.capacity.maxTenants,
        cpuMillis: Math.round((parseQuantity(body.capacity.cpu) ?? 0) * 1000),
        memoryBytes: Math.round(parseQuantity(body.capacity.memory) ?? 0),
        apiServerUrl: body.apiServer.url,
        credentialsKind: credentials.kind,
        runtime: body.runtime ?? {},
      });
      try {
        await em.flush();
        await audit.record(em, {
          tenantId: platformTenant,
          actor,
          action: 'cluster.registered',
          target: `cluster/${body.name}`,
          after: { ...body, credentials: { kind: credentials.kind } },
        });
        await em.commit();
      } catch (error) {
        await active.credentials.remove(body.name).catch(() => {});
        throw error;
      }
      await active.connect(row, credentials);
      return view(row, undefined, active.credentials.pathOf(row.name));
    },

    async list(em: EntityManager): Promise<ClusterView[]> {
      enabled();
      const rows = await listClusters(em);
      const usage = await clusterUsage(em);
      return rows.map((row) => view(row, usage.get(row.name), hub?.credentials.pathOf(row.name) ?? ''));
    },

    async get(em: EntityManager, name: string): Promise<ClusterView> {
      enabled();
      const row = await find(em, name);
      const usage = await clusterUsage(em);
      return view(row, usage.get(name), hub?.credentials.pathOf(name) ?? '');
    },

    /** Unregisters an empty member (409 while tenants are placed on it or moving to/from it). */
    async remove(em: EntityManager, name: string, actor: string): Promise<void> {
      const active = enabled();
      const row = await find(em, name);
      const placed = await em.count(TenantPlacement, { $or: [{ cluster: name }, { migrationPeer: name }] });
      if (placed > 0)
        throw new DomainError(
          'conflict',
          `cluster "${name}" still holds ${placed} tenant(s): migrate them first`,
          {
            details: { tenants: placed },
          },
        );
      em.remove(row);
      await em.flush();
      await audit.record(em, {
        tenantId: platformTenant,
        actor,
        action: 'cluster.unregistered',
        target: `cluster/${name}`,
      });
      await em.commit();
      await active.disconnect(name);
      await active.credentials.remove(name);
    },
  };
}

export type ClustersService = ReturnType<typeof createClustersService>;
