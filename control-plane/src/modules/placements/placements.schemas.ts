import { type Static, Type } from '@sinclair/typebox';
import { DnsName, Strict, Timestamp } from '../../http/schemas.ts';
import { migrationSteps } from '../../multicluster/entities.ts';

export const Candidate = Strict({
  cluster: Type.String(),
  fits: Type.Boolean(),
  reasons: Type.Array(Type.String()),
  headroom: Type.Union([Type.Number(), Type.Null()]),
});

export const PlacementDecisionView = Strict({
  cluster: Type.Union([Type.String(), Type.Null()]),
  pinned: Type.Boolean(),
  candidates: Type.Array(Candidate),
  decidedAt: Timestamp,
  by: Type.String(),
});

export const MigrationView = Strict({
  from: Type.String(),
  to: Type.String(),
  step: Type.Union(migrationSteps.map((s) => Type.Literal(s))),
  startedAt: Timestamp,
  updatedAt: Timestamp,
  message: Type.String(),
  by: Type.String(),
});

export const PlacementView = Strict({
  tenant: Type.String(),
  cluster: Type.String(),
  pinned: Type.Boolean(),
  decision: PlacementDecisionView,
  migration: Type.Union([MigrationView, Type.Null()]),
  sync: Type.Union([
    Strict({
      state: Type.Union(['Synced', 'Waiting', 'Conflict', 'Unreachable'].map((s) => Type.Literal(s))),
      message: Type.String(),
      at: Timestamp,
    }),
    Type.Null(),
  ]),
  placedAt: Timestamp,
});
export type PlacementView = Static<typeof PlacementView>;

export const ClusterBody = Strict({ cluster: DnsName });
export type ClusterBody = Static<typeof ClusterBody>;

/** What GET /v1/tenants/{t} adds about where the tenant runs and how it is doing there. */
export const TenantPlacementSummary = Type.Union([
  Strict({
    cluster: Type.String(),
    pinned: Type.Boolean(),
    migratingTo: Type.Union([Type.String(), Type.Null()]),
  }),
  Type.Null(),
]);

export const TenantLiveStatusView = Type.Union([
  Strict(
    {
      cluster: Type.String(),
      clusterHealth: Type.String(),
      phase: Type.String(),
      reason: Type.Union([Type.String(), Type.Null()]),
      message: Type.Union([Type.String(), Type.Null()]),
      conditions: Type.Array(
        Strict({
          type: Type.String(),
          status: Type.String(),
          reason: Type.String(),
          message: Type.String(),
          lastTransitionTime: Type.String(),
        }),
      ),
      namespace: Type.Union([Type.String(), Type.Null()]),
      agentInstances: Type.Union([Type.Integer(), Type.Null()]),
      lastSeenAt: Type.Union([Timestamp, Type.Null()]),
    },
    {
      description: "The member's view of the tenant, from the hub's watch cache (no request to the member).",
    },
  ),
  Type.Null(),
]);
