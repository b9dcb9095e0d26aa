// Every setting of the runtime, validated once at start. Environment variables go through the
// shared schema reader; the agent file (`--config /etc/agentplane/agent.json`, written by the
// operator) is checked here too, and all problems of both are reported together.
import { readFileSync } from 'node:fs';
import { ConfigError, readConfig, setting, topicNames, vaultNames } from '@agentplane/shared';

export const agentTypes = ['customer-service', 'sales', 'marketing', 'lead-qualifier'] as const;
export type AgentType = (typeof agentTypes)[number];
export const tiers = ['basic', 'pro', 'enterprise'] as const;
export type Tier = (typeof tiers)[number];

const schema = {
  tenant: setting.string('AGENTPLANE_TENANT', { example: 'acme' }),
  instance: setting.string('AGENTPLANE_AGENT_INSTANCE', { example: 'support' }),
  agent: setting.oneOf('AGENTPLANE_AGENT', agentTypes, { example: 'customer-service' }),
  agentVersion: setting.string('AGENTPLANE_AGENT_VERSION', { example: '2.1.0', default: 'dev' }),
  brokers: setting.list('KAFKA_BROKERS', { example: '127.0.0.1:9092,127.0.0.1:9093' }),
  // The tenant's own Kafka login, from the operator's Secret tenant-<t>-kafka; unset: no SASL.
  kafkaSaslMechanism: setting.oneOf('KAFKA_SASL_MECHANISM', ['scram-sha-512', 'scram-sha-256'] as const, {
    example: 'scram-sha-512',
    optional: true,
  }),
  kafkaSaslUsername: setting.string('KAFKA_SASL_USERNAME', {
    example: 'agentplane-tenant-acme',
    optional: true,
  }),
  kafkaSaslPassword: setting.string('KAFKA_SASL_PASSWORD', { example: 's3cret', optional: true }),
  concurrency: setting.integer('AGENTPLANE_PARTITION_CONCURRENCY', {
    example: '3',
    default: 3,
    min: 1,
    max: 64,
  }),
  retryAttempts: setting.integer('AGENTPLANE_RETRY_ATTEMPTS', { example: '5', default: 5, min: 1, max: 50 }),
  retryBaseMs: setting.duration('AGENTPLANE_RETRY_BASE', { example: '200ms', default: 200 }),
  retryBudgetMs: setting.duration('AGENTPLANE_RETRY_BUDGET', { example: '30s', default: 30_000 }),
  dedupeLookbackMs: setting.duration('AGENTPLANE_DEDUPE_LOOKBACK', { example: '24h', default: 86_400_000 }),
  dedupeCapacity: setting.integer('AGENTPLANE_DEDUPE_CAPACITY', {
    example: '100000',
    default: 100_000,
    min: 100,
  }),
  vaultAddr: setting.url('VAULT_ADDR', { example: 'http://127.0.0.1:8200', optional: true }),
  vaultToken: setting.string('VAULT_TOKEN', { example: 'hvs.xxxxx (local runs only)', optional: true }),
  vaultKubernetesTokenPath: setting.string('VAULT_KUBERNETES_TOKEN_PATH', {
    example: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    default: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  }),
  // Written by the operator from the tenant's resolved Vault settings; the defaults match what the
  // operator creates for a tenant without spec.secrets.vaultPath.
  vaultPath: setting.string('AGENTPLANE_VAULT_PATH', { example: 'tenants/acme/prod', optional: true }),
  vaultRole: setting.string('AGENTPLANE_VAULT_ROLE', { example: 'agentplane-tenant-acme', optional: true }),
  vaultKvMount: setting.string('VAULT_KV_MOUNT', { example: 'secret', default: 'secret' }),
  vaultAuthMount: setting.string('VAULT_AUTH_MOUNT', { example: 'kubernetes', default: 'kubernetes' }),
  openaiBaseUrl: setting.url('OPENAI_BASE_URL', { example: 'https://api.openai.com/v1', optional: true }),
  openaiApiKey: setting.string('OPENAI_API_KEY', { example: 'sk-…', optional: true }),
  modelTimeoutMs: setting.duration('AGENTPLANE_MODEL_TIMEOUT', { example: '15s', default: 15_000 }),
  embeddingModel: setting.string('AGENTPLANE_EMBEDDING_MODEL', {
    example: 'text-embedding-3-small',
    optional: true,
  }),
  embeddingDimensions: setting.integer('AGENTPLANE_EMBEDDING_DIMENSIONS', {
    example: '1536',
    default: 1536,
    min: 8,
    max: 8192,
  }),
  premiumReplies: setting.oneOf('AGENTPLANE_PREMIUM_REPLIES', ['tier', 'on', 'off'] as const, {
    example: 'tier',
    default: 'tier',
  }),
  tokensPerMinute: setting.integer('AGENTPLANE_TOKENS_PER_MINUTE', {
    example: '40000',
    optional: true,
    min: 0,
  }),
  tokensPerMonth: setting.integer('AGENTPLANE_TOKENS_PER_MONTH', {
    example: '5000000',
    optional: true,
    min: 0,
  }),
  qdrantUrl: setting.url('QDRANT_URL', { example: 'http://qdrant:6333', optional: true }),
  qdrantApiKey: setting.string('QDRANT_API_KEY', { example: 'secret', optional: true }),
  qdrantCollection: setting.string('QDRANT_COLLECTION', {
    example: 'agentplane_knowledge',
    default: 'agentplane_knowledge',
  }),
  httpHost: setting.string('AGENTPLANE_HTTP_HOST', { example: '0.0.0.0', default: '127.0.0.1' }),
  httpPort: setting.integer('AGENTPLANE_HTTP_PORT', { example: '8080', default: 8080, min: 0, max: 65535 }),
  logLevel: setting.oneOf(
    'LOG_LEVEL',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
    {
      example: 'info',
      default: 'info',
    },
  ),
  otlpEndpoint: setting.url('OTEL_EXPORTER_OTLP_ENDPOINT', {
    example: 'http://otel-collector:4318',
    optional: true,
  }),
};

