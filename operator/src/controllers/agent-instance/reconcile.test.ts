import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentInstance, AgentInstanceSpec, Tenant, TenantSpec } from '@agentplane/crds';
import type { V1Deployment } from '@kubernetes/client-node';
import { runtimeDefaults } from '../../defaults.ts';
import type { Desired } from '../tenant/desired.ts';
import type { ConditionFact } from '../tenant/status.ts';
import { type AgentReconcileDeps, reconcileAgentInstance } from './reconcile.ts';

const tenant = (spec: Partial<TenantSpec> = {}): Tenant => ({
  metadata: { name: 'acme', uid: 'uid-acme' },
  spec: { tier: 'pro', ...spec },
});

function instance(
  name: string,
  spec: Partial<AgentInstanceSpec> = {},
  namespace = 'agentplane-pool-pro',
): AgentInstance {
  return {
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      generation: 1,
      creationTimestamp: `2026-11-23T08:00:0${name.length % 10}Z`,
    },
    spec: { tenantRef: 'acme', agent: 'customer-service', version: '2.1.0', ...spec },
  };
}

function world(opts: {
  tenant?: Tenant;
  instances: AgentInstance[];
  deployment?: V1Deployment;
  kafkaDown?: boolean;
  consumers?: number;
}) {
  const applied: Desired[] = [];
  const removed: string[] = [];
  const kafka: string[] = [];
  const finalizers: string[] = [];
  const statuses: Array<{ status: Record<string, unknown>; conditions: ConditionFact[] }> = [];
  const events: string[] = [];
  const deps: AgentReconcileDeps = {
    getAgentInstance: (ns, name) =>
      opts.instances.find((i) => i.metadata.namespace === ns && i.metadata.name === name),
    getTenant: (name) => (opts.tenant?.metadata.name === name ? opts.tenant : undefined),
    instancesOf: () => opts.instances,
    getDeployment: () => opts.deployment,
    ensureInboundTopic: async (tenantName, instanceName) =>
      opts.kafkaDown
        ? { type: 'MessagingReady', status: 'False', reason: 'KafkaUnavailable', message: 'no broker' }
        : {
            type: 'MessagingReady',
            status: 'True',
            reason: 'TopicsReady',
            message: `${tenantName}/${instanceName}`,
          },
    inbound: {
      consumers: async () => opts.consumers ?? 0,
      remove: async (tenantName, instanceName) => void kafka.push(`delete ${tenantName}/${instanceName}`),
    },
    runtime: {
      image: 'runtime:test',
      env: {},
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    },
    keda: { available: false, bootstrapServers: '127.0.0.1:9092' },
    actions: {
      apply: async (o) => void applied.push(o),
      remove: async (o) => void removed.push(o.kind),
      writeStatus: async (_i, status, conditions) => void statuses.push({ status, conditions }),
      event: (_i, type, reason) => void events.push(`${type}:${reason}`),
      ensureFinalizer: async (_i, name) => void finalizers.push(`+${name}`),
      removeFinalizer: async (_i, name) => void finalizers.push(`-${name}`),
    },
  };
  return { deps, applied, removed, statuses, events, kafka, finalizers };
}

const condition = (w: { statuses: Array<{ conditions: ConditionFact[] }> }, type: string) =>
  w.statuses[0]?.conditions.find((c) => c.type === type);
type PodSpec = { containers: Array<{ env: Array<{ name: string; value: string }> }> };
const deploymentEnv = (applied: Desired[]) =>
  (applied.find((o) => o.kind === 'Deployment')?.spec as { template: { spec: PodSpec } } | undefined)
    ?.template.spec.containers[0]?.env ?? [];
const deployedReplicas = (applied: Desired[]) =>
  (applied.find((o) => o.kind === 'Deployment')?.spec as { replicas?: number } | undefined)?.replicas;
const scaledToZero: V1Deployment = {
  metadata: { generation: 2 },
  status: { observedGeneration: 2, replicas: 0 },
};
const readyDeployment: V1Deployment = {
  metadata: { generation: 1 },
  status: { observedGeneration: 1, replicas: 1, readyReplicas: 1 },
};

