import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TenantSpec } from './tenant.schema.ts';
import {
  effectiveTenantSettings,
  InvalidTenantSpecError,
  tenantVaultPath,
  tiers,
  tierViolation,
} from './tiers.ts';

type Modifier = (spec: TenantSpec) => void;
function spec(tier: TenantSpec['tier'], ...modifiers: Modifier[]): TenantSpec {
  const s: TenantSpec = { tier };
  for (const modify of modifiers) modify(s);
  return s;
}
const withIsolation =
  (isolation: TenantSpec['isolation']): Modifier =>
  (s) => {
    s.isolation = isolation;
  };
const withQuota =
  (quota: TenantSpec['quota']): Modifier =>
  (s) => {
    s.quota = quota;
  };

describe('effectiveTenantSettings', () => {
  it('defaults isolation to dedicated for enterprise and shared otherwise', () => {
    assert.equal(effectiveTenantSettings(spec('basic')).isolation, 'shared');
    assert.equal(effectiveTenantSettings(spec('pro')).isolation, 'shared');
    assert.equal(effectiveTenantSettings(spec('enterprise')).isolation, 'dedicated');
  });

  it('keeps an explicit isolation the tier allows', () => {
    assert.equal(effectiveTenantSettings(spec('pro', withIsolation('dedicated'))).isolation, 'dedicated');
    assert.equal(effectiveTenantSettings(spec('enterprise', withIsolation('shared'))).isolation, 'shared');
  });

  it('refuses basic + dedicated, like the CRD does', () => {
    assert.throws(
      () => effectiveTenantSettings(spec('basic', withIsolation('dedicated'))),
      InvalidTenantSpecError,
    );
  });

  it("takes the tier's quota when the spec overrides nothing", () => {
    assert.deepEqual(effectiveTenantSettings(spec('pro')).quota, {
      cpu: '8',
      memory: '16Gi',
      pods: 40,
      maxAgentInstances: 10,
      monthlyConversations: 5000,
    });
  });

  it('merges each override over the tier default and writes quantities as strings', () => {
    const quota = effectiveTenantSettings(spec('basic', withQuota({ cpu: 4, maxAgentInstances: 0 }))).quota;
    assert.deepEqual(quota, {
      cpu: '4',
      memory: '4Gi',
      pods: 10,
      maxAgentInstances: 0,
      monthlyConversations: 1000,
    });
  });

  it('reports unlimited instances and contract conversations of enterprise as null', () => {
    const { quota, customPrompts, allowedAgents } = effectiveTenantSettings(spec('enterprise'));
    assert.equal(quota.maxAgentInstances, null);
    assert.equal(quota.monthlyConversations, null);
    assert.equal(customPrompts, true);
    assert.deepEqual(allowedAgents, ['customer-service', 'sales', 'marketing', 'lead-qualifier']);
  });

  it('fills in messaging and suspension the way the CRD defaults them', () => {
    const settings = effectiveTenantSettings(spec('pro'));
    assert.deepEqual(settings.messaging, { partitions: 3, retentionHours: 168 });
    assert.equal(settings.suspended, false);
    assert.equal(
      effectiveTenantSettings({ tier: 'pro', messaging: { partitions: 6 } }).messaging.partitions,
      6,
    );
  });

  it('gives LimitRange bounds from the tier', () => {
    assert.deepEqual(effectiveTenantSettings(spec('basic')).limits, tiers.basic.limits);
  });
});

describe('tenantVaultPath', () => {
  it('defaults to tenants/<name>', () => {
    assert.equal(tenantVaultPath('acme', spec('pro')), 'tenants/acme');
    assert.equal(
      tenantVaultPath('acme', { tier: 'pro', secrets: { vaultPath: 'tenants/acme/prod' } }),
      'tenants/acme/prod',
    );
  });
});

describe('tierViolation', () => {
  const basic = effectiveTenantSettings(spec('basic'));
  const enterprise = effectiveTenantSettings(spec('enterprise'));

  it('allows what the tier includes', () => {
    assert.equal(tierViolation(basic, { agent: 'customer-service' }, 1), undefined);
    assert.equal(
      tierViolation(enterprise, { agent: 'marketing', prompt: { system: 'Be bold.' } }, 500),
      undefined,
    );
  });

  it('refuses an agent type the tier lacks', () => {
    assert.equal(tierViolation(basic, { agent: 'sales' }, 0)?.reason, 'AgentNotAllowed');
    assert.equal(
      tierViolation(effectiveTenantSettings(spec('pro')), { agent: 'marketing' }, 0)?.reason,
      'AgentNotAllowed',
    );
  });

  it('refuses an instance beyond maxAgentInstances, counting only the others', () => {
    assert.equal(tierViolation(basic, { agent: 'lead-qualifier' }, 2)?.reason, 'TierLimitExceeded');
    const none = effectiveTenantSettings(spec('pro', withQuota({ maxAgentInstances: 0 })));
    assert.match(tierViolation(none, { agent: 'sales' }, 0)?.message ?? '', /at most 0/);
  });

  it('refuses a custom system prompt below enterprise', () => {
    const violation = tierViolation(basic, { agent: 'customer-service', prompt: { system: 'x' } }, 0);
    assert.equal(violation?.reason, 'CustomPromptNotAllowed');
    assert.equal(
      tierViolation(basic, { agent: 'customer-service', prompt: { tone: 'formal' } }, 0),
      undefined,
    );
  });
});
