// The Qdrant adapter against the Qdrant stand-in: setup is idempotent, and every read and write is
// confined to its tenant; with Qdrant's authentication, a tenant's read-only token reads its own
// collection only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '../../test-support/qdrant-stand-in.ts';
import { signStandInJwt } from '../../test-support/qdrant-stand-in-auth.ts';
import { createEmbeddedStore } from './embedded.ts';
import { createHashedEmbedder } from './hashed-embedding.ts';
import { tenantKnowledge } from './knowledge.ts';
import { createQdrantStore, pointId } from './qdrant.ts';

describe('qdrant vector store (against the stand-in)', () => {
  let standIn: Awaited<ReturnType<typeof startQdrantStandIn>>;
  before(async () => {
    standIn = await startQdrantStandIn();
  });
  after(() => standIn.close());

  it('creates the collection and tenant index once, and keeps tenants apart', async () => {
    const store = createQdrantStore({ url: standIn.url, collection: 'knowledge' });
    const embedder = createHashedEmbedder(64);
    await store.ensureReady(64);
    await store.ensureReady(64);
    const index = standIn.requests.find((r) => r.path.endsWith('/index'));
    assert.deepEqual(index?.body.field_schema, { type: 'keyword', is_tenant: true });
    const acme = tenantKnowledge(store, embedder, 'acme');
    const globex = tenantKnowledge(store, embedder, 'globex');
    await acme.add([{ id: 'doc', text: 'Acme refunds take five days.' }]);
    await globex.add([{ id: 'doc', text: 'Globex refunds are instant.' }]);
    assert.notEqual(pointId('acme', 'doc'), pointId('globex', 'doc'));
    const hits = await acme.search('how long do refunds take', 5);
    assert.deepEqual(
      hits.map((hit) => hit.text),
      ['Acme refunds take five days.'],
    );
    for (const call of standIn.requests.filter((r) => /points\/(query|count|delete)$/.test(r.path))) {
      assert.deepEqual((call.body.filter as { must: unknown[] }).must[0], {
        key: 'tenant',
        match: { value: 'acme' },
      });
    }
    assert.equal(await store.count('globex'), 1);
    await store.delete('acme', ['doc']);
    assert.equal(await store.count('acme'), 0);
    assert.equal(await store.count('globex'), 1, 'deleting for acme leaves globex alone');
  });

  it("lists one tenant's points page by page, in both stores", async () => {
    const embedder = createHashedEmbedder(16);
    for (const store of [
      createQdrantStore({ url: standIn.url, collection: 'listing' }),
      createEmbeddedStore(),
    ]) {
      await store.ensureReady(16);
      const texts = ['one', 'two', 'three', 'four', 'five'];
      await tenantKnowledge(store, embedder, 'acme').add(texts.map((text) => ({ id: text, text })));
      await tenantKnowledge(store, embedder, 'globex').add([{ id: 'one', text: 'globex one' }]);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list('acme', { limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...page.points.map((point) => `${point.id}=${point.text}`));
        cursor = page.next;
        pages += 1;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen.sort(), texts.map((text) => `${text}=${text}`).sort());
    }
    const scrolls = standIn.requests.filter((r) => r.path.endsWith('/points/scroll'));
    assert.equal(scrolls.length, 3);
    for (const call of scrolls)
      assert.deepEqual((call.body.filter as { must: unknown[] }).must[0], {
        key: 'tenant',
        match: { value: 'acme' },
      });
  });

  it('reports an unreachable Qdrant as a retriable error', async () => {
    const store = createQdrantStore({ url: 'http://127.0.0.1:9', collection: 'knowledge', timeoutMs: 500 });
    await assert.rejects(store.count('acme'), { code: 'dependency_unavailable', retriable: true });
  });
});

