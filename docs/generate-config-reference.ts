// Writes docs/config-reference.md from the settings schemas of the operator, the control plane and
// the runtime, so the reference cannot drift from what the parts read at start:
//   node docs/generate-config-reference.ts          (write)
//   node docs/generate-config-reference.ts --check  (exit 1 when the file is out of date)
// The runtime keeps its schema module-private; a load hook exports it under a name of our own
// without touching the runtime's source.
import { readFileSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Setting } from '@agentplane/shared';

type Settings = Record<string, Setting<unknown>>;

const runtimeConfig = new URL('../runtime/src/config.ts', import.meta.url).href;
registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    if (url !== runtimeConfig || loaded.source === undefined) return loaded;
    return { ...loaded, source: `${loaded.source.toString()}\nexport { schema as __settingsForDocs };\n` };
  },
});

const target = fileURLToPath(new URL('./config-reference.md', import.meta.url));

/** One row of the reference, read from a setting by what its parser accepts. */
export interface Entry {
  env: string;
  kind: string;
  default: string;
  example: string;
  description: string;
}

const durationText = (ms: number) => {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
};

/** What kind of value `s` takes, found by asking its parser (the schema keeps no kind). */
function kindOf(s: Setting<unknown>): string {
  const accepts = (raw: string) => s.parse(raw).ok;
  if (accepts('15s') && !accepts('15')) return 'duration';
  if (accepts('true') && !accepts('maybe')) return 'boolean';
  if (!accepts('not-a-number') && accepts(s.example)) {
    if (typeof (s.parse(s.example) as { value?: unknown }).value === 'number') return 'integer';
  }
  if (!accepts('not a url') && accepts('http://example.com')) return 'URL';
  const problem = s.parse('\u0000not-a-value');
  if (!problem.ok && problem.problem.startsWith('must be one of ')) {
    return `one of ${problem.problem.slice('must be one of '.length).replace(/, got .*$/, '')}`;
  }
  const example = s.parse(s.example);
  if (example.ok && Array.isArray(example.value)) return 'comma-separated list';
  if (!problem.ok && problem.problem.startsWith('must be an integer')) return 'integer';
  return 'string';
}

