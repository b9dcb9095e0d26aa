// Prometheus metrics of the controller machinery. Names follow controller-runtime and client-go
// (controller_runtime_reconcile_total, workqueue_depth, leader_election_master_status…) so existing
// dashboards and alerts work unchanged. Each manager has its own registry: no global state.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ControllerMetrics } from './controller.ts';

export interface OperatorMetrics {
  readonly registry: Registry;
  /** The metrics one controller and its queue report to. */
  controller(name: string): ControllerMetrics;
  leader(lease: string, leading: boolean): void;
  /** Counts an API request by method and the resource its path names; pass as createKubeClient's `onRequest`. */
  apiRequest(method: string, path: string): void;
}

/** What a request path names, as bounded labels: no namespace or object name. */
export interface RequestTarget {
  /** The plural (`tenants`, `configmaps`), or '' for discovery and other non-resource paths. */
  resource: string;
  /** `status`, `scale`, `token`…, or '' for the object or collection itself. */
  subresource: string;
}

// The API server's own reading (k8s.io/apiserver RequestInfoFactory): after /api/<v> or
// /apis/<group>/<v>, an optional `watch`, then `namespaces/<ns>` unless followed by one of the
// namespace's own subresources, then <resource>[/<name>[/<subresource>]].
const namespaceSubresources = new Set(['status', 'finalize']);

/** Parses a request path (a query string is ignored) into its resource and subresource. Pure. */
export function requestTarget(path: string): RequestTarget {
  const parts = (path.split('?')[0] ?? '').split('/').filter(Boolean);
  const prefix = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : parts.length;
  let rest = parts.slice(prefix);
  if (rest[0] === 'watch') rest = rest.slice(1);
  if (rest[0] === 'namespaces' && rest.length > 2 && !namespaceSubresources.has(rest[2] ?? ''))
    rest = rest.slice(2);
  return { resource: rest[0] ?? '', subresource: rest[2] ?? '' };
}

/** Creates the metrics in a new registry, with Node's process metrics (RSS, event-loop lag…). */
export function createMetrics({ processMetrics = true }: { processMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const reconciles = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciles per controller and result (success, requeue_after, error, terminal).',
    labelNames: ['controller', 'result'],
    registers,
  });
  const errors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Reconciles that failed (retried or terminal), per controller.',
    labelNames: ['controller'],
    registers,
  });
  const terminal = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Reconciles that failed with a TerminalError and were not retried, per controller.',
    labelNames: ['controller'],
    registers,
  });
  const duration = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Time a reconcile took, per controller.',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Keys waiting in the queue.',
    labelNames: ['name'],
    registers,
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Keys added to the queue.',
    labelNames: ['name'],
    registers,
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Keys re-queued with backoff after a failure.',
    labelNames: ['name'],
    registers,
  });
  const leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: '1 while this process holds the lease, 0 otherwise.',
    labelNames: ['name'],
    registers,
  });
  const requests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Requests made to the Kubernetes API, per method, resource (plural) and subresource.',
    labelNames: ['method', 'resource', 'subresource'],
    registers,
  });

  return {
    registry,
    controller: (name) => ({
      queue: {
        added: () => adds.inc({ name }),
        depth: (waiting) => depth.set({ name }, waiting),
        retried: () => retries.inc({ name }),
      },
      reconciled(outcome, seconds) {
        reconciles.inc({ controller: name, result: outcome });
        duration.observe({ controller: name }, seconds);
        if (outcome === 'error' || outcome === 'terminal') errors.inc({ controller: name });
        if (outcome === 'terminal') terminal.inc({ controller: name });
      },
    }),
    leader: (lease, leading) => leaderStatus.set({ name: lease }, leading ? 1 : 0),
    apiRequest: (method, path) => requests.inc({ method, ...requestTarget(path) }),
  };
}
