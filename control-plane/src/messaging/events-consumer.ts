// The port through which events come in from Kafka, and its kafkajs implementation: one consumer
// group reads every topic matching a pattern (all tenants' events topics). kafkajs resolves a
// pattern once, at subscription, so the topic list is polled and the consumer re-created when it
// changes: a new tenant's topic is read from its beginning within `refreshMs`.
//
// Per record: handled, then its offset committed. An error whose `retriable` is true (a database
// that is down) is retried with backoff for as long as it takes; a DomainError that is not
// retriable is dead-lettered at once; anything else is retried a few times, then dead-lettered.
import type { Logger } from '@agentplane/shared';
import { type Consumer, type IHeaders, Kafka, logLevel } from 'kafkajs';
import { DomainError } from '../errors.ts';
import type { InboundRecord } from './inbound-bus.ts';

export interface EventRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface EventsConsumerSettings {
  brokers: string[];
  groupId: string;
  topics: RegExp;
  handle: (record: EventRecord) => Promise<void>;
  /** The record that keeps a failed event (the tenant's dead-letter topic), and how to produce it. */
  deadLetter: (record: EventRecord, error: unknown, attempts: number) => InboundRecord;
  publish: (record: InboundRecord) => Promise<void>;
  log: Logger;
  clientId?: string;
  refreshMs?: number;
  /** Attempts for errors that do not say whether retrying helps. */
  maxAttempts?: number;
}

export interface EventsConsumer {
  /** True once the group was joined, until `stop()`. */
  isReady(): boolean;
  /** Finishes the record in hand, commits, leaves the group. Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoffMs = (attempt: number) => Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));

function retriable(error: unknown): boolean | undefined {
  if (error instanceof DomainError) return error.retriable;
  const flag = (error as { retriable?: unknown } | undefined)?.retriable;
  return typeof flag === 'boolean' ? flag : undefined;
}

function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) headers[name] = last.toString();
  }
  return headers;
}

/** Connects, subscribes and runs until `stop()`. Throws when no broker answers. */
export async function startEventsConsumer(settings: EventsConsumerSettings): Promise<EventsConsumer> {
  const { brokers, groupId, topics, log, refreshMs = 30_000, maxAttempts = 5 } = settings;
  const kafka = new Kafka({
    clientId: settings.clientId ?? 'agentplane-control-plane-events',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 300 },
  });
  const admin = kafka.admin();
  await admin.connect();
  let running = true;
  let joined = false;
  let consumer: Consumer | undefined;
  let subscribed = '';

  const handleWithRetry = async (record: EventRecord, heartbeat: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await settings.handle(record);
      } catch (error) {
        const verdict = retriable(error);
        if (verdict === false || (verdict === undefined && attempt >= maxAttempts) || !running) {
          if (!running) throw error; // shutting down: leave it uncommitted for the next owner
          log.warn(
            { err: error, topic: record.topic, offset: record.offset, attempt },
            'event dead-lettered',
          );
          return settings.publish(settings.deadLetter(record, error, attempt));
        }
        log.warn({ err: error, topic: record.topic, offset: record.offset, attempt }, 'event retried');
        await sleep(backoffMs(attempt));
        await heartbeat().catch(() => undefined);
      }
    }
  };

  const matching = async () =>
    (await admin.listTopics())
      .filter((topic) => topics.test(topic))
      .sort()
      .join(',');

  const subscribe = async () => {
    const next = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 8 } });
    next.on(next.events.GROUP_JOIN, () => {
      joined = true;
    });
    next.on(next.events.CRASH, (event) => {
      log.error({ err: event.payload.error, restart: event.payload.restart }, 'events consumer crashed');
      if (!event.payload.restart) joined = false;
    });
    subscribed = await matching();
    await next.connect();
    // A group seen for the first time reads every tenant's events from their beginning.
    await next.subscribe({ topics: [topics], fromBeginning: true });
    await next.run({
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const record: EventRecord = {
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: headersOf(message.headers),
          timestamp: message.timestamp,
        };
        await handleWithRetry(record, heartbeat);
      },
    });
    consumer = next;
  };

  const refresh = async () => {
    const now = await matching();
    if (now === subscribed || !running) return;
    log.info({ before: subscribed, after: now }, 'events topics changed: re-subscribing');
    joined = false;
    await consumer?.disconnect();
    if (running) await subscribe();
  };

  await subscribe();
  let refreshing = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refreshing
      .then(refresh)
      .catch((error: unknown) => log.warn({ err: error }, 'events topic refresh failed'));
  }, refreshMs);

  let stopping: Promise<void> | undefined;
  return {
    isReady: () => joined && running,
    stop() {
      stopping ??= (async () => {
        running = false;
        clearInterval(timer);
        await refreshing;
        await consumer?.disconnect();
        await admin.disconnect();
        joined = false;
      })();
      return stopping;
    },
  };
}
