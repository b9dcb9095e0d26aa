// Generated from the app's route table: every route under /v1/tenants/:t is called with tenant
// B's owner key on tenant A's objects and must answer 403/404 with none of A's data. A new route
// is covered automatically; a new path parameter fails here until it gets a fixture below.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from './testing/app.ts';
import { createTestDatabase, type TestDatabase } from './testing/database.ts';

// Routes without a tenant in the path, and why they are safe. A new one must be added here.
const tenantless: Record<string, string> = {
  'POST /v1/tenants': 'platform administrators only',
  'POST /ofrep/v1/evaluate/flags/:key': "evaluates the key's own tenant",
  'POST /ofrep/v1/evaluate/flags': "evaluates the key's own tenant",
  'GET /healthz': 'public, no data',
  'GET /readyz': 'public, no data',
};

describe('cross-tenant isolation of every tenant route', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  const secretText = 'the secret plans of ACME';
  const fixtures: Record<string, string> = { key: 'custom-prompts', name: 'support' };
  let acme: Awaited<ReturnType<typeof onboardTenant>>;
  let globex: Awaited<ReturnType<typeof onboardTenant>>;
  let acmeData: string[];

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    acme = await onboardTenant(t, 'acme', 'enterprise');
    globex = await onboardTenant(t, 'globex', 'enterprise');
    const inject = (method: 'POST' | 'GET', url: string, payload?: object) =>
      t.app
        .inject({ method, url, headers: acme.headers, ...(payload ? { payload } : {}) })
        .then((res) => res.json());
    const instance = await inject('POST', '/v1/tenants/acme/agent-instances', {
      name: 'support',
      agent: 'sales',
      version: '1.0.0',
      prompt: { system: 'ACME internal prompt' },
    });
    const conversation = await inject('POST', '/v1/tenants/acme/conversations', { agentInstance: 'support' });
    await inject('POST', `/v1/tenants/acme/conversations/${conversation.id}/messages`, { body: secretText });
    fixtures.c = conversation.id;
    fixtures.keyId = acme.keyId;
    acmeData = [secretText, 'ACME internal prompt', instance.id, acme.key.slice(0, 20)];
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('every route without a tenant in its path is accounted for', () => {
    const unlisted = t.app.routeTable
      .filter((route) => route.action && !route.url.includes(':t'))
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !(route in tenantless));
    assert.deepEqual(unlisted, []);
  });

  it("tenant B's key gets 403/404 and no data on each of tenant A's routes", async (context) => {
    const routes = t.app.routeTable.filter((route) => route.action && route.url.includes(':t'));
    assert.ok(routes.length >= 12, `expected the tenant routes, found ${routes.length}`);
    for (const route of routes) {
      await context.test(`${route.method} ${route.url}`, async () => {
        const url = route.url.replace(/:(\w+)/g, (_, param: string) => {
          if (param === 't') return 'acme';
          const value = fixtures[param];
          assert.ok(value, `no fixture for path parameter :${param}; add one to this suite`);
          return value;
        });
        const method = route.method as 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
        const withBody = ['POST', 'PATCH', 'PUT'].includes(method);
        const res = await t.app.inject({
          method,
          url,
          headers: globex.headers,
          ...(withBody ? { payload: {} } : {}),
        });
        assert.ok([403, 404].includes(res.statusCode), `${res.statusCode} ${res.body}`);
        for (const datum of acmeData) assert.ok(!res.body.includes(datum), `the answer leaks ${datum}`);
        // Indistinguishable from a tenant that does not exist.
        const absent = await t.app.inject({
          method,
          url: url.replace('/acme', '/nope'),
          headers: globex.headers,
          ...(withBody ? { payload: {} } : {}),
        });
        assert.equal(res.statusCode, absent.statusCode);
        assert.equal(res.body.replaceAll('acme', 'nope'), absent.body);
      });
    }
    // Nothing of A changed under B's attempts (DELETE, PATCH, POST included).
    const still = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/agent-instances/support',
      headers: acme.headers,
    });
    assert.equal(still.statusCode, 200);
    assert.equal(still.json().prompt.system, 'ACME internal prompt');
    const conversation = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/acme/conversations/${fixtures.c}`,
      headers: acme.headers,
    });
    assert.equal(conversation.json().messages.length, 1);
  });

  it("a tenant key reaching for A's objects under its own tenant finds nothing", async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/globex/conversations/${fixtures.c}`,
      headers: globex.headers,
    });
    assert.equal(res.statusCode, 404);
    const post = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/globex/conversations/${fixtures.c}/messages`,
      headers: globex.headers,
      payload: { body: 'hi' },
    });
    assert.equal(post.statusCode, 404);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/globex/api-keys/${acme.keyId}`,
      headers: globex.headers,
    });
    assert.equal(revoke.statusCode, 404);
  });
});
