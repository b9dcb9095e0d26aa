// Prometheus metrics of one runtime process, on a registry of its own (no global state).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ResultEvent } from './messages.ts';

export function createMetrics(labels: { tenant: string; instance: string }) {
  // Per-result counts are tallied in plain numbers and added to the counters when they are
  // collected (a scrape): incrementing labelled counters costs a label hash per call.
  const pending = { fallback: 0, model: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
  const collect = () => {
    if (pending.fallback > 0) messages.inc({ outcome: 'processed', path: 'fallback' }, pending.fallback);
    if (pending.model > 0) messages.inc({ outcome: 'processed', path: 'model' }, pending.model);
    tokens.inc({ kind: 'prompt' }, pending.promptTokens);
    tokens.inc({ kind: 'completion' }, pending.completionTokens);
    cost.inc(pending.costUsd);
    Object.assign(pending, { fallback: 0, model: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });
  };
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry }); // process RSS, CPU, event-loop lag, GC
  const messages = new Counter({
    name: 'agentplane_runtime_messages_total',
    help: 'Inbound records handled, by outcome (processed, duplicate, dead_lettered) and path',
    labelNames: ['outcome', 'path'] as const,
    registers: [registry],
    collect,
  });
  const latency = new Histogram({
    name: 'agentplane_runtime_processing_seconds',
    help: 'Time from fetch to handled, per record',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'agentplane_runtime_failures_total',
    help: 'Failed handling attempts (each retry counts), by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'agentplane_runtime_tokens_total',
    help: 'Model tokens used',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect,
  });
  const cost = new Counter({
    name: 'agentplane_runtime_cost_usd_total',
    help: 'Model cost in USD',
    registers: [registry],
    collect,
  });
  const lag = new Gauge({
    name: 'agentplane_runtime_consumer_lag',
    help: 'Records behind the high watermark at the last fetched batch',
    labelNames: ['partition'] as const,
    registers: [registry],
  });
  return {
    registry,
    handled: (outcome: 'ok' | 'dead_lettered', ms: number) => {
      if (outcome === 'dead_lettered') messages.inc({ outcome: 'dead_lettered', path: 'none' });
      latency.observe(ms / 1000);
    },
    result: (event: ResultEvent) => {
      pending[event.path]++;
      pending.promptTokens += event.tokens.promptTokens;
      pending.completionTokens += event.tokens.completionTokens;
      pending.costUsd += event.costUsd;
    },
    duplicate: () => messages.inc({ outcome: 'duplicate', path: 'none' }),
    failure: (code: string) => failures.inc({ code }),
    lag: (partition: number, value: number) => lag.set({ partition: String(partition) }, value),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
