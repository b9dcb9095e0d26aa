// The local platform (`./dev platform`): the test bed, a vector store (a STAND-IN for Qdrant: no
// Qdrant can run here; with an API key and tenant tokens, as production runs Qdrant), the CRDs, the
// operator with its least-privilege identity, the control plane, a sample tenant created through the
// API with an agent and a knowledge document, the agent's runtime started from the container spec of
// the Deployment the operator made, and a sample message answered end to end from that knowledge.
// Runs until Ctrl-C; `--once` deletes the tenant and stops after the reply (the platform test uses it).
// No model key is needed (the runtime's fallback path); OPENAI_API_KEY/OPENAI_BASE_URL use a real one.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createQdrantStore } from '@agentplane/runtime/vectors';
import { type KnowledgeIsolation, knowledgeNames } from '@agentplane/shared';
import { stateDir } from '../testbed/paths.ts';
import { freePort } from '../testbed/ports.ts';
import { down, envPath, isHealthy, readState, up } from '../testbed/testbed.ts';
import {
  apiClient,
  knowledgeCollection,
  qdrantGrants,
  startControlPlane,
  startVectorStore,
  watchResults,
} from './parts.ts';

const { values: args } = parseArgs({
  options: {
    tenant: { type: 'string', default: 'globex' },
    once: { type: 'boolean', default: false },
  },
});
const tenant = args.tenant as string;
const agentName = 'support';
const sampleKnowledge = `# Plans and pricing

## The Pro plan

The Pro plan costs $499 a month for teams of up to 50 people and includes 5,000 conversations. Ask sales@globex.example for a quote; it comes within one business day.

## Support hours

Our support team answers Monday to Friday, 8:00 to 18:00 CET, and within four hours on the Pro plan.
`;
const step = (what: string) => console.log(`\x1b[1m==> ${what}\x1b[0m`);

// A bed that was already running is left running afterwards; one started here is stopped.
const owned = !isHealthy(readState());
step('test bed (Kubernetes, Kafka, Vault, PostgreSQL on 127.0.0.1)');
const state = await up();
Object.assign(process.env, state.env);
// Imported after the env is set: the helpers read KUBECONFIG from it.
const { installCrds } = await import('../helpers/crds.ts');
const { kubectlOk } = await import('../helpers/kubectl.ts');
const { operatorKubeconfig, vaultTokenFile } = await import('../helpers/operator.ts');
const { eventually } = await import('../helpers/eventually.ts');
const { startPart, runtimeFromDeployment, whenAnswering } = await import('../helpers/runtime-process.ts');
type PartProcess = import('../helpers/runtime-process.ts').PartProcess;

