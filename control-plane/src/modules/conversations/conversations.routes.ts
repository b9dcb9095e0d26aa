import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
  Accepted,
  ConversationDetail,
  ConversationParams,
  ConversationView,
  CreateConversationBody,
  PostMessageBody,
} from './conversations.schemas.ts';
import type { ConversationsService } from './conversations.service.ts';

export const conversationsRoutes: FastifyPluginAsyncTypebox<{ service: ConversationsService }> = async (
  app,
  { service },
) => {
  const tags = ['conversations'];
  app.post(
    '/tenants/:t/conversations',
    {
      config: { action: 'messages:send' },
      schema: {
        tags,
        params: TenantParams,
        body: CreateConversationBody,
        response: { 201: ConversationView, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await service.create(emOf(request), request.params.t, request.body)),
  );

  app.get(
    '/tenants/:t/conversations/:c',
    {
      config: { action: 'conversations:read' },
      schema: { tags, params: ConversationParams, response: { 200: ConversationDetail, ...errorResponses } },
    },
    async (request) => service.get(emOf(request), request.params.t, request.params.c),
  );

  app.post(
    '/tenants/:t/conversations/:c/messages',
    {
      config: { action: 'messages:send' },
      schema: {
        tags,
        params: ConversationParams,
        body: PostMessageBody,
        response: { 202: Accepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { t, c } = request.params;
      return reply.status(202).send(await service.postMessage(emOf(request), t, c, request.body));
    },
  );
};
