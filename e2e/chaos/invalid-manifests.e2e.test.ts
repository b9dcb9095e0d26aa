// Generated invalid Tenants and AgentInstances, sent to the real API server (server-side dry run:
// the whole validation chain, CEL included, and nothing stored). Every one must be refused, and the
// refusal must name the field that is wrong, so a person can fix it. Seeded: a failure prints the
// seed and the manifest; CHAOS_SEED=<n> replays a run, CHAOS_MANIFESTS=<n> makes it longer.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { installCrds } from '../helpers/crds.ts';
import { kubectl } from '../helpers/kubectl.ts';

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
};

/** mulberry32: small, seedable, good enough to pick cases. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = ReturnType<typeof random>;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const int = (rand: Rand, min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
const word = (rand: Rand, length: number) =>
  Array.from({ length }, () => pick(rand, [...'abcdefghijklmnopqrstuvwxyz0123456789'])).join('');

const tenant = (name: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: 'agentplane.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name },
  spec: { tier: 'pro', ...spec },
});
const agent = (spec: Record<string, unknown>, name = 'fuzz'): Manifest => ({
  apiVersion: 'agentplane.io/v1alpha1',
  kind: 'AgentInstance',
  metadata: { name, namespace: 'default' },
  spec: { tenantRef: 'acme', agent: 'customer-service', version: '1.0.0', ...spec },
});

/** One family of mistakes: makes an invalid manifest and says which field the refusal must name. */
interface Family {
  field: string;
  make(rand: Rand, name: string): Manifest;
}

const families: Family[] = [
  { field: 'spec.tier', make: (r, n) => tenant(n, { tier: pick(r, ['gold', 'Basic', '', 'free', 'PRO']) }) },
  { field: 'spec.tier', make: (r, n) => ({ ...tenant(n, {}), spec: { displayName: word(r, 5) } }) },
  { field: 'spec.isolation', make: (_r, n) => tenant(n, { tier: 'basic', isolation: 'dedicated' }) },
  {
    field: 'spec.isolation',
    make: (r, n) => tenant(n, { isolation: pick(r, ['private', 'own', 'Shared']) }),
  },
  { field: 'metadata.name', make: (r) => tenant(`t${word(r, int(r, 40, 60))}`, {}) },
  { field: 'metadata.name', make: (r) => tenant(`${word(r, 4)}.${word(r, 3)}`, {}) },
  {
    field: 'spec.quota.cpu',
    make: (r, n) => tenant(n, { quota: { cpu: pick(r, ['lots', '-1', '0', '1 core', '2cpu', 0, -4]) } }),
  },
  {
    field: 'spec.quota.memory',
    make: (r, n) => tenant(n, { quota: { memory: pick(r, ['8gi', '8 Gi', 'big', '-1Gi', '0']) } }),
  },
  { field: 'spec.quota.pods', make: (r, n) => tenant(n, { quota: { pods: pick(r, [0, -1, 10_001]) } }) },
  {
    field: 'spec.quota.maxAgentInstances',
    make: (r, n) => tenant(n, { quota: { maxAgentInstances: -int(r, 1, 100) } }),
  },
  {
    field: 'spec.messaging.partitions',
    make: (r, n) => tenant(n, { messaging: { partitions: pick(r, [0, -1, int(r, 101, 5000)]) } }),
  },
  {
    field: 'spec.messaging.retentionHours',
    make: (r, n) => tenant(n, { messaging: { retentionHours: pick(r, [0, -5, int(r, 8761, 100_000)]) } }),
  },
  {
    field: 'spec.secrets.vaultPath',
    make: (r, n) =>
      tenant(n, { secrets: { vaultPath: pick(r, [`tenants/${word(r, 6)}`, 'secret/x', '/tenants']) } }),
  },
  {
    field: 'spec.secrets.required[0].key',
    make: (r, n) => tenant(n, { secrets: { required: [{ key: pick(r, ['a key', 'k/ey', '', 'é']) }] } }),
  },
  {
    field: 'spec.secrets.projected',
    make: (r, n) => {
      const key = word(r, 5);
      return tenant(n, {
        secrets: { projected: [{ key }, { path: word(r, 3), key: word(r, 4), secretKey: key }] },
      });
    },
  },
  { field: 'spec.owners', make: (r, n) => tenant(n, { owners: `alice${word(r, 2)}` }) },
  { field: 'spec.suspended', make: (r, n) => tenant(n, { suspended: pick(r, ['yes', 1, 'true']) }) },
  { field: 'spec.agent', make: (r) => agent({ agent: pick(r, ['custom', 'support', 'Sales', '']) }) },
  {
    field: 'spec.version',
    make: (r) => agent({ version: pick(r, ['v2', '2', '2.1', 'latest', '2.1.0.1']) }),
  },
  { field: 'spec.tenantRef', make: (r) => agent({ tenantRef: pick(r, ['', 'Acme', 'a.b', word(r, 41)]) }) },
  { field: 'spec.replicas', make: (r) => agent({ replicas: pick(r, [-1, int(r, 101, 1000)]) }) },
  {
    field: 'spec.replicas',
    make: (r) => agent({ replicas: int(r, 6, 9), autoscaling: { minReplicas: 1, maxReplicas: 5 } }),
  },
  {
    field: 'spec.autoscaling.minReplicas',
    make: (r) => agent({ replicas: 2, autoscaling: { minReplicas: int(r, 3, 9), maxReplicas: 2 } }),
  },
  {
    field: 'spec.model.temperature',
    make: (r) => agent({ model: { name: 'gpt-4o-mini', temperature: pick(r, [-0.5, 2.5, 7]) } }),
  },
  {
    field: 'spec.knowledge.topK',
    make: (r) => agent({ knowledge: { topK: pick(r, [0, -1, int(r, 51, 500)]) } }),
  },
  { field: 'metadata.name', make: (r) => agent({}, `${word(r, 3)}_${word(r, 3)}`) },
];

describe('chaos: generated invalid manifests', () => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  const count = Number(process.env.CHAOS_MANIFESTS ?? 100);
  before(installCrds);

  it(`refuses every one of ${count} generated invalid manifests, naming the field (seed ${seed})`, async () => {
    const rand = random(seed);
    const problems: string[] = [];
    let refused = 0;
    // Every family at least once, then random ones.
    const plan = Array.from({ length: count }, (_, i) => families[i] ?? pick(rand, families));
    for (const [i, family] of plan.entries()) {
      const manifest = family.make(rand, `fuzz-${seed}-${i}`);
      const result = await kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], {
        stdin: JSON.stringify(manifest),
      });
      if (result.code === 0) problems.push(`accepted: ${JSON.stringify(manifest)}`);
      else if (!result.stderr.includes(family.field))
        problems.push(
          `refused without naming ${family.field}: ${result.stderr.trim()} for ${JSON.stringify(manifest)}`,
        );
      else refused += 1;
    }
    console.log(`invalid manifests: ${plan.length} sent, ${refused} refused naming the field (seed ${seed})`);
    assert.deepEqual(problems, [], `seed ${seed}`);
  });
});
