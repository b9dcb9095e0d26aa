import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KnowledgePartitions } from '../../knowledge/qdrant-partitions.ts';
import {
  ensureKnowledgePartition,
  eraseKnowledge,
  erasureMessage,
  type KnowledgeSettings,
  knowledgePartition,
  mergeErasure,
} from './knowledge.ts';

/** Qdrant as the port sees it: collections of points carrying a tenant, and the calls made. */
function fakeQdrant({ down = false, keep = 0 } = {}) {
  const collections = new Map<string, { size: number; indexed: boolean; points: string[] }>();
  const calls: string[] = [];
  const call = (what: string) => {
    calls.push(what);
    if (down) throw new Error('Qdrant setup of collection x failed: connect ECONNREFUSED');
  };
  const partitions: KnowledgePartitions = {
    ensure: async (name) => {
      call(`ensure ${name}`);
      const created = !collections.has(name);
      const collection = collections.get(name) ?? { size: 256, indexed: false, points: [] };
      collections.set(name, collection);
      const indexed = !collection.indexed;
      collection.indexed = true;
      return { created, indexed, size: collection.size };
    },
    countTenant: async (name, tenant) =>
      collections.get(name)?.points.filter((t) => t === tenant).length ?? 0,
    countAll: async (name) => collections.get(name)?.points.length ?? 0,
    deleteTenantPoints: async (name, tenant) => {
      call(`deletePoints ${name} ${tenant}`);
      const collection = collections.get(name);
      // `keep`: a Qdrant that acknowledges but leaves points behind.
      if (collection) collection.points = collection.points.filter((t, i) => t !== tenant || i < keep);
    },
    deleteCollection: async (name) => {
      call(`deleteCollection ${name}`);
      collections.delete(name);
    },
  };
  const settings: KnowledgeSettings = { partitions, collection: 'knowledge', dimensions: 256 };
  const seed = (name: string, ...points: string[]) =>
    collections.set(name, { size: 256, indexed: true, points });
  return { settings, collections, calls, seed };
}

const now = new Date('2026-12-01T10:00:00Z');

describe('knowledge partition', () => {
  it('names the shared collection for shared tenants and an own one for dedicated tenants', () => {
    assert.deepEqual(knowledgePartition({ name: 'acme', isolation: 'shared' }, 'knowledge'), {
      collection: 'knowledge',
      isolation: 'shared',
    });
    assert.deepEqual(knowledgePartition({ name: 'acme', isolation: 'dedicated' }, 'knowledge'), {
      collection: 'knowledge-acme',
      isolation: 'dedicated',
    });
  });

  it('ensures the collection and reports the partition; repeating it changes nothing', async () => {
    const q = fakeQdrant();
    const shared = await ensureKnowledgePartition({ name: 'acme', isolation: 'shared' }, q.settings);
    assert.equal(shared.outcome.status, 'True');
    assert.equal(shared.outcome.reason, 'SharedCollection');
    assert.match(shared.outcome.message, /tenant=acme of the shared collection knowledge/);
    const own = await ensureKnowledgePartition({ name: 'globex', isolation: 'dedicated' }, q.settings);
    assert.equal(own.outcome.reason, 'DedicatedCollection');
    assert.deepEqual(own.status, { collection: 'knowledge-globex', isolation: 'dedicated' });
    const again = await ensureKnowledgePartition({ name: 'globex', isolation: 'dedicated' }, q.settings);
    assert.deepEqual(again, own, 'the same status: an unchanged tenant writes nothing');
    assert.deepEqual([...q.collections.keys()].sort(), ['knowledge', 'knowledge-globex']);
  });

  it('says QdrantUnavailable when Qdrant fails, and DimensionMismatch for a collection of another size', async () => {
    const down = fakeQdrant({ down: true });
    const failed = await ensureKnowledgePartition({ name: 'acme', isolation: 'shared' }, down.settings);
    assert.equal(failed.outcome.status, 'False');
    assert.equal(failed.outcome.reason, 'QdrantUnavailable');
    assert.match(failed.outcome.message, /ECONNREFUSED/);

    const q = fakeQdrant();
    q.collections.set('knowledge', { size: 1536, indexed: true, points: [] });
    const mismatch = await ensureKnowledgePartition({ name: 'acme', isolation: 'shared' }, q.settings);
    assert.equal(mismatch.outcome.reason, 'DimensionMismatch');
    assert.match(
      mismatch.outcome.message,
      /1536-dimension vectors .* have 256 \(OPERATOR_QDRANT_DIMENSIONS\)/,
    );
  });
});

describe('knowledge erasure', () => {
  it("erases a shared tenant's points by its key and leaves the other tenants' alone", async () => {
    const q = fakeQdrant();
    q.seed('knowledge', 'acme', 'globex', 'acme', 'acme', 'globex');
    const report = await eraseKnowledge('acme', 'shared', q.settings, now);
    assert.deepEqual(report, {
      collection: 'knowledge',
      pointsBefore: 3,
      pointsAfter: 0,
      erasedAt: '2026-12-01T10:00:00.000Z',
    });
    assert.deepEqual(q.collections.get('knowledge')?.points, ['globex', 'globex']);
  });

  it("deletes a dedicated tenant's collection, and finds points a change of isolation left behind", async () => {
    const q = fakeQdrant();
    q.seed('knowledge', 'globex', 'acme');
    q.seed('knowledge-acme', 'acme', 'acme');
    q.seed('knowledge-globex', 'globex');
    const report = await eraseKnowledge('acme', 'dedicated', q.settings, now);
    assert.equal(report.collection, 'knowledge-acme');
    assert.equal(report.pointsBefore, 3, 'two in its own collection, one left in the shared one');
    assert.equal(report.pointsAfter, 0);
    assert.deepEqual([...q.collections.keys()].sort(), ['knowledge', 'knowledge-globex']);
    assert.deepEqual(q.collections.get('knowledge')?.points, ['globex']);
  });

  it('is safe to repeat, and fails when points are still there afterwards', async () => {
    const q = fakeQdrant();
    q.seed('knowledge', 'globex');
    const nothing = await eraseKnowledge('acme', 'shared', q.settings, now);
    assert.equal(nothing.pointsBefore, 0);
    assert.ok(!q.calls.some((c) => c.startsWith('deletePoints')), 'nothing to erase: no delete sent');
    const stubborn = fakeQdrant({ keep: 1 });
    stubborn.seed('knowledge', 'acme', 'acme');
    await assert.rejects(eraseKnowledge('acme', 'shared', stubborn.settings, now), /1 of 2 knowledge point/);
  });

  it('adds up the points erased over retries and keeps when it first erased', () => {
    const first = { collection: 'knowledge', pointsBefore: 5, pointsAfter: 0, erasedAt: 'a' };
    assert.equal(mergeErasure(undefined, first), first);
    assert.deepEqual(mergeErasure(first, { ...first, pointsBefore: 2, erasedAt: 'b' }), {
      ...first,
      pointsBefore: 7,
    });
    assert.deepEqual(mergeErasure(first, { ...first, pointsBefore: 0, erasedAt: 'b' }), first);
    assert.equal(
      erasureMessage('acme', first),
      'erased the knowledge of tenant acme (collection knowledge): 5 point(s) before, 0 after',
    );
  });
});
