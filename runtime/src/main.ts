// Process concerns only: configuration, telemetry, start, signals, exit codes.
import { ConfigError, createLogger } from '@agentplane/shared';
import { stopKafkajsIdleTimers } from '@agentplane/shared/kafkajs-idle-timers';
import { loadConfig } from './config.ts';
import { startTelemetry, traceFields } from './instrumentation.ts';

// A dependency fix for the whole process: kafkajs's idle connections spin a 1 ms timer otherwise.
stopKafkajsIdleTimers();

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`agentplane runtime: ${error.message}`);
  process.exit(2);
}

const telemetry = startTelemetry({
  serviceName: 'agentplane-runtime',
  version: config.agentVersion,
  export: config.otlpEndpoint !== undefined,
});
// Every line logged inside a message's span carries its trace and span ids.
const logger = createLogger({ name: 'runtime', level: config.logLevel, mixin: traceFields }).child({
  tenant: config.tenant,
  instance: config.instance,
  agent: config.agent,
});
const { startRuntime } = await import('./app.ts');

let runtime: Awaited<ReturnType<typeof startRuntime>>;
try {
  runtime = await startRuntime(config, logger, {
    tracer: telemetry.tracer,
    onFatal: (error) => {
      logger.fatal({ err: error }, 'the Kafka consumer stopped for good; exiting so the pod restarts');
      void shutdown('consumer-crash', 1);
    },
  });
} catch (error) {
  logger.fatal(
    { err: error },
    'runtime failed to start: check KAFKA_BROKERS, VAULT_ADDR, QDRANT_URL and the topics',
  );
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
}

async function shutdown(signal: string, exitCode = 0) {
  logger.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    logger.error('shutdown took longer than 25 s, exiting');
    process.exit(1);
  }, 25_000);
  try {
    await runtime.stop();
    await telemetry.shutdown();
    clearTimeout(timer);
    logger.info('stopped');
    process.exit(exitCode);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
