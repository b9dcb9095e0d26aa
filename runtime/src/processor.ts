// Handles one inbound record: parse and check it, skip it when its result was already published,
// run the pipeline inside a span continued from the record's trace headers (W3C traceparent), and
// build the result event, whose traceId and traceparent carry that trace on. Also builds dead
// letters. This is where the Kafka port meets the agents.
import type { Logger } from '@agentplane/shared';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type PipelineDeps, type PipelineOutcome, runPipeline } from './agents/pipeline.ts';
import type { ModelAccess } from './agents/step.ts';
import { errorCode, isRetriable } from './errors.ts';
import { headers as eventHeaders } from './idempotency/events-tail.ts';
import type { Ledger } from './idempotency/ledger.ts';
import type { Handled } from './kafka/consumer.ts';
import type { InboundRecord, OutboundRecord } from './kafka/records.ts';
import { type DeadLetter, type InboundMessage, parseInbound, type ResultEvent } from './messages.ts';

export interface ProcessorDeps {
  tenant: string;
  instance: string;
  topics: { events: string; deadLetter: string };
  pipeline: PipelineDeps;
  ledger: Ledger;
  tracer: Tracer;
  logger: Logger;
  /** Model access for this message, or undefined for the fallback path (no model configured). */
  modelAccess: () => ModelAccess | undefined;
  onResult?: (event: ResultEvent) => void;
  onDuplicate?: (messageId: string) => void;
  now?: () => Date;
}

const getter = {
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  get: (carrier: Record<string, string>, key: string) => carrier[key],
};

const consumerSpan = { kind: SpanKind.CONSUMER };

