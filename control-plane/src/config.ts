// The control plane's settings: the only module that reads process.env. Every variable is documented
// here with an example; a bad or missing one stops the start with all problems listed at once.
import { ConfigError, type ConfigOf, logLevels, readConfig, setting } from '@agentplane/shared';

export const controlPlaneSettings = {
  databaseUrl: setting.url('DATABASE_URL', {
    example: 'postgres://agentplane@127.0.0.1:5432/agentplane',
    description:
      'PostgreSQL the API uses; every request switches to the agentplane_api role, so the login role must be it or a member of it',
  }),
  migrationDatabaseUrl: setting.url('MIGRATION_DATABASE_URL', {
    example: 'postgres://postgres@127.0.0.1:5432/agentplane',
    optional: true,
    description: 'connection that runs migrations (creates roles and tables); unset: DATABASE_URL',
  }),
  migrateOnStart: setting.boolean('CONTROL_PLANE_MIGRATE_ON_START', {
    example: 'true',
    default: false,
    description: 'apply pending migrations before listening',
  }),
  databaseConnectTimeoutMs: setting.duration('DATABASE_CONNECT_TIMEOUT', {
    example: '5s',
    default: 5_000,
    description: 'bound on getting a PostgreSQL connection; past it the request answers 503 with Retry-After',
  }),
  databaseQueryTimeoutMs: setting.duration('DATABASE_QUERY_TIMEOUT', {
    example: '30s',
    default: 30_000,
    description: "bound on one query's answer (a server that stopped answering); past it 503",
  }),
  otlpEndpoint: setting.url('OTEL_EXPORTER_OTLP_ENDPOINT', {
    example: 'http://otel-collector:4318',
    optional: true,
    description:
      'export traces over OTLP (the SDK reads the other OTEL_* variables); unset: nothing exported',
  }),
  kafkaBrokers: setting.list('KAFKA_BROKERS', {
    example: '127.0.0.1:9092,127.0.0.1:9093',
    description: 'bootstrap servers the inbound messages are produced to',
  }),
  vaultAddr: setting.url('VAULT_ADDR', {
    example: 'http://127.0.0.1:8200',
    optional: true,
    description: 'Vault holding the channel secrets of webhooks; unset: webhooks answer 503',
  }),
  vaultToken: setting.string('VAULT_TOKEN', { example: 'hvs.XXXX', optional: true }),
  vaultKvMount: setting.string('VAULT_KV_MOUNT', {
    example: 'secret',
    default: 'secret',
    description: 'KV v2 mount of tenant secrets (channel secrets at tenants/<tenant>/channels/<channel>)',
  }),
  channelSecretTtlMs: setting.duration('CONTROL_PLANE_CHANNEL_SECRET_TTL', {
    example: '30s',
    default: 30_000,
    description: 'how long a channel secret read from Vault is reused; a rotated secret applies after it',
  }),
  eventsGroup: setting.string('CONTROL_PLANE_EVENTS_GROUP', {
    example: 'agentplane-control-plane.events',
    default: 'agentplane-control-plane.events',
    description: "consumer group reading every tenant's events topic",
  }),
  eventsTopicRefreshMs: setting.duration('CONTROL_PLANE_EVENTS_TOPIC_REFRESH', {
    example: '30s',
    default: 30_000,
    description: 'how often the list of events topics is checked for new tenants',
  }),
  sseHeartbeatMs: setting.duration('CONTROL_PLANE_SSE_HEARTBEAT', { example: '15s', default: 15_000 }),
  sseCatchUpMs: setting.duration('CONTROL_PLANE_SSE_CATCH_UP', {
    example: '5s',
    default: 5_000,
    description: 'how often an event stream reads results another replica stored',
  }),
  kubeconfig: setting.string('KUBECONFIG', {
    example: '/home/sre/.kube/config',
    optional: true,
    description:
      'kubeconfig of the cluster Tenant and AgentInstance objects are applied to; unset: no writes',
  }),
  platformAdminToken: setting.string('PLATFORM_ADMIN_TOKEN', {
    example: 'a-long-random-string-of-at-least-32-characters',
    description: 'bearer token of the platform administrators (creates tenants, sees every tenant)',
  }),
  httpAddress: setting.string('CONTROL_PLANE_HTTP_ADDRESS', {
    example: '0.0.0.0:8080',
    default: '127.0.0.1:8080',
    description: 'host:port the API listens on; loopback unless told otherwise',
  }),
  webhookAllowPrivate: setting.boolean('CONTROL_PLANE_WEBHOOK_ALLOW_PRIVATE', {
    example: 'false',
    default: false,
    description:
      "let tenants' outbound webhooks reach private, loopback and link-local addresses (the platform's own network); off, each delivery resolves the receiver and refuses them",
  }),
  bodyLimitBytes: setting.integer('CONTROL_PLANE_BODY_LIMIT_BYTES', {
    example: '1048576',
    default: 1_048_576,
    min: 1024,
    max: 104_857_600,
  }),
  logLevel: setting.oneOf('LOG_LEVEL', logLevels, { example: 'info', default: 'info' }),
  // Knowledge (docs/knowledge-and-data-rights.md): the same variables as the runtime's, so one set of
  // values makes both use one collection, one tenant key and one embedding.
  qdrantUrl: setting.url('QDRANT_URL', {
    example: 'http://qdrant:6333',
    optional: true,
    description:
      "Qdrant holding tenants' knowledge (the runtime's QDRANT_URL); unset: knowledge routes answer 503",
  }),
  qdrantApiKey: setting.string('QDRANT_API_KEY', { example: 'secret', optional: true }),
  qdrantCollection: setting.string('QDRANT_COLLECTION', {
    example: 'agentplane_knowledge',
    default: 'agentplane_knowledge',
    description: "the collection the runtime searches (the runtime's QDRANT_COLLECTION)",
  }),
  openaiBaseUrl: setting.url('OPENAI_BASE_URL', {
    example: 'https://api.openai.com/v1',
    optional: true,
    description: 'OpenAI-compatible endpoint for embeddings (with AGENTPLANE_EMBEDDING_MODEL)',
  }),
  openaiApiKey: setting.string('OPENAI_API_KEY', { example: 'sk-…', optional: true }),
  embeddingModel: setting.string('AGENTPLANE_EMBEDDING_MODEL', {
    example: 'text-embedding-3-small',
    optional: true,
    description:
      "the runtime's embedding model; unset (or no OPENAI_BASE_URL): the deterministic hashed embedding of 256 dimensions",
  }),
  embeddingDimensions: setting.integer('AGENTPLANE_EMBEDDING_DIMENSIONS', {
    example: '1536',
    default: 1536,
    min: 8,
    max: 8192,
    description: "dimensions of the model's embeddings; must equal the runtime's",
  }),
  knowledgeMaxDocumentBytes: setting.integer('CONTROL_PLANE_KNOWLEDGE_MAX_DOCUMENT_BYTES', {
    example: '524288',
    default: 524_288,
    min: 1024,
    max: 10_485_760,
    description: 'largest knowledge document accepted (UTF-8 bytes of its content); larger: 413',
  }),
  // Multi-cluster (docs/multicluster.md).
  multicluster: setting.boolean('CONTROL_PLANE_MULTICLUSTER', {
    example: 'true',
    default: false,
    description:
      'place tenants on the member clusters registered at /v1/clusters (needs VAULT_ADDR); false: write to KUBECONFIG',
  }),
  clusterProbeIntervalMs: setting.duration('CONTROL_PLANE_CLUSTER_PROBE_INTERVAL', {
    example: '10s',
    default: 10_000,
    description: 'how often each member is probed (API, CRDs, operator Lease)',
  }),
  clusterProbeTimeoutMs: setting.duration('CONTROL_PLANE_CLUSTER_PROBE_TIMEOUT', {
    example: '5s',
    default: 5_000,
  }),
  clusterUnreachableAfter: setting.integer('CONTROL_PLANE_CLUSTER_UNREACHABLE_AFTER', {
    example: '2',
    default: 2,
    min: 1,
    max: 20,
    description:
      'failed probes in a row before a member is Unreachable and its tenants Degraded (bound: this × interval + timeout)',
  }),
  operatorLeaseBoundMs: setting.duration('CONTROL_PLANE_OPERATOR_LEASE_BOUND', {
    example: '60s',
    default: 60_000,
    description: 'a member whose operator Lease has not been renewed for this long is OperatorMissing',
  }),
  clusterResyncMs: setting.duration('CONTROL_PLANE_CLUSTER_RESYNC', {
    example: '1m',
    default: 60_000,
    description: 'every placed tenant is synced to its member this often (drift, resumed migrations)',
  }),
  enterpriseClusterLabel: setting.string('CONTROL_PLANE_ENTERPRISE_CLUSTER_LABEL', {
    example: 'agentplane.io/dedicated-tenants=true',
    default: 'agentplane.io/dedicated-tenants=true',
    description: 'the label (key=value) a cluster needs to take enterprise tenants; none: any cluster',
  }),
  hubIdentity: setting.string('CONTROL_PLANE_HUB_IDENTITY', {
    example: 'agentplane-hub-0',
    default: 'agentplane-hub',
    description: 'names this hub in the Events it records on member clusters',
  }),
};

