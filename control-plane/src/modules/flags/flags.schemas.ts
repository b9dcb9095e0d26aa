import { Type } from '@sinclair/typebox';
import { Strict, TenantId } from '../../http/schemas.ts';

const FlagValue = Type.Union([Type.Boolean(), Type.Number()]);

export const FlagParams = Strict({ t: TenantId, key: Type.String({ minLength: 1, maxLength: 200 }) });
export const FlagOverrideBody = Strict({
  value: Type.Union([Type.Boolean(), Type.Integer({ minimum: -1 })], {
    description: "The tenant's value: a boolean for on/off flags, an integer for limits (-1: unlimited).",
  }),
});
export const FlagOverrideView = Strict({
  tenant: TenantId,
  key: Type.String(),
  value: FlagValue,
  /** The value the tenant's tier gives when no override is set. */
  tierValue: FlagValue,
});

export const TenantFlags = Strict({
  tenant: TenantId,
  tier: Type.String(),
  flags: Type.Record(
    Type.String(),
    Strict({ value: FlagValue, reason: Type.String(), variant: Type.Optional(Type.String()) }),
  ),
});

export const OfrepRequest = Type.Object(
  {
    // OFREP's context is free-form; the tenant comes from the API key (or tenantId for platform admins).
    context: Type.Optional(
      Type.Object({ tenantId: Type.Optional(TenantId) }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: false },
);

export const OfrepSuccess = Strict({
  key: Type.String(),
  value: FlagValue,
  reason: Type.String(),
  variant: Type.Optional(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});
export const OfrepFailure = Strict({
  key: Type.String(),
  errorCode: Type.String(),
  errorDetails: Type.String(),
});
export const OfrepBulk = Strict({ flags: Type.Array(Type.Union([OfrepSuccess, OfrepFailure])) });
export const OfrepKeyParams = Strict({ key: Type.String({ minLength: 1, maxLength: 200 }) });
