// bench/operator: create N Tenants with one AgentInstance each against the running test bed and
// print how fast the operator makes them Ready, what it costs in API requests, whether a resync
// of the unchanged world writes anything (target 0), and the operator's memory at the end.
//
//   npm run testbed -- up && source .testbed/env && node bench/operator/run.ts [--tenants 500] [--json]
// `--json` prints the figures as one JSON line instead (bench/all.ts reads it). The bench takes the
// machine-wide operator lock (one operator on the cluster at a time) unless its parent holds it and
// says so with AGENTPLANE_OPERATOR_LOCK_HELD=1.
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '../../e2e/helpers/crds.ts';
import { testbedEnv } from '../../e2e/helpers/env.ts';
import { eventually } from '../../e2e/helpers/eventually.ts';
import { exclusive } from '../../e2e/helpers/exclusive.ts';
import { operatorKubeconfig, startOperator } from '../../e2e/helpers/operator.ts';
import { measureResync, operatorCounters } from '../../e2e/helpers/operator-metrics.ts';
import { freePort } from '../../e2e/testbed/ports.ts';
import { createKubeClient } from '../../operator/src/kube/client.ts';
import { createInformer } from '../../operator/src/kube/informer.ts';
import { silentLogger } from '../../shared/src/logger.ts';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.tenants);
const resyncSeconds = 20;

const kc = new KubeConfig();
kc.loadFromFile(testbedEnv('KUBECONFIG'));
const client = createKubeClient(kc);
const release = process.env.AGENTPLANE_OPERATOR_LOCK_HELD === '1' ? () => {} : await exclusive('operator');
process.on('exit', () => release());
await installCrds();
const port = await freePort();
const operator = startOperator({
  KUBECONFIG: await operatorKubeconfig(),
  OPERATOR_HTTP_ADDRESS: `127.0.0.1:${port}`,
  OPERATOR_RESYNC: `${resyncSeconds}s`,
  OPERATOR_CONCURRENCY: '8',
  LOG_LEVEL: process.env.BENCH_OPERATOR_LOG_LEVEL ?? 'warn',
  // Room in the pro pool for every agent: the default pool quota (64 CPUs) holds 128 runtime pods.
  OPERATOR_POOL_CPU: String(count),
  OPERATOR_POOL_MEMORY: `${count}Gi`,
  OPERATOR_POOL_PODS: String(count * 2),
});
// A failed or interrupted run must not leave its operator behind.
process.on('exit', () => operator.child.kill('SIGKILL'));
const metrics = () => operatorCounters(`http://127.0.0.1:${port}/metrics`);
await eventually(() => metrics().then(() => true), { what: 'the operator to serve metrics' });

