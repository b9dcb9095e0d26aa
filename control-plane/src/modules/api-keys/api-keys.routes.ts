import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { ApiKeyList, ApiKeyParams, CreateApiKeyBody, CreatedApiKey } from './api-keys.schemas.ts';
import type { ApiKeysService } from './api-keys.service.ts';

export const apiKeysRoutes: FastifyPluginAsyncTypebox<{ service: ApiKeysService }> = async (
  app,
  { service },
) => {
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
      await service.revoke(emOf(request), request.params.t, request.params.keyId, principalOf(request));
      return reply.status(204).send(null);
    },
  );
};
