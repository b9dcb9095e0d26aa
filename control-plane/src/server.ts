// Process concerns only: settings → dependencies → app → listen; SIGTERM/SIGINT close everything.
// A missing setting or an unreachable dependency is reported with how to fix it, and the process
// exits non-zero instead of hanging.
import { ConfigError, createLogger, type Logger } from '@agentplane/shared';
import { stopKafkajsIdleTimers } from '@agentplane/shared/kafkajs-idle-timers';
import type { EntityManager } from '@mikro-orm/postgresql';
import { buildApp } from './app.ts';
import { type ControlPlaneConfig, loadControlPlaneConfig, parseAddress } from './config.ts';
import { migrate } from './db/migrator.ts';
import { createOrm } from './db/orm.ts';
import { createFlagEvaluator } from './flags/evaluator.ts';
import { isolationFromDatabase, knowledgeIndexFromConfig } from './knowledge/knowledge-index.ts';
import { createKubeResourceWriter, noClusterWriter } from './kube/resource-writer.ts';
import { startEventsConsumer } from './messaging/events-consumer.ts';
import { createKafkaInboundBus } from './messaging/inbound-bus.ts';
import { createControlPlaneMetrics } from './metrics/metrics.ts';
import { createConversationHub } from './modules/conversations/conversation-hub.ts';
import { createClusterSuspensionCheck } from './modules/conversations/suspension.ts';
import { createEventsIngest, eventsTopics } from './modules/events-in/events-in.service.ts';
import { startPiiAndOutboundWebhooks } from './modules/outbound-webhooks/start.ts';
import { startHub } from './multicluster/start.ts';
import { startTelemetry, type Telemetry, traceFields } from './telemetry/instrumentation.ts';
import {
  type ChannelSecrets,
  cachedChannelSecrets,
  createVaultChannelSecrets,
  vaultNotConfigured,
} from './vault/channel-secrets.ts';

async function dependency<T>(log: Logger, what: string, fix: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    log.fatal({ err: error, dependency: what, fix }, 'dependency unreachable');
    process.exit(1);
  }
}

function channelSecretsOf(config: ControlPlaneConfig): ChannelSecrets {
  if (!config.vaultAddr || !config.vaultToken) return vaultNotConfigured;
  const vault = createVaultChannelSecrets({
    addr: config.vaultAddr,
    token: config.vaultToken,
    kvMount: config.vaultKvMount,
  });
  return cachedChannelSecrets(vault, { ttlMs: config.channelSecretTtlMs });
}

function knowledgeOf(config: ControlPlaneConfig, log: Logger, root: EntityManager) {
  // A dedicated tenant's points go to its own collection, as the operator tells its runtime.
  const knowledge = knowledgeIndexFromConfig(config, log, isolationFromDatabase(root));
  if (!knowledge) log.warn('QDRANT_URL unset: knowledge routes answer 503 (knowledge_store_not_configured)');
  return {
    ...(knowledge ? { knowledge } : {}),
    knowledgeMaxDocumentBytes: config.knowledgeMaxDocumentBytes,
  };
}

async function start(config: ControlPlaneConfig, log: Logger, telemetry: Telemetry) {
  const { host, port } = parseAddress(config.httpAddress);
  const metrics = createControlPlaneMetrics();
  if (config.migrateOnStart) {
    await dependency(log, 'PostgreSQL (migrations)', 'check MIGRATION_DATABASE_URL / DATABASE_URL', () =>
      migrate(config.migrationDatabaseUrl ?? config.databaseUrl, log),
    );
  }
  const orm = await dependency(log, 'PostgreSQL', 'check DATABASE_URL and that the server runs', async () => {
    const orm = await createOrm({
      clientUrl: config.databaseUrl,
      logger: log,
      connectTimeoutMs: config.databaseConnectTimeoutMs,
      queryTimeoutMs: config.databaseQueryTimeoutMs,
    });
    await orm.em.getConnection().execute('select 1');
    return orm;
  });
  const bus = await dependency(log, 'Kafka', 'check KAFKA_BROKERS and that a broker runs', () =>
    createKafkaInboundBus({ brokers: config.kafkaBrokers, log, onProduceFailure: metrics.produceFailed }),
  );
  if (!config.kubeconfig) log.warn('KUBECONFIG unset: Tenant and AgentInstance resources are not written');
  if (!config.vaultAddr) log.warn('VAULT_ADDR unset: channel webhooks answer 503');
  const hub = createConversationHub();
  const { pii, outboundWebhookSecrets, worker } = await dependency(
    log,
    'Vault (transit engine for PII encryption)',
    'check VAULT_ADDR, VAULT_TOKEN and that the token may enable and use the transit mount',
    () => startPiiAndOutboundWebhooks({ root: orm.em, log, ...config }),
  );
  const ingest = createEventsIngest({ root: orm.em, hub, pii, onEnqueued: worker.wake });
  const events = await dependency(log, 'Kafka (events consumer)', 'check KAFKA_BROKERS', () =>
    startEventsConsumer({
      brokers: config.kafkaBrokers,
      groupId: config.eventsGroup,
      topics: eventsTopics,
      handle: async (record) => metrics.eventIngested(await ingest.ingest(record)),
      deadLetter: (record, error, attempts) => {
        metrics.eventIngested('dead_lettered');
        return ingest.deadLetter(record, error, attempts);
      },
      publish: (record) => bus.publish(record),
      refreshMs: config.eventsTopicRefreshMs,
      log: log.child({ component: 'events-in' }),
    }),
  );
  const clusterHub = config.multicluster
    ? await dependency(log, 'the multi-cluster hub', 'check VAULT_ADDR, VAULT_TOKEN and the migrations', () =>
        startHub(config, orm, log),
      )
    : undefined;
  const app = await buildApp(
    {
      orm,
      bus,
      writer: config.kubeconfig ? createKubeResourceWriter(config.kubeconfig) : noClusterWriter,
      ...(config.kubeconfig && !clusterHub
        ? { suspension: createClusterSuspensionCheck(config.kubeconfig, { log }) }
        : {}),
      ...(clusterHub ? { multicluster: clusterHub } : {}),
      flags: await createFlagEvaluator(),
      platformAdminToken: config.platformAdminToken,
      hub,
      channelSecrets: channelSecretsOf(config),
      pii,
      outboundWebhookSecrets,
      eventStreams: { heartbeatMs: config.sseHeartbeatMs, catchUpMs: config.sseCatchUpMs },
      ...knowledgeOf(config, log, orm.em),
      metrics,
    },
    { logger: log, bodyLimitBytes: config.bodyLimitBytes },
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      // The consumer first (it dead-letters through the producer); then close() stops accepting,
      // ends event streams, drains in-flight requests, and closes ORM, producer and flags.
      events
        .stop()
        .then(() => worker.stop())
        .then(() => clusterHub?.stop())
        .then(() => app.close())
        .then(() => telemetry.shutdown())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
    });
  }
  await app.listen({ host, port });
}

// A dependency fix for the whole process: kafkajs's idle connections spin a 1 ms timer otherwise.
stopKafkajsIdleTimers();

let config: ControlPlaneConfig;
try {
  config = loadControlPlaneConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const telemetry = startTelemetry({ export: config.otlpEndpoint !== undefined });
// Every line logged inside a request's span carries its trace and span ids.
const log = createLogger({ name: 'control-plane', level: config.logLevel, mixin: traceFields });
await start(config, log, telemetry);