type Obj = {
  metadata: { name: string; namespace?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
};
const ready = (o: Obj | undefined) =>
  o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const log = silentLogger();
const tenants = createInformer<Obj>(client, {
  resource: { apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant' },
  log,
  labelSelector: 'bench=operator',
});
const agents = createInformer<Obj>(client, {
  resource: { apiVersion: 'agentplane.io/v1alpha1', kind: 'AgentInstance' },
  log,
  namespace: 'agentplane-pool-pro',
  labelSelector: 'bench=operator',
});
const appliedAt = new Map<string, number>();
const readyAt = new Map<string, number>();
const check = (name: string) => {
  if (readyAt.has(name) || !appliedAt.has(name)) return;
  if (ready(tenants.get(name)) && ready(agents.get(`agentplane-pool-pro/agent-${name}`)))
    readyAt.set(name, Date.now());
};
tenants.on((e) => check(e.object.metadata.name));
agents.on((e) => check(e.object.metadata.name.replace(/^agent-/, '')));
tenants.start();
agents.start();
await Promise.all([tenants.waitForSync(), agents.waitForSync()]);

const run = Date.now().toString(36);
const names = Array.from({ length: count }, (_, i) => `b${run}-${i}`);
const before = await metrics();
const started = Date.now();
await pool(names, Number(values.concurrency), async (name) => {
  appliedAt.set(name, Date.now());
  await create('/apis/agentplane.io/v1alpha1/tenants', {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name, labels: { bench: 'operator' } },
    spec: { tier: 'pro' },
  });
});
// The pool namespace is the operator's to create, with the first pro tenant's home.
await eventually(
  () => client.request({ method: 'GET', path: '/api/v1/namespaces/agentplane-pool-pro' }).then(() => true),
  { what: 'the pro pool namespace' },
);
await pool(names, Number(values.concurrency), async (name) => {
  await create('/apis/agentplane.io/v1alpha1/namespaces/agentplane-pool-pro/agentinstances', {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'AgentInstance',
    metadata: { name: `agent-${name}`, namespace: 'agentplane-pool-pro', labels: { bench: 'operator' } },
    spec: { tenantRef: name, agent: 'customer-service', version: '1.0.0' },
  });
});
const applyDone = Date.now();
await eventually(
  () => {
    for (const n of names) check(n);
    return readyAt.size === count;
  },
  {
    what: `all ${count} tenants and agents Ready (${readyAt.size} so far)`,
    timeoutMs: 30 * 60_000,
    intervalMs: 500,
  },
);
const allReady = Date.now();
// Ready is not the end of the work: tenant status counts and runtime Roles follow their agents. The
// resync is measured once no write has happened for a few seconds.
const { settled, resynced } = await measureResync(`http://127.0.0.1:${port}/metrics`, 2 * count, {
  timeoutMs: (resyncSeconds * 3 + 60) * 1000,
});

const latencies = names.map((n) => (readyAt.get(n) ?? 0) - (appliedAt.get(n) ?? 0)).sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
const seconds = (allReady - started) / 1000;
const reconciles = settled.reconciles - before.reconciles;
const figures = {
  bench: 'operator',
  tenants: count,
  createdSeconds: (applyDone - started) / 1000,
  readySeconds: seconds,
  tenantsPerSecond: count / seconds,
  latencySeconds: { p50: pct(50) / 1000, p99: pct(99) / 1000 },
  reconciles,
  requestsPerReconcile: (settled.requests - before.requests) / reconciles,
  writesPerReconcile: (settled.writes - before.writes) / reconciles,
  resync: {
    objects: 2 * count,
    reconciles: resynced.reconciles - settled.reconciles,
    writes: resynced.writes - settled.writes,
  },
  rssBytes: resynced.rss,
};
if (values.json) console.log(JSON.stringify(figures));
else printFigures(figures);

await pool(names, 16, (name) =>
  client.request({ method: 'DELETE', path: `/apis/agentplane.io/v1alpha1/tenants/${name}` }).then(() => {}),
);
// The operator must stay up until their finalizers are done, or the tenants stay Terminating.
await eventually(() => tenants.list().length === 0, {
  what: 'the benchmark tenants to be deleted',
  timeoutMs: 10 * 60_000,
  intervalMs: 1000,
});
tenants.stop();
agents.stop();
await operator.stop();
process.exit(0);

function printFigures(f: typeof figures): void {
  const line = (label: string, value: string) => console.log(`${`${label}:`.padEnd(39)}${value}`);
  line('tenants (each with one AgentInstance)', String(f.tenants));
  line('created in', `${f.createdSeconds.toFixed(1)} s`);
  line('all Ready after', `${f.readySeconds.toFixed(1)} s (${f.tenantsPerSecond.toFixed(1)} tenants/s)`);
  line(
    'apply-to-Ready latency p50 / p99',
    `${f.latencySeconds.p50.toFixed(2)} s / ${f.latencySeconds.p99.toFixed(2)} s`,
  );
  line(
    'reconciles until Ready',
    `${f.reconciles} (${(f.reconciles / f.tenants).toFixed(2)} per tenant+agent)`,
  );
  line(
    'API requests per reconcile',
    `${f.requestsPerReconcile.toFixed(2)} (writes ${f.writesPerReconcile.toFixed(2)})`,
  );
  line('writes during a full resync', `${f.resync.writes} over ${f.resync.reconciles} reconciles (target 0)`);
  line('operator RSS at the end', `${(f.rssBytes / 1024 / 1024).toFixed(0)} MiB`);
}

async function create(path: string, body: unknown): Promise<void> {
  await client.request({ method: 'POST', path, body });
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}
