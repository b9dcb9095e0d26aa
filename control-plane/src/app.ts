// The control plane as a Fastify plugin: infrastructure first (errors, security headers, auth,
// rate limits, the per-request tenant scope, OpenAPI), then one encapsulated plugin per bounded
// context under /v1. Everything it talks to arrives in `deps`, so tests build it with `inject`.
import type { Tier } from '@agentplane/crds';
import { type Logger, silentLogger } from '@agentplane/shared';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { createKeyCache, createKeyFinder, type FindKey } from './auth/principal-store.ts';
import { type Pii, piiNotConfigured } from './crypto/pii.ts';
import { DomainError } from './errors.ts';
import type { FlagEvaluator } from './flags/evaluator.ts';
import { errorHandler, notFoundHandler } from './http/error-handler.ts';
import { ErrorSchema } from './http/schemas.ts';
import type { KnowledgeIndex } from './knowledge/knowledge-index.ts';
import { registerKnowledgeAndDataRights } from './knowledge/wiring.ts';
import type { ResourceWriter } from './kube/resource-writer.ts';
import type { InboundBus } from './messaging/inbound-bus.ts';
import httpMetrics from './metrics/http-metrics.ts';
import { type ControlPlaneMetrics, createControlPlaneMetrics } from './metrics/metrics.ts';
import { agentInstancesRoutes } from './modules/agent-instances/agent-instances.routes.ts';
import { createAgentInstancesService } from './modules/agent-instances/agent-instances.service.ts';
import { apiKeysRoutes } from './modules/api-keys/api-keys.routes.ts';
import { createApiKeysService } from './modules/api-keys/api-keys.service.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { createAuditLog } from './modules/audit/audit.service.ts';
import { billingRoutes } from './modules/billing/billing.routes.ts';
import { createBillingService } from './modules/billing/billing.service.ts';
import { clustersRoutes } from './modules/clusters/clusters.routes.ts';
import { createClustersService } from './modules/clusters/clusters.service.ts';
import { type ConversationHub, createConversationHub } from './modules/conversations/conversation-hub.ts';
import { conversationsRoutes } from './modules/conversations/conversations.routes.ts';
import { createConversationsService } from './modules/conversations/conversations.service.ts';
import { createEventStreams, type EventStreamSettings } from './modules/conversations/event-stream.ts';
import type { SuspensionCheck } from './modules/conversations/suspension.ts';
import { flagsRoutes, ofrepRoutes } from './modules/flags/flags.routes.ts';
import { createFlagsService } from './modules/flags/flags.service.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { leadsRoutes } from './modules/leads/leads.routes.ts';
import { outboundWebhooksRoutes } from './modules/outbound-webhooks/outbound-webhooks.routes.ts';
import { createOutboundWebhooksService } from './modules/outbound-webhooks/outbound-webhooks.service.ts';
import { placementsRoutes } from './modules/placements/placements.routes.ts';
import { createPlacementsService } from './modules/placements/placements.service.ts';
import { createTenantDeletion } from './modules/tenants/tenant-deletion.ts';
import { tenantsRoutes } from './modules/tenants/tenants.routes.ts';
import { createTenantsService } from './modules/tenants/tenants.service.ts';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.ts';
import { createWebhooksService } from './modules/webhooks/webhooks.service.ts';
import type { Hub } from './multicluster/hub.ts';
import { createHubWriter } from './multicluster/hub-writer.ts';
import authPlugin from './plugins/auth.ts';
import docsPlugin from './plugins/infra/docs.ts';
import ormPlugin from './plugins/infra/orm.ts';
import textGuard from './plugins/text-guard.ts';
import httpTracing from './telemetry/http.ts';
import { type ChannelSecrets, vaultNotConfigured } from './vault/channel-secrets.ts';
import {
  type OutboundWebhookSecrets,
  outboundSecretsNotConfigured,
} from './vault/outbound-webhook-secrets.ts';

/** Requests a minute per tenant (keys carry the tenant id), and for the platform administrators. */
export type RateLimits = Record<Tier | 'platform-admin' | 'anonymous', number>;
export const defaultRateLimits: RateLimits = {
  basic: 300,
  pro: 1200,
  enterprise: 6000,
  'platform-admin': 6000,
  anonymous: 60,
};

