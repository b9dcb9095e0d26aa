// Generated from the app's route table: every route under /v1/tenants/:t is called with tenant
// B's owner key on tenant A's objects and must answer 403/404 with none of A's data; every channel
// webhook of A is called signed with B's channel secret and must refuse it with nothing stored. A
// new route is covered automatically; a new path parameter fails here until it gets a fixture below.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import { createHashedEmbedder, createQdrantStore } from '@agentplane/runtime/vectors';
import { withoutTestbed } from '@agentplane/shared/testing';
import { knowledgeIndex } from './knowledge/knowledge-index.ts';
import {
  buildTestApp,
  onboardTenant,
  recordingBus,
  staticChannelSecrets,
  type TestApp,
} from './testing/app.ts';
import { createTestDatabase, type TestDatabase } from './testing/database.ts';

// Routes without a tenant in the path, and why they are safe. A new one must be added here.
const tenantless: Record<string, string> = {
  'POST /v1/tenants': 'platform administrators only',
  'POST /ofrep/v1/evaluate/flags/:key': "evaluates the key's own tenant",
  'POST /ofrep/v1/evaluate/flags': "evaluates the key's own tenant",
  'GET /healthz': 'public, no data',
  'GET /readyz': 'public, no data',
  'POST /v1/clusters': 'platform administrators only',
  'GET /v1/clusters': 'platform administrators only',
  'GET /v1/clusters/:name': 'platform administrators only',
  'DELETE /v1/clusters/:name': 'platform administrators only',
};

// Routes under /v1 without an API key: a channel's signature (or verify token) authenticates them.
const signed: Record<string, string> = {
  'POST /v1/webhooks/:tenant/:channel': "the channel's signature over the raw body",
  'GET /v1/webhooks/:tenant/:channel': "Meta's verify token",
};

// Each tenant has a Meta channel; B signs with its own app secret and presents its own verify token.
const metaChannel = (tenant: string) => ({
  kind: 'meta',
  secret: `${tenant}-app-secret`,
  agentInstance: 'support',
  verifyToken: `${tenant}-verify-token`,
});

describe('cross-tenant isolation of every tenant route', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  const secretText = 'the secret plans of ACME';
  const fixtures: Record<string, string> = {
    key: 'custom-prompts',
    name: 'support',
    tenant: 'acme',
    channel: 'meta',
  };
  const bus = recordingBus();
  let acme: Awaited<ReturnType<typeof onboardTenant>>;
  let globex: Awaited<ReturnType<typeof onboardTenant>>;
  let acmeData: string[];
  let qdrant: Awaited<ReturnType<typeof startQdrantStandIn>>;

  before(async () => {
    db = await createTestDatabase();
    qdrant = await startQdrantStandIn();
    t = await buildTestApp(db, {
      bus,
      knowledge: knowledgeIndex(
        createQdrantStore({ url: qdrant.url, collection: 'agentplane_knowledge' }),
        createHashedEmbedder(),
      ),
      channelSecrets: staticChannelSecrets({
        'acme/meta': metaChannel('acme'),
        'globex/meta': metaChannel('globex'),
      }),
    });
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
    const doc = await inject('POST', '/v1/tenants/acme/knowledge', { title: 'Plans', content: secretText });
    fixtures.documentId = doc.id;
    fixtures.exportId = (await inject('POST', '/v1/tenants/acme/exports')).id;
    fixtures.keyId = acme.keyId;
    acmeData = [secretText, 'ACME internal prompt', instance.id, acme.key.slice(0, 20)];
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
    await qdrant?.close();
  });

  it('every route without a tenant in its path is accounted for', () => {
    const unlisted = t.app.routeTable
      .filter((route) => route.action && !route.url.includes(':t'))
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !(route in tenantless));
    assert.deepEqual(unlisted, []);
  });

  it('every /v1 route without an action is a signed channel webhook', () => {
    const unlisted = t.app.routeTable
      .filter((route) => !route.action && route.url.startsWith('/v1/'))
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !(route in signed));
    assert.deepEqual(unlisted, []);
  });

  it("a delivery signed with tenant B's channel secret is refused on each of A's webhook routes", async (context) => {
    const routes = t.app.routeTable.filter((route) => !route.action && route.url.startsWith('/v1/webhooks/'));
    assert.ok(routes.length >= 2, `expected the webhook routes, found ${routes.length}`);
    const globexChannel = metaChannel('globex');
    for (const route of routes) {
      await context.test(`${route.method} ${route.url}`, async () => {
        const url = route.url.replace(/:(\w+)/g, (_, param: string) => fixtures[param] ?? `:${param}`);
        const produced = bus.records.length;
        const body = JSON.stringify({
          object: 'page',
          entry: [
            { messaging: [{ sender: { id: 'psid' }, message: { mid: 'm-x', text: 'forged into acme' } }] },
          ],
        });
        const signature = createHmac('sha256', globexChannel.secret).update(body).digest('hex');
        const res =
          route.method === 'POST'
            ? await t.app.inject({
                method: 'POST',
                url,
                headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
                payload: body,
              })
            : await t.app.inject({
                method: 'GET',
                url: `${url}?hub.mode=subscribe&hub.verify_token=${globexChannel.verifyToken}&hub.challenge=42`,
              });
        assert.equal(res.statusCode, route.method === 'POST' ? 401 : 403, res.body);
        for (const datum of acmeData) assert.ok(!res.body.includes(datum), `the answer leaks ${datum}`);
        assert.equal(bus.records.length, produced, 'nothing enqueued');
        // The control: A's own credentials pass, so the refusal was about B's.
        const empty = JSON.stringify({ object: 'page', entry: [] });
        const own =
          route.method === 'POST'
            ? await t.app.inject({
                method: 'POST',
                url,
                headers: {
                  'content-type': 'application/json',
                  'x-hub-signature-256': `sha256=${createHmac('sha256', metaChannel('acme').secret).update(empty).digest('hex')}`,
                },
                payload: empty,
              })
            : await t.app.inject({
                method: 'GET',
                url: `${url}?hub.mode=subscribe&hub.verify_token=${metaChannel('acme').verifyToken}&hub.challenge=42`,
              });
        assert.equal(own.statusCode, 200, own.body);
      });
    }
    const conversations = await t.orm.em
      .fork()
      .execute<{ n: number }[]>("select count(*)::int as n from conversations where tenant_id = 'acme'");
    assert.equal(conversations[0]?.n, 1, 'no conversation was opened in A');
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
    const doc = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/acme/knowledge/${fixtures.documentId}`,
      headers: acme.headers,
    });
    assert.equal(doc.statusCode, 200, "A's knowledge document survived B's DELETE");
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
    for (const url of [
      `/v1/tenants/globex/knowledge/${fixtures.documentId}`,
      `/v1/tenants/globex/exports/${fixtures.exportId}`,
      `/v1/tenants/globex/exports/${fixtures.exportId}/download`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: globex.headers });
      assert.equal(res.statusCode, 404, url);
    }
  });
});