/** The setting's default as an operator would write it; `required` or `unset` when it has none. */
function defaultOf(s: Setting<unknown>, kind: string): string {
  const parsed = s.parse(undefined);
  if (!parsed.ok) return 'required';
  const value = parsed.value;
  if (value === undefined) return 'unset';
  if (kind === 'duration' && typeof value === 'number') return durationText(value);
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

export function entries(part: string, settings: Settings): Entry[] {
  return Object.values(settings).map((s) => {
    const kind = kindOf(s);
    const description = s.description ?? notes[`${part}:${s.env}`] ?? '';
    return { env: s.env, kind, default: defaultOf(s, kind), example: s.example, description };
  });
}

/**
 * What a setting does, for the settings whose schema has no description (the schema's own wins
 * once it has one). Keyed by part and variable.
 */
const notes: Record<string, string> = {
  'operator:OPERATOR_CONCURRENCY': 'reconciles in flight at once, per controller (one per key at a time)',
  'operator:OPERATOR_RESYNC':
    'every Tenant and AgentInstance is reconciled again this often, changed or not (drift repair); a settled world writes nothing',
  'operator:OPERATOR_LEASE_DURATION':
    'leader election: how long a Lease holds without renewal before another replica takes over',
  'operator:OPERATOR_RENEW_DEADLINE':
    'leader election: the leader gives up leadership when it could not renew for this long',
  'operator:OPERATOR_RETRY_PERIOD': 'leader election: how often a stand-by replica tries to take the Lease',
  'operator:RUNTIME_IMAGE': "the runtime image of every agent's Deployment",
  'operator:OPERATOR_POOL_MEMORY': "each tier's shared pool namespace: memory for all its tenants' pods",
  'operator:OPERATOR_POOL_PODS': "each tier's shared pool namespace: pods for all its tenants",
  'operator:VAULT_KV_MOUNT':
    'KV v2 mount holding tenant secrets (policies grant `<mount>/data/<vaultPath>`); written into runtime pods',
  'operator:VAULT_AUTH_MOUNT':
    'Kubernetes auth mount where the per-tenant roles are written; written into runtime pods',
  'operator:VAULT_RUNTIME_TOKEN_TTL': 'TTL of the Vault tokens runtime pods get from their tenant role',
  'operator:LOG_LEVEL': 'pino log level',
  'control-plane:VAULT_TOKEN': 'Vault token of the control plane (required with VAULT_ADDR)',
  'control-plane:CONTROL_PLANE_SSE_HEARTBEAT':
    'a comment line is sent on idle event streams this often, to keep proxies from closing them',
  'control-plane:CONTROL_PLANE_BODY_LIMIT_BYTES':
    'largest request body; larger: 413 (knowledge uploads have their own limit)',
  'control-plane:LOG_LEVEL': 'pino log level',
  'control-plane:QDRANT_API_KEY': 'API key for QDRANT_URL',
  'control-plane:OPENAI_API_KEY': 'key for OPENAI_BASE_URL (embeddings)',
  'control-plane:CONTROL_PLANE_CLUSTER_PROBE_TIMEOUT': 'bound on one probe of a member cluster',
  'runtime:AGENTPLANE_TENANT':
    'the tenant this runtime serves (its topics, Vault path and role derive from it)',
  'runtime:AGENTPLANE_AGENT_INSTANCE':
    "the AgentInstance this runtime runs: it consumes only that instance's inbound topic",
  'runtime:AGENTPLANE_AGENT': 'the agent type, which selects the pipeline',
  'runtime:AGENTPLANE_AGENT_VERSION': 'the agent version, reported in logs and telemetry',
  'runtime:KAFKA_BROKERS': 'bootstrap servers',
  'runtime:AGENTPLANE_PARTITION_CONCURRENCY': 'partitions processed at once',
  'runtime:AGENTPLANE_RETRY_ATTEMPTS':
    'attempts for a retriable failure (model, Kafka) before the message goes to the dead-letter topic',
  'runtime:AGENTPLANE_RETRY_BASE': 'first retry delay; doubles per attempt (at most 10 s)',
  'runtime:AGENTPLANE_RETRY_BUDGET': 'total time a message may spend in retries',
  'runtime:AGENTPLANE_DEDUPE_LOOKBACK':
    'at start, the events topic is read back this far to learn which messages already have results (idempotency)',
  'runtime:AGENTPLANE_DEDUPE_CAPACITY': 'message ids remembered for de-duplication',
  'runtime:VAULT_ADDR': "Vault holding the tenant's secrets (its model key); unset: no Vault",
  'runtime:VAULT_TOKEN': 'a Vault token, for runs outside Kubernetes only',
  'runtime:VAULT_KUBERNETES_TOKEN_PATH': 'the ServiceAccount token the runtime logs in to Vault with',
  'runtime:AGENTPLANE_VAULT_PATH': "the tenant's KV path (set by the operator); unset: tenants/<tenant>",
  'runtime:AGENTPLANE_VAULT_ROLE':
    "the tenant's Kubernetes-auth role (set by the operator); unset: agentplane-tenant-<tenant>",
  'runtime:VAULT_KV_MOUNT': 'KV v2 mount of tenant secrets',
  'runtime:VAULT_AUTH_MOUNT': 'Kubernetes auth mount to log in at',
  'runtime:OPENAI_BASE_URL': 'OpenAI-compatible endpoint; unset: every step uses its deterministic fallback',
  'runtime:OPENAI_API_KEY': "model key when the tenant has none in Vault (the tenant's own key wins)",
  'runtime:AGENTPLANE_MODEL_TIMEOUT': 'bound on one model call; past it the step retries or falls back',
  'runtime:AGENTPLANE_EMBEDDING_MODEL':
    'embedding model for knowledge retrieval; unset: the deterministic hashed embedding (must match the control plane)',
  'runtime:AGENTPLANE_EMBEDDING_DIMENSIONS':
    "dimensions of the model's embeddings; must equal the control plane's",
  'runtime:AGENTPLANE_PREMIUM_REPLIES':
    "whether replies use the agent's replyModel: tier (pro and enterprise), on, off",
  'runtime:AGENTPLANE_TOKENS_PER_MINUTE':
    "model tokens a minute before steps fall back; unset: the tier's budget",
  'runtime:AGENTPLANE_TOKENS_PER_MONTH':
    "model tokens a month before steps fall back; unset: the tier's budget",
  'runtime:QDRANT_URL': "Qdrant holding tenants' knowledge; unset: an in-process store (development)",
  'runtime:QDRANT_API_KEY': 'API key for QDRANT_URL',
  'runtime:KAFKA_SASL_MECHANISM':
    "SASL mechanism of the tenant's Kafka principal; with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (the operator delivers all three from the Secret tenant-<t>-kafka); unset: no SASL",
  'runtime:KAFKA_SASL_USERNAME': "the tenant's Kafka principal (agentplane-tenant-<tenant>)",
  'runtime:KAFKA_SASL_PASSWORD': "the principal's password (from the tenant's Secret, kept in Vault)",
  'runtime:QDRANT_COLLECTION': 'the collection searched (every query filtered by tenant)',
  'runtime:AGENTPLANE_HTTP_HOST': 'where /healthz, /readyz and /metrics listen',
  'runtime:AGENTPLANE_HTTP_PORT': 'port of /healthz, /readyz and /metrics; 0: any free port',
  'runtime:LOG_LEVEL': 'pino log level',
  'runtime:OTEL_EXPORTER_OTLP_ENDPOINT': 'export traces over OTLP; unset: nothing exported',
};

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (text: string) => (text === 'required' || text === 'unset' ? `*${text}*` : `\`${cell(text)}\``);

function table(rows: Entry[]): string {
  return [
    '| variable | default | example | kind | what it does |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| \`${r.env}\` | ${code(r.default)} | \`${cell(r.example)}\` | ${cell(r.kind)} | ${cell(r.description)} |`,
    ),
  ].join('\n');
}

