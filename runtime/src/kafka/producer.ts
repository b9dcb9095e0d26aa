// Publishes results and dead letters. Idempotent producer: a broker-level retry never writes a
// record twice, and records to one partition keep their order.
//
// One produce request is in flight at a time (maxInFlightRequests 1 keeps kafkajs' idempotent
// producer in order). Records published while a request is in flight wait and leave together in
// the next one, so the partitions consumed concurrently share round trips instead of queueing one
// request each: fewer, larger requests when busy, no added wait when idle.
import type { Kafka } from 'kafkajs';
import type { OutboundRecord } from './records.ts';

export interface Publisher {
  connect(): Promise<void>;
  /** Resolves when every record is acknowledged by the broker (acks=all); throws otherwise. */
  publish(records: readonly OutboundRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

interface Waiting {
  records: readonly OutboundRecord[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Upper bound of one request's values: well below the broker's 1 MiB per partition batch. */
const maxRequestBytes = 512 * 1024;

export function createPublisher(kafka: Kafka): Publisher {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  let waiting: Waiting[] = [];
  let sending = false;

  /** Sends what waits, in order, one request at a time, until nothing waits. */
  async function drain() {
    sending = true;
    while (waiting.length > 0) {
      const taken = takeRequest();
      try {
        await send(taken.flatMap((item) => item.records));
        for (const item of taken) item.resolve();
      } catch (error) {
        for (const item of taken) item.reject(error);
      }
    }
    sending = false;
  }

  /** The oldest waiting publishes that fit one request (at least one). */
  function takeRequest(): Waiting[] {
    let bytes = 0;
    let count = 0;
    while (
      count < waiting.length &&
      (count === 0 || bytes + (waiting[count]?.bytes ?? 0) <= maxRequestBytes)
    ) {
      bytes += waiting[count]?.bytes ?? 0;
      count++;
    }
    const taken = waiting.slice(0, count);
    waiting = waiting.slice(count);
    return taken;
  }

  async function send(records: readonly OutboundRecord[]) {
    const byTopic = new Map<
      string,
      { key: string | null; value: string | Buffer; headers?: Record<string, string> }[]
    >();
    for (const { topic, key, value, headers } of records) {
      const list = byTopic.get(topic) ?? [];
      if (list.length === 0) byTopic.set(topic, list);
      list.push(headers ? { key, value, headers } : { key, value });
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    publish(records) {
      if (records.length === 0) return Promise.resolve();
      const bytes = records.reduce((sum, record) => sum + record.value.length, 0);
      return new Promise<void>((resolve, reject) => {
        waiting.push({ records, bytes, resolve, reject });
        if (!sending) void drain();
      });
    },
  };
}
