import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../../auth/roles.ts';
import { errorResponses } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { ClusterList, ClusterParams, ClusterView, RegisterClusterBody } from './clusters.schemas.ts';
import type { ClustersService } from './clusters.service.ts';

// Platform records run in the scope of the reserved audit tenant `_platform` (not a DNS label, so
// never a real tenant): the registry's audit events are chained there.
const config = { action: 'platform:clusters', tenantOf: () => '_platform' } as const;

export const clustersRoutes: FastifyPluginAsyncTypebox<{ service: ClustersService }> = async (
  app,
  { service },
) => {
  const tags = ['clusters'];
  app.post(
    '/clusters',
    {
      config,
      schema: { tags, body: RegisterClusterBody, response: { 201: ClusterView, ...errorResponses } },
    },
    async (request, reply) => {
      const view = await service.register(emOf(request), request.body, actorOf(principalOf(request)));
      return reply.status(201).send(view);
    },
  );

  app.get(
    '/clusters',
    { config, schema: { tags, response: { 200: ClusterList, ...errorResponses } } },
    async (request) => ({
      items: await service.list(emOf(request)),
    }),
  );

  app.get(
    '/clusters/:name',
    { config, schema: { tags, params: ClusterParams, response: { 200: ClusterView, ...errorResponses } } },
    async (request) => service.get(emOf(request), request.params.name),
  );

  app.delete(
    '/clusters/:name',
    { config, schema: { tags, params: ClusterParams, response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      await service.remove(emOf(request), request.params.name, actorOf(principalOf(request)));
      return reply.status(204).send(null);
    },
  );
};