const parts: PartProcess[] = [];
/** Parts stopped on purpose before the rest: their exit is not a failure. */
const retired = new Set<PartProcess>();
let stopping = false;
let stopped: Promise<never> | undefined;
/** Stops the parts in reverse order (and the bed when it was ours), once, however often it is asked. */
function stop(code = 0): Promise<never> {
  stopped ??= (async () => {
    stopping = true;
    for (const part of [...parts].reverse()) await part.stop();
    if (owned) await down();
    process.exit(code);
  })();
  return stopped;
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// Whatever ends this process (a failed step included), its parts end with it (startPart reaps them):
// none is left behind holding the operator Lease or consuming a topic.

/** Watches a started part: its logs go to .testbed/logs/<name>.log, and its death stops the rest. */
function watched(part: PartProcess): PartProcess {
  parts.push(part);
  void part.exited.then((code) => {
    if (stopping || retired.has(part)) return;
    console.error(`${part.name} exited with ${code}; see ${logOf(part.name)}. Stopping.`);
    void stop(1);
  });
  return part;
}
const logOf = (name: string) => join(stateDir, 'logs', `${name}.log`);

step('the vector store: a STAND-IN for Qdrant (no Qdrant server can run here), shared by API and runtime');
// With an API key new for this run and jwt_rbac, as production runs Qdrant: the control plane and the
// operator get the key, each runtime only its tenant's read-only token (minted by the operator).
const vectors = await startVectorStore(logOf('qdrant-stand-in'));
watched(vectors.part);
const qdrant = { QDRANT_URL: vectors.url, QDRANT_COLLECTION: knowledgeCollection };
console.log('  authentication on: an API key for this run (not shown), and tenant tokens signed with it');

step('CRDs and the operator');
// On a bed shared with running test suites, their operators and this one would contend for one Lease.
const { exclusive } = await import('../helpers/exclusive.ts');
const release = owned ? () => {} : await exclusive('operator');
process.on('exit', release);
await installCrds();
const operatorPort = await freePort();
watched(
  startPart('operator', 'operator/src/main.ts', {
    env: {
      KUBECONFIG: await operatorKubeconfig(),
      OPERATOR_HTTP_ADDRESS: `127.0.0.1:${operatorPort}`,
      VAULT_TOKEN_FILE: vaultTokenFile(),
      // The runtime's Deployments carry the vector store's address (an operator that does not know
      // these settings yet ignores them; the runtime then gets them below as a default).
      OPERATOR_QDRANT_URL: qdrant.QDRANT_URL,
      OPERATOR_QDRANT_COLLECTION: qdrant.QDRANT_COLLECTION,
      // Signs each tenant's read-only token (Secret tenant-<t>-qdrant, read by its runtime pods).
      OPERATOR_QDRANT_API_KEY: vectors.apiKey,
    },
    logFile: logOf('operator'),
  }),
);

step('the control plane (migrations, API, events consumer)');
const controlPlane = await startControlPlane(
  // A new tenant's events are read from its topic's creation on, not at the next 30 s refresh.
  { ...qdrant, QDRANT_API_KEY: vectors.apiKey, CONTROL_PLANE_EVENTS_TOPIC_REFRESH: '2s' },
  logOf('control-plane'),
);
watched(controlPlane.part);
const { url: api, adminToken } = controlPlane;

const { call } = apiClient(api);

step(`sample tenant ${tenant} through the API, and an API key for it`);
const existing = await fetch(`${api}/v1/tenants/${tenant}`, {
  headers: { authorization: `Bearer ${adminToken}` },
});
if (existing.status === 404)
  await call('POST', '/v1/tenants', adminToken, {
    name: tenant,
    tier: 'enterprise',
    displayName: 'Globex Corporation',
  });
await kubectlOk(['wait', '--for=condition=Ready', '--timeout=120s', `tenant/${tenant}`]);
const { key } = await call<{ key: string }>('POST', `/v1/tenants/${tenant}/api-keys`, adminToken, {
  name: `local platform ${new Date().toISOString()}`,
  role: 'owner',
});

step(`agent ${agentName} through the API`);
const namespace = `tenant-${tenant}`;
const agents = await call<{ items?: Array<{ name: string }> } | Array<{ name: string }>>(
  'GET',
  `/v1/tenants/${tenant}/agent-instances`,
  key,
);
const listed = Array.isArray(agents) ? agents : (agents.items ?? []);
// Retrieval from the tenant's knowledge is on per agent (left out, the agent answers without it).
const knowledge = { enabled: true, topK: 3 };
if (!listed.some((a) => a.name === agentName))
  await call('POST', `/v1/tenants/${tenant}/agent-instances`, key, {
    name: agentName,
    agent: 'customer-service',
    version: '2.1.0',
    knowledge,
  });
else await call('PATCH', `/v1/tenants/${tenant}/agent-instances/${agentName}`, key, { knowledge });
await kubectlOk([
  'wait',
  '--for=condition=Ready',
  '--timeout=120s',
  `agentinstance/${agentName}`,
  '-n',
  namespace,
]);

step('the runtime, from the container spec of the Deployment the operator made');
const home = JSON.parse(await kubectlOk(['get', 'tenant', tenant, '-o', 'json'])).status.home;
const isolation = home.isolation as KnowledgeIsolation;
const launch = await runtimeFromDeployment({
  namespace,
  agentInstance: agentName,
  // What a pod gets from the cluster, here from the test bed.
  cluster: {
    KAFKA_BROKERS: state.env.KAFKA_BROKERS ?? '',
    VAULT_ADDR: state.env.VAULT_ADDR ?? '',
    VAULT_TOKEN: state.env.VAULT_TOKEN ?? '',
  },
  // What the operator writes into the Deployment when it manages the vector store; an operator that
  // does not leaves it to the platform, by the rule the control plane writes with.
  defaults: {
    QDRANT_URL: qdrant.QDRANT_URL,
    QDRANT_COLLECTION: knowledgeNames.collection(tenant, isolation, knowledgeCollection),
  },
});
// The runtime's only Qdrant credential is what its Deployment gives it: the tenant's token.
const qdrantSecret = `tenant-${tenant}-qdrant`;
const runtimeToken = launch.env.QDRANT_API_KEY ?? '';
const grants = runtimeToken === vectors.apiKey ? undefined : qdrantGrants(runtimeToken);
if (!grants)
  throw new Error(
    runtimeToken === vectors.apiKey
      ? "the runtime's Deployment gives it the platform's Qdrant API key instead of its tenant's token"
      : `the runtime's Deployment gives it no Qdrant token (QDRANT_API_KEY from Secret ${qdrantSecret} in ` +
          `${namespace}): see ${logOf('operator')} and kubectl describe tenant ${tenant}`,
  );
const granted = Array.isArray(grants.access)
  ? grants.access.map((g) => `${g.access} on ${g.collection}`).join(', ')
  : `global ${grants.access}`;
console.log(
  `  runtime reads knowledge from ${launch.env.QDRANT_URL}, collection ${launch.env.QDRANT_COLLECTION},
  with its tenant's token from Secret ${qdrantSecret}: ${granted}, until ${grants.expiresAt.toISOString()}`,
);
const runtime = watched(
  startPart('runtime', 'runtime/src/main.ts', {
    env: launch.env,
    argv: launch.argv,
    logFile: logOf('runtime'),
  }),
);
await whenAnswering(runtime, `http://127.0.0.1:${launch.port}/readyz`, 'the runtime to be ready');

step('some knowledge for the agent: a markdown document through the API, indexed into the vector store');
const document = await call<{ id: string }>('POST', `/v1/tenants/${tenant}/knowledge`, key, {
  title: 'Globex handbook',
  contentType: 'text/markdown',
  content: sampleKnowledge,
});
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
const indexed: any = await eventually(
  async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
    const view: any = await call('GET', `/v1/tenants/${tenant}/knowledge/${document.id}`, key);
    if (view.status === 'failed') throw new Error(`indexing failed: ${view.error}`);
    return view.status === 'ready' && view;
  },
  { what: 'the document to be indexed', timeoutMs: 60_000, intervalMs: 250 },
);
console.log(`  document ${document.id}: ${indexed.status}, ${indexed.chunkCount} chunks`);