/** The whole reference document from the three schemas. */
export async function render(): Promise<string> {
  const { operatorSettings } = await import('../operator/src/config.ts');
  const { controlPlaneSettings } = await import('../control-plane/src/config.ts');
  const runtime = (await import('../runtime/src/config.ts')) as unknown as { __settingsForDocs?: Settings };
  if (!runtime.__settingsForDocs) throw new Error('runtime/src/config.ts no longer has a `schema` object');
  const parts: Array<[string, string, string, Settings, string]> = [
    [
      'operator',
      'Operator',
      'operator/src/config.ts',
      operatorSettings,
      'Also checked at start: `VAULT_TOKEN_FILE` is required when `VAULT_ADDR` is set.',
    ],
    [
      'control-plane',
      'Control plane',
      'control-plane/src/config.ts',
      controlPlaneSettings,
      'Also checked at start: `PLATFORM_ADMIN_TOKEN` has at least 32 characters; `CONTROL_PLANE_MULTICLUSTER=true` ' +
        'needs `VAULT_ADDR`; `VAULT_ADDR` needs `VAULT_TOKEN`; `CONTROL_PLANE_ENTERPRISE_CLUSTER_LABEL` is ' +
        '`key=value` or `none`. `npm run control-plane:migrate` reads only `DATABASE_URL`, ' +
        '`MIGRATION_DATABASE_URL` and `LOG_LEVEL`.',
    ],
    [
      'runtime',
      'Runtime',
      'runtime/src/config.ts',
      runtime.__settingsForDocs,
      'The operator sets these on every agent Deployment; the agent itself (tier, model, prompt, knowledge) ' +
        'comes from the file `--config /etc/agentplane/agent.json` it writes into a ConfigMap. Also checked at ' +
        'start: `AGENTPLANE_TENANT` and `AGENTPLANE_AGENT_INSTANCE` are DNS labels of at most 40 characters; ' +
        'Vault paths and mounts are `/`-joined segments; `VAULT_TOKEN` is required with `VAULT_ADDR` outside ' +
        'Kubernetes (inside, the runtime logs in with its ServiceAccount token).',
    ],
  ];
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by `node docs/generate-config-reference.ts` from the settings schemas; do not edit. -->',
    '',
    "Every setting of the three processes is an environment variable, read once at start by the part's",
    '`config.ts` (nothing else reads `process.env`). A bad or missing value stops the start with every',
    'problem listed at once, each with the variable and an example. Durations are a whole number with',
    '`ms`, `s`, `m` or `h`. The Helm chart (`charts/agentplane/values.yaml`) maps its values onto these.',
    '',
    ...parts.flatMap(([part, title, source, settings, note]) => [
      `## ${title} (\`${source}\`)`,
      '',
      table(entries(part, settings)),
      '',
      note,
      '',
    ]),
  ].join('\n');
}

if (import.meta.main) {
  const text = await render();
  if (process.argv.includes('--check')) {
    const current = (() => {
      try {
        return readFileSync(target, 'utf8');
      } catch {
        return '';
      }
    })();
    if (current !== text) {
      console.error('docs/config-reference.md is out of date: run node docs/generate-config-reference.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log('written: docs/config-reference.md');
  }
}
