// The Qdrant adapter against the Qdrant stand-in: setup is idempotent, and every read and write is
// confined to its tenant.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '../../test-support/qdrant-stand-in.ts';
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
