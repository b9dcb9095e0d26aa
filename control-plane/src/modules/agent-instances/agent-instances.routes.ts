import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../../auth/roles.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
  AgentInstanceList,
  AgentInstanceParams,
  AgentInstanceView,
  CreateAgentInstanceBody,
  UpdateAgentInstanceBody,
} from './agent-instances.schemas.ts';
import type { AgentInstancesService } from './agent-instances.service.ts';

export const agentInstancesRoutes: FastifyPluginAsyncTypebox<{ service: AgentInstancesService }> = async (
  app,
  { service },
) => {
  const tags = ['agent instances'];
  app.post(
    '/tenants/:t/agent-instances',
    {
      config: { action: 'agents:deploy' },
      schema: {
        tags,
        params: TenantParams,
        body: CreateAgentInstanceBody,
        response: { 201: AgentInstanceView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { params, body } = request;
      return reply
        .status(201)
        .send(await service.create(emOf(request), params.t, body, actorOf(principalOf(request))));
    },
  );

  app.get(
    '/tenants/:t/agent-instances',
    {
      config: { action: 'agents:read' },
      schema: { tags, params: TenantParams, response: { 200: AgentInstanceList, ...errorResponses } },
    },
    async (request) => ({ items: await service.list(emOf(request), request.params.t) }),
  );

  app.get(
    '/tenants/:t/agent-instances/:name',
    {
      config: { action: 'agents:read' },
      schema: { tags, params: AgentInstanceParams, response: { 200: AgentInstanceView, ...errorResponses } },
    },
    async (request) => service.get(emOf(request), request.params.t, request.params.name),
  );

  app.patch(
    '/tenants/:t/agent-instances/:name',
    {
      config: { action: 'agents:deploy' },
      schema: {
        tags,
        params: AgentInstanceParams,
        body: UpdateAgentInstanceBody,
        response: { 200: AgentInstanceView, ...errorResponses },
      },
    },
    async (request) => {
      const { params, body } = request;
      return service.update(emOf(request), params.t, params.name, body, actorOf(principalOf(request)));
    },
  );

  app.delete(
    '/tenants/:t/agent-instances/:name',
    {
      config: { action: 'agents:deploy' },
      schema: { tags, params: AgentInstanceParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      await service.remove(
        emOf(request),
        request.params.t,
        request.params.name,
        actorOf(principalOf(request)),
      );
      return reply.status(204).send(null);
    },
  );
};
