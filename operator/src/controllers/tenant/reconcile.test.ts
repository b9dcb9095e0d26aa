import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tenant, TenantSpec } from '@agentplane/crds';
import type { Desired } from './desired.ts';
import { reconcileTenant, type TenantReconcileDeps, tenantFinalizer } from './reconcile.ts';
import type { ConditionFact } from './status.ts';

function tenant(
  spec: Partial<TenantSpec> & Pick<TenantSpec, 'tier'>,
  meta: Partial<Tenant['metadata']> = {},
): Tenant {
  return {
    metadata: { name: 'acme', uid: 'uid-acme', generation: 2, finalizers: [tenantFinalizer], ...meta },
    spec,
  };
}

/** Records what the reconcile asked for; `failKinds` makes applies of those kinds fail. */
function world(current: Tenant, failKinds: string[] = []) {
  const applied: Desired[] = [];
  const statuses: Array<{ status: Record<string, unknown>; conditions: ConditionFact[] }> = [];
  const log: string[] = [];
  const deps: TenantReconcileDeps = {
    getTenant: (name) => (name === current.metadata.name ? current : undefined),
    countAgentInstances: () => 1,
    runtimeObjectNames: () => ['agent-support-config'],
    cleanups: [async () => void log.push('cleanup')],
    egress: [],
    poolQuota: { cpu: '64', memory: '128Gi', pods: 500 },
    actions: {
      apply: async (object) => {
        if (failKinds.includes(object.kind)) throw new Error(`${object.kind} forbidden`);
        applied.push(object);
      },
      ensureFinalizer: async () => void log.push('ensureFinalizer'),
      removeFinalizer: async () => void log.push('removeFinalizer'),
      writeStatus: async (_t, status, conditions) => void statuses.push({ status, conditions }),
      event: (_t, type, reason) => void log.push(`${type}:${reason}`),
    },
  };
  return { deps, applied, statuses, log };
}

const kinds = (objects: Desired[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('reconcileTenant', () => {
  it('builds a dedicated home and reports it Ready', async () => {
    const w = world(tenant({ tier: 'enterprise', owners: ['alice@acme.example'] }));
    await reconcileTenant('acme', w.deps);
    assert.deepEqual(kinds(w.applied), [
      'Namespace/tenant-acme',
      'ServiceAccount/tenant-acme-runtime',
      'Role/tenant-acme-runtime',
      'RoleBinding/tenant-acme-runtime',
      'RoleBinding/tenant-acme-owners',
      'ResourceQuota/tenant-acme',
      'LimitRange/tenant-acme',
      'NetworkPolicy/tenant-acme-isolation',
    ]);
    const [written] = w.statuses;
    assert.equal(written?.status.phase, 'Ready');
    assert.equal(written?.status.observedGeneration, 2);
    assert.deepEqual(written?.status.home, {
      namespace: 'tenant-acme',
      isolation: 'dedicated',
      tier: 'enterprise',
    });
    assert.deepEqual(
      written?.conditions.map((c) => `${c.type}=${c.status}`),
      ['NamespaceReady=True', 'QuotaApplied=True', 'NetworkIsolated=True', 'Ready=True'],
    );
  });

  it('gives a shared tenant its identity and policy in the pool, which belongs to no tenant', async () => {
    const w = world(tenant({ tier: 'pro' }));
    await reconcileTenant('acme', w.deps);
    const pool = w.applied.find((o) => o.kind === 'Namespace');
    assert.equal(pool?.metadata.name, 'agentplane-pool-pro');
    assert.equal(pool?.metadata.ownerReferences, undefined);
    assert.ok(kinds(w.applied).includes('ResourceQuota/agentplane-pool'));
    assert.equal(w.statuses[0]?.conditions.find((c) => c.type === 'QuotaApplied')?.reason, 'PoolQuota');
  });

  it('keeps going past a failed step, reports it, and fails the reconcile so it is retried', async () => {
    const w = world(tenant({ tier: 'enterprise' }), ['NetworkPolicy']);
    await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
    const ready = w.statuses[0]?.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.match(ready?.message ?? '', /NetworkIsolated: NetworkPolicy forbidden/);
    assert.ok(w.log.includes('Warning:NetworkIsolatedFailed'));
  });

  it('runs the clean-ups before releasing a deleted tenant, and only then', async () => {
    const w = world(tenant({ tier: 'pro' }, { deletionTimestamp: new Date() as unknown as string }));
    await reconcileTenant('acme', w.deps);
    assert.deepEqual(w.log, ['cleanup', 'removeFinalizer']);
    assert.equal(w.applied.length, 0, 'nothing is built for a tenant being deleted');
  });
});
