// The hub: every registered member connected (credentials from Vault), one work queue of tenant
// keys fed by the members' informers, a periodic re-sync of every placed tenant (drift, and
// migrations resumed after a restart), and each member's health kept in PostgreSQL.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Controller, createController } from '@agentplane/operator/kube';
import type { Logger } from '@agentplane/shared';
import type { KubeConfig } from '@kubernetes/client-node';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.ts';
import type { AuditLog } from '../modules/audit/audit.service.ts';
import { expectedCrds } from './crd-version.ts';
import { type ClusterCredentials, type CredentialStore, kubeConfigFor } from './credentials.ts';
import { MemberCluster } from './entities.ts';
import type { HealthRecord } from './health.ts';
import { createMember, type Member, type MemberSettings } from './member.ts';
import type { ClusterSnapshot, PlacementRules } from './placement.ts';
import { reconcilePlacedTenant } from './propagation.ts';
import { clusterUsage, listClusters, placedTenants, tenantsInvolving, withPlatformScope } from './store.ts';

export interface HubSettings extends MemberSettings {
  /** Every placed tenant is synced again this often: drift without an event, resumed migrations. */
  resyncMs: number;
  /** Tenants reconciled at once. */
  concurrency: number;
  /** Names this hub in Events it records on members. */
  identity: string;
  rules: PlacementRules;
}

export interface HubDeps {
  root: EntityManager;
  credentials: CredentialStore;
  audit: AuditLog;
  settings: HubSettings;
  log: Logger;
}

export interface Hub {
  readonly settings: HubSettings;
  readonly credentials: CredentialStore;
  readonly root: EntityManager;
  readonly audit: AuditLog;
  /** Connects every registered member, then starts reconciling. */
  start(): Promise<void>;
  /** Stops reconciling and every member's watches and probes. */
  stop(): Promise<void>;
  /**
   * Connects to `cluster` (its credentials from Vault unless given) and starts watching it after
   * one probe. Throws 422 for unusable credentials, 503 when Vault cannot be read.
   */
  connect(cluster: MemberCluster, credentials?: ClusterCredentials): Promise<Member>;
  disconnect(name: string): Promise<void>;
  member(name: string): Member | undefined;
  members(): Member[];
  /** Reconcile this tenant soon. */
  enqueue(tenantId: string): void;
  /** Every registered cluster with its current health and usage, for a placement decision (in `em`'s transaction). */
  snapshots(em: EntityManager): Promise<ClusterSnapshot[]>;
}

function restoredHealth(row: MemberCluster): HealthRecord {
  return {
    state: row.health,
    message: row.healthMessage ?? '',
    since: row.healthSince ?? null,
    lastProbeAt: null,
    lastSuccessAt: row.lastSuccessAt ?? null,
    failures: 0,
  };
}

export function createHub({ root, credentials, audit, settings, log }: HubDeps): Hub {
  const members = new Map<string, Member>();
  const crds = expectedCrds();
  let resync: AbortController | undefined;
  const controller: Controller = createController({
    name: 'hub',
    log,
    watches: [],
    concurrency: settings.concurrency,
    backoff: { baseDelayMs: 500, maxDelayMs: 30_000 },
    logFields: (tenant) => ({ tenant }),
    reconcile: (tenantId, context) =>
      reconcilePlacedTenant(
        tenantId,
        { root, audit, member: (name) => members.get(name), pollMs: settings.probeIntervalMs },
        context,
      ),
  });

  async function persistHealth(name: string, record: HealthRecord): Promise<void> {
    await withPlatformScope(root, (em) =>
      em.nativeUpdate(
        MemberCluster,
        { name },
        {
          health: record.state,
          healthMessage: record.message.slice(0, 2000),
          healthSince: record.since,
          lastProbeAt: record.lastProbeAt,
          lastSuccessAt: record.lastSuccessAt,
        },
      ),
    ).catch((error: unknown) => log.warn({ err: error, member: name }, 'cannot store member health'));
  }

  async function enqueueInvolving(cluster: string): Promise<void> {
    for (const tenant of await tenantsInvolving(root, cluster)) controller.enqueue(tenant);
  }

  async function connect(cluster: MemberCluster, given?: ClusterCredentials): Promise<Member> {
    const stored = given ?? (await credentials.get(cluster.name));
    if (!stored)
      throw new DomainError(
        'unprocessable',
        `no credentials for cluster ${cluster.name} at ${credentials.pathOf(cluster.name)}`,
      );
    const kubeConfig: KubeConfig = kubeConfigFor(stored, cluster.apiServerUrl);
    await disconnect(cluster.name);
    const member = createMember({
      name: cluster.name,
      kubeConfig,
      expectedCrds: crds,
      settings,
      log,
      identity: settings.identity,
      initialHealth: restoredHealth(cluster),
      onTenantEvent: (tenant) => controller.enqueue(tenant),
      onHealth: (record, previous) => {
        void persistHealth(cluster.name, record);
        // Every state change re-syncs its tenants: a member back from an outage gets its drift fixed.
        if (record.state !== previous.state) void enqueueInvolving(cluster.name).catch(() => {});
      },
    });
    members.set(cluster.name, member);
    await member.probe();
    member.start();
    return member;
  }

  async function disconnect(name: string): Promise<void> {
    const member = members.get(name);
    members.delete(name);
    await member?.stop();
  }

  async function resyncLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        for (const member of members.values()) await persistHealth(member.name, member.health());
        for (const tenant of await placedTenants(root)) controller.enqueue(tenant);
      } catch (error) {
        log.warn({ err: error }, 'cannot list placed tenants for the periodic sync');
      }
      await sleep(settings.resyncMs, undefined, { signal }).catch(() => {});
    }
  }

  return {
    settings,
    credentials,
    root,
    audit,
    async start() {
      const rows = await withPlatformScope(root, listClusters);
      await Promise.all(
        rows.map((row) =>
          connect(row).catch((error: unknown) =>
            log.error(
              { err: error, member: row.name },
              'cannot connect to a member cluster; it stays unused',
            ),
          ),
        ),
      );
      controller.start();
      resync = new AbortController();
      void resyncLoop(resync.signal);
      log.info({ members: [...members.keys()] }, 'hub started');
    },
    async stop() {
      resync?.abort();
      await controller.stop(5_000);
      await Promise.all([...members.keys()].map(disconnect));
    },
    connect,
    disconnect,
    member: (name) => members.get(name),
    members: () => [...members.values()],
    enqueue: (tenantId) => controller.enqueue(tenantId),
    async snapshots(em) {
      const rows = await listClusters(em);
      const usage = await clusterUsage(em);
      return rows.map((row) => ({
        name: row.name,
        region: row.region,
        labels: row.labels,
        health: members.get(row.name)?.health().state ?? 'Unknown',
        capacity: { maxTenants: row.maxTenants, cpuMillis: row.cpuMillis, memoryBytes: row.memoryBytes },
        used: usage.get(row.name) ?? { tenants: 0, cpuMillis: 0, memoryBytes: 0 },
      }));
    },
  };
}
