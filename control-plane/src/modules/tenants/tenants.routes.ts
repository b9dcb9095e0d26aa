import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../../auth/roles.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { CreateTenantBody, TenantView } from './tenants.schemas.ts';
import type { TenantsService } from './tenants.service.ts';

export const tenantsRoutes: FastifyPluginAsyncTypebox<{ service: TenantsService }> = async (
  app,
  { service },
) => {
  app.post(
    '/tenants',
    {
      // The new tenant is the scope: its row is written under its own id.
      config: { action: 'platform:tenants', tenantOf: (request) => (request.body as CreateTenantBody).name },
      schema: { tags: ['tenants'], body: CreateTenantBody, response: { 201: TenantView, ...errorResponses } },
    },
    async (request, reply) => {
      const tenant = await service.create(emOf(request), request.body, actorOf(principalOf(request)));
      return reply.status(201).send(tenant);
    },
  );

  app.get(
    '/tenants/:t',
    {
      config: { action: 'tenant:read' },
      schema: { tags: ['tenants'], params: TenantParams, response: { 200: TenantView, ...errorResponses } },
    },
    async (request) => service.get(emOf(request), request.params.t),
  );
};
