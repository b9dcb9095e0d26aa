import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, requestTarget } from './metrics.ts';

describe('requestTarget', () => {
  const cases: Array<[string, string, string]> = [
    ['/api/v1/namespaces/tenant-acme/configmaps/settings', 'configmaps', ''],
    ['/api/v1/namespaces/tenant-acme/configmaps', 'configmaps', ''],
    ['/apis/agentplane.io/v1alpha1/namespaces/pool/agentinstances/a/status', 'agentinstances', 'status'],
    ['/apis/agentplane.io/v1alpha1/tenants/acme/status', 'tenants', 'status'],
    ['/apis/agentplane.io/v1alpha1/tenants/acme', 'tenants', ''],
    ['/apis/apps/v1/namespaces/x/deployments/y/scale', 'deployments', 'scale'],
    ['/api/v1/namespaces/agentplane-system/serviceaccounts/op/token', 'serviceaccounts', 'token'],
    // Namespaces are cluster-scoped objects whose own paths start like a namespaced path.
    ['/api/v1/namespaces', 'namespaces', ''],
    ['/api/v1/namespaces/tenant-acme', 'namespaces', ''],
    ['/api/v1/namespaces/tenant-acme/status', 'namespaces', 'status'],
    ['/api/v1/namespaces/tenant-acme/finalize', 'namespaces', 'finalize'],
    ['/apis/rbac.authorization.k8s.io/v1/clusterroles/x', 'clusterroles', ''],
    // Lists and watches, with their query strings.
    ['/apis/agentplane.io/v1alpha1/tenants?watch=true&resourceVersion=12', 'tenants', ''],
    ['/apis/events.k8s.io/v1/namespaces/x/events?limit=500', 'events', ''],
    ['/apis/coordination.k8s.io/v1/watch/namespaces/x/leases/op', 'leases', ''],
    // Discovery and other non-resource paths name no resource.
    ['/apis/agentplane.io/v1alpha1', '', ''],
    ['/apis', '', ''],
    ['/api/v1', '', ''],
    ['/version', '', ''],
  ];
  for (const [path, resource, subresource] of cases)
    it(`reads ${path}`, () => assert.deepEqual(requestTarget(path), { resource, subresource }));
});

describe('rest_client_requests_total', () => {
  it('counts per method, resource and subresource, without namespaces or names', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.apiRequest('PATCH', '/apis/agentplane.io/v1alpha1/tenants/acme/status');
    metrics.apiRequest('PATCH', '/apis/agentplane.io/v1alpha1/tenants/globex/status');
    metrics.apiRequest('PATCH', '/apis/agentplane.io/v1alpha1/tenants/acme');
    metrics.apiRequest('GET', '/api/v1/namespaces/a/configmaps?limit=500');
    const text = await metrics.registry.metrics();
    const lines = text.split('\n').filter((l) => l.startsWith('rest_client_requests_total{'));
    assert.deepEqual(lines.sort(), [
      'rest_client_requests_total{method="GET",resource="configmaps",subresource=""} 1',
      'rest_client_requests_total{method="PATCH",resource="tenants",subresource=""} 1',
      'rest_client_requests_total{method="PATCH",resource="tenants",subresource="status"} 2',
    ]);
  });
});
