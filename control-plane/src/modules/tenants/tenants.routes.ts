import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../../auth/roles.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import type { TenantDeletion } from './tenant-deletion.ts';
import { CreateTenantBody, TenantDeletionView, TenantView } from './tenants.schemas.ts';
import type { TenantsService } from './tenants.service.ts';

// Deletion runs without the request's unit of work (no tenant scope: it must also answer once the
// tenant's rows are gone); each step commits on its own, so a failed call is resumed by calling again.
const deletionConfig = { action: 'platform:tenants', tenantOf: () => undefined } as const;

export const tenantsRoutes: FastifyPluginAsyncTypebox<{
  service: TenantsService;
  deletion: TenantDeletion;
}> = async (app, { service, deletion }) => {
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

  app.delete(
    '/tenants/:t',
    {
      config: deletionConfig,
      schema: {
        tags: ['tenants'],
        description:
          'Deletes the tenant from every store and reports what was removed: 202 while the operator still ' +
          'cleans up the cluster side (follow GET /v1/tenants/{t}/deletion), 200 once nothing is left. ' +
          'Idempotent: calling it again resumes a deletion that failed half-way.',
        params: TenantParams,
        response: { 200: TenantDeletionView, 202: TenantDeletionView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const report = await deletion.remove(request.params.t, actorOf(principalOf(request)));
      return reply.status(report.state === 'completed' ? 200 : 202).send(report);
    },
  );

  app.get(
    '/tenants/:t/deletion',
    {
      config: deletionConfig,
      schema: {
        tags: ['tenants'],
        params: TenantParams,
        response: { 200: TenantDeletionView, ...errorResponses },
      },
    },
    async (request) => deletion.progress(request.params.t),
  );
};
