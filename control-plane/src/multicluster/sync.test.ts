import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentInstance as AgentInstanceRow } from '../db/entities.ts';
import { desiredAgentInstance, desiredDigest, desiredTenant, hubFieldManager } from './desired.ts';
import { conflictingManagers, onlyImperative, planObjectSync } from './sync.ts';

const tenant = desiredTenant({
  id: 'acme',
  tier: 'pro',
  displayName: 'ACME',
  isolation: null,
  region: 'eu',
  suspended: false,
});

/** The object as the API server keeps it after the hub applied `desired`, with its fields entry. */
const stored = (desired: typeof tenant, spec: Record<string, unknown> = desired.spec) => ({
  ...desired,
  spec,
  metadata: {
    ...desired.metadata,
    managedFields: [
      {
        manager: hubFieldManager,
        operation: 'Apply',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:agentplane.io/placed-by': {}, 'f:agentplane.io/tenant': {} } },
          'f:spec': { 'f:tier': {}, 'f:displayName': {}, 'f:region': {} },
        },
      },
    ],
  },
});

describe('planObjectSync', () => {
  it('applies what is missing; drift only when the hub had applied this very statement', () => {
    assert.deepEqual(planObjectSync(tenant, undefined), { do: 'apply' });
    assert.deepEqual(planObjectSync(tenant, undefined, desiredDigest(tenant)), {
      do: 'apply',
      drift: 'Deleted',
    });
  });

  it('does nothing when the hub’s fields are as stated, whatever else the object carries', () => {
    const live = stored(tenant, { ...tenant.spec, owners: ['sre@acme.example'] });
    assert.deepEqual(planObjectSync(tenant, live, desiredDigest(tenant)), { do: 'nothing' });
  });

  it('an edit of a hub field is drift; a new statement from the database is an ordinary apply', () => {
    const edited = stored(tenant, { ...tenant.spec, displayName: 'edited by hand' });
    assert.deepEqual(planObjectSync(tenant, edited, desiredDigest(tenant)), { do: 'apply', drift: 'Edited' });
    const renamed = desiredTenant({
      id: 'acme',
      tier: 'pro',
      displayName: 'ACME Corp',
      isolation: null,
      region: 'eu',
      suspended: false,
    });
    assert.deepEqual(planObjectSync(renamed, stored(tenant), desiredDigest(tenant)), { do: 'apply' });
  });

  it('waits while the object is being deleted', () => {
    const terminating = {
      ...stored(tenant),
      metadata: { ...stored(tenant).metadata, deletionTimestamp: '2026-11-29T12:00:00Z' },
    };
    assert.equal(planObjectSync(tenant, terminating).do, 'wait');
  });
});

describe('conflicts', () => {
  const message =
    'Apply failed with 2 conflicts: conflicts with "gitops" using agentplane.io/v1alpha1:\n- .spec.displayName\nconflict with "kubectl-edit": .spec.region';
  it('names the managers a 409 reports', () => {
    assert.deepEqual(conflictingManagers(message), ['gitops', 'kubectl-edit']);
  });
  it('tells imperative edits from another manager’s apply', () => {
    const object = {
      metadata: {
        managedFields: [
          { manager: 'kubectl-edit', operation: 'Update' },
          { manager: 'gitops', operation: 'Apply' },
        ],
      },
    };
    assert.equal(onlyImperative(object, ['kubectl-edit']), true);
    assert.equal(onlyImperative(object, ['kubectl-edit', 'gitops']), false);
  });
});

describe('desired objects', () => {
  it('an AgentInstance carries the stored spec, the hub labels, and a migration’s pause', () => {
    const row = {
      name: 'support',
      agent: 'sales',
      version: '1.0.0',
      replicas: 2,
      paused: false,
      model: null,
      prompt: null,
    };
    const agent = desiredAgentInstance('acme', row as unknown as AgentInstanceRow, 'tenant-acme', {
      paused: true,
    });
    assert.deepEqual(agent.metadata, {
      name: 'support',
      namespace: 'tenant-acme',
      labels: { 'agentplane.io/placed-by': 'agentplane-hub', 'agentplane.io/tenant': 'acme' },
    });
    assert.deepEqual(agent.spec, {
      tenantRef: 'acme',
      agent: 'sales',
      version: '1.0.0',
      replicas: 2,
      paused: true,
    });
  });
});
