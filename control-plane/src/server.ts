// Process concerns only: settings → dependencies → app → listen; SIGTERM/SIGINT close everything.
// A missing setting or an unreachable dependency is reported with how to fix it, and the process
// exits non-zero instead of hanging.
import { ConfigError, createLogger, type Logger } from '@agentplane/shared';
import { buildApp } from './app.ts';
import { type ControlPlaneConfig, loadControlPlaneConfig, parseAddress } from './config.ts';
import { migrate } from './db/migrator.ts';
import { createOrm } from './db/orm.ts';
import { createFlagEvaluator } from './flags/evaluator.ts';
import { createKubeResourceWriter, noClusterWriter } from './kube/resource-writer.ts';
import { startEventsConsumer } from './messaging/events-consumer.ts';
import { createKafkaInboundBus } from './messaging/inbound-bus.ts';
import { createConversationHub } from './modules/conversations/conversation-hub.ts';
import { createEventsIngest, eventsTopics } from './modules/events-in/events-in.service.ts';
import { startHub } from './multicluster/start.ts';
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

async function start(config: ControlPlaneConfig, log: Logger) {
  const { host, port } = parseAddress(config.httpAddress);
  if (config.migrateOnStart) {
    await dependency(log, 'PostgreSQL (migrations)', 'check MIGRATION_DATABASE_URL / DATABASE_URL', () =>
      migrate(config.migrationDatabaseUrl ?? config.databaseUrl, log),
    );
  }
  const orm = await dependency(log, 'PostgreSQL', 'check DATABASE_URL and that the server runs', async () => {
    const orm = await createOrm({ clientUrl: config.databaseUrl, logger: log });
    await orm.em.getConnection().execute('select 1');
    return orm;
  });
  const bus = await dependency(log, 'Kafka', 'check KAFKA_BROKERS and that a broker runs', () =>
    createKafkaInboundBus({ brokers: config.kafkaBrokers, log }),
  );
  if (!config.kubeconfig) log.warn('KUBECONFIG unset: Tenant and AgentInstance resources are not written');
  if (!config.vaultAddr) log.warn('VAULT_ADDR unset: channel webhooks answer 503');
  const hub = createConversationHub();
  const ingest = createEventsIngest({ root: orm.em, hub });
  const events = await dependency(log, 'Kafka (events consumer)', 'check KAFKA_BROKERS', () =>
    startEventsConsumer({
      brokers: config.kafkaBrokers,
      groupId: config.eventsGroup,
      topics: eventsTopics,
      handle: async (record) => void (await ingest.ingest(record)),
      deadLetter: ingest.deadLetter,
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
      ...(clusterHub ? { multicluster: clusterHub } : {}),
      flags: await createFlagEvaluator(),
      platformAdminToken: config.platformAdminToken,
      hub,
      channelSecrets: channelSecretsOf(config),
      eventStreams: { heartbeatMs: config.sseHeartbeatMs, catchUpMs: config.sseCatchUpMs },
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
        .then(() => clusterHub?.stop())
        .then(() => app.close())
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

let config: ControlPlaneConfig;
try {
  config = loadControlPlaneConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const log = createLogger({ name: 'control-plane', level: config.logLevel });
await start(config, log);
