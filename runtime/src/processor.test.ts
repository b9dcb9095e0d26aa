// The processor's tracing without Kafka: a span per pipeline step inside the message's span, the
// inbound traceparent continued into the result event and its headers, dead letters in the trace.
import assert from 'node:assert/strict';
import { after, beforeEach, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { defaultAgentSettings } from './config.ts';
import { malformed } from './errors.ts';
import { createLedger } from './idempotency/ledger.ts';
import { startTelemetry } from './instrumentation.ts';
import type { InboundRecord } from './kafka/records.ts';
import type { ResultEvent } from './messages.ts';
import { createProcessor, deadLetterValueBytes } from './processor.ts';

const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry({
  serviceName: 'processor-test',
  version: 'test',
  export: false,
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
after(() => telemetry.shutdown());
beforeEach(() => exporter.reset());

const inboundTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const inboundSpanId = '00f067aa0ba902b7';

function processor() {
  const logger = silentLogger();
  return createProcessor({
    tenant: 'acme',
    instance: 'support',
    topics: { events: 'acme.events', deadLetter: 'acme.dlq' },
    pipeline: { agent: 'sales', settings: defaultAgentSettings, tracer: telemetry.tracer, logger },
    ledger: createLedger(100),
    tracer: telemetry.tracer,
    logger,
    modelAccess: () => undefined,
  });
}

function record(id: string, headers: Record<string, string> = {}): InboundRecord {
  const message = {
    id,
    tenant: 'acme',
    conversationId: 'c1',
    text: 'We want 40 seats, what is the price?',
    receivedAt: new Date().toISOString(),
  };
  return {
    topic: 'acme.inbound',
    partition: 0,
    offset: '7',
    key: Buffer.from('c1'),
    value: Buffer.from(JSON.stringify(message)),
    headers,
    timestamp: '0',
  };
}

it('continues the inbound trace: event traceId, traceparent and one span per step', async () => {
  const handled = await processor().handle(
    record('m1', { traceparent: `00-${inboundTraceId}-${inboundSpanId}-01` }),
  );
  const [out] = handled.records;
  const event = JSON.parse(String(out?.value)) as ResultEvent;
  assert.equal(event.traceId, inboundTraceId);

  const spans = exporter.getFinishedSpans();
  const process = spans.find((span) => span.name === 'agentplane.process');
  assert.ok(process, 'a span for the message');
  assert.equal(process.parentSpanContext?.spanId, inboundSpanId, 'child of the producer span');
  assert.equal(out?.headers?.traceparent, `00-${inboundTraceId}-${process.spanContext().spanId}-01`);
  const steps = spans.filter((span) => span.parentSpanContext?.spanId === process.spanContext().spanId);
  assert.deepEqual(
    steps.map((span) => span.name),
    [
      'agent.triage',
      'agent.intent',
      'agent.extraction',
      'agent.qualification',
      'agent.retrieval',
      'agent.reply',
    ],
  );
  for (const span of spans) assert.equal(span.spanContext().traceId, inboundTraceId);
});

it('starts a fresh trace when the record carries none', async () => {
  const p = processor();
  const ids = [];
  for (const id of ['m1', 'm2']) {
    const [out] = (await p.handle(record(id))).records;
    const event = JSON.parse(String(out?.value)) as ResultEvent;
    assert.match(event.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(event.traceId, '0'.repeat(32));
    assert.match(out?.headers?.traceparent ?? '', new RegExp(`^00-${event.traceId}-[0-9a-f]{16}-0[01]$`));
    ids.push(event.traceId);
  }
  assert.notEqual(ids[0], ids[1], 'one trace per message');
});

it('marks a failed message span and dead-letters in the same trace', async () => {
  const p = processor();
  const bad = { ...record('m1', { traceparent: `00-${inboundTraceId}-${inboundSpanId}-01` }) };
  bad.value = Buffer.from('not json');
  await assert.rejects(p.handle(bad), /not JSON/);
  const letter = p.deadLetter(bad, malformed('record value is not JSON'), 1);
  assert.match(letter.headers?.traceparent ?? '', new RegExp(`^00-${inboundTraceId}-`));
  assert.equal(letter.headers?.['agentplane-error-code'], 'malformed_message');
  const spans = exporter.getFinishedSpans();
  assert.deepEqual(
    spans.map((span) => [span.name, span.status.code, span.spanContext().traceId]),
    [
      ['agentplane.process', 2, inboundTraceId],
      ['agentplane.dead_letter', 2, inboundTraceId],
    ],
  );
});

it('keeps a dead letter under the broker limit however large the record was', () => {
  const p = processor();
  const huge = record('m1', { ['x'.repeat(10_000)]: 'y'.repeat(100_000) });
  huge.value = Buffer.alloc(900 * 1024, 'x');
  const letter = JSON.parse(String(p.deadLetter(huge, malformed('too big'), 1).value));
  assert.equal(letter.original.truncated, true);
  assert.equal(letter.original.valueBytes, 900 * 1024);
  assert.equal(Buffer.from(letter.original.valueBase64, 'base64').length, deadLetterValueBytes);
  assert.ok(JSON.stringify(letter).length < 512 * 1024, 'far under 1 MiB');
  const small = record('m2');
  small.value = Buffer.from('not json');
  const whole = JSON.parse(String(p.deadLetter(small, malformed('not JSON'), 1).value));
  assert.deepEqual([whole.original.truncated, whole.original.valueBytes], [false, 8]);
  assert.equal(Buffer.from(whole.original.valueBase64, 'base64').toString(), 'not json');
});
