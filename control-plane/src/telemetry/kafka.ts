// A PRODUCER span around each produce, and the trace context in the record's headers: the runtime
// continues the trace from `traceparent` (runtime/src/processor.ts), so one trace runs from the
// HTTP request through the agent pipeline to the result event.
import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { controlPlaneTracer } from './instrumentation.ts';

/**
 * Runs `send` inside a `send <topic>` span with `headers` plus `traceparent` (and `tracestate`) of
 * that span; resolves or throws as `send` does.
 */
export function tracedProduce<T>(
  topic: string,
  headers: Record<string, string>,
  send: (headers: Record<string, string>) => Promise<T>,
): Promise<T> {
  return controlPlaneTracer().startActiveSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
      },
    },
    async (span) => {
      const carrier = { ...headers };
      propagation.inject(context.active(), carrier);
      try {
        return await send(carrier);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
