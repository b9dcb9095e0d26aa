// The hub's two tables. Both are platform tables without row-level security: the hub's loops read
// them across tenants, they hold no tenant data beyond the tenant's id, tier and size, and only
// platform administrators reach them through the API (docs/multicluster.md, "Data").
import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import type { PlacementDecision } from './placement.ts';

export const clusterHealthStates = [
  'Unknown',
  'Ready',
  'Unreachable',
  'OperatorMissing',
  'CRDsOutdated',
] as const;
export type ClusterHealthState = (typeof clusterHealthStates)[number];

/** Where a member's runtime pods find Kafka and Vault (the operator there is configured with them). */
export interface RuntimeEndpoints {
  kafkaBrokers?: string[];
  vaultAddr?: string;
}

export const migrationSteps = ['BuildingTarget', 'PausingSource', 'RemovingSource', 'Completed'] as const;
export type MigrationStep = (typeof migrationSteps)[number];

/** A migration's progress, kept in PostgreSQL so a restarted hub resumes it. */
export interface MigrationState {
  from: string;
  to: string;
  step: MigrationStep;
  startedAt: string;
  updatedAt: string;
  /** What the current step waits for, for people. */
  message: string;
  by: string;
}

/** The last propagation of a tenant to its member(s). */
export interface SyncReport {
  state: 'Synced' | 'Waiting' | 'Conflict' | 'Unreachable';
  message: string;
  at: string;
}

const now = () => new Date();

export const MemberCluster = defineEntity({
  name: 'MemberCluster',
  tableName: 'member_clusters',
  properties: {
    name: p.string().primary(),
    region: p.string(),
    labels: p.json<Record<string, string>>(),
    maxTenants: p.integer(),
    cpuMillis: p.bigint('number'),
    memoryBytes: p.bigint('number'),
    apiServerUrl: p.string(),
    /** Which kind of credentials Vault holds for it; never the credentials themselves. */
    credentialsKind: p.enum(['kubeconfig', 'token'] as const),
    runtime: p.json<RuntimeEndpoints>(),
    health: p.enum(clusterHealthStates).onCreate(() => 'Unknown' as const),
    healthMessage: p.string().nullable(),
    healthSince: p.datetime().nullable(),
    lastProbeAt: p.datetime().nullable(),
    lastSuccessAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});
export type MemberCluster = InferEntity<typeof MemberCluster>;

export const TenantPlacement = defineEntity({
  name: 'TenantPlacement',
  tableName: 'tenant_placements',
  properties: {
    tenantId: p.string().primary(),
    cluster: p.string(),
    tier: p.enum(['basic', 'pro', 'enterprise'] as const),
    region: p.string().nullable(),
    /** What the tenant takes from its cluster's capacity (its quota), for placing the next ones. */
    cpuMillis: p.bigint('number'),
    memoryBytes: p.bigint('number'),
    pinned: p.boolean().onCreate(() => false),
    decision: p.json<PlacementDecision>(),
    /**
     * The other cluster an unfinished migration involves: the target until the switch, then the
     * source until it is emptied. The tenant counts against its capacity too, and it cannot be deleted.
     */
    migrationPeer: p.string().nullable(),
    migration: p.json<MigrationState>().nullable(),
    sync: p.json<SyncReport>().nullable(),
    placedAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});
export type TenantPlacement = InferEntity<typeof TenantPlacement>;

export const multiclusterEntities = [MemberCluster, TenantPlacement];
