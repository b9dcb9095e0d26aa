import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../../auth/roles.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { ClusterBody, PlacementView } from './placements.schemas.ts';
import type { PlacementsService } from './placements.service.ts';

export const placementsRoutes: FastifyPluginAsyncTypebox<{ service: PlacementsService }> = async (
  app,
  { service },
) => {
  const tags = ['placements'];
  const config = { action: 'platform:clusters' } as const;
  const ok = { 200: PlacementView, ...errorResponses };

  app.get(
    '/tenants/:t/placement',
    { config, schema: { tags, params: TenantParams, response: ok } },
    async (request) => service.get(emOf(request), request.params.t),
  );

  app.put(
    '/tenants/:t/placement/pin',
    { config, schema: { tags, params: TenantParams, body: ClusterBody, response: ok } },
    async (request) =>
      service.pin(emOf(request), request.params.t, request.body.cluster, actorOf(principalOf(request))),
  );

  app.delete(
    '/tenants/:t/placement/pin',
    { config, schema: { tags, params: TenantParams, response: ok } },
    async (request) => service.unpin(emOf(request), request.params.t, actorOf(principalOf(request))),
  );

  app.post(
    '/tenants/:t/migrate',
    {
      config,
      schema: {
        tags,
        params: TenantParams,
        body: ClusterBody,
        response: { 202: PlacementView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const view = await service.migrate(
        emOf(request),
        request.params.t,
        request.body.cluster,
        actorOf(principalOf(request)),
      );
      return reply.status(202).send(view);
    },
  );
};
