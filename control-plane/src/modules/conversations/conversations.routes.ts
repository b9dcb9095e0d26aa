import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
  Accepted,
  ConversationDetail,
  ConversationParams,
  ConversationView,
  CreateConversationBody,
  EventStream,
  EventStreamHeaders,
  PostMessageBody,
} from './conversations.schemas.ts';
import type { ConversationsService } from './conversations.service.ts';
import type { EventStreams } from './event-stream.ts';

export const conversationsRoutes: FastifyPluginAsyncTypebox<{
  service: ConversationsService;
  streams: EventStreams;
}> = async (app, { service, streams }) => {
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

  app.get(
    '/tenants/:t/conversations/:c/events',
    {
      config: { action: 'conversations:read' },
      schema: {
        tags,
        summary: "Server-sent events of the conversation's results",
        params: ConversationParams,
        headers: EventStreamHeaders,
        produces: ['text/event-stream'],
        response: {
          200: { description: 'The event stream', content: { 'text/event-stream': { schema: EventStream } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { t, c } = request.params;
      await service.ensureExists(emOf(request), t, c);
      const lastEventId = request.headers['last-event-id'];
      const stream = await streams.open(emOf(request), t, c, lastEventId, request.log);
      // no-transform and X-Accel-Buffering: proxies must pass each event on at once.
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(stream);
    },
  );
};
