// Handles one inbound record: parse and check it, skip it when its result was already published,
// run the pipeline inside a span continued from the record's trace headers, and build the result
// event. Also builds dead letters. This is where the Kafka port meets the agents.
import type { Logger } from '@agentplane/shared';
import { context, propagation, type Tracer } from '@opentelemetry/api';
import { type PipelineDeps, runPipeline } from './agents/pipeline.ts';
import type { ModelAccess } from './agents/step.ts';
import { errorCode, isRetriable } from './errors.ts';
import { headers as eventHeaders } from './idempotency/events-tail.ts';
import type { Ledger } from './idempotency/ledger.ts';
import type { Handled } from './kafka/consumer.ts';
import type { InboundRecord, OutboundRecord } from './kafka/records.ts';
import { type DeadLetter, parseInbound, type ResultEvent } from './messages.ts';

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

export function createProcessor(deps: ProcessorDeps) {
  const now = deps.now ?? (() => new Date());

  /** Returns the records to publish for `record` (none for a duplicate); throws RuntimeErrors. */
  async function handle(record: InboundRecord): Promise<Handled> {
    const message = parseInbound(record.value, deps.tenant);
    if (!deps.ledger.claim(message.id)) {
      deps.onDuplicate?.(message.id);
      deps.logger.info({ messageId: message.id }, 'duplicate message skipped');
      return { records: [] };
    }
    const parent = propagation.extract(context.active(), record.headers, getter);
    try {
      const { event, headers } = await context.with(parent, () =>
        deps.tracer.startActiveSpan('agentplane.process', async (span) => {
          span.setAttributes({ 'agentplane.tenant': deps.tenant, 'agentplane.message_id': message.id });
          try {
            const outcome = await runPipeline(deps.pipeline, deps.modelAccess(), message.text);
            const { injection: _injection, ...result } = outcome;
            const built: ResultEvent = {
              type: 'message.processed',
              messageId: message.id,
              conversationId: message.conversationId,
              tenant: deps.tenant,
              instance: deps.instance,
              agent: deps.pipeline.agent,
              ...result,
              traceId: span.spanContext().traceId,
              processedAt: now().toISOString(),
            };
            const headers: Record<string, string> = {
              [eventHeaders.instance]: deps.instance,
              [eventHeaders.messageId]: message.id,
              'content-type': 'application/json',
            };
            // Inside the span: the event's traceparent names this span as the parent of what follows.
            propagation.inject(context.active(), headers);
            return { event: built, headers };
          } finally {
            span.end();
          }
        }),
      );
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
    } catch (error) {
      deps.ledger.release(message.id);
      throw error;
    }
  }

  /** The dead letter for a record that failed for good: the error and the record byte for byte. */
  function deadLetter(record: InboundRecord, error: unknown, attempts: number): OutboundRecord {
    const letter: DeadLetter = {
      type: 'message.dead_lettered',
      tenant: deps.tenant,
      instance: deps.instance,
      error: {
        code: errorCode(error),
        message: error instanceof Error ? error.message : String(error),
        retriable: isRetriable(error),
        attempts,
      },
      original: {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key?.toString('utf8') ?? null,
        valueBase64: record.value?.toString('base64') ?? null,
        headers: record.headers,
        timestamp: record.timestamp,
      },
      deadLetteredAt: now().toISOString(),
    };
    return {
      topic: deps.topics.deadLetter,
      key: record.key?.toString('utf8') ?? null,
      value: JSON.stringify(letter),
      headers: { [eventHeaders.instance]: deps.instance, 'agentplane-error-code': letter.error.code },
    };
  }

  return { handle, deadLetter };
}
