import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownerKeys, ownerReference } from './owner.ts';

const tenant = {
  apiVersion: 'agentplane.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', uid: 'u1' },
};

describe('owner references', () => {
  it('builds a controller reference and refuses an owner without uid', () => {
    assert.deepEqual(ownerReference(tenant), {
      apiVersion: 'agentplane.io/v1alpha1',
      kind: 'Tenant',
      name: 'acme',
      uid: 'u1',
      controller: true,
      blockOwnerDeletion: true,
    });
    assert.throws(() => ownerReference({ ...tenant, metadata: { name: 'acme' } }), /uid/);
  });

  it('maps an owned object to its owners’ keys, cluster-scoped or namespaced', () => {
    const child = {
      metadata: {
        name: 'quota',
        namespace: 'tenant-acme',
        ownerReferences: [
          ownerReference(tenant),
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u2' },
          { apiVersion: 'other.io/v1', kind: 'Tenant', name: 'x', uid: 'u3', controller: false },
        ],
      },
    };
    assert.deepEqual(ownerKeys(child, { kind: 'Tenant', namespaced: false }), ['acme']);
    assert.deepEqual(ownerKeys(child, { kind: 'Tenant', namespaced: false, controllerOnly: false }), [
      'acme',
      'x',
    ]);
    assert.deepEqual(
      ownerKeys(child, { kind: 'Tenant', group: 'agentplane.io', namespaced: false, controllerOnly: false }),
      ['acme'],
    );
    assert.deepEqual(ownerKeys(child, { kind: 'Deployment', namespaced: true, controllerOnly: false }), [
      'tenant-acme/d',
    ]);
    assert.deepEqual(ownerKeys({ metadata: { name: 'lonely' } }, { kind: 'Tenant', namespaced: false }), []);
  });
});
