import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterSnapshot, decidePlacement, type TenantNeed, tenantNeed } from './placement.ts';

const GiB = 2 ** 30;
const rules = { enterpriseLabel: { key: 'agentplane.io/dedicated-tenants', value: 'true' } };

type Modifier = (c: ClusterSnapshot) => ClusterSnapshot;
const cluster = (name: string, ...modifiers: Modifier[]): ClusterSnapshot =>
  modifiers.reduce((c, m) => m(c), {
    name,
    region: 'eu',
    labels: {},
    health: 'Ready',
    capacity: { maxTenants: 10, cpuMillis: 100_000, memoryBytes: 200 * GiB },
    used: { tenants: 0, cpuMillis: 0, memoryBytes: 0 },
  } as ClusterSnapshot);
const inRegion =
  (region: string): Modifier =>
  (c) => ({ ...c, region });
const withLabel =
  (key: string, value: string): Modifier =>
  (c) => ({ ...c, labels: { ...c.labels, [key]: value } });
const withHealth =
  (health: ClusterSnapshot['health']): Modifier =>
  (c) => ({ ...c, health });
const using =
  (tenants: number, cpuMillis = 0, memoryBytes = 0): Modifier =>
  (c) => ({
    ...c,
    used: { tenants, cpuMillis, memoryBytes },
  });
const need = (overrides: Partial<TenantNeed> = {}): TenantNeed => ({
  tier: 'pro',
  region: 'eu',
  cpuMillis: 8_000,
  memoryBytes: 16 * GiB,
  ...overrides,
});

describe('decidePlacement', () => {
  it('prefers the healthy cluster of the region with the most headroom, and says why for each', () => {
    const decision = decidePlacement(
      need(),
      [
        cluster('a', using(5)),
        cluster('b', using(1)),
        cluster('c', inRegion('us')),
        cluster('d', withHealth('Unreachable')),
      ],
      rules,
    );
    assert.equal(decision.cluster, 'b');
    const byName = Object.fromEntries(decision.candidates.map((c) => [c.cluster, c]));
    assert.match(byName.b?.reasons.join() ?? '', /chosen: most headroom/);
    assert.match(byName.a?.reasons.join() ?? '', /fits, but b has more headroom/);
    assert.deepEqual(byName.c?.reasons, ["region us is not the tenant's region eu"]);
    assert.deepEqual(byName.d?.reasons, ['health is Unreachable']);
    assert.equal(byName.d?.headroom, null);
  });

  it('puts enterprise tenants only on clusters labelled for them', () => {
    const clusters = [
      cluster('shared'),
      cluster('dedicated', withLabel('agentplane.io/dedicated-tenants', 'true')),
    ];
    assert.equal(decidePlacement(need({ tier: 'enterprise' }), clusters, rules).cluster, 'dedicated');
    assert.equal(
      decidePlacement(need({ tier: 'enterprise' }), clusters, {}).cluster,
      'dedicated',
      'ties go by name',
    );
    assert.equal(decidePlacement(need({ tier: 'enterprise' }), [cluster('shared')], rules).cluster, null);
  });

  it('refuses a full cluster and one without CPU or memory for the quota', () => {
    const decision = decidePlacement(
      need(),
      [cluster('full', using(10)), cluster('cpu', using(1, 95_000)), cluster('mem', using(1, 0, 190 * GiB))],
      rules,
    );
    assert.equal(decision.cluster, null);
    const reasons = decision.candidates.map((c) => c.reasons.join());
    assert.deepEqual(reasons, [
      'not enough CPU: the tenant needs 8 CPU, 5 CPU free',
      'full: 10 of 10 tenants placed',
      'not enough memory: the tenant needs 16 GiB, 10 GiB free',
    ]);
  });

  it('a tenant without a region may go anywhere', () => {
    assert.equal(decidePlacement(need({ region: null }), [cluster('x', inRegion('ap'))], rules).cluster, 'x');
  });

  it('a pin names the only cluster and waives region and labels, not health or capacity', () => {
    const clusters = [
      cluster('eu-1'),
      cluster('us-1', inRegion('us')),
      cluster('down', withHealth('OperatorMissing')),
    ];
    const pinned = decidePlacement(need({ tier: 'enterprise' }), clusters, rules, 'us-1');
    assert.equal(pinned.cluster, 'us-1');
    assert.match(
      pinned.candidates.find((c) => c.cluster === 'us-1')?.reasons.join() ?? '',
      /pinned by an administrator/,
    );
    assert.match(pinned.candidates.find((c) => c.cluster === 'eu-1')?.reasons.join() ?? '', /pinned to us-1/);
    assert.equal(decidePlacement(need(), clusters, rules, 'down').cluster, null);
  });
});

describe('tenantNeed', () => {
  it("takes the tier's quota", () => {
    assert.deepEqual(tenantNeed({ tier: 'basic', isolation: null, region: 'eu' }), {
      tier: 'basic',
      region: 'eu',
      cpuMillis: 2_000,
      memoryBytes: 4 * GiB,
    });
  });
});
