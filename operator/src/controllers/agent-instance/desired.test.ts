import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Desired } from '../tenant/desired.ts';
import {
  type AgentPlan,
  desiredAutoscaler,
  desiredDeployment,
  desiredPodDisruptionBudget,
  type RuntimeDefaults,
} from './desired.ts';

const owner = {
  apiVersion: 'agentplane.io/v1alpha1',
  kind: 'AgentInstance',
  name: 'support',
  uid: 'u-2',
  controller: true,
};
const runtime = {
  image: 'ghcr.io/agentplane/runtime:0.1.0',
  env: { KAFKA_BROKERS: '127.0.0.1:9092' },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
};
const keda = { available: false, bootstrapServers: '127.0.0.1:9092', topic: 't', consumerGroup: 'g' };

function plan(overrides: Partial<AgentPlan> = {}): AgentPlan {
  return {
    name: 'support',
    namespace: 'tenant-acme',
    tenant: 'acme',
    tier: 'enterprise',
    agent: 'customer-service',
    version: '2.1.0',
    replicas: 1,
    config: { model: 'gpt-4o-mini' },
    vault: { path: 'tenants/acme/prod', role: 'agentplane-tenant-acme' },
    ...overrides,
  };
}
// biome-ignore lint/suspicious/noExplicitAny: the tests walk deep wire-format JSON
const spec = (d: Desired | undefined) => d?.spec as Record<string, any>;

