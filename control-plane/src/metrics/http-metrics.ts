// Request metrics for every route, and `GET /metrics` for Prometheus. /metrics is public like
// /healthz and /readyz (outside /v1, no credential): its labels carry tiers and route patterns,
// never a tenant's id or data. Keep it off the public ingress (docs/observability.md).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ControlPlaneMetrics, TierLabel } from './metrics.ts';

function tierOf(request: FastifyRequest): TierLabel {
  const principal = request.principal;
  if (!principal) return 'anonymous';
  return principal.kind === 'platform-admin' ? 'platform-admin' : principal.tier;
}

async function httpMetrics(app: FastifyInstance, { metrics }: { metrics: ControlPlaneMetrics }) {
  app.decorateRequest('errorCode', null);
  app.addHook('onResponse', async (request, reply) => {
    metrics.request({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      tier: tierOf(request),
      seconds: reply.elapsedTime / 1000,
      errorCode: request.errorCode ?? undefined,
    });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}

/** Counts every request (register before the routes) and serves `GET /metrics`. */
export default fp(httpMetrics, { name: 'agentplane-http-metrics', fastify: '5.x' });
