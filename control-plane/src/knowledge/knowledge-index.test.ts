// Each tenant's knowledge goes to the collection its runtime searches: the shared one, or a
// dedicated tenant's own, by the rule the operator applies (`knowledgeNames.collection`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import { createHashedEmbedder, createQdrantStore, tenantKnowledge } from '@agentplane/runtime/vectors';
import type { KnowledgeIsolation } from '@agentplane/shared';
import { tenantCollections } from './knowledge-index.ts';

describe('tenant collections (against the Qdrant stand-in)', () => {
  let standIn: Awaited<ReturnType<typeof startQdrantStandIn>>;
  before(async () => {
    standIn = await startQdrantStandIn();
  });
  after(() => standIn.close());

  it("writes a dedicated tenant's points to its own collection and a shared tenant's to the shared one", async () => {
    const isolation: Record<string, KnowledgeIsolation> = { acme: 'shared', globex: 'dedicated' };
    const asked: string[] = [];
    let clock = 0;
    const store = tenantCollections({
      shared: 'kb',
      open: (collection) => createQdrantStore({ url: standIn.url, collection }),
      isolationOf: async (tenant) => {
        asked.push(tenant);
        return isolation[tenant] ?? 'shared';
      },
      ttlMs: 1_000,
      now: () => clock,
    });
    const embedder = createHashedEmbedder(16);
    await store.ensureReady(16);
    await tenantKnowledge(store, embedder, 'acme').add([{ id: 'a', text: 'acme refunds' }]);
    await tenantKnowledge(store, embedder, 'globex').add([{ id: 'a', text: 'globex refunds' }]);
    await tenantKnowledge(store, embedder, 'globex').add([{ id: 'b', text: 'globex shipping' }]);

    const count = async (collection: string) =>
      createQdrantStore({ url: standIn.url, collection }).count(collection === 'kb' ? 'acme' : 'globex');
    assert.equal(await count('kb'), 1);
    assert.equal(await count('kb-globex'), 2, "globex's own collection, readied on first use");
    assert.equal(await createQdrantStore({ url: standIn.url, collection: 'kb' }).count('globex'), 0);
    assert.deepEqual(
      (await tenantKnowledge(store, embedder, 'globex').search('refunds', 5)).map((h) => h.text),
      ['globex refunds', 'globex shipping'],
    );
    assert.deepEqual(asked, ['acme', 'globex'], 'the isolation is remembered');
    clock = 2_000;
    await store.count('globex');
    assert.deepEqual(asked, ['acme', 'globex', 'globex'], 'and read again after the TTL');
    const creations = standIn.requests.filter(
      (r) => r.method === 'PUT' && r.path === '/collections/kb-globex',
    );
    assert.equal(creations.length, 1);
  });
});
