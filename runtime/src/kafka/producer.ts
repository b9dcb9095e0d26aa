// Publishes results and dead letters. Idempotent producer: a broker-level retry never writes a
// record twice, and records to one partition keep their order.
import type { Kafka } from 'kafkajs';
import type { OutboundRecord } from './records.ts';

export interface Publisher {
  connect(): Promise<void>;
  /** Resolves when every record is acknowledged by the broker (acks=all); throws otherwise. */
  publish(records: readonly OutboundRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export function createPublisher(kafka: Kafka): Publisher {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async publish(records) {
      if (records.length === 0) return;
      const byTopic = new Map<
        string,
        { key: string | null; value: string | Buffer; headers?: Record<string, string> }[]
      >();
      for (const { topic, ...message } of records) {
        const list = byTopic.get(topic) ?? [];
        list.push(message);
        byTopic.set(topic, list);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
  };
}
