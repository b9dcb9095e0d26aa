import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tenant } from '@agentplane/crds';
import { type HealthRecord, unknownHealth } from './health.ts';
import { liveTenantStatus } from './live-status.ts';

const seen = new Date('2026-11-29T12:00:00Z');
const health = (state: HealthRecord['state']): HealthRecord => ({
  ...unknownHealth(),
  state,
  message: state === 'Unreachable' ? 'connect ECONNREFUSED' : 'ok',
  lastSuccessAt: seen,
});
const ready = {
  apiVersion: 'agentplane.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme' },
  spec: { tier: 'pro' },
  status: {
    phase: 'Ready',
    home: { namespace: 'agentplane-pool-pro', isolation: 'shared', tier: 'pro' },
    agentInstances: 1,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Provisioned',
        message: 'the tenant’s home is provisioned',
        lastTransitionTime: '2026-11-29T11:59:00Z',
        observedGeneration: 1,
      },
    ],
  },
} as Tenant;

describe('liveTenantStatus', () => {
  it('is the member operator’s view, with exactly the documented condition fields', () => {
    const status = liveTenantStatus('eu-1', health('Ready'), ready, true);
    assert.equal(status.phase, 'Ready');
    assert.equal(status.reason, 'Provisioned');
    assert.equal(status.namespace, 'agentplane-pool-pro');
    assert.deepEqual(Object.keys(status.conditions[0] ?? {}), [
      'type',
      'status',
      'reason',
      'message',
      'lastTransitionTime',
    ]);
  });

  it('is Degraded with ClusterUnreachable while the member does not answer, keeping what was last seen', () => {
    const status = liveTenantStatus('eu-1', health('Unreachable'), ready, true);
    assert.equal(status.phase, 'Degraded');
    assert.equal(status.reason, 'ClusterUnreachable');
    assert.match(
      status.message ?? '',
      /has not answered since 2026-11-29T12:00:00.000Z: connect ECONNREFUSED; last reported phase Ready/,
    );
    assert.equal(status.conditions.length, 1);
    assert.equal(liveTenantStatus('eu-1', undefined, undefined, false).reason, 'ClusterUnreachable');
  });

  it('is Pending before the tenant reaches the member', () => {
    assert.equal(liveTenantStatus('eu-1', health('Ready'), undefined, true).reason, 'NotPropagated');
    assert.equal(liveTenantStatus('eu-1', health('Ready'), undefined, false).reason, 'CacheSyncing');
  });
});
