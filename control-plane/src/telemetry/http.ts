// A SERVER span per HTTP request, named by the route pattern (`POST /v1/tenants/:t/conversations/:c/messages`),
// continued from the caller's W3C traceparent when it sends one. The rest of the request — later
// hooks, body parsing, the handler — runs inside the span's context, so PostgreSQL queries and the
// Kafka produce become its children (telemetry.test.ts proves it with a body sent in two parts).
import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { toDomainError } from '../http/error-handler.ts';
import { controlPlaneTracer } from './instrumentation.ts';

declare module 'fastify' {
  interface FastifyRequest {
    span: Span | null;
  }
}

function endSpan(request: FastifyRequest, reply: FastifyReply | undefined, aborted = false) {
  const span = request.span;
  if (!span) return;
  request.span = null;
  if (span.isRecording()) {
    const status = reply?.statusCode ?? 0;
    const principal = request.principal;
    span.setAttribute('http.response.status_code', status);
    if (principal?.kind === 'api-key') span.setAttribute('agentplane.tenant', principal.tenantId);
    if (aborted) span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
    else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

async function httpTracing(app: FastifyInstance) {
  const tracer = controlPlaneTracer();
  app.decorateRequest('span', null);
  // Callback style on purpose: `done` runs the rest of the request inside the span's context.
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          ...(route ? { 'http.route': route } : {}),
          'url.path': request.url.split('?')[0] ?? '/',
        },
      },
      parent,
    );
    request.span = span;
    context.with(trace.setSpan(parent, span), done);
  });
  // Failures worth a trace's attention: unknown errors (500) and dependencies down (503), not 4xx.
  app.addHook('onError', async (request, _reply, error) => {
    const status = toDomainError(error)?.status ?? 500;
    if (status >= 500 && request.span?.isRecording()) request.span.recordException(error);
  });
  app.addHook('onResponse', async (request, reply) => endSpan(request, reply));
  app.addHook('onRequestAbort', async (request) => endSpan(request, undefined, true));
}

/** Registers the request spans; register it before any plugin whose hooks query or produce. */
export default fp(httpTracing, { name: 'agentplane-http-tracing', fastify: '5.x' });
