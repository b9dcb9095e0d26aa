// The port through which the API hands messages to agents, and its kafkajs implementation.
// Topic names are never spelled here: callers take them from @agentplane/shared's topicNames.
import type { Logger } from '@agentplane/shared';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { DomainError, dependencyUnavailable } from '../errors.ts';
import { tracedProduce } from '../telemetry/kafka.ts';

export interface InboundRecord {
  topic: string;
  /** The conversation id: one partition per conversation keeps its messages in order. */
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

export interface InboundBus {
  /** Resolves once the broker acknowledged. Throws DomainError (503, or 409 for a missing topic). */
  publish(record: InboundRecord): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaBusSettings {
  brokers: string[];
  clientId?: string;
  log: Logger;
  /** Told about every produce Kafka refused (a metric). */
  onProduceFailure?: (reason: 'unknown_topic' | 'unavailable') => void;
}

function translate(error: unknown, topic: string): DomainError {
  const type = (error as { type?: string; cause?: { type?: string } }).type;
  const causeType = (error as { cause?: { type?: string } }).cause?.type;
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || causeType === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new DomainError(
      'conflict',
      'the agent instance is not provisioned yet (its topic does not exist)',
      {
        details: { topic },
        retryAfterSeconds: 10,
      },
    );
  }
  return dependencyUnavailable('Kafka', error);
}

/**
 * Connects a producer (throws when no broker answers) and returns the bus. Each record goes out
 * in a PRODUCER span and carries its W3C `traceparent`, which the runtime continues.
 */
export async function createKafkaInboundBus({
  brokers,
  clientId = 'agentplane-control-plane',
  log,
  onProduceFailure,
}: KafkaBusSettings) {
  const kafka = new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    // Fail fast: the caller is an HTTP request waiting for its 202.
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    connectionTimeout: 3000,
  });
  const connected = async () => {
    const fresh = kafka.producer({ allowAutoTopicCreation: false });
    await fresh.connect();
    return fresh;
  };
  let producer: Producer = await connected();
  let replacing: Promise<Producer> | undefined;
  // kafkajs asks for the metadata of every topic a producer ever sent to: once one of them is
  // deleted (a deleted tenant's), every send to a topic it has not seen yet fails as unknown. So
  // an unknown topic replaces the producer (once, however many sends saw it, and at most every 5 s:
  // a topic that is really missing must not churn connections) and is tried again.
  let replacedAt = 0;
  const replace = (failed: Producer) => {
    if (producer !== failed) return Promise.resolve(producer);
    if (!replacing && Date.now() - replacedAt < 5000) return Promise.resolve(undefined);
    replacedAt = Date.now();
    replacing ??= connected().then((fresh) => {
      producer = fresh;
      replacing = undefined;
      setTimeout(() => void failed.disconnect().catch(() => {}), 30_000).unref();
      return fresh;
    });
    return replacing;
  };
  const send = (by: Producer, { topic, key, value, headers }: InboundRecord) =>
    tracedProduce(topic, headers ?? {}, (traced) =>
      by.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify(value), headers: traced }] }),
    );
  const bus: InboundBus = {
    async publish(record) {
      const by = producer;
      try {
        await send(by, record).catch(async (error: unknown) => {
          const fresh = translate(error, record.topic).code === 'conflict' && (await replace(by));
          if (!fresh) throw error;
          await send(fresh, record);
        });
      } catch (error) {
        log.warn({ err: error, topic: record.topic }, 'kafka produce failed');
        const domain = translate(error, record.topic);
        onProduceFailure?.(domain.code === 'conflict' ? 'unknown_topic' : 'unavailable');
        throw domain;
      }
    },
    close: async () => {
      await replacing;
      await producer.disconnect();
    },
  };
  return bus;
}
