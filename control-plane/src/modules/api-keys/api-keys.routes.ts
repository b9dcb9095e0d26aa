import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { KeyCache } from '../../auth/principal-store.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { afterCommit, emOf } from '../../plugins/infra/orm.ts';
import { ApiKeyList, ApiKeyParams, CreateApiKeyBody, CreatedApiKey } from './api-keys.schemas.ts';
import type { ApiKeysService } from './api-keys.service.ts';

export const apiKeysRoutes: FastifyPluginAsyncTypebox<{
  service: ApiKeysService;
  /** The authentication cache: a revoked key must stop working in this process at once. */
  keys: Pick<KeyCache, 'forgetTenant'>;
}> = async (app, { service, keys }) => {
  const tags = ['api keys'];
  app.post(
    '/tenants/:t/api-keys',
    {
      config: { action: 'keys:manage' },
      schema: {
        tags,
        params: TenantParams,
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await service.create(
        emOf(request),
        request.params.t,
        request.body,
        principalOf(request),
      );
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/tenants/:t/api-keys',
    {
      config: { action: 'keys:manage' },
      schema: { tags, params: TenantParams, response: { 200: ApiKeyList, ...errorResponses } },
    },
    async (request) => ({ items: await service.list(emOf(request), request.params.t) }),
  );

  app.delete(
    '/tenants/:t/api-keys/:keyId',
    {
      config: { action: 'keys:manage' },
      schema: { tags, params: ApiKeyParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const { t, keyId } = request.params;
      await service.revoke(emOf(request), t, keyId, principalOf(request));
      // After the commit: forgotten earlier, a lookup could read the old row again and keep it.
      afterCommit(request, () => keys.forgetTenant(t));
      return reply.status(204).send(null);
    },
  );
};
