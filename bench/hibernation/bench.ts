// bench/hibernation: wake-to-first-reply of a hibernated tenant on the test bed (prints figures; not a test).
//
//   source .testbed/env && node bench/hibernation/bench.ts [--rounds 3 --idle 5s --poll 1s --poll-topics 200] [--json]
// `--json` also prints the figures as one JSON line at the end (bench/all.ts reads it).
//   npm run bench:hibernation
//
// A basic tenant with one agent and a short idle window hibernates; a message is produced to its
// inbound topic (what the control plane does with an API call); the bench times the operator's wake
// decision (status.hibernation.wakeRequestedAt), the Deployment scaled up, the runtime ready and the
// reply event on the tenant's events topic. kwok pods run no containers, so a kubelet stand-in here
// starts the runtime as a local process from the Deployment's own container spec when the Deployment
// has replicas, and stops it when it goes back to zero (as e2e/platform/run.ts starts it). The
// runtime's start is part of the figure: a real pod would pull no image (cached) but start the same
// Node process. Then it measures the cost of one poll: the batched read of N inbound topics' end
// offsets against kafkajs's per-topic call.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { topicNames } from '@agentplane/shared';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import kafkajs from 'kafkajs';
import { installCrds } from '../../e2e/helpers/crds.ts';
import { testbedEnv } from '../../e2e/helpers/env.ts';
import { eventually } from '../../e2e/helpers/eventually.ts';
import { exclusive } from '../../e2e/helpers/exclusive.ts';
import { kubectlOk } from '../../e2e/helpers/kubectl.ts';
import { operatorKubeconfig, startOperator } from '../../e2e/helpers/operator.ts';
import { freePort } from '../../e2e/testbed/ports.ts';
import { createOffsetReader } from '../../operator/src/messaging/offsets.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    idle: { type: 'string', default: '5s' },
    poll: { type: 'string', default: '1s' },
    'poll-topics': { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const repoRoot = new URL('../../', import.meta.url).pathname;
const brokers = testbedEnv('KAFKA_BROKERS').split(',');
const kafka = new kafkajs.Kafka({
  clientId: 'bench-hibernation',
  brokers,
  logLevel: kafkajs.logLevel.NOTHING,
});
const kc = new KubeConfig();
kc.loadFromFile(testbedEnv('KUBECONFIG'));
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

const tenant = `bench-hib-${randomBytes(3).toString('hex')}`;
const instance = `${tenant}-cs`;
const pool = 'agentplane-pool-basic';
const inbound = topicNames.inbound(tenant, instance);
const events = topicNames.events(tenant);

const release = await exclusive('operator');
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  release();
});
await installCrds();
const operatorPort = await freePort();
const operator = startOperator({
  KUBECONFIG: await operatorKubeconfig(),
  OPERATOR_HTTP_ADDRESS: `127.0.0.1:${operatorPort}`,
  OPERATOR_HIBERNATION_POLL: values.poll as string,
  OPERATOR_HIBERNATION_IDLE: '1h',
  LOG_LEVEL: 'warn',
});

// biome-ignore lint/suspicious/noExplicitAny: wire-format JSON
type Json = Record<string, any>;
const getTenant = async () =>
  (await custom.getClusterCustomObject({
    group: 'agentplane.io',
    version: 'v1alpha1',
    plural: 'tenants',
    name: tenant,
  })) as Json;
const getDeployment = () => apps.readNamespacedDeployment({ name: `agent-${instance}`, namespace: pool });

await custom.createClusterCustomObject({
  group: 'agentplane.io',
  version: 'v1alpha1',
  plural: 'tenants',
  body: {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: tenant },
    spec: { tier: 'basic', hibernation: { mode: 'Auto', idleAfter: values.idle } },
  },
});
await eventually(async () => (await getTenant()).status?.phase === 'Ready', {
  what: 'the tenant',
  timeoutMs: 60_000,
});
await custom.createNamespacedCustomObject({
  group: 'agentplane.io',
  version: 'v1alpha1',
  namespace: pool,
  plural: 'agentinstances',
  body: {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'AgentInstance',
    metadata: { name: instance, namespace: pool },
    spec: { tenantRef: tenant, agent: 'customer-service', version: '2.1.0' },
  },
});