/** The agent's settings from the instance's ConfigMap (`agent.json`). */
export interface AgentSettings {
  tier: Tier;
  model: { name?: string; replyModel?: string; temperature: number };
  prompt: { system?: string; tone: string };
  knowledge: { enabled: boolean; topK: number };
  replyConfidenceThreshold: number;
}

type BaseConfig = ReturnType<typeof readConfig<typeof schema>>;

export type RuntimeConfig = Omit<BaseConfig, 'vaultPath' | 'vaultRole'> & {
  /** The tenant's KV v2 path below `vaultKvMount` (its LLM key is at `<vaultPath>/llm`). */
  readonly vaultPath: string;
  /** The Kubernetes-auth role the runtime logs in as. */
  readonly vaultRole: string;
  readonly settings: Readonly<AgentSettings>;
  readonly topics: Readonly<{ inbound: string; events: string; deadLetter: string; consumerGroup: string }>;
};

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
// Vault paths and mounts: segments of letters, digits, `_`, `-` and `.` joined by `/`; no empty
// segment (so no leading or trailing `/`) and no `.` or `..` (they would name another path).
const isVaultPath = (value: string) =>
  value.split('/').every((segment) => /^[A-Za-z0-9_.-]+$/.test(segment) && !/^\.\.?$/.test(segment));

