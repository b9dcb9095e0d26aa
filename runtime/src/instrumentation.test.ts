// Telemetry as main.ts starts it without an OTLP endpoint: real ids, nothing recorded for traces
// that start here, sampled inbound traces honoured, and log lines carrying the active trace.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, it } from 'node:test';
import { createLogger } from '@agentplane/shared';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { startTelemetry, traceFields } from './instrumentation.ts';

const telemetry = startTelemetry({ serviceName: 'instrumentation-test', version: 'test', export: false });
after(() => telemetry.shutdown());

it('gives spans real trace ids without recording traces that start here', () => {
  const span = telemetry.tracer.startSpan('root');
  assert.equal(span.isRecording(), false);
  span.end();
  assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
  assert.notEqual(span.spanContext().traceId, '0'.repeat(32));
});

it('continues a W3C traceparent and keeps its sampling decision', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  for (const flags of ['01', '00']) {
    const parent = propagation.extract(ROOT_CONTEXT, {
      traceparent: `00-${traceId}-00f067aa0ba902b7-${flags}`,
    });
    const span = telemetry.tracer.startSpan('child', {}, parent);
    assert.equal(span.isRecording(), flags === '01');
    span.end();
    assert.equal(span.spanContext().traceId, traceId);
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), headers);
    assert.equal(headers.traceparent, `00-${traceId}-${span.spanContext().spanId}-${flags}`);
  }
});

it('puts the active trace and span ids on log lines', () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = createLogger({ name: 'test', destination, mixin: traceFields });
  const span = telemetry.tracer.startSpan('message');
  context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
  span.end();
  logger.info('outside');
  assert.equal(lines[0]?.traceId, span.spanContext().traceId);
  assert.equal(lines[0]?.spanId, span.spanContext().spanId);
  assert.equal(lines[1]?.traceId, undefined);
});