export type ControlPlaneConfig = ConfigOf<typeof controlPlaneSettings>;

/** Reads and checks every setting; throws ConfigError listing all violations. */
export function loadControlPlaneConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ControlPlaneConfig {
  const config = readConfig(controlPlaneSettings, env);
  const problems: string[] = [];
  if (config.platformAdminToken.length < 32) {
    // A short shared secret is guessable; refuse it in the same style as readConfig.
    problems.push(
      'PLATFORM_ADMIN_TOKEN must be at least 32 characters (e.g. PLATFORM_ADMIN_TOKEN=$(openssl rand -hex 32))',
    );
  }
  if (config.multicluster && !config.vaultAddr) {
    problems.push(
      'CONTROL_PLANE_MULTICLUSTER=true needs VAULT_ADDR: member cluster credentials live in Vault',
    );
  }
  if (config.enterpriseClusterLabel !== 'none' && !/^[^=\s]+=[^=\s]*$/.test(config.enterpriseClusterLabel)) {
    problems.push(
      'CONTROL_PLANE_ENTERPRISE_CLUSTER_LABEL must be key=value or none (e.g. CONTROL_PLANE_ENTERPRISE_CLUSTER_LABEL=agentplane.io/dedicated-tenants=true)',
    );
  }
  if (config.vaultAddr && !config.vaultToken) {
    problems.push('VAULT_TOKEN is required with VAULT_ADDR (e.g. VAULT_TOKEN=hvs.XXXX)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Splits `host:port` (IPv6 in brackets allowed). Throws on a malformed address. */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match?.[1] || !match[2])
    throw new Error(`CONTROL_PLANE_HTTP_ADDRESS must be host:port, got "${address}"`);
  return { host: match[1], port: Number(match[2]) };
}

/** What `npm run migrate` needs, and nothing else: migrating must not require Kafka or tokens. */
export function loadMigrationConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  const { databaseUrl, migrationDatabaseUrl, logLevel } = controlPlaneSettings;
  return readConfig({ databaseUrl, migrationDatabaseUrl, logLevel }, env);
}