/**
 * Reads and validates the whole configuration. Returns a deeply frozen object; throws ConfigError
 * listing every problem (variable or file field, with an example). Only this module reads env.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): RuntimeConfig {
  const problems: string[] = [];
  let base: BaseConfig | undefined;
  try {
    base = readConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.violations);
  }
  for (const [name, value] of [
    ['AGENTPLANE_TENANT', env.AGENTPLANE_TENANT],
    ['AGENTPLANE_AGENT_INSTANCE', env.AGENTPLANE_AGENT_INSTANCE],
  ] as const) {
    if (value && !dnsLabel.test(value))
      problems.push(`${name} must be a DNS label of at most 40 characters (e.g. ${name}=acme)`);
  }
  for (const [name, value, example] of [
    ['AGENTPLANE_VAULT_PATH', env.AGENTPLANE_VAULT_PATH, 'tenants/acme/prod'],
    ['VAULT_KV_MOUNT', env.VAULT_KV_MOUNT, 'secret'],
    ['VAULT_AUTH_MOUNT', env.VAULT_AUTH_MOUNT, 'kubernetes'],
  ] as const) {
    if (value && !isVaultPath(value))
      problems.push(
        `${name} must be a Vault path of letters, digits, _ - . joined by /, got "${value}" (e.g. ${name}=${example})`,
      );
  }
  const settings = readAgentFile(argv, problems);
  if (base?.vaultAddr && !base.vaultToken && !env.KUBERNETES_SERVICE_HOST) {
    problems.push(
      'VAULT_TOKEN is required outside Kubernetes when VAULT_ADDR is set (e.g. VAULT_TOKEN=hvs.xxxxx)',
    );
  }
  if (problems.length > 0 || !base) throw new ConfigError(problems);
  const topics = Object.freeze({
    inbound: topicNames.inbound(base.tenant, base.instance),
    events: topicNames.events(base.tenant),
    deadLetter: topicNames.deadLetter(base.tenant),
    consumerGroup: topicNames.consumerGroup(base.tenant, base.instance),
  });
  return Object.freeze({
    ...base,
    vaultPath: base.vaultPath ?? vaultNames.defaultPath(base.tenant),
    vaultRole: base.vaultRole ?? vaultNames.role(base.tenant),
    settings: deepFreeze(settings),
    topics,
  });
}

function configPath(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('--config');
  if (index >= 0) return argv[index + 1];
  return argv.find((arg) => arg.startsWith('--config='))?.slice('--config='.length);
}

/** Defaults used when no `--config` is given (local runs). */
export const defaultAgentSettings: AgentSettings = {
  tier: 'basic',
  model: { temperature: 0.3 },
  prompt: { tone: 'friendly' },
  knowledge: { enabled: true, topK: 3 },
  replyConfidenceThreshold: 0.5,
};

function readAgentFile(argv: readonly string[], problems: string[]): AgentSettings {
  const path = configPath(argv);
  if (path === undefined) return structuredClone(defaultAgentSettings);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(
      `--config ${path} cannot be read as JSON: ${(error as Error).message} (e.g. --config /etc/agentplane/agent.json)`,
    );
    return structuredClone(defaultAgentSettings);
  }
  return parseAgentSettings(raw, (problem) => problems.push(`--config ${path}: ${problem}`));
}

type Obj = Record<string, unknown>;
const asObject = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};

/** Validates the agent file's fields; unknown fields (topics, tenant, …) are ignored. Pure. */
export function parseAgentSettings(raw: unknown, report: (problem: string) => void): AgentSettings {
  const file = asObject(raw);
  const model = asObject(file.model);
  const prompt = asObject(file.prompt);
  const knowledge = asObject(file.knowledge);
  const d = defaultAgentSettings;
  const optionalString = (value: unknown, field: string, example: string) => {
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value.length > 0) return value;
    report(`${field} must be a non-empty string (e.g. "${example}")`);
    return undefined;
  };
  const numberIn = (value: unknown, field: string, min: number, max: number, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value === 'number' && value >= min && value <= max) return value;
    report(`${field} must be a number from ${min} to ${max} (e.g. ${fallback})`);
    return fallback;
  };
  const tier = file.tier ?? d.tier;
  if (!tiers.includes(tier as Tier)) report(`tier must be one of ${tiers.join(', ')} (e.g. "pro")`);
  if (knowledge.enabled !== undefined && typeof knowledge.enabled !== 'boolean') {
    report('knowledge.enabled must be true or false (e.g. true)');
  }
  const name = optionalString(model.name, 'model.name', 'gpt-4o-mini');
  const replyModel = optionalString(model.replyModel, 'model.replyModel', 'gpt-4o');
  const system = optionalString(prompt.system, 'prompt.system', 'You answer for ACME.');
  return {
    tier: tiers.includes(tier as Tier) ? (tier as Tier) : d.tier,
    model: {
      ...(name ? { name } : {}),
      ...(replyModel ? { replyModel } : {}),
      temperature: numberIn(model.temperature, 'model.temperature', 0, 2, d.model.temperature),
    },
    prompt: {
      ...(system ? { system } : {}),
      tone: optionalString(prompt.tone, 'prompt.tone', 'friendly') ?? d.prompt.tone,
    },
    knowledge: {
      enabled: knowledge.enabled === undefined ? d.knowledge.enabled : knowledge.enabled === true,
      topK: Math.round(numberIn(knowledge.topK, 'knowledge.topK', 1, 50, d.knowledge.topK)),
    },
    replyConfidenceThreshold: numberIn(
      file.replyConfidenceThreshold,
      'replyConfidenceThreshold',
      0,
      1,
      d.replyConfidenceThreshold,
    ),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
