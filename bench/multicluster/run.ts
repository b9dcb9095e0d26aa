// bench/multicluster: the hub places N tenants (default 300) across three member clusters, each with
// its own operator, through the API, and prints: the time until every tenant is Ready as the hub's
// watch caches see it, placement decisions per second (through the API, and of the pure decision),
// where the tenants landed, and the hub's watch memory per member.
//
//   source .testbed/env && node --expose-gc bench/multicluster/run.ts [--tenants 300] [--concurrency 8] [--json]
// `--json` also prints the figures as one JSON line at the end (bench/all.ts reads it).
// (or: node e2e/testbed/cli.ts run -- node --expose-gc bench/multicluster/run.ts, with a bed of its own)
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Tenant } from '@agentplane/crds';
import {
  type ClusterSnapshot,
  decidePlacement,
  tenantNeed,
} from '../../control-plane/src/multicluster/placement.ts';
import { registration, startBed } from '../../e2e/specs/multicluster/fixture.ts';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.tenants);
const concurrency = Number(values.concurrency);
const tiers = ['basic', 'pro', 'pro', 'basic', 'enterprise'] as const;
const watchMemory = fileURLToPath(new URL('./watch-memory.ts', import.meta.url));

const heapUsed = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// Production-like intervals: a re-sync of every tenant each minute, a probe every 5 s.
const bed = await startBed(
  [
    { prefix: 'bench-a', env: { OPERATOR_CONCURRENCY: '8', OPERATOR_RESYNC: '10m' } },
    { prefix: 'bench-b', env: { OPERATOR_CONCURRENCY: '8', OPERATOR_RESYNC: '10m' } },
    { prefix: 'bench-c', env: { OPERATOR_CONCURRENCY: '8', OPERATOR_RESYNC: '10m' } },
  ],
  { hubSettings: { probeIntervalMs: 5_000, resyncMs: 60_000, concurrency: 8 }, drainTimeoutMs: 900_000 },
);
process.on('exit', () => {
  for (const member of bed.members) member.operator?.child.kill('SIGKILL');
});

