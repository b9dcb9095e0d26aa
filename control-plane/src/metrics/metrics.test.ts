// Request metrics as Prometheus scrapes them: one series per method, route pattern, status and
// tier; errors by code; never a raw URL, a tenant id or an object id in a label.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { createControlPlaneMetrics } from './metrics.ts';

/** The value of the series `name{labels}` in a Prometheus text exposition (labels in any order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

it('counts produce failures and ingested events by reason and outcome', async () => {
  const metrics = createControlPlaneMetrics({ processMetrics: false });
  metrics.produceFailed('unknown_topic');
  metrics.produceFailed('unknown_topic');
  metrics.eventIngested('stored');
  metrics.eventIngested('duplicate');
  const text = await metrics.registry.metrics();
  assert.equal(
    sample(text, 'agentplane_control_plane_kafka_produce_failures_total', { reason: 'unknown_topic' }),
    2,
  );
  assert.equal(sample(text, 'agentplane_control_plane_events_ingested_total', { outcome: 'stored' }), 1);
  assert.equal(
    sample(text, 'agentplane_control_plane_events_ingested_total', { outcome: 'dead_lettered' }),
    undefined,
  );
});

describe('GET /metrics after real requests', { skip: withoutTestbed() }, () => {
  const tenant = uniqueName('metrics');
  const missing = randomUUID();
  let db: TestDatabase;
  let t: TestApp;
  let scrape: string;

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    const owner = await onboardTenant(t, tenant, 'pro');
    const get = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url, headers });
    assert.equal((await get(`/v1/tenants/${tenant}`, owner.headers)).statusCode, 200);
    assert.equal((await get(`/v1/tenants/${tenant}`, owner.headers)).statusCode, 200);
    assert.equal(
      (await get(`/v1/tenants/${tenant}/conversations/${missing}`, owner.headers)).statusCode,
      404,
    );
    assert.equal((await get(`/v1/tenants/${tenant}`)).statusCode, 401);
    assert.equal((await get(`/v1/tenants/${tenant}`, t.admin)).statusCode, 200);
    assert.equal((await get('/v1/no/such/route')).statusCode, 404);
    const res = await get('/metrics');
    assert.equal(res.statusCode, 200, 'public, like /healthz');
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    scrape = res.body;
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('counts requests per route pattern, status and tier', () => {
    const series = (labels: Record<string, string>) =>
      sample(scrape, 'agentplane_control_plane_http_requests_total', { method: 'GET', ...labels });
    assert.equal(series({ route: '/v1/tenants/:t', status_code: '200', tier: 'pro' }), 2);
    assert.equal(series({ route: '/v1/tenants/:t', status_code: '200', tier: 'platform-admin' }), 1);
    assert.equal(series({ route: '/v1/tenants/:t', status_code: '401', tier: 'anonymous' }), 1);
    assert.equal(series({ route: '/v1/tenants/:t/conversations/:c', status_code: '404', tier: 'pro' }), 1);
    assert.equal(series({ route: 'unmatched', status_code: '404', tier: 'anonymous' }), 1);
  });

  it('observes latency in a histogram per route and tier', () => {
    const labels = { method: 'GET', route: '/v1/tenants/:t', tier: 'pro' };
    assert.equal(sample(scrape, 'agentplane_control_plane_http_request_duration_seconds_count', labels), 2);
    const sum = sample(scrape, 'agentplane_control_plane_http_request_duration_seconds_sum', labels);
    assert.ok(sum !== undefined && sum > 0 && sum < 10, `sum ${sum}`);
    const inf = sample(scrape, 'agentplane_control_plane_http_request_duration_seconds_bucket', {
      ...labels,
      le: '+Inf',
    });
    assert.equal(inf, 2);
  });

  it('counts errors by their code', () => {
    const errors = (labels: Record<string, string>) =>
      sample(scrape, 'agentplane_control_plane_http_request_errors_total', { method: 'GET', ...labels });
    assert.equal(errors({ route: '/v1/tenants/:t/conversations/:c', tier: 'pro', code: 'not_found' }), 1);
    assert.equal(errors({ route: '/v1/tenants/:t', tier: 'anonymous', code: 'unauthenticated' }), 1);
    assert.equal(errors({ route: 'unmatched', tier: 'anonymous', code: 'not_found' }), 1);
    assert.equal(errors({ route: '/v1/tenants/:t', tier: 'pro', code: 'not_found' }), undefined);
  });

  it('never puts a raw URL, a tenant or an object id in a label', () => {
    assert.ok(!scrape.includes(tenant), 'no tenant id');
    assert.ok(!scrape.includes(missing), 'no conversation id');
    assert.ok(!scrape.includes('/v1/no/such/route'), 'no unmatched URL');
  });
});
