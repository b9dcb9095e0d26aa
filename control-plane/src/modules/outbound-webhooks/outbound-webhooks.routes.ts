// The tenant's outbound webhook: PUT to configure it (the signing secret is shown once), GET, DELETE,
// and its deliveries (pending, delivered, dead). The payloads are documented as schemas of their own.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../../auth/roles.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
  ConfiguredOutboundWebhook,
  DeliveriesQuery,
  DeliveryList,
  LeadCreatedPayload,
  OutboundWebhookView,
  PutOutboundWebhookBody,
  ReplySentPayload,
} from './outbound-webhooks.schemas.ts';
import type { OutboundWebhooksService } from './outbound-webhooks.service.ts';

export const outboundWebhooksRoutes: FastifyPluginAsyncTypebox<{ service: OutboundWebhooksService }> = async (
  app,
  { service },
) => {
  app.addSchema(LeadCreatedPayload);
  app.addSchema(ReplySentPayload);
  const tags = ['outbound webhooks'];
  const path = '/tenants/:t/outbound-webhook';

  app.put(
    path,
    {
      config: { action: 'tenant:update' },
      schema: {
        tags,
        summary: "Configure the tenant's outbound webhook",
        description:
          'Events are POSTed as `OutboundLeadCreated` / `OutboundReplySent` (components.schemas), signed ' +
          '`X-Agentplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, ' +
          'with `X-Agentplane-Event` and `X-Agentplane-Delivery` (the payload id; the same on every retry).',
        params: TenantParams,
        body: PutOutboundWebhookBody,
        response: { 200: ConfiguredOutboundWebhook, ...errorResponses },
      },
    },
    async (request) =>
      service.put(emOf(request), request.params.t, request.body, actorOf(principalOf(request))),
  );

  app.get(
    path,
    {
      config: { action: 'tenant:read' },
      schema: { tags, params: TenantParams, response: { 200: OutboundWebhookView, ...errorResponses } },
    },
    async (request) => service.get(emOf(request), request.params.t),
  );

  app.delete(
    path,
    {
      config: { action: 'tenant:update' },
      schema: { tags, params: TenantParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      await service.remove(emOf(request), request.params.t, actorOf(principalOf(request)));
      return reply.status(204).send(null);
    },
  );

  app.get(
    `${path}/deliveries`,
    {
      config: { action: 'tenant:read' },
      schema: {
        tags,
        summary: 'Deliveries of the outbound webhook, newest first (`dead`: the dead letters)',
        params: TenantParams,
        querystring: DeliveriesQuery,
        response: { 200: DeliveryList, ...errorResponses },
      },
    },
    async (request) => {
      const { status, limit = 100 } = request.query;
      return { items: await service.deliveries(emOf(request), request.params.t, status, limit) };
    },
  );
};