export function createProcessor(deps: ProcessorDeps) {
  const now = deps.now ?? (() => new Date());
  /** The trace the record's producer started (its `traceparent` header), or none. */
  const inboundTrace = (record: InboundRecord) => propagation.extract(ROOT_CONTEXT, record.headers, getter);
  const spanAttributes = (record: InboundRecord) => ({
    'agentplane.tenant': deps.tenant,
    'messaging.system': 'kafka',
    'messaging.destination.name': record.topic,
    'messaging.destination.partition.id': String(record.partition),
    'messaging.kafka.offset': Number(record.offset),
  });

  /**
   * Returns the records to publish for `record` (none for a duplicate); throws RuntimeErrors. Runs
   * in a span continued from the record's trace headers; the result carries that trace onwards.
   */
  function handle(record: InboundRecord): Promise<Handled> {
    return deps.tracer.startActiveSpan(
      'agentplane.process',
      consumerSpan,
      inboundTrace(record),
      async (span) => {
        if (span.isRecording()) span.setAttributes(spanAttributes(record));
        try {
          return await processRecord(record, span);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  async function processRecord(record: InboundRecord, span: Span): Promise<Handled> {
    const message = parseInbound(record.value, deps.tenant);
    if (span.isRecording()) span.setAttribute('agentplane.message_id', message.id);
    if (!deps.ledger.claim(message.id)) {
      deps.onDuplicate?.(message.id);
      span.setAttribute('agentplane.duplicate', true);
      deps.logger.info({ messageId: message.id }, 'duplicate message skipped');
      return { records: [] };
    }
    let event: ResultEvent;
    try {
      const outcome = await runPipeline(deps.pipeline, deps.modelAccess(), message.text);
      event = resultEvent(message, outcome, span.spanContext().traceId);
    } catch (error) {
      deps.ledger.release(message.id);
      throw error;
    }
    // Only headers someone reads: each costs kafkajs an encoder of its own per record.
    const headers: Record<string, string> = {
      [eventHeaders.instance]: deps.instance,
      [eventHeaders.messageId]: message.id,
    };
    // The active context is this span's: the event's traceparent names it as the parent of what follows.
    propagation.inject(context.active(), headers);
    const out: OutboundRecord = {
      topic: deps.topics.events,
      key: message.conversationId,
      value: JSON.stringify(event),
      headers,
    };
    return {
      records: [out],
      settle: (published) => {
        if (published) {
          deps.ledger.complete(message.id);
          deps.onResult?.(event);
        } else deps.ledger.release(message.id);
      },
    };
  }

  /** The result event: the message's ids, then the pipeline's outcome (without `injection`). */
  function resultEvent(message: InboundMessage, outcome: PipelineOutcome, traceId: string): ResultEvent {
    // Field by field, in the order of the type: copying the outcome with rest and spread costs
    // more than the whole event's serialisation.
    const event: ResultEvent = {
      type: 'message.processed',
      messageId: message.id,
      conversationId: message.conversationId,
      tenant: deps.tenant,
      instance: deps.instance,
      agent: deps.pipeline.agent,
    } as ResultEvent;
    if (outcome.reply !== undefined) event.reply = outcome.reply;
    if (outcome.skipReason !== undefined) event.skipReason = outcome.skipReason;
    event.intent = outcome.intent;
    event.sentiment = outcome.sentiment;
    if (outcome.lead !== undefined) event.lead = outcome.lead;
    event.entities = outcome.entities;
    event.sources = outcome.sources;
    event.model = outcome.model;
    event.path = outcome.path;
    if (outcome.fallbackReason !== undefined) event.fallbackReason = outcome.fallbackReason;
    if (outcome.budgetExceeded !== undefined) event.budgetExceeded = outcome.budgetExceeded;
    event.tokens = outcome.tokens;
    event.costUsd = outcome.costUsd;
    event.timings = outcome.timings;
    event.traceId = traceId;
    event.processedAt = now().toISOString();
    return event;
  }

  /**
   * The dead letter for a record that failed for good: the error and the record byte for byte, in
   * a span of the record's trace (its traceparent goes with the letter). Logs the failure.
   */
  function deadLetter(record: InboundRecord, error: unknown, attempts: number): OutboundRecord {
    const parent = inboundTrace(record);
    const span = deps.tracer.startSpan(
      'agentplane.dead_letter',
      { attributes: spanAttributes(record) },
      parent,
    );
    const code = errorCode(error);
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    const traced = trace.setSpan(parent, span);
    const headers: Record<string, string> = {
      [eventHeaders.instance]: deps.instance,
      'agentplane-error-code': code,
    };
    propagation.inject(traced, headers);
    context.with(traced, () =>
      deps.logger.warn(
        { err: error, topic: record.topic, partition: record.partition, offset: record.offset, attempts },
        'dead-lettering record',
      ),
    );
    span.end();
    const letter: DeadLetter = {
      type: 'message.dead_lettered',
      tenant: deps.tenant,
      instance: deps.instance,
      error: {
        code,
        message: error instanceof Error ? error.message : String(error),
        retriable: isRetriable(error),
        attempts,
      },
      original: {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key ? clip(record.key.toString('utf8'), maxHeaderChars) : null,
        ...originalValue(record.value),
        headers: clippedHeaders(record.headers),
        timestamp: record.timestamp,
      },
      deadLetteredAt: now().toISOString(),
    };
    return {
      topic: deps.topics.deadLetter,
      key: record.key?.toString('utf8') ?? null,
      value: JSON.stringify(letter),
      headers,
    };
  }

  return { handle, deadLetter };
}

/**
 * The most of a record's value a dead letter carries. Base64 grows it by a third, and a letter over
 * the broker's message.max.bytes (1 MiB by default) would fail to publish and stop the partition:
 * a larger value is cut, marked truncated, and stays whole on the inbound topic at its offset.
 */
export const deadLetterValueBytes = 256 * 1024;
const maxHeaderChars = 4096;

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

function originalValue(value: Buffer | null) {
  if (!value) return { valueBase64: null, valueBytes: 0, truncated: false };
  const truncated = value.length > deadLetterValueBytes;
  return {
    valueBase64: (truncated ? value.subarray(0, deadLetterValueBytes) : value).toString('base64'),
    valueBytes: value.length,
    truncated,
  };
}

function clippedHeaders(headers: Record<string, string>): Record<string, string> {
  const clipped: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers).slice(0, 64))
    clipped[clip(name, 256)] = clip(value, maxHeaderChars);
  return clipped;
}
