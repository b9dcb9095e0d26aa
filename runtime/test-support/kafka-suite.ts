// The fixture of the runtime's integration suites on the test bed's Kafka: one admin client for the
// suite, and for each test a tenant of its own whose topics, readers and runtime end with the test.
import { after, before } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { startRuntime } from '../src/app.ts';
import type { RuntimeConfig } from '../src/config.ts';
import { startTelemetry } from '../src/instrumentation.ts';
import { collect, createTenantTopics, produce, testConfig, testKafka, uniqueTenant } from './kafka.ts';

/** The part of node:test's TestContext the fixture uses. */
interface TestContext {
  after(fn: () => unknown): void;
}

type Inbound = Parameters<typeof produce>[2];

export interface TestTenant {
  tenant: string;
  config: RuntimeConfig;
  /** Produces `messages` to the tenant's inbound topic. */
  send(messages: Inbound): Promise<void>;
  /** Collects `topic` (default: the tenant's events topic) from its start until the test ends. */
  collect(topic?: string): ReturnType<typeof collect>;
  /** Starts the runtime in-process with the tenant's config; it stops when the test ends. */
  start(): Promise<void>;
}

/**
 * Registers the hooks of the calling suite: the admin client connects before its tests and
 * disconnects after them. `telemetry`: the runtime's telemetry runs for the suite, as main.ts
 * starts it without an OTLP endpoint.
 */
export function kafkaSuite({ telemetry = false }: { telemetry?: boolean } = {}) {
  const kafka = testKafka();
  const admin = kafka.admin();
  const traces = telemetry
    ? startTelemetry({ serviceName: 'runtime-test', version: 'test', export: false })
    : undefined;
  before(() => admin.connect());
  after(async () => {
    await admin.disconnect();
    await traces?.shutdown();
  });

  /** A fresh tenant for test `t`: `testConfig` with `env`, and its topics of `partitions` partitions. */
  async function tenantOf(
    t: TestContext,
    { partitions = 3, env = {} }: { partitions?: number; env?: Record<string, string> } = {},
  ): Promise<TestTenant> {
    const tenant = uniqueTenant();
    const config = testConfig(tenant, env);
    t.after(await createTenantTopics(admin, config, partitions));
    return {
      tenant,
      config,
      send: (messages) => produce(kafka, config.topics.inbound, messages),
      collect: async (topic = config.topics.events) => {
        const reader = await collect(kafka, topic);
        t.after(reader.stop);
        return reader;
      },
      start: async () => {
        const runtime = await startRuntime(config, silentLogger());
        t.after(() => runtime.stop());
      },
    };
  }

  return { kafka, admin, tenant: tenantOf };
}
