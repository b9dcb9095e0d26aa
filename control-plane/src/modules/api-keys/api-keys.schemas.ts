import { type Static, Type } from '@sinclair/typebox';
import { tenantRoles } from '../../db/entities.ts';
import { Strict, TenantId, Timestamp, Uuid } from '../../http/schemas.ts';

export const Role = Type.Union(tenantRoles.map((role) => Type.Literal(role)));

export const CreateApiKeyBody = Strict({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  role: Role,
});
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const ApiKeyView = Strict({
  id: Uuid,
  name: Type.String(),
  role: Role,
  prefix: Type.String({ description: '`ap_live_<lookup id>`: identifies the key, is not a secret' }),
  createdAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});
export type ApiKeyView = Static<typeof ApiKeyView>;

export const CreatedApiKey = Strict({
  ...ApiKeyView.properties,
  key: Type.String({ description: 'The key itself. Shown only in this answer; only its SHA-256 is stored.' }),
});

export const ApiKeyList = Strict({ items: Type.Array(ApiKeyView) });
export const ApiKeyParams = Strict({ t: TenantId, keyId: Uuid });
