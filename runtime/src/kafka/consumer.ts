// The consume → handle → publish → commit loop over kafkajs.
//
// Guarantees: records of one partition are handled one after another, in offset order (so one
// conversation, keyed to one partition, is processed in order); partitions run concurrently. An
// offset is committed only after everything the records before it produced is acknowledged by the
// broker; publishing a chunk of records overlaps handling the next one (see flusher.ts), and the
// batch returns only when all of it is published and committed. A failing record is retried while
// its error is retriable and the policy allows, then dead-lettered (as is a non-retriable failure
// at once), and the partition moves on. On shutdown or a rebalance the loop stops between records,
// publishes and commits what is done (or, when the partition was taken away, drops it uncommitted
// for the new owner), and never commits twice.
import type { Logger } from '@agentplane/shared';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { isRetriable } from '../errors.ts';
import { createFlusher } from './flusher.ts';
import type { Publisher } from './producer.ts';
import { headersOf, type InboundRecord, type OutboundRecord } from './records.ts';
import { backoffDelay, mayRetry, type RetryPolicy } from './retry.ts';

/** What handling one record produced, and a hook told whether it was published. */
export interface Handled {
  records: OutboundRecord[];
  settle?: (published: boolean) => void;
}

export interface ConsumerHooks {
  onHandled?(record: InboundRecord, outcome: 'ok' | 'dead_lettered', ms: number): void;
  onRetry?(record: InboundRecord, error: unknown, attempt: number): void;
  onLag?(topic: string, partition: number, lag: number): void;
}

export interface ConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  publisher: Publisher;
  handle: (record: InboundRecord) => Promise<Handled>;
  /** Builds the dead letter for a record that failed for good, and reports it (log, span). */
  deadLetter: (record: InboundRecord, error: unknown, attempts: number) => OutboundRecord;
  retry: RetryPolicy;
  concurrency: number;
  logger: Logger;
  hooks?: ConsumerHooks;
  /**
   * Publish and commit every this many records of a batch (the last chunk may be smaller); the
   * next chunk is handled while one is being published.
   */
  flushEvery?: number;
  /** Called on every (re)join of the group, before the new assignment's first batch. */
  onJoin?: () => void;
  /** Awaited before each batch (e.g. until the idempotency record has caught up after a rebalance). */
  beforeBatch?: () => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  /** Called when KafkaJS gives up on the consumer (a crash it will not restart from). */
  onFatal?: (error: Error) => void;
}

export interface RunningConsumer {
  /** True once the consumer has joined its group and has not stopped. */
  isReady(): boolean;
  /** Stops fetching, finishes the record in hand, publishes and commits, leaves the group. Idempotent. */
  stop(): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Connects, joins the group and runs until `stop()`. Throws when the broker cannot be reached. */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const { kafka, topic, groupId, logger } = options;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 8 } });
  let joined = false;
  let stopping: Promise<void> | undefined;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joined = true;
    options.onJoin?.();
    logger.info({ assignment: event.payload.memberAssignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.CRASH, (event) => {
    logger.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed');
    if (!event.payload.restart) {
      joined = false;
      // Not consuming while alive and listed as a member would hold the partitions forever.
      options.onFatal?.(event.payload.error);
    }
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.concurrency,
    eachBatch: (payload) => consumeBatch(payload, options),
  });
  return {
    isReady: () => joined && !stopping,
    stop() {
      stopping ??= (async () => {
        await consumer.stop();
        await consumer.disconnect();
        joined = false;
      })();
      return stopping;
    },
  };
}

async function consumeBatch(payload: EachBatchPayload, options: ConsumerOptions): Promise<void> {
  const { batch, isRunning, isStale, heartbeat } = payload;
  const flushEvery = options.flushEvery ?? 250;
  await options.beforeBatch?.();
  options.hooks?.onLag?.(batch.topic, batch.partition, Number(batch.offsetLag()));
  const flusher = createFlusher(options.publisher, {
    isStale,
    resolveOffset: payload.resolveOffset,
    // The batch's own commit goes to the group directly; consumer.commitOffsets() is a no-op once
    // stop() was called, which would lose the commit of a shutdown's last records.
    commit: (offset) =>
      payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
      }),
  });
  let chunk: Handled[] = [];
  let lastOffset: string | undefined;

  for (const message of batch.messages) {
    if (!isRunning() || isStale() || flusher.failed) break;
    const record: InboundRecord = {
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: headersOf(message.headers),
      timestamp: message.timestamp,
    };
    const handled = await handleWithRetry(record, options, { isRunning, isStale, heartbeat });
    if (!handled) break; // abandoned mid-retry by shutdown or rebalance: this record stays uncommitted
    chunk.push(handled);
    lastOffset = message.offset;
    if (chunk.length >= flushEvery) {
      flusher.enqueue(chunk, lastOffset);
      chunk = [];
    }
  }
  if (lastOffset !== undefined && chunk.length > 0) flusher.enqueue(chunk, lastOffset);
  await flusher.drain();
  await heartbeat().catch(() => undefined);
}

async function handleWithRetry(
  record: InboundRecord,
  options: ConsumerOptions,
  control: Pick<EachBatchPayload, 'isRunning' | 'isStale' | 'heartbeat'>,
): Promise<Handled | undefined> {
  const started = Date.now();
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      const handled = await options.handle(record);
      options.hooks?.onHandled?.(record, 'ok', Date.now() - started);
      return handled;
    } catch (error) {
      const delay = backoffDelay(attempt, options.retry);
      if (!isRetriable(error) || !mayRetry(attempt, started, delay, options.retry)) {
        options.hooks?.onHandled?.(record, 'dead_lettered', Date.now() - started);
        return { records: [options.deadLetter(record, error, attempt)] };
      }
      options.hooks?.onRetry?.(record, error, attempt);
      await sleep(delay);
      if (!control.isRunning() || control.isStale()) return undefined;
      await control.heartbeat().catch(() => undefined);
    }
  }
}
