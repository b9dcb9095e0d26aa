// The local platform (`./dev platform`): the test bed, the CRDs, the operator with its least-privilege
// identity, the control plane, a sample tenant created through the API with an agent, the agent's
// runtime started from the container spec of the Deployment the operator made, and a sample message
// answered end to end. Runs until Ctrl-C; `--once` deletes the tenant and stops after the reply (the
// platform test uses it).
// No model key is needed (the runtime's fallback path); OPENAI_API_KEY/OPENAI_BASE_URL use a real one.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, stateDir } from '../testbed/paths.ts';
import { freePort } from '../testbed/ports.ts';
import { down, envPath, isHealthy, readState, up } from '../testbed/testbed.ts';

const { values: args } = parseArgs({
  options: {
    tenant: { type: 'string', default: 'globex' },
    once: { type: 'boolean', default: false },
  },
});
const tenant = args.tenant as string;
const agentName = 'support';
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

const children: Array<{ name: string; child: ChildProcess }> = [];
/** Children stopped on purpose before the rest: their exit is not a failure. */
const retired = new Set<ChildProcess>();
let stopping = false;
let stopped: Promise<never> | undefined;
/** Stops the parts in reverse order (and the bed when it was ours), once, however often it is asked. */
function stop(code = 0): Promise<never> {
  stopped ??= (async () => {
    stopping = true;
    for (const { child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    if (owned) await down();
    process.exit(code);
  })();
  return stopped;
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// Whatever ends this process (a failed step included), its parts end with it: none is left behind
// holding the operator Lease or consuming a topic.
process.on('exit', () => {
  for (const { child } of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts a part of the platform as its own process; its logs go to .testbed/logs/<name>.log. */
function run(name: string, script: string, env: Record<string, string>, argv: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, script), ...argv], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = join(stateDir, 'logs', `${name}.log`);
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (chunk) => writeFileSync(log, chunk, { flag: 'a' }));
  child.on('exit', (code) => {
    if (stopping || retired.has(child)) return;
    console.error(`${name} exited with ${code}; see ${log}. Stopping.`);
    void stop(1);
  });
  children.push({ name, child });
  return child;
}

step('CRDs and the operator');
// On a bed shared with running test suites, their operators and this one would contend for one Lease.
const { exclusive } = await import('../helpers/exclusive.ts');
const release = owned ? () => {} : await exclusive('operator');
process.on('exit', release);
await installCrds();
const operatorPort = await freePort();
run('operator', 'operator/src/main.ts', {
  KUBECONFIG: await operatorKubeconfig(),
  OPERATOR_HTTP_ADDRESS: `127.0.0.1:${operatorPort}`,
  VAULT_TOKEN_FILE: vaultTokenFile(),
});

step('the control plane (migrations, API, events consumer)');
const apiPort = await freePort();
const api = `http://127.0.0.1:${apiPort}`;
const adminToken = randomBytes(24).toString('hex');
run('control-plane', 'control-plane/src/server.ts', {
  CONTROL_PLANE_HTTP_ADDRESS: `127.0.0.1:${apiPort}`,
  CONTROL_PLANE_MIGRATE_ON_START: 'true',
  PLATFORM_ADMIN_TOKEN: adminToken,
});
await eventually(
  () =>
    fetch(`${api}/healthz`).then(
      (r) => r.ok,
      () => false,
    ),
  {
    what: 'the control plane to answer /healthz',
    timeoutMs: 60_000,
  },
);

async function call<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

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
if (!listed.some((a) => a.name === agentName))
  await call('POST', `/v1/tenants/${tenant}/agent-instances`, key, {
    name: agentName,
    agent: 'customer-service',
    version: '2.1.0',
  });
await kubectlOk([
  'wait',
  '--for=condition=Ready',
  '--timeout=120s',
  `agentinstance/${agentName}`,
  '-n',
  namespace,
]);

step('the runtime, from the container spec of the Deployment the operator made');
// biome-ignore lint/suspicious/noExplicitAny: wire-format JSON from kubectl
const deployment: any = JSON.parse(
  await kubectlOk(['get', 'deployment', `agent-${agentName}`, '-n', namespace, '-o', 'json']),
);
const container = deployment.spec.template.spec.containers[0];
// biome-ignore lint/suspicious/noExplicitAny: wire-format JSON from kubectl
const configMap: any = JSON.parse(
  await kubectlOk(['get', 'configmap', `agent-${agentName}-config`, '-n', namespace, '-o', 'json']),
);
const configDir = mkdtempSync(join(tmpdir(), 'agentplane-runtime-'));
writeFileSync(join(configDir, 'agent.json'), configMap.data['agent.json']);
const podEnv = Object.fromEntries(
  (container.env as Array<{ name: string; value?: string }>).flatMap((e) =>
    e.value === undefined ? [] : [[e.name, e.value]],
  ),
);
const runtimePort = await freePort();
run(
  'runtime',
  'runtime/src/main.ts',
  {
    ...podEnv,
    // What a pod gets from the cluster, here from the test bed: brokers and Vault on 127.0.0.1, a
    // Vault token instead of a ServiceAccount login, probes on a free loopback port.
    KAFKA_BROKERS: state.env.KAFKA_BROKERS ?? '',
    VAULT_ADDR: state.env.VAULT_ADDR ?? '',
    VAULT_TOKEN: state.env.VAULT_TOKEN ?? '',
    AGENTPLANE_HTTP_HOST: '127.0.0.1',
    AGENTPLANE_HTTP_PORT: String(runtimePort),
  },
  (container.args as string[]).map((a) =>
    a === '/etc/agentplane/agent.json' ? join(configDir, 'agent.json') : a,
  ),
);
await eventually(
  () =>
    fetch(`http://127.0.0.1:${runtimePort}/readyz`).then(
      (r) => r.ok,
      () => false,
    ),
  {
    what: 'the runtime to be ready',
    timeoutMs: 60_000,
  },
);

step('a sample message, answered end to end');
const conversation = await call<{ id: string }>('POST', `/v1/tenants/${tenant}/conversations`, key, {
  agentInstance: agentName,
});
const text =
  'Hi, we are 40 people at Initech and want a quote for the Pro plan. Reach me at peter@initech.example.';
await call('POST', `/v1/tenants/${tenant}/conversations/${conversation.id}/messages`, key, {
  body: text,
  sender: { name: 'Peter Gibbons', email: 'peter@initech.example' },
});
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
console.log(`
  message : ${text}
  reply   : ${result.reply ?? `(no reply: ${result.labels.join(', ')})`}
  intent  : ${result.intent}; lead ${result.lead ? `${result.lead.temperature} (${result.lead.score})` : 'none'}
  entities: ${JSON.stringify(result.entities)}
`);

console.log(`local platform running: tenant ${tenant} with agent ${agentName}
  API       ${api}   (OpenAPI at ${api}/docs)
  API key   ${key}   (owner of ${tenant}; shown once)
  try       curl -H 'Authorization: Bearer ${key}' ${api}/v1/tenants/${tenant}/conversations/${conversation.id}
  cluster   source ${envPath}; kubectl get agentplane -A; kubectl describe tenant ${tenant}
  logs      .testbed/logs/{operator,control-plane,runtime}.log
Ctrl-C stops everything${owned ? ' (and the test bed it started)' : ''}.`);
if (args.once) {
  // One answer was the point: remove the sample tenant while the operator still runs, then stop.
  step(`deleting tenant ${tenant}`);
  // The runtime first: in a cluster deleting the Deployment stops its pods, here it is our process,
  // and the agent's finalizer waits until its consumer group is empty before deleting the topic.
  const runtime = children.find((c) => c.name === 'runtime')?.child;
  if (runtime && runtime.exitCode === null) {
    retired.add(runtime);
    runtime.kill('SIGTERM');
    await new Promise((resolve) => runtime.once('exit', resolve));
  }
  await kubectlOk(['delete', 'tenant', tenant, '--timeout=120s']);
  await stop(0);
}
