import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentInstance, Tenant, TenantSpec } from '@agentplane/crds';
import type { Desired } from './desired.ts';
import { reconcileTenant, type TenantReconcileDeps, tenantFinalizer } from './reconcile.ts';
import type { ConditionFact } from './status.ts';

function tenant(
  spec: Partial<TenantSpec> & Pick<TenantSpec, 'tier'>,
  meta: Partial<Tenant['metadata']> = {},
  status?: Tenant['status'],
): Tenant {
  return {
    metadata: { name: 'acme', uid: 'uid-acme', generation: 2, finalizers: [tenantFinalizer], ...meta },
    spec,
    ...(status ? { status } : {}),
  };
}

/** Records what the reconcile asked for; `failKinds` makes applies of those kinds fail. */
function world(
  current: Tenant,
  failKinds: string[] = [],
  instances: AgentInstance[] = [],
  kafkaDown = false,
) {
  const applied: Desired[] = [];
  const removed: string[] = [];
  const statuses: Array<{ status: Record<string, unknown>; conditions: ConditionFact[] }> = [];
  const log: string[] = [];
  const deps: TenantReconcileDeps = {
    getTenant: (name) => (name === current.metadata.name ? current : undefined),
    agentInstancesOf: () => instances,
    ensureTenantTopics: async (_tenant, settings) => {
      log.push(`topics:${settings.messaging.partitions}`);
      return kafkaDown
        ? { type: 'MessagingReady', status: 'False', reason: 'KafkaUnavailable', message: 'no broker' }
        : { type: 'MessagingReady', status: 'True', reason: 'TopicsReady', message: 'in place' };
    },
    runtimeObjectNames: () => ['agent-support-config'],
    cleanups: [async () => void log.push('cleanup')],
    egress: [],
    poolQuota: { cpu: '64', memory: '128Gi', pods: 500 },
    actions: {
      apply: async (object) => {
        if (failKinds.includes(object.kind)) throw new Error(`${object.kind} forbidden`);
        applied.push(object);
      },
      remove: async (object) =>
        void removed.push(`${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`),
      ensureFinalizer: async () => void log.push('ensureFinalizer'),
      removeFinalizer: async () => void log.push('removeFinalizer'),
      writeStatus: async (_t, status, conditions) => void statuses.push({ status, conditions }),
      event: (_t, type, reason) => void log.push(`${type}:${reason}`),
    },
  };
  return { deps, applied, removed, statuses, log };
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
      [
        'NamespaceReady=True',
        'QuotaApplied=True',
        'NetworkIsolated=True',
        'MessagingReady=True',
        'Ready=True',
      ],
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

  it('keeps the Kubernetes home when Kafka is down, reports it, and retries', async () => {
    const w = world(tenant({ tier: 'enterprise', messaging: { partitions: 6 } }), [], [], true);
    await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
    assert.ok(w.log.includes('topics:6'), 'the spec reaches the topics');
    assert.ok(
      w.applied.some((o) => o.kind === 'NetworkPolicy'),
      'the rest of the home is still built',
    );
    const messaging = w.statuses[0]?.conditions.find((c) => c.type === 'MessagingReady');
    assert.equal(messaging?.reason, 'KafkaUnavailable');
    assert.ok(w.log.includes('Warning:KafkaUnavailable'));
    assert.deepEqual((w.statuses[0]?.status as { topics?: unknown } | undefined)?.topics, {
      events: 'agentplane.acme.events',
      deadLetter: 'agentplane.acme.dlq',
    });
  });

  it('reports Vault down as SecretsReady=False/VaultUnavailable, keeps the rest, and retries', async () => {
    const w = world(tenant({ tier: 'enterprise', secrets: { vaultPath: 'tenants/acme/prod' } }));
    const paths: string[] = [];
    w.deps.ensureTenantSecrets = async (_plan, path) => {
      paths.push(path);
      return {
        type: 'SecretsReady',
        status: 'False',
        reason: 'VaultUnavailable',
        message: 'connect ECONNREFUSED',
      };
    };
    await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
    assert.deepEqual(paths, ['tenants/acme/prod'], "the tenant's own path from spec.secrets");
    assert.equal(
      w.statuses[0]?.conditions.find((c) => c.type === 'SecretsReady')?.reason,
      'VaultUnavailable',
    );
    assert.equal(w.statuses[0]?.conditions.find((c) => c.type === 'NamespaceReady')?.status, 'True');
    assert.ok(w.log.includes('Warning:VaultUnavailable'));
  });

  it('runs the clean-ups before releasing a deleted tenant, and only then', async () => {
    const w = world(tenant({ tier: 'pro' }, { deletionTimestamp: new Date() as unknown as string }));
    await reconcileTenant('acme', w.deps);
    assert.deepEqual(w.log, ['cleanup', 'removeFinalizer']);
    assert.equal(w.applied.length, 0, 'nothing is built for a tenant being deleted');
  });

  describe('a change of isolation', () => {
    const moved = (status: Tenant['status']) => tenant({ tier: 'pro', isolation: 'dedicated' }, {}, status);
    const agent = (namespace: string, ready: boolean): AgentInstance => ({
      metadata: { name: 'support', namespace, uid: `uid-${namespace}` },
      spec: { tenantRef: 'acme', agent: 'customer-service', version: '2.1.0' },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: 'r',
            message: 'm',
            lastTransitionTime: '2026-11-23T09:00:00Z',
          },
        ],
      },
    });
    const wasShared = {
      home: { namespace: 'agentplane-pool-pro', isolation: 'shared' as const, tier: 'pro' as const },
    };

    it('builds the new home first and copies each agent there, keeping the old home in status', async () => {
      const w = world(moved(wasShared), [], [agent('agentplane-pool-pro', true)]);
      const result = await reconcileTenant('acme', w.deps);
      assert.deepEqual(result, { requeueAfterMs: 2000 }, 'looks again while moving');
      assert.equal(w.applied[0]?.metadata.name, 'tenant-acme', 'the new namespace comes first');
      const copy = w.applied.find((o) => o.kind === 'AgentInstance');
      assert.equal(copy?.metadata.namespace, 'tenant-acme');
      assert.deepEqual(w.removed, [], 'nothing is removed before the copy is Ready');
      const status = w.statuses[0]?.status as {
        home: { namespace: string };
        moving: { step: string };
        phase: string;
      };
      assert.equal(status.home.namespace, 'agentplane-pool-pro');
      assert.equal(status.moving.step, 'MovingAgents');
      assert.equal(status.phase, 'Provisioning');
    });

    it('removes an old agent once its copy is Ready, then the old home, and settles', async () => {
      const inBoth = world(
        moved(wasShared),
        [],
        [agent('agentplane-pool-pro', true), agent('tenant-acme', true)],
      );
      await reconcileTenant('acme', inBoth.deps);
      assert.deepEqual(inBoth.removed, ['AgentInstance/agentplane-pool-pro/support']);

      const onlyNew = world(moved(wasShared), [], [agent('tenant-acme', true)]);
      assert.equal(await reconcileTenant('acme', onlyNew.deps), undefined);
      assert.deepEqual(onlyNew.removed.sort(), [
        'NetworkPolicy/agentplane-pool-pro/tenant-acme-isolation',
        'Role/agentplane-pool-pro/tenant-acme-runtime',
        'RoleBinding/agentplane-pool-pro/tenant-acme-runtime',
        'ServiceAccount/agentplane-pool-pro/tenant-acme-runtime',
      ]);
      const status = onlyNew.statuses[0]?.status as { home: { namespace: string }; moving?: unknown };
      assert.equal(status.home.namespace, 'tenant-acme');
      assert.equal(status.moving, undefined);
      assert.ok(onlyNew.log.includes('Normal:Moved'));
    });
  });
});
