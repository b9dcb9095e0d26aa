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