step('a sample message, answered end to end');
// The API shows a result without its sources; the runtime's result event carries them.
const published = await watchResults((state.env.KAFKA_BROKERS ?? '').split(','), tenant);
const conversation = await call<{ id: string }>('POST', `/v1/tenants/${tenant}/conversations`, key, {
  agentInstance: agentName,
});
const text =
  'Hi, we are 40 people at Initech and want a quote for the Pro plan. Reach me at peter@initech.example.';
const sent = await call<{ id: string }>(
  'POST',
  `/v1/tenants/${tenant}/conversations/${conversation.id}/messages`,
  key,
  {
    body: text,
    sender: { name: 'Peter Gibbons', email: 'peter@initech.example' },
  },
);
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
const answered: any = await eventually(
  async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
    const view: any = await call('GET', `/v1/tenants/${tenant}/conversations/${conversation.id}`, key);
    return (view.results?.length ?? 0) > 0 && view;
  },
  { what: 'the reply to arrive', timeoutMs: 60_000, intervalMs: 500 },
);
const result = answered.results[0];
const event = await published.result(sent.id);
await published.close();
// Chunk ids to their titles, read from the vector store with the tenant filter and the runtime's token.
const stored = await createQdrantStore({
  url: vectors.url,
  collection: launch.env.QDRANT_COLLECTION ?? '',
  apiKey: runtimeToken,
}).list(tenant, {
  limit: 100,
});
const titleOf = (id: string) => stored.points.find((p) => p.id === id)?.title ?? id;
const sources = event.sources.map((s) => `${titleOf(s.id)} (score ${s.score})`).join('; ') || 'none';
console.log(`
  message : ${text}
  reply   : ${result.reply?.replace(/\s+/g, ' ') ?? `(no reply: ${result.labels.join(', ')})`}
  sources : ${sources}
  intent  : ${result.intent}; lead ${result.lead ? `${result.lead.temperature} (${result.lead.score})` : 'none'}; ${event.path} path
  entities: ${JSON.stringify(result.entities)}
`);

console.log(`local platform running: tenant ${tenant} with agent ${agentName} and knowledge document ${document.id}
  API       ${api}   (OpenAPI at ${api}/docs)
  API key   ${key}   (owner of ${tenant}; shown once)
  try       curl -H 'Authorization: Bearer ${key}' ${api}/v1/tenants/${tenant}/conversations/${conversation.id}
  vectors   ${vectors.url}   (a STAND-IN for Qdrant, in memory; API key required)
  token     kubectl get secret ${qdrantSecret} -n ${namespace} -o jsonpath='{.data.QDRANT_API_KEY}' | base64 -d
            (the runtime's read-only token; send it as the api-key header)
  cluster   source ${envPath}; kubectl get agentplane -A; kubectl describe tenant ${tenant}
  logs      .testbed/logs/{qdrant-stand-in,operator,control-plane,runtime}.log
Ctrl-C stops everything${owned ? ' (and the test bed it started)' : ''}.`);
if (args.once) {
  // One answer was the point: remove the sample tenant while the operator still runs, then stop.
  step(`deleting tenant ${tenant}`);
  // The runtime first: in a cluster deleting the Deployment stops its pods, here it is our process,
  // and the agent's finalizer waits until its consumer group is empty before deleting the topic.
  retired.add(runtime);
  await runtime.stop();
  // Through the API: its records, knowledge and keys go too, and the Tenant on the cluster.
  await call('DELETE', `/v1/tenants/${tenant}`, adminToken);
  await eventually(
    async () => (await call('GET', `/v1/tenants/${tenant}/deletion`, adminToken)).state === 'completed',
    { what: `tenant ${tenant} to be deleted`, timeoutMs: 120_000, intervalMs: 1000 },
  );
  console.log(`tenant ${tenant} deleted`);
  await stop(0);
}
