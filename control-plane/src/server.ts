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
import { createKafkaInboundBus } from './messaging/inbound-bus.ts';

async function dependency<T>(log: Logger, what: string, fix: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    log.fatal({ err: error, dependency: what, fix }, 'dependency unreachable');
    process.exit(1);
  }
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
  const app = await buildApp(
    {
      orm,
      bus,
      writer: config.kubeconfig ? createKubeResourceWriter(config.kubeconfig) : noClusterWriter,
      flags: await createFlagEvaluator(),
      platformAdminToken: config.platformAdminToken,
    },
    { logger: log, bodyLimitBytes: config.bodyLimitBytes },
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      // close() stops accepting, drains in-flight requests, then closes ORM, producer and flags.
      app.close().then(
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
