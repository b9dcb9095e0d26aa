import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { footprintOf, quotaViolation } from './footprint.ts';

const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } };
const quota = { cpu: '2', memory: '4Gi', pods: 10, maxAgentInstances: 2, monthlyConversations: 1000 };

describe('agent footprint against the tenant quota', () => {
  it('counts an autoscaled instance at maxReplicas and a paused one as nothing', () => {
    assert.deepEqual(footprintOf({ autoscaling: { maxReplicas: 3 }, replicas: 1 }, resources), {
      pods: 3,
      cpu: 1.5,
      memory: 3 * 512 * 2 ** 20,
    });
    assert.equal(footprintOf({ replicas: 4, paused: true }, resources).pods, 0);
    assert.equal(footprintOf({}, resources).pods, 1, 'one replica by default');
  });

  it('admits what fits exactly and refuses the newest instance that does not, naming the resource', () => {
    const two = footprintOf({ replicas: 2 }, resources);
    assert.equal(quotaViolation(quota, [two], two), undefined, '4 × 500m is the 2-core quota exactly');
    const refusal = quotaViolation(quota, [two, two], footprintOf({ replicas: 1 }, resources));
    assert.equal(refusal?.reason, 'QuotaExceeded');
    assert.match(refusal?.message ?? '', /cpu 2500m \(quota 2\)/);
    assert.doesNotMatch(refusal?.message ?? '', /memory/, 'memory still fits: 2560Mi of 4Gi');
    assert.match(refusal?.message ?? '', /raise the Tenant's spec.quota/);
  });
});
