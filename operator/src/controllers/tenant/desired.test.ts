import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  desiredLimitRange,
  desiredNamespace,
  desiredNetworkPolicy,
  desiredOwnersRoleBinding,
  desiredQuota,
  desiredRuntimeRole,
} from './desired.ts';
import { dedicatedNamespace, poolNamespace, type TenantPlan } from './plan.ts';

const owner = {
  apiVersion: 'agentplane.io/v1alpha1',
  kind: 'Tenant',
  name: 'acme',
  uid: 'u-1',
  controller: true,
};

function plan(...modifiers: Array<(p: TenantPlan) => void>): TenantPlan {
  const base: TenantPlan = {
    name: 'acme',
    uid: 'u-1',
    tier: 'enterprise',
    isolation: 'dedicated',
    namespace: dedicatedNamespace('acme'),
    owners: ['alice@acme.example'],
    quota: { cpu: '4', memory: '8Gi', pods: 20 },
    limits: { defaultCpu: '250m', defaultMemory: '256Mi', maxCpu: '2', maxMemory: '4Gi' },
    suspended: false,
  };
  for (const modify of modifiers) modify(base);
  return base;
}
const shared = (p: TenantPlan) => {
  p.tier = 'pro';
  p.isolation = 'shared';
  p.namespace = poolNamespace('pro');
};
const meta = (p: TenantPlan) => ({ namespace: p.namespace, ownerReferences: [owner] });

describe('tenant desired state', () => {
  it('gives a dedicated tenant a namespace labelled with tenant, tier and manager, owned by the Tenant', () => {
    const ns = desiredNamespace(plan(), owner);
    assert.equal(ns.metadata.name, 'tenant-acme');
    assert.deepEqual(ns.metadata.labels, {
      'agentplane.io/tenant': 'acme',
      'agentplane.io/tier': 'enterprise',
      'app.kubernetes.io/managed-by': 'agentplane-operator',
    });
    assert.deepEqual(ns.metadata.ownerReferences, [owner]);
  });

  it('caps requests and limits with the resolved quota', () => {
    const p = plan();
    const quota = desiredQuota(p, meta(p));
    assert.deepEqual((quota.spec as { hard: Record<string, string> }).hard, {
      'requests.cpu': '4',
      'requests.memory': '8Gi',
      'limits.cpu': '4',
      'limits.memory': '8Gi',
      pods: '20',
    });
  });

  it('writes LimitRange defaults under their wire names', () => {
    const p = plan();
    const limits = (desiredLimitRange(p, meta(p)).spec as { limits: Array<Record<string, unknown>> })
      .limits[0];
    assert.deepEqual(limits?.default, { cpu: '250m', memory: '256Mi' });
    assert.equal('_default' in (limits ?? {}), false);
  });

  it('isolates every pod of a dedicated namespace but only the tenant pods of a shared pool', () => {
    const dedicated = plan();
    const egress = [
      { name: 'dns', namespace: 'kube-system', ports: [{ port: 53, protocol: 'UDP' as const }] },
    ];
    const own = desiredNetworkPolicy(dedicated, meta(dedicated), egress).spec as Record<string, unknown>;
    assert.deepEqual(own.podSelector, {});
    assert.deepEqual(own.policyTypes, ['Ingress', 'Egress']);

    const pooled = plan(shared);
    const pool = desiredNetworkPolicy(pooled, meta(pooled), egress).spec as {
      podSelector: unknown;
      ingress: Array<{ from: unknown[] }>;
      egress: unknown[];
    };
    const tenantPods = { matchLabels: { 'agentplane.io/tenant': 'acme' } };
    assert.deepEqual(pool.podSelector, tenantPods);
    assert.deepEqual(
      pool.ingress,
      [{ from: [{ podSelector: tenantPods }] }],
      'only its own pods may connect',
    );
    assert.deepEqual(pool.egress[1], {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
      ports: [{ port: 53, protocol: 'UDP' }],
    });
  });

  it('grants owners view on a dedicated namespace and nothing in a shared pool', () => {
    const dedicated = plan();
    assert.deepEqual(desiredOwnersRoleBinding(dedicated, meta(dedicated))?.subjects, [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@acme.example' },
    ]);
    const pooled = plan(shared);
    assert.equal(desiredOwnersRoleBinding(pooled, meta(pooled)), undefined);
  });

  it('lets the runtime read only the objects named for it', () => {
    const p = plan(shared);
    const role = desiredRuntimeRole(p, meta(p), ['agent-support-config']);
    assert.deepEqual(role.rules, [
      {
        apiGroups: [''],
        resources: ['configmaps', 'secrets'],
        verbs: ['get'],
        resourceNames: ['agent-support-config'],
      },
    ]);
    assert.deepEqual(
      desiredRuntimeRole(p, meta(p), []).rules,
      [],
      'no names, no access (an empty list would mean all)',
    );
  });
});
