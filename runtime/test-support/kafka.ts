// Test helpers against the test bed's real Kafka: unique topics created and always deleted, a
// producer, and a reader that collects a topic's records until a condition holds.
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@agentplane/shared';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { loadConfig, type RuntimeConfig } from '../src/config.ts';

export const brokers = () => (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
export const withoutKafka = () =>
  brokers().length === 0 ? 'needs the test bed: source .testbed/env (KAFKA_BROKERS)' : false;

export function testKafka(): Kafka {
  return new Kafka({ clientId: 'runtime-tests', brokers: brokers(), logLevel: logLevel.NOTHING });
}

export const uniqueTenant = () => `t-${randomBytes(5).toString('hex')}`;

/** Creates the tenant's inbound, events and dead-letter topics; returns a function deleting them. */
export async function createTenantTopics(
  admin: Admin,
  config: RuntimeConfig,
  partitions = 3,
): Promise<() => Promise<void>> {
  const names = [config.topics.inbound, config.topics.events, config.topics.deadLetter];
  await admin.createTopics({
    waitForLeaders: true,
    topics: names.map((topic) => ({ topic, numPartitions: partitions })),
  });
  return async () => {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
  };
}

/** A runtime configuration for tests: fallback path, free HTTP port, quick retries. */
export function testConfig(
  tenant: string,
  env: Record<string, string> = {},
  argv: string[] = [],
): RuntimeConfig {
  return loadConfig(
    {
      AGENTPLANE_TENANT: tenant,
      AGENTPLANE_AGENT_INSTANCE: 'support',
      AGENTPLANE_AGENT: 'sales',
      KAFKA_BROKERS: brokers().join(','),
      AGENTPLANE_HTTP_PORT: '0',
      AGENTPLANE_RETRY_BASE: '20ms',
      AGENTPLANE_RETRY_BUDGET: '5s',
      AGENTPLANE_RETRY_ATTEMPTS: '4',
      LOG_LEVEL: 'silent',
      ...env,
    },
    argv,
  );
}

export interface Collected {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  partition: number;
}

/** Reads `topic` from the beginning in the background; `records` grows as records arrive. */
export async function collect(kafka: Kafka, topic: string) {
  const consumer = kafka.consumer({ groupId: `collector-${randomBytes(5).toString('hex')}` });
  const records: Collected[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      records.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? '',
        headers,
        partition,
      });
    },
  });
  return {
    records,
    json: <T>() => records.map((r) => JSON.parse(r.value) as T),
    stop: () => consumer.disconnect(),
  };
}

export function inbound(
  tenant: string,
  conversationId: string,
  text: string,
  id = randomBytes(6).toString('hex'),
) {
  return {
    key: conversationId,
    value: JSON.stringify({
      id,
      tenant,
      conversationId,
      text,
      channel: 'chat',
      receivedAt: new Date().toISOString(),
    }),
  };
}

export const quietLogger = silentLogger;

/**
 * Sends with a producer of its own: a kafkajs client that once knew a topic deleted later fails
 * every metadata refresh, so tests never share producers across their topics.
 */
export async function produce(
  kafka: Kafka,
  topic: string,
  messages: { key: string | null; value: string | Buffer; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}
