import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsApply } from './needs-apply.ts';
import type { KubeObject } from './resource.ts';

const manager = 'agentplane-operator';

/** A live object as the server returns it after `manager` applied `fields`. */
function live(
  body: Record<string, unknown>,
  fieldsV1: unknown,
  extra: Record<string, unknown> = {},
): KubeObject {
  const copy = structuredClone(body);
  const metadata = (copy.metadata ?? {}) as Record<string, unknown>;
  return {
    ...copy,
    metadata: {
      uid: 'u1',
      resourceVersion: '7',
      creationTimestamp: '2026-11-23T08:00:00Z',
      ...metadata,
      managedFields: [
        { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': { 'f:other': {} } } },
        { manager, operation: 'Apply', apiVersion: 'v1', fieldsV1 },
      ],
    },
    ...extra,
  } as KubeObject;
}

const quota = {
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'q', namespace: 'ns', labels: { tier: 'pro' } },
  spec: { hard: { 'requests.cpu': '0.5', 'requests.memory': '8Gi', pods: '10' } },
};
const quotaFields = {
  'f:metadata': { 'f:labels': { 'f:tier': {} } },
  'f:spec': { 'f:hard': { 'f:requests.cpu': {}, 'f:requests.memory': {}, 'f:pods': {} } },
};
const quotaLive = () =>
  live(
    { ...quota, spec: { hard: { 'requests.cpu': '500m', 'requests.memory': '8Gi', pods: '10' } } },
    quotaFields,
    { status: { used: { pods: '0' } } },
  );

describe('needsApply', () => {
  it('is false when every desired field already has its value (quantities compared by value)', () => {
    assert.equal(needsApply(quota, quotaLive(), manager), false);
  });

  it('is true when the object is missing or this manager never applied it', () => {
    assert.equal(needsApply(quota, undefined, manager), true);
    assert.equal(needsApply(quota, quotaLive(), 'someone-else'), true);
  });

  it('is true when a value drifted or a field is missing', () => {
    const drifted = quotaLive() as KubeObject & { spec: { hard: Record<string, string> } };
    drifted.spec.hard.pods = '20';
    assert.equal(needsApply(quota, drifted, manager), true);
    const labelGone = quotaLive();
    delete labelGone.metadata?.labels?.tier;
    assert.equal(needsApply(quota, labelGone, manager), true);
  });

  it('is true when desired no longer has a field this manager applied, so the apply removes it', () => {
    const fewer = { ...quota, metadata: { name: 'q', namespace: 'ns' } };
    assert.equal(needsApply(fewer, quotaLive(), manager), true);
  });

  it('ignores fields other managers or the server added', () => {
    const busy = quotaLive();
    busy.metadata = { ...busy.metadata, labels: { tier: 'pro', extra: 'x' }, annotations: { a: 'b' } };
    assert.equal(needsApply(quota, busy, manager), false);
  });

  it('compares keyed lists by key, tolerating other managers’ items and defaulted fields', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns' },
      spec: {
        template: { spec: { containers: [{ name: 'app', image: 'img:1', ports: [{ containerPort: 80 }] }] } },
      },
    };
    const fields = {
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': {
                '.': {},
                'f:name': {},
                'f:image': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    };
    const liveContainers = [
      { name: 'sidecar', image: 'proxy' },
      {
        name: 'app',
        image: 'img:1',
        imagePullPolicy: 'IfNotPresent',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      },
    ];
    const current = live(
      { ...deployment, spec: { template: { spec: { containers: liveContainers } } } },
      fields,
    );
    assert.equal(needsApply(deployment, current, manager), false);
    const newImage = structuredClone(deployment);
    newImage.spec.template.spec.containers[0] = {
      name: 'app',
      image: 'img:2',
      ports: [{ containerPort: 80 }],
    };
    assert.equal(needsApply(newImage, current, manager), true);
    const withoutApp = structuredClone(deployment);
    withoutApp.spec.template.spec.containers = [{ name: 'other', image: 'x', ports: [] }];
    assert.equal(needsApply(withoutApp, current, manager), true, 'an owned item left out must be removed');
  });

  it('compares atomic lists element by element and sets by membership', () => {
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b', namespace: 'ns', finalizers: ['a'] },
      subjects: [{ kind: 'User', name: 'alice' }],
    };
    const fields = { 'f:metadata': { 'f:finalizers': { 'v:"a"': {} } }, 'f:subjects': {} };
    const current = live(
      { ...binding, subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }] },
      fields,
    );
    assert.equal(needsApply(binding, current, manager), false);
    const intruder = live(
      {
        ...binding,
        subjects: [
          { kind: 'User', name: 'alice' },
          { kind: 'User', name: 'mallory' },
        ],
      },
      fields,
    );
    assert.equal(needsApply(binding, intruder, manager), true, 'an atomic list with an extra item is drift');
    const otherFinalizer = live(
      { ...binding, metadata: { ...binding.metadata, finalizers: ['a', 'b'] } },
      fields,
    );
    assert.equal(needsApply(binding, otherFinalizer, manager), false);
  });

  it('treats empty maps and lists as equal to absent ones', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'ns', labels: {} },
      data: {},
    };
    assert.equal(
      needsApply(cm, live({ ...cm, metadata: { name: 'c', namespace: 'ns' }, data: undefined }, {}), manager),
      false,
    );
  });

  it('compares the status subresource against what was applied to /status', () => {
    const status = {
      apiVersion: 'x/v1',
      kind: 'T',
      metadata: { name: 't' },
      status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const current = {
      ...status,
      metadata: {
        name: 't',
        managedFields: [
          {
            manager,
            operation: 'Apply',
            subresource: 'status',
            fieldsV1: {
              'f:status': {
                'f:observedGeneration': {},
                'f:conditions': { 'k:{"type":"Ready"}': { 'f:status': {} } },
              },
            },
          },
        ],
      },
      status: {
        observedGeneration: 2,
        conditions: [
          { type: 'Other', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
      },
    };
    assert.equal(needsApply(status, current, manager, 'status'), false);
    assert.equal(needsApply(status, current, manager), true, 'no apply of the main resource yet');
    const later = { ...status, status: { ...status.status, observedGeneration: 3 } };
    assert.equal(needsApply(later, current, manager, 'status'), true);
  });
});
