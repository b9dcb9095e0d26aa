import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { applyIfNeeded, applyStatus } from './apply.ts';
import { setCondition } from './conditions.ts';
import type { KubeObject } from './resource.ts';
import {
  createObject,
  installWidgetCrd,
  mergePatch,
  readObject,
  testbedClient,
  testNamespace,
} from './testbed.ts';

const fieldManager = 'kube-apply-test';

type Obj = KubeObject & Record<string, unknown>;

/** Objects whose stored form differs from what was sent: defaults, canonical quantities, wire names. */
function fixtures(ns: string): Obj[] {
  const meta = (name: string) => ({
    name,
    namespace: ns,
    labels: { 'app.kubernetes.io/managed-by': 'test' },
  });
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cm'), data: { a: '1' } },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('quota'),
      spec: { hard: { 'requests.cpu': '0.5', 'limits.memory': '1024Mi', pods: '10' } },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta('limits'),
      spec: {
        limits: [{ type: 'Container', default: { cpu: '1000m', memory: '512Mi' }, max: { cpu: '2' } }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('deny'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: 'UDP' }] }],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'x' } } }] }],
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('owners'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'alice@acme.example', apiGroup: 'rbac.authorization.k8s.io' }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('app'),
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'example.invalid/app:1',
                ports: [{ containerPort: 8080 }],
                env: [{ name: 'A', value: '1' }],
                resources: { requests: { cpu: '0.25', memory: '128Mi' } },
              },
            ],
          },
        },
      },
    },
  ];
}

describe('server-side apply against the test bed', { skip: withoutTestbed() }, () => {
  it('writes once, then sees the stored objects as in sync: no second write', async (t) => {
    let patches = 0;
    const client = testbedClient({
      onRequest: (method) => {
        if (method === 'PATCH') patches += 1;
      },
    });
    const ns = await testNamespace(t, client, 'apply');
    for (const desired of fixtures(ns)) {
      const first = await applyIfNeeded(client, desired, undefined, { fieldManager });
      assert.equal(first.written, true);
      const again = await applyIfNeeded(client, desired, first.object, { fieldManager });
      assert.equal(again.written, false, `${desired.kind} stored as sent`);
    }
    assert.equal(patches, fixtures(ns).length);
  });

  it('writes again after drift, and when a field it owned is dropped from the desired state', async (t) => {
    const client = testbedClient();
    const ns = await testNamespace(t, client, 'drift');
    const cm = fixtures(ns)[0] as Obj & { data: Record<string, string> };
    await applyIfNeeded(client, cm, undefined, { fieldManager });
    const drifted = await mergePatch(client, cm, { data: { a: 'changed by hand' } });
    const fixed = await applyIfNeeded(client, cm, drifted, { fieldManager });
    assert.equal(fixed.written, true);
    assert.equal((fixed.object as typeof cm).data.a, '1');
    const withoutLabel: Obj = { ...cm, metadata: { name: 'cm', namespace: ns } };
    const pruned = await applyIfNeeded(client, withoutLabel, fixed.object, { fieldManager });
    assert.equal(pruned.written, true);
    assert.equal(pruned.object.metadata?.labels?.['app.kubernetes.io/managed-by'], undefined);
  });

  it('writes status to the status subresource only when it changed', async (t) => {
    const client = testbedClient();
    const group = `${uniqueName('s')}.kubetest.agentplane.io`;
    const kind = await installWidgetCrd(t, client, group);
    const ns = await testNamespace(t, client, 'status');
    const widget = {
      apiVersion: `${group}/v1`,
      kind,
      metadata: { name: 'w', namespace: ns },
      spec: { size: 1 },
    };
    await eventually(() => createObject(client, widget), { what: 'the CRD to serve' });
    const live = await eventually(() => readObject<KubeObject>(client, widget), { what: 'the widget' });
    const now = new Date();
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'Built',
      message: 'ok',
      observedGeneration: 1,
    } as const;
    const status = { observedGeneration: 1, conditions: setCondition([], ready, now) };
    const first = await applyStatus(client, live, status, { fieldManager });
    assert.equal(first.written, true);
    const second = await applyStatus(
      client,
      first.object,
      {
        observedGeneration: 1,
        conditions: setCondition(
          (first.object as { status: typeof status }).status.conditions,
          ready,
          new Date(),
        ),
      },
      { fieldManager },
    );
    assert.equal(second.written, false);
    // Another controller owns another condition of the same list under its own manager.
    const other = await applyStatus(
      client,
      second.object,
      { conditions: setCondition([], { ...ready, type: 'Other' }, now) },
      { fieldManager: 'other' },
    );
    assert.equal(other.written, true);
    const third = await applyStatus(client, other.object, status, { fieldManager });
    assert.equal(third.written, false, 'the other manager’s condition is not drift');
    assert.deepEqual(
      (other.object as { status: typeof status }).status.conditions.map((c) => c.type).sort(),
      ['Other', 'Ready'],
    );
  });
});
