import { IsolationSchema, TierSchema } from '@agentplane/crds';
import { type Static, Type } from '@sinclair/typebox';
import { DnsName, Strict, TenantId, Timestamp } from '../../http/schemas.ts';
import { TenantLiveStatusView, TenantPlacementSummary } from '../placements/placements.schemas.ts';

export const CreateTenantBody = Strict({
  name: TenantId,
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  tier: TierSchema,
  isolation: Type.Optional(IsolationSchema),
  region: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' })),
  cluster: Type.Optional(
    Type.String({
      pattern: DnsName.pattern,
      maxLength: 63,
      description:
        'Pin the tenant to this member cluster (a multi-cluster hub); left out: the hub places it.',
    }),
  ),
});
export type CreateTenantBody = Static<typeof CreateTenantBody>;

export const TenantView = Strict({
  id: TenantId,
  displayName: Type.Union([Type.String(), Type.Null()]),
  tier: TierSchema,
  isolation: IsolationSchema,
  region: Type.Union([Type.String(), Type.Null()]),
  suspended: Type.Boolean(),
  createdAt: Timestamp,
  placement: TenantPlacementSummary,
  status: TenantLiveStatusView,
});
export type TenantView = Static<typeof TenantView>;

const Count = Type.Integer({ minimum: 0 });

export const TenantRemovalView = Strict(
  {
    deleteRequested: Type.Boolean(),
    present: Type.Boolean({
      description: "The Tenant object still exists: the operator's finalizer is at work.",
    }),
    phase: Type.Union([Type.String(), Type.Null()]),
    finalizers: Type.Array(Type.String()),
    remaining: Type.Array(Type.String(), {
      description: "The operator's status.deletion.remaining: agents, Kafka topics and groups, Vault data.",
    }),
    clusters: Type.Array(Type.String(), { description: 'The member clusters asked (a multi-cluster hub).' }),
  },
  {
    description: 'The cluster side, done by the operator: namespace, agents, Kafka topics and groups, Vault.',
  },
);

export const TenantDeletionView = Strict(
  {
    tenant: TenantId,
    state: Type.Union([Type.Literal('incomplete'), Type.Literal('deleting'), Type.Literal('completed')], {
      description:
        "incomplete: a step failed, DELETE again; deleting: the control plane's part is done and the " +
        'operator is cleaning up; completed: nothing of the tenant is left.',
    }),
    startedAt: Timestamp,
    finishedAt: Type.Union([Timestamp, Type.Null()], {
      description: "When the control plane's last pass ended.",
    }),
    apiKeysRevoked: Count,
    kubernetes: TenantRemovalView,
    postgres: Type.Record(Type.String(), Count, { description: 'Rows deleted per table by the last pass.' }),
    auditEventsKept: Type.Integer({
      minimum: 0,
      description: "The tenant's audit trail stays (append-only, hash-chained), this deletion included.",
    }),
    vectorStore: Type.Union([Strict({ pointsBefore: Count, pointsAfter: Count }), Type.Null()], {
      description: 'null: no vector store is configured.',
    }),
    vault: Strict({
      configured: Type.Boolean(),
      transitKey: Type.String(),
      keysDestroyed: Type.Boolean(),
    }),
  },
  { description: 'What deleting a tenant removed from each store, and what is left.' },
);
export type TenantDeletionView = Static<typeof TenantDeletionView>;
export type TenantRemovalView = Static<typeof TenantRemovalView>;
