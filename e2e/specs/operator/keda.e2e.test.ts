// With KEDA's ScaledObject CRD in the cluster the operator autoscales agents on the consumer lag of
// their inbound topic instead of CPU. KEDA's controller cannot run here, and its CRD file is not ours
// to copy: STAND-IN below is our own CRD for `scaledobjects.keda.sh`, with a structural schema of
// the fields the operator writes, so the API server still validates what it sends. The operator looks
// for the CRD when it starts, so this suite installs it before its operator starts and removes it
// after the operator stopped (holding the operator lock throughout, so no other suite sees it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { getJson, kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { operatorSuite } from '../../helpers/operator.ts';

const string = { type: 'string' };
const integer = { type: 'integer', format: 'int32' };
const scaledObjectCrdStandIn = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'scaledobjects.keda.sh', labels: { 'agentplane.io/test': 'keda-stand-in' } },
  spec: {
    group: 'keda.sh',
    names: {
      kind: 'ScaledObject',
      listKind: 'ScaledObjectList',
      plural: 'scaledobjects',
      singular: 'scaledobject',
      shortNames: ['so'],
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              apiVersion: string,
              kind: string,
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                required: ['scaleTargetRef', 'triggers'],
                'x-kubernetes-preserve-unknown-fields': true,
                properties: {
                  scaleTargetRef: {
                    type: 'object',
                    required: ['name'],
                    properties: { apiVersion: string, kind: string, name: string },
                  },
                  minReplicaCount: integer,
                  maxReplicaCount: integer,
                  triggers: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['type', 'metadata'],
                      properties: {
                        type: string,
                        metadata: { type: 'object', additionalProperties: string },
                      },
                    },
                  },
                },
              },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

describe('operator: autoscaling with KEDA installed', () => {
  operatorSuite(
    {},
    {
      beforeStart: async () => {
        await kubectlOk(['apply', '-f', '-'], { stdin: stringify(scaledObjectCrdStandIn) });
        await kubectlOk([
          'wait',
          '--for=condition=Established',
          '--timeout=30s',
          'crd/scaledobjects.keda.sh',
        ]);
      },
      afterStop: async () => {
        await kubectlOk(['delete', 'crd', 'scaledobjects.keda.sh', '--ignore-not-found', '--timeout=60s']);
      },
    },
  );
  const tenant = uniqueName('lag');
  const ns = `tenant-${tenant}`;

  before(async () => {
    await kubectlOk(['apply', '-f', '-'], {
      stdin: stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: tenant },
        spec: { tier: 'enterprise' },
      }),
    });
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', `tenant/${tenant}`]);
  });
  after(async () => {
    // Only a safety net (this runs after the operator stopped): the test deletes its tenant itself.
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']);
  });

  it("scales on the inbound topic's consumer lag, not CPU, and drops the ScaledObject when paused", async () => {
    const instance = (paused: boolean) =>
      stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'AgentInstance',
        metadata: { name: 'support', namespace: ns },
        spec: {
          tenantRef: tenant,
          agent: 'customer-service',
          version: '2.1.0',
          autoscaling: { minReplicas: 1, maxReplicas: 6, targetLag: 50 },
          paused,
        },
      });
    await kubectlOk(['apply', '-f', '-'], { stdin: instance(false) });
    const scaled = await eventually(
      async () => {
        const result = await kubectl(['get', 'scaledobject', 'agent-support', '-n', ns, '-o', 'json']);
        return result.code === 0 && JSON.parse(result.stdout);
      },
      { what: 'the ScaledObject of agent-support', timeoutMs: 30_000 },
    );
    assert.deepEqual(scaled.spec.scaleTargetRef, { name: 'agent-support' });
    assert.equal(scaled.spec.minReplicaCount, 1);
    assert.equal(scaled.spec.maxReplicaCount, 6);
    const [trigger] = scaled.spec.triggers;
    assert.equal(trigger.type, 'kafka');
    assert.equal(trigger.metadata.topic, `agentplane.${tenant}.agent.support.inbound`);
    assert.equal(trigger.metadata.consumerGroup, `agentplane.${tenant}.agent.support`);
    assert.equal(trigger.metadata.lagThreshold, '50');
    assert.equal(scaled.metadata.ownerReferences[0].kind, 'AgentInstance');
    assert.notEqual((await kubectl(['get', 'hpa', 'agent-support', '-n', ns])).code, 0, 'no CPU autoscaler');
    const deployment = await getJson(['deployment', 'agent-support', '-n', ns]);
    assert.equal(deployment.spec.replicas, 1, 'replicas left to the autoscaler after creation');

    await kubectlOk(['apply', '-f', '-'], { stdin: instance(true) });
    await eventually(
      async () => (await kubectl(['get', 'scaledobject', 'agent-support', '-n', ns])).code !== 0,
      {
        what: 'the ScaledObject to go while paused',
        timeoutMs: 30_000,
      },
    );
    assert.equal((await getJson(['deployment', 'agent-support', '-n', ns])).spec.replicas, 0);
    await kubectlOk(['delete', 'tenant', tenant, '--timeout=60s']);
  });
});
