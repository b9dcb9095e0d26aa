// OpenTelemetry for the runtime: a tracer provider, W3C trace-context propagation and an
// async-context manager, registered before the rest of the runtime is loaded (main.ts imports the
// app only after this). Spans are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
// SDK reads the standard OTEL_* variables itself). Without it spans still get real ids, so trace
// ids flow through Kafka headers into the events and the logs, but nothing is recorded unless the
// inbound record's trace is sampled (the runtime never flips an upstream sampling decision).
import { isSpanContextValid, type Tracer, trace } from '@opentelemetry/api';
import { NodeSDK, resources } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';

export interface Telemetry {
  /** The runtime's tracer, from the registered provider. */
  readonly tracer: Tracer;
  /** Flushes and stops the exporters. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  serviceName: string;
  version: string;
  /** Export over OTLP, configured by the OTEL_* variables. */
  export: boolean;
  /** Processors to use instead (tests pass an in-memory exporter's); every span is recorded. */
  spanProcessors?: SpanProcessor[];
}

/** Registers the global tracer provider, propagator and context manager. Call once per process. */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const quiet = !options.export && !options.spanProcessors;
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: resources.resourceFromAttributes({ 'service.version': options.version }),
    autoDetectResources: false,
    instrumentations: [],
    // Undefined: the SDK builds the OTLP exporter and sampler from the environment.
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    // Not exporting: a provider must still be registered, or every trace id would be zeros. Root
    // spans are not recorded (no cost for work nobody collects); sampled inbound traces are.
    ...(quiet
      ? {
          spanProcessors: [new NoopSpanProcessor()],
          sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
        }
      : {}),
  });
  sdk.start();
  return {
    tracer: trace.getTracer(options.serviceName, options.version),
    shutdown: () => sdk.shutdown(),
  };
}

/** `{ traceId, spanId }` of the active span, for log lines (a pino mixin); `{}` outside a trace. */
export function traceFields(): { traceId?: string; spanId?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return { traceId: context.traceId, spanId: context.spanId };
}