describe("qdrant vector store with a tenant's read-only token (stand-in with jwt_rbac)", () => {
  const apiKey = 'platform-key';
  let standIn: Awaited<ReturnType<typeof startQdrantStandIn>>;
  const embedder = createHashedEmbedder(16);
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
  const readOnly = (collection: string, exp = inAnHour()) =>
    signStandInJwt(apiKey, { exp, access: [{ collection, access: 'r' }] });
  const store = (collection: string, key: string) =>
    createQdrantStore({ url: standIn.url, collection, apiKey: key, timeoutMs: 2_000 });
  const status = async (path: string, headers: Record<string, string>) => {
    const response = await fetch(`${standIn.url}${path}`, { headers });
    return { status: response.status, body: await response.text() };
  };

  before(async () => {
    standIn = await startQdrantStandIn({ apiKey, jwtRbac: true });
    for (const tenant of ['acme', 'globex']) {
      const admin = store(`knowledge-${tenant}`, apiKey);
      await admin.ensureReady(16);
      await tenantKnowledge(admin, embedder, tenant).add([{ id: 'doc', text: `${tenant} refunds` }]);
    }
  });
  after(() => standIn.close());

  it('reads its own collection, and starts without writing', async () => {
    const own = store('knowledge-acme', readOnly('knowledge-acme'));
    const before = standIn.requests.length;
    await own.ensureReady(16);
    const setup = standIn.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(setup, ['GET /collections/knowledge-acme/exists', 'GET /collections/knowledge-acme']);
    const hits = await tenantKnowledge(own, embedder, 'acme').search('refunds', 3);
    assert.deepEqual(
      hits.map((hit) => hit.text),
      ['acme refunds'],
    );
    assert.equal(await own.count('acme'), 1);
  });

  it("is refused another tenant's collection, and every write", async () => {
    const token = readOnly('knowledge-acme');
    const other = store('knowledge-globex', token);
    await assert.rejects(other.query('globex', new Array(16).fill(0.1), 3), {
      code: 'dependency_unavailable',
      message: /Forbidden/,
    });
    await assert.rejects(other.ensureReady(16), { message: /Forbidden/ });
    const own = store('knowledge-acme', token);
    await assert.rejects(tenantKnowledge(own, embedder, 'acme').add([{ id: 'x', text: 'injected' }]), {
      message: /Forbidden/,
    });
    await assert.rejects(own.delete('acme', ['doc']), { message: /Forbidden/ });
    assert.equal(await store('knowledge-acme', apiKey).count('acme'), 1, 'nothing was written');
    const raw = await fetch(`${standIn.url}/collections/knowledge-globex/points/count`, {
      method: 'POST',
      headers: { 'api-key': token, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(raw.status, 403);
    assert.deepEqual(((await raw.json()) as { status: unknown }).status, {
      error: 'Forbidden: Access to collection knowledge-globex is required',
    });
  });

  it('lists only the collections the token may read', async () => {
    const listed = await status('/collections', { authorization: `Bearer ${readOnly('knowledge-acme')}` });
    assert.deepEqual(JSON.parse(listed.body).result.collections, [{ name: 'knowledge-acme' }]);
    const all = await status('/collections', { 'api-key': apiKey });
    assert.equal(JSON.parse(all.body).result.collections.length, 2);
  });

  it('refuses no key (401), a token past exp or signed with another key (403), as Qdrant does', async () => {
    assert.deepEqual(await status('/collections/knowledge-acme', {}), {
      status: 401,
      body: 'Must provide an API key or an Authorization bearer token',
    });
    const expired = readOnly('knowledge-acme', Math.floor(Date.now() / 1000) - 60);
    assert.deepEqual(await status('/collections/knowledge-acme', { 'api-key': expired }), {
      status: 403,
      body: 'ExpiredSignature',
    });
    await assert.rejects(store('knowledge-acme', expired).count('acme'), { code: 'dependency_unavailable' });
    const forged = signStandInJwt('another-key', { exp: inAnHour(), access: 'm' });
    assert.equal((await status('/collections/knowledge-acme', { 'api-key': forged })).status, 403);
    assert.equal((await status('/collections/knowledge-acme', { 'api-key': 'wrong' })).status, 401);
    const noExp = signStandInJwt(apiKey, { access: 'r' });
    assert.equal((await status('/collections/knowledge-acme', { 'api-key': noExp })).status, 401);
  });
});
