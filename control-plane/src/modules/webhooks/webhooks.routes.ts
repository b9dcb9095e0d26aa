// `POST /v1/webhooks/{tenant}/{channel}` and Meta's `GET` handshake. No API key: a delivery
// authenticates with its signature, so this plugin (and only this one) keeps request bodies as the
// raw bytes the signature covers; the service checks them against the schemas after verifying.
import { type FastifyPluginAsyncTypebox, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { errorResponses } from '../../http/schemas.ts';
import {
  AcceptedDeliveries,
  MetaHandshakeQuery,
  SlackChallengeAnswer,
  WebhookBody,
  WebhookHeaders,
  WebhookParams,
} from './webhooks.schemas.ts';
import type { WebhooksService } from './webhooks.service.ts';

const schemes = `Authenticated by the channel's signature, never by an API key. The channel's record in Vault
(KV v2, \`secret/data/tenants/<tenant>/channels/<channel>\`) holds \`kind\`, \`secret\`, \`agentInstance\`
and, for Meta, \`verifyToken\`:

- **hmac** — \`X-Agentplane-Timestamp: <unix seconds>\` and \`X-Agentplane-Signature: sha256=<hex>\`, the
  HMAC-SHA256 with the secret of \`<timestamp>.<raw body>\`; the timestamp must be within 5 minutes. Answers 202.
- **meta** (WhatsApp Cloud API, Messenger, Instagram) — \`X-Hub-Signature-256: sha256=<hex>\`, the
  HMAC-SHA256 of the raw body with the app secret. Answers 200. The subscription handshake is the \`GET\`.
- **slack** (Events API) — \`X-Slack-Request-Timestamp\` within 5 minutes and \`X-Slack-Signature: v0=<hex>\`,
  the HMAC-SHA256 with the signing secret of \`v0:<timestamp>:<raw body>\`. Answers 200; a
  \`url_verification\` is answered with its challenge.

A refused delivery is 401 and nothing is stored or enqueued. Each text message is stored and enqueued
once: its id is derived from the channel's own message id, so a redelivery answers with the same id
and \`duplicate: true\`.`;

// The signature covers the bytes as sent: the body must not be parsed before it is verified.
const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) =>
  route.httpPart === 'body' ? () => true : TypeBoxValidatorCompiler(route);

const rawBodyOf = (request: FastifyRequest) =>
  Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

export interface WebhooksRoutesOptions {
  service: WebhooksService;
  /** Deliveries a minute per tenant and channel. */
  ratePerMinute?: number;
}

export const webhooksRoutes: FastifyPluginAsyncTypebox<WebhooksRoutesOptions> = async (
  app,
  { service, ratePerMinute = 3000 },
) => {
  app.setValidatorCompiler(validatorCompiler);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const tags = ['channel webhooks'];
  const rateLimit = {
    max: ratePerMinute,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => {
      const { tenant, channel } = request.params as { tenant?: string; channel?: string };
      return `webhook:${tenant}/${channel}`;
    },
  };

  app.post(
    '/webhooks/:tenant/:channel',
    {
      config: { rateLimit },
      schema: {
        tags,
        summary: "A channel's delivery of messages",
        description: schemes,
        security: [],
        params: WebhookParams,
        headers: WebhookHeaders,
        body: WebhookBody,
        response: {
          200: Type.Union([AcceptedDeliveries, SlackChallengeAnswer]),
          202: AcceptedDeliveries,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { tenant, channel } = request.params;
      const delivery = { headers: request.headers, rawBody: rawBodyOf(request) };
      const answer = await service.deliver(tenant, channel, delivery, request.log);
      return reply.status(answer.status).send(answer.body);
    },
  );

  app.get(
    '/webhooks/:tenant/:channel',
    {
      config: { rateLimit },
      schema: {
        tags,
        summary: "Meta's subscription handshake",
        description:
          'Answers `hub.challenge` as text when `hub.mode` is `subscribe` and `hub.verify_token` is the ' +
          "channel's `verifyToken`; 403 otherwise.",
        security: [],
        params: WebhookParams,
        querystring: MetaHandshakeQuery,
        response: {
          200: { description: 'hub.challenge', content: { 'text/plain': { schema: Type.String() } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { tenant, channel } = request.params;
      const challenge = await service.handshake(tenant, channel, request.query, request.log);
      return reply.type('text/plain; charset=utf-8').send(challenge);
    },
  );
};