describe('agent instance desired state', () => {
  it('runs the runtime image as the tenant runtime ServiceAccount with the agent identity in env', () => {
    const deployment = spec(desiredDeployment(plan(), owner, runtime));
    const pod = deployment.template.spec;
    assert.equal(deployment.replicas, 1);
    assert.equal(pod.serviceAccountName, 'tenant-acme-runtime');
    assert.equal(pod.containers[0].image, runtime.image);
    assert.deepEqual(
      pod.containers[0].env.find((e: { name: string }) => e.name === 'AGENTPLANE_TENANT'),
      {
        name: 'AGENTPLANE_TENANT',
        value: 'acme',
      },
    );
  });

  it("tells the runtime the tenant's Vault path and role, and gives it the projected keys at start", () => {
    const container = (p: AgentPlan) =>
      spec(desiredDeployment(p, owner, runtime)).template.spec.containers[0];
    const env = Object.fromEntries(
      container(plan()).env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    assert.equal(env.AGENTPLANE_VAULT_PATH, 'tenants/acme/prod');
    assert.equal(env.AGENTPLANE_VAULT_ROLE, 'agentplane-tenant-acme');
    assert.equal(container(plan()).envFrom, undefined, 'no projected keys, no envFrom');
    assert.deepEqual(container(plan({ projectedSecret: 'tenant-acme-secrets' })).envFrom, [
      { secretRef: { name: 'tenant-acme-secrets', optional: true } },
    ]);
  });

  it("logs in to a SASL Kafka as the tenant's own principal, from the tenant's Secret", () => {
    const sasl = {
      ...runtime,
      env: { KAFKA_BROKERS: '127.0.0.1:9094' },
      kafkaCredentialsSecret: (tenant: string) => `tenant-${tenant}-kafka`,
    };
    const container = spec(desiredDeployment(plan({ projectedSecret: 'tenant-acme-secrets' }), owner, sasl))
      .template.spec.containers[0];
    assert.deepEqual(container.envFrom, [
      { secretRef: { name: 'tenant-acme-secrets', optional: true } },
      { secretRef: { name: 'tenant-acme-kafka' } },
    ]);
    const other = spec(desiredDeployment(plan({ tenant: 'globex' }), owner, sasl)).template.spec
      .containers[0];
    assert.deepEqual(other.envFrom, [{ secretRef: { name: 'tenant-globex-kafka' } }]);
  });

  it("reads its tenant's Qdrant token from the tenant's Secret when Qdrant has a key", () => {
    const qdrant = { ...runtime, qdrantCredentialsSecret: (tenant: string) => `tenant-${tenant}-qdrant` };
    const container = (p: AgentPlan, r: RuntimeDefaults = qdrant) =>
      spec(desiredDeployment(p, owner, r)).template.spec.containers[0];
    assert.deepEqual(container(plan({ knowledgeCollection: 'knowledge' })).envFrom, [
      { secretRef: { name: 'tenant-acme-qdrant' } },
    ]);
    assert.equal(container(plan()).envFrom, undefined, 'no Qdrant for the pods, no token');
    assert.equal(container(plan({ knowledgeCollection: 'knowledge' }), runtime).envFrom, undefined);
  });

  it('rolls the pods when the tenant renewed its Qdrant token (envFrom is read only at start)', () => {
    const qdrant = { ...runtime, qdrantCredentialsSecret: (tenant: string) => `tenant-${tenant}-qdrant` };
    const annotations = (p: AgentPlan, r: RuntimeDefaults = qdrant) =>
      spec(desiredDeployment(p, owner, r)).template.metadata.annotations;
    const first = plan({
      knowledgeCollection: 'knowledge',
      qdrantTokenExpiresAt: '2027-01-05T10:00:00.000Z',
    });
    const renewed = { ...first, qdrantTokenExpiresAt: '2027-01-25T10:00:00.000Z' };
    assert.equal(annotations(first)['agentplane.io/qdrant-token-expires'], '2027-01-05T10:00:00.000Z');
    assert.notDeepEqual(annotations(first), annotations(renewed), 'a renewed token changes the pod template');
    assert.deepEqual(annotations(first), annotations({ ...first }), 'the same token, the same template');
    assert.equal(
      annotations(first, runtime)['agentplane.io/qdrant-token-expires'],
      undefined,
      'pods without the token Secret do not roll for it',
    );
  });

  it('rolls the pods when the agent config changes, and only then', () => {
    const hash = (config: Record<string, unknown>) =>
      spec(desiredDeployment(plan({ config }), owner, runtime)).template.metadata.annotations[
        'agentplane.io/config-hash'
      ];
    assert.equal(hash({ model: 'a' }), hash({ model: 'a' }));
    assert.notEqual(hash({ model: 'a' }), hash({ model: 'b' }));
  });

  it('leaves replicas to the autoscaler, except when held at zero', () => {
    const autoscaling = { minReplicas: 1, maxReplicas: 5, targetLag: 100 };
    assert.equal('replicas' in spec(desiredDeployment(plan({ autoscaling }), owner, runtime)), false);
    assert.equal(spec(desiredDeployment(plan({ autoscaling, replicas: 0 }), owner, runtime)).replicas, 0);
    assert.equal(desiredAutoscaler(plan({ autoscaling, replicas: 0 }), owner, keda), undefined);
  });

  it('scales on Kafka lag with KEDA when installed, else on CPU with an HPA', () => {
    const autoscaling = { minReplicas: 1, maxReplicas: 5, targetLag: 100 };
    const hpa = desiredAutoscaler(plan({ autoscaling }), owner, keda);
    assert.equal(hpa?.kind, 'HorizontalPodAutoscaler');
    assert.equal(spec(hpa).maxReplicas, 5);
    const scaled = desiredAutoscaler(plan({ autoscaling }), owner, { ...keda, available: true });
    assert.equal(scaled?.kind, 'ScaledObject');
    assert.equal(spec(scaled).triggers[0].metadata.lagThreshold, '100');
  });

  it('adds a PodDisruptionBudget only when more than one replica can run', () => {
    assert.equal(desiredPodDisruptionBudget(plan(), owner), undefined);
    assert.equal(desiredPodDisruptionBudget(plan({ replicas: 3 }), owner)?.kind, 'PodDisruptionBudget');
  });
});
