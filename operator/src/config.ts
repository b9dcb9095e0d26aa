// The operator's settings: the only module that reads process.env. Every variable is documented
// here with an example; a bad or missing one stops the start with all problems listed at once.
import {
  ConfigError,
  type ConfigOf,
  knowledgeNames,
  logLevels,
  readConfig,
  setting,
} from '@agentplane/shared';

export const operatorSettings = {
  kubeconfig: setting.string('KUBECONFIG', {
    example: '/home/sre/.kube/config',
    optional: true,
    description: 'kubeconfig to use; unset: the in-cluster ServiceAccount',
  }),
  namespace: setting.string('OPERATOR_NAMESPACE', {
    example: 'agentplane-system',
    default: 'agentplane-system',
    description: 'namespace of the leader-election Lease',
  }),
  identity: setting.string('OPERATOR_IDENTITY', {
    example: 'agentplane-operator-7d9f-x2',
    optional: true,
    description: 'leader-election identity; unset: hostname and pid',
  }),
  httpAddress: setting.string('OPERATOR_HTTP_ADDRESS', {
    example: '127.0.0.1:8080',
    default: '127.0.0.1:8080',
    description: 'where /healthz, /readyz and /metrics listen',
  }),
  concurrency: setting.integer('OPERATOR_CONCURRENCY', { example: '4', default: 4, min: 1, max: 64 }),
  resync: setting.duration('OPERATOR_RESYNC', { example: '10m', default: 600_000 }),
  secretsRolloutWindow: setting.duration('OPERATOR_SECRETS_ROLLOUT_WINDOW', {
    example: '10m',
    default: 600_000,
    description:
      "at most one rolling restart of a tenant's agents for new secret versions per window; rotations inside it wait and roll together",
  }),
  hibernation: setting.boolean('OPERATOR_HIBERNATION', {
    example: 'true',
    default: true,
    description:
      'false: no tenant hibernates, whatever its tier or spec.hibernation says (and the inbound offsets are not polled)',
  }),
  hibernationIdle: setting.duration('OPERATOR_HIBERNATION_IDLE', {
    example: '30m',
    default: 1_800_000,
    description:
      'how long a tenant that can hibernate (basic tier, or spec.hibernation.mode Auto) may go without an inbound message before its agents scale to zero; spec.hibernation.idleAfter overrides it',
  }),
  hibernationPoll: setting.duration('OPERATOR_HIBERNATION_POLL', {
    example: '5s',
    default: 5_000,
    description:
      "how often the end offsets of hibernation-capable tenants' inbound topics are read (one batched request per broker): the wake latency is at most this plus the agents' start",
  }),
  kubeQps: setting.integer('OPERATOR_KUBE_QPS', {
    example: '200',
    default: 200,
    min: 1,
    description: 'requests a second to the API server, on average (watches excluded)',
  }),
  kubeBurst: setting.integer('OPERATOR_KUBE_BURST', {
    example: '400',
    default: 400,
    min: 1,
    description: 'requests the operator may send at once before OPERATOR_KUBE_QPS paces it',
  }),
  leaseDuration: setting.duration('OPERATOR_LEASE_DURATION', { example: '15s', default: 15_000 }),
  renewDeadline: setting.duration('OPERATOR_RENEW_DEADLINE', { example: '10s', default: 10_000 }),
  retryPeriod: setting.duration('OPERATOR_RETRY_PERIOD', { example: '2s', default: 2_000 }),
  runtimeImage: setting.string('RUNTIME_IMAGE', {
    example: 'ghcr.io/agentplane/runtime:0.1.0',
    default: 'ghcr.io/agentplane/runtime:0.1.0',
  }),
  kafkaBrokers: setting.list('KAFKA_BROKERS', {
    example: 'kafka-0.kafka:9092,kafka-1.kafka:9092',
    default: ['kafka.agentplane-system:9092'],
    description: 'bootstrap servers written into KEDA triggers and runtime config',
  }),
  kafkaSaslBrokers: setting.list('OPERATOR_KAFKA_SASL_BROKERS', {
    example: 'kafka-0.kafka:9094,kafka-1.kafka:9094',
    optional: true,
    description:
      "Kafka's SASL listener: the operator manages principals through it and runtime pods connect to it; unset: KAFKA_BROKERS",
  }),
  kafkaSaslMechanism: setting.oneOf(
    'OPERATOR_KAFKA_SASL_MECHANISM',
    ['scram-sha-512', 'scram-sha-256'] as const,
    {
      example: 'scram-sha-512',
      default: 'scram-sha-512',
      description: "the SCRAM mechanism of the operator's login and of the tenants' principals",
    },
  ),
  kafkaSaslUsername: setting.string('OPERATOR_KAFKA_SASL_USERNAME', {
    example: 'admin',
    optional: true,
    description:
      "the operator's own SASL login (a super user, or ALTER and ALTER_CONFIGS on the cluster); set: each tenant gets its own principal, ACLs and quotas (KafkaPrincipalReady); unset: off",
  }),
  kafkaSaslPassword: setting.string('OPERATOR_KAFKA_SASL_PASSWORD', {
    example: 's3cret',
    optional: true,
    description:
      'the password of OPERATOR_KAFKA_SASL_USERNAME (from a Secret, not a literal in the manifest)',
  }),
  poolCpu: setting.string('OPERATOR_POOL_CPU', {
    example: '64',
    default: '64',
    description: "each tier's shared pool namespace: CPU (requests and limits) for all its tenants' pods",
  }),
  poolMemory: setting.string('OPERATOR_POOL_MEMORY', { example: '128Gi', default: '128Gi' }),
  poolPods: setting.integer('OPERATOR_POOL_PODS', { example: '500', default: 500, min: 1 }),
  runtimeVaultAddr: setting.url('RUNTIME_VAULT_ADDR', {
    example: 'http://vault.agentplane-system:8200',
    default: 'http://vault.agentplane-system:8200',
    description: 'the Vault address written into runtime pods',
  }),
  vaultAddr: setting.url('VAULT_ADDR', {
    example: 'http://vault.agentplane-system:8200',
    optional: true,
    description: "Vault for tenants' policies and roles; unset: no SecretsReady step",
  }),
  vaultTokenFile: setting.string('VAULT_TOKEN_FILE', {
    example: '/var/run/secrets/vault/token',
    optional: true,
    description: "a file holding the operator's Vault token (never the token itself in the environment)",
  }),
  vaultKvMount: setting.string('VAULT_KV_MOUNT', { example: 'secret', default: 'secret' }),
  vaultAuthMount: setting.string('VAULT_AUTH_MOUNT', { example: 'kubernetes', default: 'kubernetes' }),
  vaultTokenTtl: setting.string('VAULT_RUNTIME_TOKEN_TTL', { example: '15m', default: '15m' }),
  secretsRefresh: setting.duration('OPERATOR_SECRETS_REFRESH', {
    example: '1m',
    default: 60_000,
    description:
      'how often tenants that declare Vault keys (spec.secrets.required/projected) are checked again; Vault has no watch',
  }),
  qdrantUrl: setting.url('OPERATOR_QDRANT_URL', {
    example: 'http://qdrant.agentplane-system:6333',
    optional: true,
    description:
      "Qdrant holding tenants' knowledge: the operator creates and erases each tenant's partition, and runtime " +
      'pods get it as QDRANT_URL; unset: no partition is managed (KnowledgeReady says not configured)',
  }),
  qdrantApiKey: setting.string('OPERATOR_QDRANT_API_KEY', {
    example: 'qdrant-api-key',
    optional: true,
    description:
      "Qdrant's API key, if it has one (the operator's own, never written into runtime pods): it signs each " +
      "tenant's read-only token (Secret tenant-<t>-qdrant, the pods' QDRANT_API_KEY), which Qdrant accepts " +
      'with service.jwt_rbac: true',
  }),
  qdrantTokenTtl: setting.duration('OPERATOR_QDRANT_TOKEN_TTL', {
    example: '720h',
    default: 2_592_000_000,
    description:
      "validity of the tenants' Qdrant tokens; each is renewed when a third of it is left (pods read it at start)",
  }),
  qdrantCollection: setting.string('OPERATOR_QDRANT_COLLECTION', {
    example: knowledgeNames.defaultCollection,
    default: knowledgeNames.defaultCollection,
    description:
      "the shared collection (the control plane's QDRANT_COLLECTION); a dedicated tenant's is <collection>-<tenant>",
  }),
  qdrantDimensions: setting.integer('OPERATOR_QDRANT_DIMENSIONS', {
    example: '256',
    default: 256,
    min: 8,
    max: 8192,
    description:
      "vector size of the collections the operator creates: the runtime's embeddings (256 for its hashed " +
      'embedding, AGENTPLANE_EMBEDDING_DIMENSIONS with an embedding model)',
  }),
  serviceAccount: setting.string('OPERATOR_SERVICE_ACCOUNT', {
    example: 'agentplane-operator',
    default: 'agentplane-operator',
    description: "the operator's own ServiceAccount, whose tokens Vault uses to review runtime logins",
  }),
  logLevel: setting.oneOf('LOG_LEVEL', logLevels, { example: 'info', default: 'info' }),
};

export type OperatorConfig = ConfigOf<typeof operatorSettings>;

export function loadOperatorConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): OperatorConfig {
  const config = readConfig(operatorSettings, env);
  if (config.vaultAddr && !config.vaultTokenFile) {
    throw new ConfigError([
      'VAULT_TOKEN_FILE is required when VAULT_ADDR is set: the operator reads its Vault token from a file ' +
        '(e.g. VAULT_TOKEN_FILE=/var/run/secrets/vault/token)',
    ]);
  }
  if (config.qdrantTokenTtl < 180_000) {
    throw new ConfigError([
      `OPERATOR_QDRANT_TOKEN_TTL must be at least 3m, got ${config.qdrantTokenTtl}ms (e.g. OPERATOR_QDRANT_TOKEN_TTL=720h)`,
    ]);
  }
  if (config.kafkaSaslUsername && (!config.kafkaSaslPassword || !config.vaultAddr)) {
    throw new ConfigError([
      "OPERATOR_KAFKA_SASL_USERNAME needs OPERATOR_KAFKA_SASL_PASSWORD and VAULT_ADDR: tenants' Kafka logins are kept in Vault",
    ]);
  }
  return config;
}
