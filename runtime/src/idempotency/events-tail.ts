// Reads the tenant's events topic from `now − lookback` and teaches the ledger every message id an
// instance of this agent has published a result for. `caughtUp()` waits until everything published
// before the call has been read: the runtime waits on it before its first batch and after every
// rebalance, so a record redelivered to it (its result published, its offset not yet committed)
// is recognised and produces no second result.
//
// Between catch-ups the reader is paused. The events it would read then are this process's own
// (already in the ledger) and other pods' results for partitions this process does not own; a
// partition changes hands only through a rebalance, which the previous owner joins after its last
// batch is published, and after which the new owner catches up first. Reading them all the time
// would decode every result the runtime publishes a second time.
//
// The reader joins a consumer group of its own per process (`<group>.ledger.<random>`), never
// commits, and leaves on stop; Kafka drops such empty groups by itself.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@agentplane/shared';
import type { Kafka } from 'kafkajs';
import type { Ledger } from './ledger.ts';

export const headers = { instance: 'agentplane-instance', messageId: 'agentplane-message-id' } as const;

export interface EventsTail {
  start(): Promise<void>;
  /**
   * Resolves when every event published before this call has been read (or throws after
   * `timeoutMs`); the reader runs only while a catch-up is waiting.
   */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function createEventsTail(options: {
  kafka: Kafka;
  topic: string;
  groupId: string;
  instance: string;
  ledger: Ledger;
  lookbackMs: number;
  logger: Logger;
}): EventsTail {
  const { kafka, topic, instance, ledger, logger } = options;
  const admin = kafka.admin();
  const consumer = kafka.consumer({
    groupId: `${options.groupId}.ledger.${randomBytes(6).toString('hex')}`,
    // A paused consumer checks for a resume this often (kafkajs sleeps this long when it has
    // nothing to fetch); it bounds how late a catch-up starts reading.
    maxWaitTimeInMs: 200,
  });
  const position = new Map<number, bigint>();
  let assigned = false;
  let catchingUp = 0;

  consumer.on(consumer.events.GROUP_JOIN, async (event) => {
    const partitions = event.payload.memberAssignment[topic] ?? [];
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - options.lookbackMs);
    for (const { partition, offset } of starts) {
      if (!partitions.includes(partition)) continue;
      // offset -1: no record at or after the timestamp, read from the end
      const ends = await admin.fetchTopicOffsets(topic);
      const end = ends.find((item) => item.partition === partition)?.offset ?? '0';
      const from = offset === '-1' ? end : offset;
      position.set(partition, BigInt(from));
      consumer.seek({ topic, partition, offset: from });
    }
    assigned = true;
  });

  return {
    async start() {
      await admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (message.headers?.[headers.instance]?.toString() !== instance) continue;
            const id = message.headers?.[headers.messageId]?.toString();
            if (id) ledger.learn(id);
          }
          position.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
        },
      });
    },
    async caughtUp(timeoutMs = 60_000) {
      catchingUp++;
      consumer.resume([{ topic }]);
      try {
        const targets = await admin.fetchTopicOffsets(topic);
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const behind = targets.filter(
            ({ partition, offset }) => !assigned || (position.get(partition) ?? -1n) < BigInt(offset),
          );
          if (behind.length === 0) return;
          if (Date.now() > deadline) {
            logger.error({ topic, behind }, 'events topic not read in time');
            throw new Error(`events topic ${topic} not caught up after ${timeoutMs} ms`);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        // Concurrent catch-ups share the reader: the last one to finish pauses it.
        if (--catchingUp === 0) consumer.pause([{ topic }]);
      }
    },
    async stop() {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}
