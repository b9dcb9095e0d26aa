// The operator's Qdrant adapter against the Qdrant stand-in (no Qdrant server runs here): a
// partition is made with reads first, counted and erased by the tenant key, or deleted whole.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import { createHashedEmbedder, createQdrantStore, tenantKnowledge } from '@agentplane/runtime/vectors';
import { createQdrantPartitions } from './qdrant-partitions.ts';

describe('qdrant partitions (against the stand-in)', () => {
  let standIn: Awaited<ReturnType<typeof startQdrantStandIn>>;
  before(async () => {
    standIn = await startQdrantStandIn();
  });
  after(() => standIn.close());

  it('creates the collection and the tenant index once; a second ensure writes nothing', async () => {
    const partitions = createQdrantPartitions({ url: standIn.url, dimensions: 16 });
    assert.deepEqual(await partitions.ensure('kb'), { created: true, indexed: true, size: 16 });
    const writes = () => standIn.requests.filter((r) => r.method !== 'GET').length;
    const before = writes();
    assert.deepEqual(await partitions.ensure('kb'), { created: false, indexed: false, size: 16 });
    assert.equal(writes(), before, 'an unchanged partition costs Qdrant no write');
    const info = (await (await fetch(`${standIn.url}/collections/kb`)).json()) as {
      result: { payload_schema: Record<string, { data_type: string; params: unknown }> };
    };
    assert.deepEqual(info.result.payload_schema.tenant, {
      data_type: 'keyword',
      params: { type: 'keyword', is_tenant: true },
      points: 0,
    });
  });

  it('ensures a collection from many tenants at once', async () => {
    const partitions = createQdrantPartitions({ url: standIn.url, dimensions: 16 });
    const results = await Promise.all(Array.from({ length: 5 }, () => partitions.ensure('busy')));
    assert.equal(results.filter((r) => r.created).length, 1, 'one created it, the others found it');
  });

  it("counts and erases one tenant's points in a shared collection, and deletes a collection whole", async () => {
    const partitions = createQdrantPartitions({ url: standIn.url, dimensions: 16 });
    // Written by the runtime's own adapter, as the control plane writes them.
    const store = createQdrantStore({ url: standIn.url, collection: 'shared' });
    const embedder = createHashedEmbedder(16);
    await partitions.ensure('shared');
    await tenantKnowledge(store, embedder, 'acme').add([
      { id: 'a', text: 'refunds' },
      { id: 'b', text: 'shipping' },
    ]);
    await tenantKnowledge(store, embedder, 'globex').add([{ id: 'a', text: 'refunds' }]);
    assert.equal(await partitions.countTenant('shared', 'acme'), 2);
    assert.equal(await partitions.countAll('shared'), 3);
    await partitions.deleteTenantPoints('shared', 'acme');
    assert.equal(await partitions.countTenant('shared', 'acme'), 0);
    assert.equal(await store.count('globex'), 1, "the other tenant's points stay");

    await partitions.deleteCollection('shared');
    assert.equal(await partitions.countAll('shared'), 0, 'a missing collection counts 0');
    await partitions.deleteCollection('shared');
    await partitions.deleteTenantPoints('shared', 'acme');
  });

  it('reports an unreachable Qdrant with the collection in the message', async () => {
    const partitions = createQdrantPartitions({ url: 'http://127.0.0.1:9', dimensions: 16, timeoutMs: 500 });
    await assert.rejects(partitions.ensure('kb'), /Qdrant setup of collection kb failed/);
  });
});
