// The operator process: config → clients → world → controllers → leader election → start.
// Wiring only; every decision lives in the controllers and the kube package.

import { readFileSync } from 'node:fs';
import { ConfigError, createLogger } from '@agentplane/shared';
import { stopKafkajsIdleTimers } from '@agentplane/shared/kafkajs-idle-timers';
import { KubeConfig } from '@kubernetes/client-node';
import { loadOperatorConfig, type OperatorConfig } from './config.ts';
import { addAgentInstanceController } from './controllers/agent-instance/controller.ts';
import { addTenantController } from './controllers/tenant/controller.ts';
import { createKafkaPrincipalPort, kafkaSecretName } from './controllers/tenant/kafka-principal.ts';
import { createKafkaCredentialStore } from './controllers/tenant/kafka-principal-vault.ts';
import { qdrantSecretName } from './controllers/tenant/knowledge.ts';
import { createWorld } from './controllers/world.ts';
import { platformEgress, runtimeDefaults } from './defaults.ts';
import { createQdrantPartitions } from './knowledge/qdrant-partitions.ts';
import { createKubeClient, isNotFound, type KubeClient } from './kube/client.ts';
import { createManager } from './kube/manager.ts';
import { createMetrics } from './kube/metrics.ts';
import { createTokenBucket } from './kube/rate-limit.ts';
import { createTopicAdmin } from './messaging/kafka-admin.ts';
import { createKafkaSecurityAdmin } from './messaging/kafka-security.ts';
import { createOffsetReader } from './messaging/offsets.ts';
import { createTenantVault, type TenantVault } from './vault/tenant-vault.ts';

// A dependency fix for the whole process: kafkajs's idle connections spin a 1 ms timer otherwise.
stopKafkajsIdleTimers();

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
    rateLimiter: createTokenBucket({ qps: config.kubeQps, burst: config.kubeBurst }),
    onRequest: (method, path) => {
      metrics.apiRequest(method, path);
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
  const vault = tenantVault(config, kc, client);
  const topics = createTopicAdmin({
    brokers: [...config.kafkaBrokers],
    clientId: 'agentplane-operator',
    logLevel: 'nothing',
  });
  const knowledge = config.qdrantUrl
    ? {
        partitions: createQdrantPartitions({
          url: config.qdrantUrl,
          ...(config.qdrantApiKey ? { apiKey: config.qdrantApiKey } : {}),
          dimensions: config.qdrantDimensions,
        }),
        collection: config.qdrantCollection,
        dimensions: config.qdrantDimensions,
        ...(config.qdrantApiKey
          ? { access: { apiKey: config.qdrantApiKey, tokenValidityMs: config.qdrantTokenTtl } }
          : {}),
      }
    : undefined;
  const offsets = config.hibernation
    ? createOffsetReader({ brokers: [...config.kafkaBrokers], clientId: 'agentplane-operator-offsets' })
    : undefined;
  const kafkaPrincipal = tenantKafkaPrincipals(config);
  addTenantController(manager, world, {
    concurrency: config.concurrency,
    topics,
    ...(kafkaPrincipal ? { kafkaPrincipal: kafkaPrincipal.port } : {}),
    ...(vault ? { vault } : {}),
    ...(knowledge ? { knowledge } : {}),
    egress: platformEgress,
    poolQuota: { cpu: config.poolCpu, memory: config.poolMemory, pods: config.poolPods },
    secretsRefreshMs: config.secretsRefresh,
    secretsRolloutWindowMs: config.secretsRolloutWindow,
    ...(offsets
      ? {
          hibernation: {
            offsets,
            pollMs: config.hibernationPoll,
            defaultIdleMs: config.hibernationIdle,
            log,
          },
        }
      : {}),
  });
  addAgentInstanceController(manager, world, {
    concurrency: config.concurrency,
    topics,
    runtime: runtimeDefaults(config.runtimeImage, {
      kafkaBrokers: config.kafkaBrokers.join(','),
      vaultAddr: config.runtimeVaultAddr,
      vaultKvMount: config.vaultKvMount,
      vaultAuthMount: config.vaultAuthMount,
      ...(config.qdrantUrl
        ? {
            qdrant: {
              url: config.qdrantUrl,
              collection: config.qdrantCollection,
              ...(config.qdrantApiKey ? { credentialsSecret: qdrantSecretName } : {}),
            },
          }
        : {}),
      ...(kafkaPrincipal
        ? {
            kafkaSasl: {
              brokers: (config.kafkaSaslBrokers ?? config.kafkaBrokers).join(','),
              credentialsSecret: kafkaSecretName,
            },
          }
        : {}),
    }),
    keda: { available: keda, bootstrapServers: config.kafkaBrokers.join(',') },
  });
  manager.stopOnSignals();
  await manager.start();
  log.info({ port: manager.port(), keda, identity: manager.identity }, 'operator started');
  await manager.whenStopped();
  await topics.close();
  await offsets?.close();
  await kafkaPrincipal?.security.close();
}

/** Per-tenant Kafka principals, when the operator has a SASL login (loadOperatorConfig checks the rest). */
function tenantKafkaPrincipals(config: OperatorConfig) {
  if (!config.kafkaSaslUsername || !config.kafkaSaslPassword || !config.vaultAddr || !config.vaultTokenFile)
    return undefined;
  const security = createKafkaSecurityAdmin({
    brokers: [...(config.kafkaSaslBrokers ?? config.kafkaBrokers)],
    clientId: 'agentplane-operator-security',
    sasl: {
      mechanism: config.kafkaSaslMechanism,
      username: config.kafkaSaslUsername,
      password: config.kafkaSaslPassword,
    },
  });
  const credentials = createKafkaCredentialStore({
    addr: config.vaultAddr,
    token: readFileSync(config.vaultTokenFile, 'utf8').trim(),
    kvMount: config.vaultKvMount,
  });
  const mechanism = config.kafkaSaslMechanism === 'scram-sha-256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
  return { security, port: createKafkaPrincipalPort({ security, credentials, mechanism }) };
}

/**
 * Vault is optional: without VAULT_ADDR the operator manages no Vault objects. Its token comes from a
 * mounted file; Vault reviews runtime logins against this API server with a short-lived token of the
 * operator's own ServiceAccount (which holds system:auth-delegator).
 */
function tenantVault(config: OperatorConfig, kc: KubeConfig, client: KubeClient): TenantVault | undefined {
  // loadOperatorConfig refuses VAULT_ADDR without VAULT_TOKEN_FILE.
  if (!config.vaultAddr || !config.vaultTokenFile) return undefined;
  const cluster = kc.getCurrentCluster();
  const caCert = cluster?.caData
    ? Buffer.from(cluster.caData, 'base64').toString()
    : cluster?.caFile
      ? readFileSync(cluster.caFile, 'utf8')
      : '';
  return createTenantVault({
    addr: config.vaultAddr,
    token: readFileSync(config.vaultTokenFile, 'utf8').trim(),
    kvMount: config.vaultKvMount,
    authMount: config.vaultAuthMount,
    tokenTtl: config.vaultTokenTtl,
    kubernetes: {
      host: cluster?.server ?? '',
      caCert,
      reviewerJwt: async () => {
        const path = `/api/v1/namespaces/${config.namespace}/serviceaccounts/${config.serviceAccount}/token`;
        const body = {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600 },
        };
        const answer = await client.request<{ status: { token: string } }>({ method: 'POST', path, body });
        return answer.status.token;
      },
    },
  });
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
