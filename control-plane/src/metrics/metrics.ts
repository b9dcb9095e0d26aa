// Prometheus metrics of one control-plane process, on a registry of its own (no global state).
// Labels are bounded: the route pattern (never the raw URL), the method, the status and the
// caller's tier — never a tenant id, a conversation id or a key.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The caller's class in metrics: a tenant's tier, platform-admin, or anonymous (public or unauthenticated). */
export type TierLabel = 'basic' | 'pro' | 'enterprise' | 'platform-admin' | 'anonymous';

export interface RequestObservation {
  method: string;
  /** The route pattern, `unmatched` when no route matched. */
  route: string;
  status: number;
  tier: TierLabel;
  seconds: number;
  /** The error's `code` for 4xx/5xx answers. */
  errorCode?: string | undefined;
}

/** Creates the metrics in a new registry; `processMetrics` adds Node's (RSS, CPU, event-loop lag). */
export function createControlPlaneMetrics({ processMetrics = true }: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'agentplane_control_plane_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern, status code and caller tier',
    labelNames: ['method', 'route', 'status_code', 'tier'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'agentplane_control_plane_http_request_duration_seconds',
    help: 'Time from request to response sent, by method, route pattern and caller tier',
    labelNames: ['method', 'route', 'tier'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const errors = new Counter({
    name: 'agentplane_control_plane_http_request_errors_total',
    help: 'HTTP requests answered with an error (4xx, 5xx), by method, route pattern, caller tier and error code',
    labelNames: ['method', 'route', 'tier', 'code'] as const,
    registers,
  });
  const produceFailures = new Counter({
    name: 'agentplane_control_plane_kafka_produce_failures_total',
    help: 'Inbound messages Kafka did not accept, by reason (unknown_topic, unavailable)',
    labelNames: ['reason'] as const,
    registers,
  });
  const events = new Counter({
    name: 'agentplane_control_plane_events_ingested_total',
    help: 'Result events read from the tenants events topics, by outcome (stored, duplicate, dead_lettered)',
    labelNames: ['outcome'] as const,
    registers,
  });
  return {
    registry,
    request({ method, route, status, tier, seconds, errorCode }: RequestObservation) {
      requests.inc({ method, route, status_code: String(status), tier });
      latency.observe({ method, route, tier }, seconds);
      if (status >= 400) errors.inc({ method, route, tier, code: errorCode ?? `http_${status}` });
    },
    produceFailed: (reason: 'unknown_topic' | 'unavailable') => produceFailures.inc({ reason }),
    eventIngested: (outcome: 'stored' | 'duplicate' | 'dead_lettered') => events.inc({ outcome }),
  };
}

export type ControlPlaneMetrics = ReturnType<typeof createControlPlaneMetrics>;