try {
  const inject = (method: 'GET' | 'POST', url: string, payload?: object) =>
    bed.hub.app.inject({ method, url, headers: bed.hub.admin, ...(payload ? { payload } : {}) });
  const capacity = { maxTenants: count, cpu: `${count * 40}`, memory: `${count * 80}Gi` };
  for (const member of bed.members) {
    const labels = { 'agentplane.io/dedicated-tenants': 'true' };
    const res = await inject('POST', '/v1/clusters', registration(member, 'eu', { labels, capacity }));
    if (res.statusCode !== 201) throw new Error(`register ${member.name}: ${res.body}`);
  }
  while (bed.hub.hub.members().some((m) => m.health().state !== 'Ready')) await sleep(500);

  const names = Array.from({ length: count }, (_, i) => `b${i}-${Math.random().toString(16).slice(2, 8)}`);
  const started = performance.now();
  let next = 0;
  const latencies: number[] = [];
  const create = async () => {
    while (next < names.length) {
      const i = next++;
      const sent = performance.now();
      const res = await inject('POST', '/v1/tenants', {
        name: names[i],
        tier: tiers[i % tiers.length],
        region: 'eu',
      });
      latencies.push(performance.now() - sent);
      if (res.statusCode !== 201) throw new Error(`tenant ${names[i]}: ${res.statusCode} ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, create));
  const placedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);

  const ready = (t: Tenant) => t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const readyCount = () =>
    bed.hub.hub.members().reduce((sum, m) => sum + m.tenants.list().filter((t) => ready(t)).length, 0);
  let lastReport = performance.now();
  while (readyCount() < count) {
    if (performance.now() - lastReport > 15_000) {
      console.log(`  … ${readyCount()} of ${count} Ready after ${seconds(performance.now() - started)}`);
      lastReport = performance.now();
    }
    if (performance.now() - started > 1_800_000)
      throw new Error(`only ${readyCount()} of ${count} Ready after 30 min`);
    await sleep(200);
  }
  const readyMs = performance.now() - started;

  // The pure decision on a snapshot like the one the API used (three clusters, some usage).
  const snapshot: ClusterSnapshot[] = bed.hub.hub.members().map((m, i) => ({
    name: m.name,
    region: 'eu',
    labels: { 'agentplane.io/dedicated-tenants': 'true' },
    health: 'Ready',
    capacity: { maxTenants: count, cpuMillis: count * 40_000, memoryBytes: count * 80 * 2 ** 30 },
    used: { tenants: 100 + i, cpuMillis: 500_000, memoryBytes: 2 ** 40 },
  }));
  const need = tenantNeed({ tier: 'pro', isolation: null, region: 'eu' });
  const rounds = 200_000;
  const pureStart = performance.now();
  for (let i = 0; i < rounds; i++)
    decidePlacement(need, snapshot, { enterpriseLabel: { key: 'x', value: 'y' } });
  const pureMs = performance.now() - pureStart;

  // Watch memory: the hub's two informers for one member, measured alone in a quiet child process
  // (this one is busy reconciling), with that member's objects.
  const memory: string[] = [];
  const watchMemoryPerMember: Array<{
    member: string;
    objects: number;
    heapBytes: number;
    jsonBytes: number;
  }> = [];
  for (const member of bed.members) {
    const child = spawnSync(process.execPath, ['--expose-gc', watchMemory, member.cluster.kubeconfig], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`watch-memory: ${child.stderr}`);
    const { objects, heapBytes, jsonBytes } = JSON.parse(child.stdout) as Record<string, number>;
    watchMemoryPerMember.push({
      member: member.name,
      objects: objects ?? 0,
      heapBytes: heapBytes ?? 0,
      jsonBytes: jsonBytes ?? 0,
    });
    memory.push(
      `${member.name}: ${mib(heapBytes ?? 0)} heap for ${objects} objects (${mib(jsonBytes ?? 0)} as JSON)`,
    );
  }

  const placement = bed.hub.hub
    .members()
    .map((m) => `${m.name} ${m.tenants.list().length}`)
    .join(', ');
  console.log(
    `\nmulti-cluster bench: ${count} tenants (basic/pro/enterprise 2:2:1), 3 members, API concurrency ${concurrency}`,
  );
  console.log(
    `  placed through the API     ${seconds(placedMs)}  (${(count / (placedMs / 1000)).toFixed(1)} decisions/s, each stored and applied to its member)`,
  );
  console.log(
    `  POST /v1/tenants latency   p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms (decisions are serialised)`,
  );
  console.log(
    `  pure placement decision    ${((rounds / pureMs) * 1000).toFixed(0)} decisions/s  (3 clusters)`,
  );
  console.log(`  all Ready (hub's caches)   ${seconds(readyMs)} after the first request`);
  console.log(`  landed                     ${placement}`);
  console.log('  watch memory per member');
  for (const line of memory) console.log(`    ${line}`);
  const collected = globalThis.gc ? '' : ' (not collected first: run with --expose-gc)';
  const hubHeapBytes = heapUsed();
  console.log(`  hub process heap now       ${mib(hubHeapBytes)}${collected}`);
  if (values.json) {
    const figures = {
      bench: 'multicluster',
      tenants: count,
      members: bed.members.length,
      concurrency,
      placedSeconds: placedMs / 1000,
      decisionsPerSecond: count / (placedMs / 1000),
      postLatencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
      pureDecisionsPerSecond: (rounds / pureMs) * 1000,
      readySeconds: readyMs / 1000,
      landed: Object.fromEntries(bed.hub.hub.members().map((m) => [m.name, m.tenants.list().length])),
      watchMemoryPerMember,
      hubHeapBytes,
      hubRssBytes: process.memoryUsage().rss,
    };
    console.log(JSON.stringify(figures));
  }
} finally {
  await bed.close();
}
