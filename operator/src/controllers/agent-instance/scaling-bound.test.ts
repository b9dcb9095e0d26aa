import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scalingBound } from './scaling-bound.ts';

const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } };
const pro = (quota: Partial<{ cpu: string; memory: string; pods: number }> = {}) => ({
  tier: 'pro' as const,
  maxReplicasPerAgent: 5,
  quota: { cpu: '8', memory: '16Gi', pods: 40, maxAgentInstances: 10, monthlyConversations: 5000, ...quota },
});

describe('scaling bound of an agent', () => {
  it('gives an agent what it asks for when the tier and the quota have room', () => {
    assert.deepEqual(scalingBound(pro(), [], { autoscaling: { maxReplicas: 4 } }, resources), {
      maxReplicas: 4,
    });
    assert.deepEqual(scalingBound(pro(), [], { replicas: 2, paused: true }, resources), { maxReplicas: 0 });
  });

  it("caps a request above the tier's replicas per agent, saying so", () => {
    const bound = scalingBound(pro(), [], { autoscaling: { minReplicas: 2, maxReplicas: 12 } }, resources);
    assert.equal('reason' in bound, false);
    assert.deepEqual(bound, {
      maxReplicas: 5,
      capped: 'asked for up to 12 replicas, capped at 5: the pro tier allows 5 replicas per agent',
    });
  });

  it('leaves the older agents their room and caps the newer one to what is left of the quota', () => {
    // 2 cores at 500m a replica: 4 replicas for the tenant; the older agent asks for 3.
    const older = [{ autoscaling: { maxReplicas: 3 } }];
    const bound = scalingBound(pro({ cpu: '2' }), older, { autoscaling: { maxReplicas: 4 } }, resources);
    assert.deepEqual(bound, {
      maxReplicas: 1,
      capped:
        "asked for up to 4 replicas, capped at 1: the tenant's quota has room for 1 more replica(s) after its older agents",
    });
  });

  it('refuses an agent when not even its minimum fits, naming the quota', () => {
    const older = [{ replicas: 4 }];
    const bound = scalingBound(
      pro({ cpu: '2' }),
      older,
      { autoscaling: { minReplicas: 1, maxReplicas: 2 } },
      resources,
    );
    assert.ok('reason' in bound);
    assert.equal(bound.reason, 'QuotaExceeded');
    assert.match(bound.message, /has room for 0 more replica\(s\) .* needs at least 1/);
  });

  it('counts an older agent at its own bound, not at what it asked for', () => {
    // The older agent asked for 20 but the tier gives it 5: 5 of 40 pods are taken, not 20.
    const older = [{ autoscaling: { maxReplicas: 20 } }];
    assert.deepEqual(scalingBound(pro({ cpu: '100', memory: '100Gi' }), older, { replicas: 5 }, resources), {
      maxReplicas: 5,
    });
  });
});