describe('reconcileAgentInstance', () => {
  it('refuses an instance whose tenant does not exist, with a reason and an Event', async () => {
    const w = world({ instances: [instance('support')] });
    await reconcileAgentInstance('agentplane-pool-pro/support', w.deps);
    assert.equal(condition(w, 'Ready')?.reason, 'TenantNotFound');
    assert.deepEqual(w.events, ['Warning:TenantNotFound']);
    assert.equal(w.applied.length, 0);
  });

  it("refuses an instance outside its tenant's home namespace", async () => {
    const w = world({ tenant: tenant(), instances: [instance('support', {}, 'default')] });
    await reconcileAgentInstance('default/support', w.deps);
    assert.equal(condition(w, 'TenantValid')?.reason, 'WrongNamespace');
    assert.deepEqual(
      w.applied.map((o) => o.kind),
      ['AgentInstance'],
      'a refused instance still belongs to its tenant, and nothing else is made',
    );
    assert.match(condition(w, 'TenantValid')?.message ?? '', /lives in namespace agentplane-pool-pro/);
  });

  it('admits the oldest instances up to the tier limit and refuses the newest', async () => {
    const instances = ['a', 'bb', 'ccc'].map((n) => instance(n));
    const w = world({ tenant: tenant({ quota: { maxAgentInstances: 2 } }), instances });
    await reconcileAgentInstance('agentplane-pool-pro/ccc', w.deps);
    assert.equal(condition(w, 'TenantValid')?.reason, 'TierLimitExceeded');
    const admitted = world({ tenant: tenant({ quota: { maxAgentInstances: 2 } }), instances });
    await reconcileAgentInstance('agentplane-pool-pro/a', admitted.deps);
    assert.equal(condition(admitted, 'TenantValid')?.status, 'True');
  });

  it("caps an agent to what is left of the tenant's quota, and refuses one that does not fit at all", async () => {
    const instances = [
      instance('a', { replicas: 3 }),
      instance('bb', { autoscaling: { minReplicas: 1, maxReplicas: 3 } }),
      instance('ccc', { replicas: 1 }),
    ];
    const capped = world({ tenant: tenant({ quota: { cpu: '2' } }), instances });
    await reconcileAgentInstance('agentplane-pool-pro/bb', capped.deps);
    assert.equal(condition(capped, 'TenantValid')?.status, 'True');
    assert.equal(condition(capped, 'Scaling')?.reason, 'Capped');
    const hpa = capped.applied.find((o) => o.kind === 'HorizontalPodAutoscaler')?.spec as {
      maxReplicas: number;
    };
    assert.equal(hpa.maxReplicas, 1, 'the autoscaler gets the capped bound');

    const refused = world({ tenant: tenant({ quota: { cpu: '2' } }), instances });
    await reconcileAgentInstance('agentplane-pool-pro/ccc', refused.deps);
    assert.equal(condition(refused, 'TenantValid')?.reason, 'QuotaExceeded');
    assert.deepEqual(refused.events, ['Warning:QuotaExceeded']);

    const older = world({ tenant: tenant({ quota: { cpu: '2' } }), instances });
    await reconcileAgentInstance('agentplane-pool-pro/a', older.deps);
    assert.equal(condition(older, 'Scaling')?.reason, 'WithinLimits', 'the oldest keeps what it asked for');
  });

  it('deploys the runtime, owned by the tenant, and reports Ready from the Deployment', async () => {
    const w = world({ tenant: tenant(), instances: [instance('support')], deployment: readyDeployment });
    await reconcileAgentInstance('agentplane-pool-pro/support', w.deps);
    assert.deepEqual(
      w.applied.map((o) => o.kind),
      ['AgentInstance', 'ConfigMap', 'Deployment'],
    );
    assert.equal(w.applied[0]?.metadata.ownerReferences?.[0]?.kind, 'Tenant');
    assert.deepEqual(
      w.removed,
      ['PodDisruptionBudget', 'HorizontalPodAutoscaler'],
      'nothing optional is needed',
    );
    assert.equal(condition(w, 'Ready')?.status, 'True');
    assert.equal(w.statuses[0]?.status.phase, 'Ready');
    assert.equal(w.statuses[0]?.status.readyReplicas, 1);
  });

  it("gives the runtime Qdrant and its tenant's collection: the shared one, or its own when dedicated", async () => {
    const cases = [
      [tenant(), instance('support'), 'knowledge'],
      [tenant({ tier: 'enterprise' }), instance('support', {}, 'tenant-acme'), 'knowledge-acme'],
    ] as const;
    for (const [owner, agent, collection] of cases) {
      const w = world({ tenant: owner, instances: [agent] });
      w.deps.runtime = {
        ...runtimeDefaults('runtime:test', {
          kafkaBrokers: '127.0.0.1:9092',
          vaultAddr: 'http://127.0.0.1:8200',
          vaultKvMount: 'secret',
          vaultAuthMount: 'kubernetes',
          qdrant: { url: 'http://qdrant:6333', collection: 'knowledge' },
        }),
      };
      await reconcileAgentInstance(`${agent.metadata.namespace}/support`, w.deps);
      const env = Object.fromEntries(deploymentEnv(w.applied).map((e) => [e.name, e.value]));
      assert.equal(env.QDRANT_URL, 'http://qdrant:6333');
      assert.equal(env.QDRANT_COLLECTION, collection);
    }
    const without = world({ tenant: tenant(), instances: [instance('support')] });
    await reconcileAgentInstance('agentplane-pool-pro/support', without.deps);
    assert.ok(
      !deploymentEnv(without.applied).some((e) => e.name.startsWith('QDRANT_')),
      'no Qdrant configured: the runtime uses its in-process index',
    );
  });

  it('says when the quota keeps pods from being created', async () => {
    const blocked: V1Deployment = {
      metadata: { generation: 1 },
      status: {
        observedGeneration: 1,
        replicas: 0,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message:
              'pods "agent-support-x" is forbidden: exceeded quota: agentplane-pool, limited: limits.cpu=64',
          },
        ],
      },
    };
    const w = world({ tenant: tenant(), instances: [instance('support')], deployment: blocked });
    await reconcileAgentInstance('agentplane-pool-pro/support', w.deps);
    assert.equal(condition(w, 'Ready')?.reason, 'QuotaExceeded');
    assert.match(condition(w, 'Available')?.message ?? '', /exceeded quota: agentplane-pool/);
  });

  it('deploys nothing while its inbound topic cannot be made, and retries', async () => {
    const w = world({ tenant: tenant(), instances: [instance('support')], kafkaDown: true });
    await assert.rejects(reconcileAgentInstance('agentplane-pool-pro/support', w.deps), /no broker/);
    assert.deepEqual(
      w.applied.map((o) => o.kind),
      ['AgentInstance'],
    );
    assert.equal(condition(w, 'Ready')?.reason, 'KafkaUnavailable');
  });

  it('holds a paused instance at zero and calls that Ready', async () => {
    const w = world({
      tenant: tenant(),
      instances: [instance('support', { paused: true })],
      deployment: scaledToZero,
    });
    await reconcileAgentInstance('agentplane-pool-pro/support', w.deps);
    assert.equal(deployedReplicas(w.applied), 0);
    assert.equal(w.statuses[0]?.status.phase, 'Paused');
    assert.equal(condition(w, 'Available')?.reason, 'ScaledToZero');
  });

  it('scales every agent of a suspended tenant to zero', async () => {
    const w = world({
      tenant: tenant({ suspended: true }),
      instances: [instance('support', { replicas: 3 })],
      deployment: scaledToZero,
    });
    await reconcileAgentInstance('agentplane-pool-pro/support', w.deps);
    assert.equal(deployedReplicas(w.applied), 0);
    assert.equal(w.statuses[0]?.status.phase, 'Suspended');
  });

  describe('a hibernating tenant', () => {
    const asleep = (spec: Partial<TenantSpec> = {}): Tenant => ({
      ...tenant({ tier: 'basic', ...spec }),
      status: {
        hibernation: { mode: 'Auto', state: 'Hibernating', idleSince: '2026-12-01T10:00:00.000Z' },
      },
    });
    const basic = (name: string, spec: Partial<AgentInstanceSpec> = {}) =>
      instance(name, spec, 'agentplane-pool-basic');

    it('holds its agents at zero and removes their autoscaler, so nothing scales them back up', async () => {
      const w = world({
        tenant: asleep(),
        instances: [basic('support', { autoscaling: { minReplicas: 1, maxReplicas: 2 } })],
        deployment: scaledToZero,
      });
      await reconcileAgentInstance('agentplane-pool-basic/support', w.deps);
      assert.equal(deployedReplicas(w.applied), 0);
      assert.equal(
        w.applied.some((o) => o.kind === 'HorizontalPodAutoscaler'),
        false,
      );
      assert.ok(w.removed.includes('HorizontalPodAutoscaler'));
      assert.equal(w.statuses[0]?.status.phase, 'Hibernating');
      assert.equal(condition(w, 'Ready')?.status, 'True');
      assert.match(
        condition(w, 'Available')?.message ?? '',
        /hibernating \(no inbound message since 2026-12-01T10:00:00.000Z\)/,
      );
    });

    it('restores the agents and their autoscaler once the tenant is Waking', async () => {
      const waking = asleep();
      waking.status = { hibernation: { mode: 'Auto', state: 'Waking' } };
      const w = world({
        tenant: waking,
        instances: [basic('support', { autoscaling: { minReplicas: 1, maxReplicas: 2 } })],
        deployment: readyDeployment,
      });
      await reconcileAgentInstance('agentplane-pool-basic/support', w.deps);
      assert.equal(deployedReplicas(w.applied), undefined, 'replicas left to the autoscaler again');
      assert.ok(w.applied.some((o) => o.kind === 'HorizontalPodAutoscaler'));
      assert.equal(w.statuses[0]?.status.phase, 'Ready');
    });

    it("keeps the user's pause and the suspension in the phase, over hibernation", async () => {
      const paused = world({
        tenant: asleep(),
        instances: [basic('support', { paused: true })],
        deployment: scaledToZero,
      });
      await reconcileAgentInstance('agentplane-pool-basic/support', paused.deps);
      assert.equal(paused.statuses[0]?.status.phase, 'Paused');
      assert.equal(condition(paused, 'Available')?.message, 'paused: spec.paused is true');
      const suspended = world({
        tenant: asleep({ suspended: true }),
        instances: [basic('support')],
        deployment: scaledToZero,
      });
      await reconcileAgentInstance('agentplane-pool-basic/support', suspended.deps);
      assert.equal(suspended.statuses[0]?.status.phase, 'Suspended');
    });
  });

  describe('deletion', () => {
    const deleting = (name: string, namespace = 'agentplane-pool-pro', uid = `uid-${name}`) => {
      const i = instance(name, {}, namespace);
      i.metadata.uid = uid;
      i.metadata.deletionTimestamp = '2026-11-29T10:00:00Z';
      i.metadata.finalizers = ['agentplane.io/agent-cleanup'];
      return i;
    };

    it('admits an instance only with the finalizer that guards its topic', async () => {
      const w = world({ tenant: tenant(), instances: [instance('support')], deployment: readyDeployment });
      await reconcileAgentInstance('agentplane-pool-pro/support', w.deps);
      assert.deepEqual(w.finalizers, ['+agentplane.io/agent-cleanup']);
      const refused = world({ instances: [instance('support')] });
      await reconcileAgentInstance('agentplane-pool-pro/support', refused.deps);
      assert.deepEqual(refused.finalizers, [], 'a refused instance created nothing outside Kubernetes');
    });

    it('stops the workload, waits for the consumers to leave, then deletes the inbound topic', async () => {
      const busy = world({ tenant: tenant(), instances: [deleting('support')], consumers: 2 });
      assert.deepEqual(await reconcileAgentInstance('agentplane-pool-pro/support', busy.deps), {
        requeueAfterMs: 2000,
      });
      assert.deepEqual(busy.removed, ['Deployment']);
      assert.deepEqual(busy.kafka, [], 'the topic stays while consumers are in the group');
      assert.deepEqual(busy.finalizers, []);
      assert.equal(busy.statuses[0]?.status.phase, 'Terminating');
      assert.match(condition(busy, 'Ready')?.message ?? '', /waiting for 2 consumer\(s\)/);

      const idle = world({ tenant: tenant(), instances: [deleting('support')] });
      assert.equal(await reconcileAgentInstance('agentplane-pool-pro/support', idle.deps), undefined);
      assert.deepEqual(idle.kafka, ['delete acme/support']);
      assert.deepEqual(idle.finalizers, ['-agentplane.io/agent-cleanup']);
    });

    it('leaves the topic to a copy of the instance in the new home of a moving tenant', async () => {
      const copy = instance('support', {}, 'tenant-acme');
      copy.metadata.uid = 'uid-copy';
      const w = world({ tenant: tenant(), instances: [deleting('support'), copy], consumers: 1 });
      await reconcileAgentInstance('agentplane-pool-pro/support', w.deps);
      assert.deepEqual(w.kafka, []);
      assert.deepEqual(w.removed, [], "the copy's Deployment has the same name in its own namespace");
      assert.deepEqual(w.finalizers, ['-agentplane.io/agent-cleanup']);
    });
  });
});
