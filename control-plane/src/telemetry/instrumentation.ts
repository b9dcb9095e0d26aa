// OpenTelemetry for the control plane, the same set-up as the runtime's (runtime/src/instrumentation.ts):
// a tracer provider, W3C trace-context propagation and an async-context manager, registered by
// server.ts before the app is built. Spans go out over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
// (the SDK reads the standard OTEL_* variables). Without it nothing is recorded for traces that
// start here, but spans still get real ids, so the traceparent produced with each message lets the
// runtime, the events and the logs name one trace. The spans themselves are made by this folder's
// hooks (http.ts, pg.ts, kafka.ts), not by monkey-patching loaders.
import { isSpanContextValid, type Tracer, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';

/** The instrumentation scope of every span the control plane makes. */
export const tracerName = 'agentplane-control-plane';

/** The control plane's tracer from the registered provider (no-op until one is registered). */
export function controlPlaneTracer(): Tracer {
  return trace.getTracer(tracerName);
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  serviceName?: string;
  /** Export over OTLP, configured by the OTEL_* variables. */
  export: boolean;
  /** Processors to use instead (tests pass an in-memory exporter's); every span is recorded. */
  spanProcessors?: SpanProcessor[];
}

/** Registers the global tracer provider, propagator and context manager. Call once per process. */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const quiet = !options.export && !options.spanProcessors;
  const sdk = new NodeSDK({
    serviceName: options.serviceName ?? tracerName,
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
  return { shutdown: () => sdk.shutdown() };
}

/** `{ traceId, spanId }` of the active span, for log lines (a pino mixin); `{}` outside a trace. */
export function traceFields(): { traceId?: string; spanId?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return { traceId: context.traceId, spanId: context.spanId };
}
