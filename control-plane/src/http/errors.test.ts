import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';

describe('error shapes, headers and docs', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let acme: Awaited<ReturnType<typeof onboardTenant>>;

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db, {
      bodyLimitBytes: 4096,
      rateLimits: { basic: 5, pro: 1000, enterprise: 1000, 'platform-admin': 1000, anonymous: 1000 },
    });
    acme = await onboardTenant(t, 'acme', 'pro');
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('400 names the field that is wrong', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/agent-instances',
      headers: acme.headers,
      payload: { name: 'Not A Label', agent: 'sales', version: '1.0.0' },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'invalid_request');
    assert.equal(res.json().details.field, 'body/name');
    const missing = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: acme.headers,
      payload: { name: 'x' },
    });
    assert.equal(missing.json().details.field, 'body/role');
  });

  it('401 without or with a bad credential, the same answer', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/v1/tenants/acme' });
    const bad = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme',
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(none.statusCode, 401);
    assert.deepEqual(none.json(), bad.json());
    assert.equal(none.json().code, 'unauthenticated');
  });

  it('404 for unknown routes, 413 for large bodies, security headers, no CORS', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'not_found');
    const large = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/conversations',
      headers: acme.headers,
      payload: { agentInstance: 'x'.repeat(10_000) },
    });
    assert.equal(large.statusCode, 413);
    assert.equal(large.json().code, 'payload_too_large');
    assert.equal(unknown.headers['x-content-type-options'], 'nosniff');
    assert.ok(unknown.headers['strict-transport-security']);
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/tenants/acme',
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  });

  it('429 with Retry-After once a basic tenant exceeds its rate, keyed by tenant', async () => {
    const basic = await onboardTenant(t, 'small', 'basic');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof t.app.inject>> | undefined;
    for (let i = 0; i < 7; i++) {
      last = await t.app.inject({ method: 'GET', url: '/v1/tenants/small', headers: basic.headers });
      statuses.push(last.statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal(last?.json().code, 'rate_limited');
    assert.ok(Number(last?.headers['retry-after']) > 0);
    const other = await t.app.inject({ method: 'GET', url: '/v1/tenants/acme', headers: acme.headers });
    assert.equal(other.statusCode, 200, "another tenant's budget is untouched");
  });

  it('serves OpenAPI with every /v1 route and its schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const spec = res.json();
    assert.ok(spec.paths['/v1/tenants/{t}/conversations/{c}/messages'].post.requestBody);
    assert.ok(spec.paths['/ofrep/v1/evaluate/flags'].post);
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.ok([200, 302].includes(ui.statusCode));
  });

  it('503 when PostgreSQL is down', async () => {
    const { createOrm } = await import('../db/orm.ts');
    const { buildApp } = await import('../app.ts');
    const { createFlagEvaluator } = await import('../flags/evaluator.ts');
    const { recordingBus, recordingWriter } = await import('../testing/app.ts');
    // Nothing listens on port 1: every connection is refused.
    const orm = await createOrm({ clientUrl: 'postgres://postgres@127.0.0.1:1/none' });
    const app = await buildApp({
      orm,
      bus: recordingBus(),
      writer: recordingWriter(),
      flags: await createFlagEvaluator(),
      platformAdminToken: 'x'.repeat(32),
    });
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/tenants/acme',
        headers: { authorization: `Bearer ${'x'.repeat(32)}` },
      });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().code, 'dependency_unavailable');
      assert.ok(res.headers['retry-after']);
    } finally {
      await app.close();
    }
  });
});
