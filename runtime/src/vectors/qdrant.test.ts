// The Qdrant adapter against the Qdrant stand-in: setup is idempotent, and every read and write is
// confined to its tenant.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '../../test-support/qdrant-stand-in.ts';
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

  it('reports an unreachable Qdrant as a retriable error', async () => {
    const store = createQdrantStore({ url: 'http://127.0.0.1:9', collection: 'knowledge', timeoutMs: 500 });
    await assert.rejects(store.count('acme'), { code: 'dependency_unavailable', retriable: true });
  });
});