export interface AppDependencies {
  orm: MikroORM;
  bus: InboundBus;
  writer: ResourceWriter;
  /** A multi-cluster hub: tenants are placed on its member clusters and written there (`writer` unused). */
  multicluster?: Hub;
  flags: FlagEvaluator;
  platformAdminToken: string;
  findKey?: FindKey;
  rateLimits?: RateLimits;
  /** Channel secrets for webhooks; unset: webhooks answer 503 (no Vault configured). */
  channelSecrets?: ChannelSecrets;
  /** Where ingested results reach the SSE streams; the events consumer publishes to the same hub. */
  hub?: ConversationHub;
  eventStreams?: Pick<EventStreamSettings, 'heartbeatMs' | 'catchUpMs' | 'reconnectMs'>;
  /** Webhook deliveries a minute per tenant and channel. */
  webhookRatePerMinute?: number;
  /** Seals and opens PII with the tenants' keys (Vault transit); unset: stored PII cannot be shown (503). */
  pii?: Pii;
  /** Signing secrets of outbound webhooks (Vault); unset: configuring one answers 503. */
  outboundWebhookSecrets?: OutboundWebhookSecrets;
  /** Where request metrics go (served at /metrics); unset: a registry of the app's own. */
  metrics?: ControlPlaneMetrics;
  /** The vector store shared with the runtime (QDRANT_URL); unset: knowledge routes answer 503. */
  knowledge?: KnowledgeIndex;
  /** Largest knowledge document accepted, in bytes. */
  knowledgeMaxDocumentBytes?: number;
  /** Tenants suspended on the cluster (kubectl); unset: only the tenants table refuses messages. */
  suspension?: SuspensionCheck;
}

export interface RouteEntry {
  method: string;
  url: string;
  action: string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its action: the cross-tenant suite is generated from it. */
    routeTable: RouteEntry[];
  }
}

function registerRateLimits(app: FastifyInstance, limits: RateLimits) {
  return app.register(rateLimit, {
    hook: 'onRequest', // route-level, so it runs after authentication and can key on the tenant
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const principal = request.principal;
      if (!principal) return `ip:${request.ip}`;
      return principal.kind === 'platform-admin' ? 'platform-admin' : `tenant:${principal.tenantId}`;
    },
    max: (request) => {
      const principal = request.principal;
      if (!principal) return limits.anonymous;
      return principal.kind === 'platform-admin' ? limits['platform-admin'] : limits[principal.tier];
    },
    errorResponseBuilder: (_request, context) =>
      new DomainError('rate_limited', `rate limit of ${context.max} requests a minute exceeded`, {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
        details: { limit: context.max },
      }),
  });
}

