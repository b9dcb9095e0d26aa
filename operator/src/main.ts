// The operator process: config → clients → world → controllers → leader election → start.
// Wiring only; every decision lives in the controllers and the kube package.

import { ConfigError, createLogger } from '@agentplane/shared';
import { KubeConfig } from '@kubernetes/client-node';
import { loadOperatorConfig, type OperatorConfig } from './config.ts';
import { addAgentInstanceController } from './controllers/agent-instance/controller.ts';
import { addTenantController } from './controllers/tenant/controller.ts';
import { createWorld } from './controllers/world.ts';
import { platformEgress, runtimeDefaults } from './defaults.ts';
import { createKubeClient, isNotFound, type KubeClient } from './kube/client.ts';
import { createManager } from './kube/manager.ts';
import { createMetrics } from './kube/metrics.ts';
import { createTopicAdmin } from './messaging/kafka-admin.ts';

async function main(): Promise<void> {
  let config: OperatorConfig;
  try {
    config = loadOperatorConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`agentplane operator: ${error.message}`);
    process.exit(2);
  }
  const log = createLogger({ name: 'operator', level: config.logLevel });
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromCluster();

  const metrics = createMetrics();
  const client = createKubeClient(kc, {
    onRequest: (method, path) => {
      metrics.apiRequest(method);
      if (method !== 'GET') log.debug({ method, path }, 'api write');
    },
  });
  const keda = await kedaInstalled(client);
  const [host = '127.0.0.1', port = '8080'] = config.httpAddress.split(':');
  const manager = createManager({
    client,
    log,
    metrics,
    identity: config.identity,
    probes: { host, port: Number(port) },
    resyncMs: config.resync,
    leaderElection: {
      namespace: config.namespace,
      name: 'agentplane-operator',
      leaseDurationMs: config.leaseDuration,
      renewDeadlineMs: config.renewDeadline,
      retryPeriodMs: config.retryPeriod,
    },
  });
  const world = createWorld(manager, client, { keda, log });
  const topics = createTopicAdmin({
    brokers: [...config.kafkaBrokers],
    clientId: 'agentplane-operator',
    logLevel: 'nothing',
  });
  addTenantController(manager, world, {
    concurrency: config.concurrency,
    topics,
    egress: platformEgress,
    poolQuota: { cpu: config.poolCpu, memory: config.poolMemory, pods: config.poolPods },
  });
  addAgentInstanceController(manager, world, {
    concurrency: config.concurrency,
    topics,
    runtime: runtimeDefaults(config.runtimeImage, {
      kafkaBrokers: config.kafkaBrokers.join(','),
      vaultAddr: config.runtimeVaultAddr,
    }),
    keda: { available: keda, bootstrapServers: config.kafkaBrokers.join(',') },
  });
  manager.stopOnSignals();
  await manager.start();
  log.info({ port: manager.port(), keda, identity: manager.identity }, 'operator started');
  await manager.whenStopped();
  await topics.close();
}

/** KEDA's ScaledObject CRD decides between Kafka-lag scaling and a CPU HPA. */
async function kedaInstalled(client: KubeClient): Promise<boolean> {
  try {
    await client.request({
      method: 'GET',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scaledobjects.keda.sh',
    });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`agentplane operator failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
