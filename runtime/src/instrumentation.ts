// OpenTelemetry for the runtime: a tracer provider with W3C trace-context propagation, started
// before the rest of the runtime is loaded (main.ts imports the app only after this). Spans are
// exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the SDK reads the standard OTEL_*
// variables itself); without it, spans still get real ids, so trace ids flow through Kafka headers
// into the events, but nothing is exported.
import { NodeSDK } from '@opentelemetry/sdk-node';

export interface Telemetry {
  shutdown(): Promise<void>;
}

export function startTelemetry(options: {
  serviceName: string;
  version: string;
  export: boolean;
}): Telemetry {
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    autoDetectResources: false,
    instrumentations: [],
    ...(options.export ? {} : { spanProcessors: [] }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