/** The kubelet stand-in: one local runtime while the Deployment wants replicas, none at zero. */
const runtime: { child?: ChildProcess; port?: number; startedAt?: number; readyAt?: number } = {};
async function startRuntime(deployment: Json): Promise<void> {
  const container = deployment.spec.template.spec.containers[0];
  const configMap = await core.readNamespacedConfigMap({ name: `agent-${instance}-config`, namespace: pool });
  const dir = mkdtempSync(join(tmpdir(), 'agentplane-bench-hib-'));
  writeFileSync(join(dir, 'agent.json'), configMap.data?.['agent.json'] ?? '{}');
  const env = Object.fromEntries(
    (container.env as Array<{ name: string; value?: string }>).flatMap((e) =>
      e.value === undefined ? [] : [[e.name, e.value]],
    ),
  );
  runtime.port = await freePort();
  runtime.startedAt = performance.now();
  delete runtime.readyAt;
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'runtime/src/main.ts'),
      ...(container.args as string[]).map((a) =>
        a === '/etc/agentplane/agent.json' ? join(dir, 'agent.json') : a,
      ),
    ],
    {
      env: {
        ...process.env,
        ...env,
        KAFKA_BROKERS: testbedEnv('KAFKA_BROKERS'),
        VAULT_ADDR: testbedEnv('VAULT_ADDR'),
        VAULT_TOKEN: testbedEnv('VAULT_TOKEN'),
        AGENTPLANE_HTTP_HOST: '127.0.0.1',
        AGENTPLANE_HTTP_PORT: String(runtime.port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  children.push(child);
  runtime.child = child;
}
let kubeletStopped = false;
const kubelet = (async () => {
  while (!kubeletStopped) {
    const deployment = (await getDeployment().catch(() => undefined)) as Json | undefined;
    const wanted = deployment?.spec?.replicas ?? 0;
    if (wanted > 0 && !runtime.child && deployment) await startRuntime(deployment);
    if (wanted === 0 && runtime.child) {
      const child = runtime.child;
      delete runtime.child;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    if (runtime.child && runtime.readyAt === undefined) {
      const ok = await fetch(`http://127.0.0.1:${runtime.port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) runtime.readyAt = performance.now();
    }
    await sleep(50);
  }
})();

/** Reply events by message id, with the time they were read. */
const replies = new Map<string, number>();
const reader = kafka.consumer({ groupId: `bench-hib-reader-${randomBytes(4).toString('hex')}` });
const admin = kafka.admin();
await admin.connect();
await eventually(async () => (await admin.listTopics()).includes(events), { what: 'the events topic' });
await reader.connect();
await reader.subscribe({ topic: events, fromBeginning: true });
await reader.run({
  eachMessage: async ({ message }) => {
    const id = message.headers?.['agentplane-message-id']?.toString();
    if (id && !replies.has(id)) replies.set(id, performance.now());
  },
});
const producer = kafka.producer();
await producer.connect();

interface Round {
  decision: number;
  scaled: number;
  runtimeReady: number;
  reply: number;
}
const results: Round[] = [];
// Wall clock and performance.now() side by side: status times are wall clock.
const wallAt = (iso: string, t0Perf: number, t0Wall: number) => Date.parse(iso) - t0Wall + t0Perf;

for (let round = 1; round <= rounds; round++) {
  await eventually(async () => (await getTenant()).status?.phase === 'Hibernating', {
    what: `round ${round}: the tenant to hibernate`,
    timeoutMs: 120_000,
    intervalMs: 200,
  });
  await eventually(async () => !runtime.child && ((await getDeployment()) as Json).spec.replicas === 0, {
    what: 'the runtime stopped',
    timeoutMs: 30_000,
  });
  const id = `wake-${round}-${randomBytes(3).toString('hex')}`;
  const t0Wall = Date.now();
  const t0 = performance.now();
  await producer.send({
    topic: inbound,
    messages: [
      {
        key: `conv-${round}`,
        value: JSON.stringify({
          id,
          tenant,
          conversationId: `conv-${round}`,
          text: 'Hi, what does the Pro plan cost for 20 seats? anna@example.com',
          receivedAt: new Date(t0Wall).toISOString(),
        }),
      },
    ],
  });
  let scaled = 0;
  await eventually(
    async () => {
      if (!scaled && ((await getDeployment()) as Json).spec.replicas !== 0) scaled = performance.now();
      return replies.has(id);
    },
    { what: `round ${round}: the reply`, timeoutMs: 120_000, intervalMs: 50 },
  );
  // The reply can beat the stand-in's next /readyz probe by a few milliseconds.
  await eventually(() => runtime.readyAt !== undefined, { what: 'the runtime ready', timeoutMs: 10_000 });
  const status = await eventually(
    async () => {
      const h = (await getTenant()).status?.hibernation;
      return h?.state === 'Awake' && Date.parse(h.wakeRequestedAt ?? '') >= t0Wall - 1000 && h;
    },
    { what: 'the wake recorded in status', timeoutMs: 30_000 },
  );
  const r: Round = {
    decision: wallAt(status.wakeRequestedAt, t0, t0Wall) - t0,
    scaled: scaled - t0,
    runtimeReady: (runtime.readyAt ?? Number.NaN) - t0,
    reply: (replies.get(id) ?? Number.NaN) - t0,
  };
  results.push(r);
  console.log(
    `round ${round}: decision ${ms(r.decision)}, Deployment scaled ${ms(r.scaled)}, runtime ready ${ms(r.runtimeReady)}, ` +
      `first reply ${ms(r.reply)} (status.lastWakeSeconds ${status.lastWakeSeconds}s: decision → agents Ready under kwok)`,
  );
}

const median = (pick: (r: Round) => number) => {
  const sorted = results.map(pick).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
console.log(`
wake-to-first-reply, median of ${rounds} round(s), poll ${values.poll}, from the produce of the message:
  operator sees it and decides to wake  ${ms(median((r) => r.decision))}
  Deployment scaled up                  ${ms(median((r) => r.scaled))}
  runtime process ready (local start)   ${ms(median((r) => r.runtimeReady))}
  first reply on the events topic       ${ms(median((r) => r.reply))}
`);

console.log(
  `$ kubectl get tenant ${tenant} -o wide\n${await kubectlOk(['get', 'tenant', tenant, '-o', 'wide'])}`,
);
// Resident memory of the awake runtime and of the operator, from their own /metrics.
const rssOf = (port: number | undefined) =>
  fetch(`http://127.0.0.1:${port}/metrics`)
    .then((r) => r.text())
    .then((text) =>
      Number(/^process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? Number.NaN),
    )
    .catch(() => Number.NaN);
const rssBytes = { runtime: await rssOf(runtime.port), operator: await rssOf(operatorPort) };
kubeletStopped = true;
await kubelet;
if (runtime.child) {
  runtime.child.kill('SIGTERM');
  await new Promise((resolve) => runtime.child?.once('exit', resolve));
}
await custom.deleteClusterCustomObject({
  group: 'agentplane.io',
  version: 'v1alpha1',
  plural: 'tenants',
  name: tenant,
});
await Promise.all([reader.disconnect(), producer.disconnect()]);

// The cost of one poll: end offsets of N inbound topics, batched vs kafkajs's per-topic call.
const n = Number(values['poll-topics']);
let poll: { topics: number; batchedMs: number; perTopicMs: number } | undefined;
if (n > 0) {
  const prefix = `agentplane.bench-poll-${randomBytes(3).toString('hex')}`;
  const topics = Array.from({ length: n }, (_, i) => `${prefix}.agent.a${i}.inbound`);
  // A busy broker may answer createTopics' wait for leaders with an error: the waits below settle it.
  for (let i = 0; i < n; i += 50)
    await admin
      .createTopics({ topics: topics.slice(i, i + 50).map((topic) => ({ topic, numPartitions: 1 })) })
      .catch(() => undefined);
  const offsets = createOffsetReader({ brokers, clientId: 'bench-hibernation-poll' });
  // Connect and load metadata once, as a running operator has; brand-new topics may need a moment.
  await eventually(
    () =>
      offsets.endOffsets(topics).then(
        () => true,
        () => false,
      ),
    { what: 'the new topics to be readable', timeoutMs: 30_000 },
  );
  await eventually(
    () =>
      Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic))).then(
        () => true,
        () => false,
      ),
    { what: 'every new topic to have a leader', timeoutMs: 30_000 },
  );
  const batched: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await offsets.endOffsets(topics);
    batched.push(performance.now() - t);
  }
  const t = performance.now();
  for (let i = 0; i < n; i += 8)
    await Promise.all(topics.slice(i, i + 8).map((topic) => admin.fetchTopicOffsets(topic)));
  const perTopic = performance.now() - t;
  batched.sort((a, b) => a - b);
  console.log(`one poll of ${n} inbound topics (1 partition each):
  batched (one Metadata + one ListOffsets per broker)  ${ms(batched[2] ?? Number.NaN)} (median of 5)
  kafkajs fetchTopicOffsets per topic, 8 at a time     ${ms(perTopic)} (${2 * n} ListOffsets requests)
`);
  poll = { topics: n, batchedMs: batched[2] ?? Number.NaN, perTopicMs: perTopic };
  await offsets.close();
  for (let i = 0; i < n; i += 100) await admin.deleteTopics({ topics: topics.slice(i, i + 100) });
}
await admin.disconnect();

const code = await operator.stop();
if (code !== 0) console.error(`operator exited with ${code}\n${operator.output().slice(-2000)}`);
if (values.json) {
  const figures = {
    bench: 'hibernation',
    rounds,
    pollInterval: values.poll,
    wakeMs: {
      decision: median((r) => r.decision),
      scaled: median((r) => r.scaled),
      runtimeReady: median((r) => r.runtimeReady),
      firstReply: median((r) => r.reply),
      firstReplyAll: results.map((r) => r.reply),
    },
    rssBytes,
    poll,
  };
  console.log(JSON.stringify(figures));
}
process.exit(0);

function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}
