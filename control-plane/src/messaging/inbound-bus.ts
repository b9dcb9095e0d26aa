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
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const bus: InboundBus = {
    async publish({ topic, key, value, headers }) {
      try {
        await tracedProduce(topic, headers ?? {}, (traced) =>
          producer.send({
            topic,
            acks: -1,
            messages: [{ key, value: JSON.stringify(value), headers: traced }],
          }),
        );
      } catch (error) {
        log.warn({ err: error, topic }, 'kafka produce failed');
        const domain = translate(error, topic);
        onProduceFailure?.(domain.code === 'conflict' ? 'unknown_topic' : 'unavailable');
        throw domain;
      }
    },
    close: () => producer.disconnect(),
  };
  return bus;
}
