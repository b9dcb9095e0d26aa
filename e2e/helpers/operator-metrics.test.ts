import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeWrites, parseOperatorMetrics, writesBetween } from './operator-metrics.ts';

const exposition = (
  patches: number,
) => `# HELP rest_client_requests_total Requests made to the Kubernetes API.
# TYPE rest_client_requests_total counter
rest_client_requests_total{method="GET",resource="tenants",subresource=""} 40
rest_client_requests_total{method="PATCH",resource="tenants",subresource="status"} ${patches}
rest_client_requests_total{subresource="",resource="events",method="POST"} 2
rest_client_requests_total{method="PUT",resource="leases",subresource=""} 9
controller_runtime_reconcile_total{controller="tenant",result="success"} 10
controller_runtime_reconcile_total{result="success",controller="agent-instance"} 5
controller_runtime_reconcile_total{controller="tenant",result="error"} 3
process_resident_memory_bytes 1000
`;

describe('parseOperatorMetrics', () => {
  it('sums requests, writes and successful reconciles whatever the order of the labels', () => {
    const counters = parseOperatorMetrics(exposition(3));
    assert.deepEqual(counters, {
      requests: 54,
      writes: 5,
      writesByResource: { 'PATCH tenants/status': 3, 'POST events': 2 },
      reconciles: 15,
      rss: 1000,
    });
  });

  it('reads an operator that counts by method only', () => {
    const counters = parseOperatorMetrics('rest_client_requests_total{method="PATCH"} 4\n');
    assert.equal(counters.writes, 4);
  });

  it('names the writes made between two readings', () => {
    const made = writesBetween(parseOperatorMetrics(exposition(3)), parseOperatorMetrics(exposition(7)));
    assert.deepEqual(made, { 'PATCH tenants/status': 4 });
    assert.equal(describeWrites(made), 'PATCH tenants/status ×4');
    assert.equal(describeWrites({}), 'none');
  });
});
