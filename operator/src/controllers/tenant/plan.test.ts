import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tenant, TenantSpec } from '@agentplane/crds';
import { planTenant } from './plan.ts';

function tenant(name: string, spec: Partial<TenantSpec> & Pick<TenantSpec, 'tier'>): Tenant {
  return {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name, uid: `uid-${name}` },
    spec,
  };
}

describe('planTenant', () => {
  it('homes an enterprise tenant in its own namespace by default', () => {
    const plan = planTenant(tenant('globex', { tier: 'enterprise' }));
    assert.equal(plan.isolation, 'dedicated');
    assert.equal(plan.namespace, 'tenant-globex');
  });

  it('puts a pro tenant in the pro pool by default, and in its own namespace when asked', () => {
    assert.equal(planTenant(tenant('acme', { tier: 'pro' })).namespace, 'agentplane-pool-pro');
    assert.equal(
      planTenant(tenant('acme', { tier: 'pro', isolation: 'dedicated' })).namespace,
      'tenant-acme',
    );
  });

  it('lays quota overrides over the tier defaults', () => {
    const plan = planTenant(tenant('acme', { tier: 'pro', quota: { cpu: '4' } }));
    assert.equal(plan.quota.cpu, '4');
    assert.equal(plan.quota.memory, '16Gi', 'the pro default');
  });

  it('refuses basic + dedicated even when it got past the API server', () => {
    assert.throws(
      () => planTenant(tenant('tiny', { tier: 'basic', isolation: 'dedicated' })),
      /basic tier cannot be dedicated/,
    );
  });
});