/** The whole API. Closing the app closes the ORM, the bus and the flag evaluator. */
export async function app(instance: FastifyInstance, deps: AppDependencies) {
  instance.decorate('routeTable', [] as RouteEntry[]);
  instance.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD')
        instance.routeTable.push({ method, url: route.url, action: route.config?.action });
    }
  });
  instance.setErrorHandler(errorHandler);
  instance.setNotFoundHandler(notFoundHandler);
  instance.addSchema(ErrorSchema);
  instance.addHook('onClose', async () => {
    await deps.bus.close();
    await deps.flags.close();
  });

  // Spans and metrics first: their hooks must wrap every other plugin's.
  await instance.register(httpTracing);
  await instance.register(httpMetrics, {
    metrics: deps.metrics ?? createControlPlaneMetrics({ processMetrics: false }),
  });
  await instance.register(helmet, { global: true });
  await instance.register(ormPlugin, { orm: deps.orm });
  // Found keys are trusted for 2 s; this process forgets a tenant's at once when it revokes one.
  const keys = createKeyCache(deps.findKey ?? createKeyFinder(deps.orm.em));
  await instance.register(authPlugin, { platformAdminToken: deps.platformAdminToken, findKey: keys.find });
  await registerRateLimits(instance, deps.rateLimits ?? defaultRateLimits);
  await instance.register(docsPlugin);
  await instance.register(textGuard);

  const audit = createAuditLog();
  const flags = createFlagsService({ evaluator: deps.flags, audit });
  await instance.register(healthRoutes, { orm: deps.orm });
  const clusterHub = deps.multicluster;
  const writer = clusterHub ? createHubWriter(clusterHub) : deps.writer;
  const placements = createPlacementsService({ hub: clusterHub, audit });
  await instance.register(tenantsRoutes, {
    prefix: '/v1',
    service: createTenantsService({ writer, audit, ...(clusterHub ? { placements } : {}) }),
    deletion: createTenantDeletion({
      root: deps.orm.em,
      writer,
      audit,
      pii: deps.pii,
      index: deps.knowledge,
      keys,
    }),
  });
  await instance.register(clustersRoutes, {
    prefix: '/v1',
    service: createClustersService({ hub: clusterHub, audit }),
  });
  await instance.register(placementsRoutes, { prefix: '/v1', service: placements });
  await instance.register(apiKeysRoutes, { prefix: '/v1', service: createApiKeysService({ audit }), keys });
  await instance.register(agentInstancesRoutes, {
    prefix: '/v1',
    service: createAgentInstancesService({ writer, flags, audit }),
  });
  const pii = deps.pii ?? piiNotConfigured;
  const conversations = createConversationsService({ bus: deps.bus, pii, suspension: deps.suspension });
  const streams = createEventStreams({
    root: deps.orm.em,
    hub: deps.hub ?? createConversationHub(),
    pii,
    ...deps.eventStreams,
  });
  // Open event streams would keep the server from closing.
  instance.addHook('preClose', async () => streams.closeAll());
  await instance.register(conversationsRoutes, { prefix: '/v1', service: conversations, streams });
  await instance.register(webhooksRoutes, {
    prefix: '/v1',
    service: createWebhooksService({
      root: deps.orm.em,
      secrets: deps.channelSecrets ?? vaultNotConfigured,
      conversations,
    }),
    ...(deps.webhookRatePerMinute ? { ratePerMinute: deps.webhookRatePerMinute } : {}),
  });
  await instance.register(billingRoutes, { prefix: '/v1', service: createBillingService() });
  await instance.register(leadsRoutes, { prefix: '/v1', pii });
  await instance.register(outboundWebhooksRoutes, {
    prefix: '/v1',
    service: createOutboundWebhooksService({
      secrets: deps.outboundWebhookSecrets ?? outboundSecretsNotConfigured,
      audit,
    }),
  });
  await instance.register(flagsRoutes, { prefix: '/v1', service: flags });
  await instance.register(ofrepRoutes, { prefix: '/ofrep/v1', service: flags });
  await instance.register(auditRoutes, { prefix: '/v1', audit });
  await registerKnowledgeAndDataRights(instance, {
    orm: deps.orm,
    audit,
    index: deps.knowledge,
    ...(deps.knowledgeMaxDocumentBytes ? { maxDocumentBytes: deps.knowledgeMaxDocumentBytes } : {}),
  });
}

export interface BuildOptions {
  logger?: Logger;
  bodyLimitBytes?: number;
}

/** A ready-to-listen Fastify instance with the API registered (typed with the TypeBox provider). */
export async function buildApp(
  deps: AppDependencies,
  { logger, bodyLimitBytes = 1_048_576 }: BuildOptions = {},
) {
  const instance = Fastify({
    loggerInstance: logger ?? silentLogger(),
    bodyLimit: bodyLimitBytes,
    // AJV drops properties a schema does not declare (objects are additionalProperties: false).
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', useDefaults: true } },
    requestIdHeader: 'x-request-id',
    // The router's own refusals (an undecodable URL, a path parameter over its length) in our shape.
    frameworkErrors: (error, _request, reply) =>
      (reply as FastifyReply).status(error.statusCode ?? 400).send({
        code: 'invalid_request',
        message: `${error.message}: check the URL's encoding and the length of its segments`,
        details: { rule: error.code },
      }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  await instance.register(fp(app, { name: 'agentplane-app' }), deps);
  await instance.ready();
  return instance;
}
