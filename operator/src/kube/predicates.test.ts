import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InformerEvent } from './informer.ts';
import { anyChange, generationChanged, hasLabels, metadataChanged, or, updateChanged } from './predicates.ts';
import type { KubeObject, ObjectMeta } from './resource.ts';

const obj = (metadata: ObjectMeta): KubeObject => ({ metadata: { name: 'a', ...metadata } });
const update = (old: ObjectMeta, now: ObjectMeta): InformerEvent<KubeObject> => ({
  type: 'update',
  old: obj(old),
  object: obj(now),
  resync: false,
});

describe('predicates', () => {
  it('pass every add and delete', () => {
    for (const predicate of [anyChange, generationChanged, metadataChanged]) {
      assert.equal(predicate({ type: 'add', object: obj({}) }), true);
      assert.equal(predicate({ type: 'delete', object: obj({}) }), true);
    }
  });

  it('generationChanged passes spec changes and drops status-only updates', () => {
    assert.equal(
      generationChanged(
        update({ generation: 1, resourceVersion: '1' }, { generation: 2, resourceVersion: '2' }),
      ),
      true,
    );
    assert.equal(
      generationChanged(
        update({ generation: 2, resourceVersion: '2' }, { generation: 2, resourceVersion: '3' }),
      ),
      false,
    );
  });

  it('anyChange passes any new resourceVersion', () => {
    assert.equal(anyChange(update({ resourceVersion: '1' }, { resourceVersion: '2' })), true);
    assert.equal(anyChange(update({ resourceVersion: '1' }, { resourceVersion: '1' })), false);
  });

  it('metadataChanged sees labels, annotations, finalizers and the deletion mark', () => {
    assert.equal(metadataChanged(update({ labels: { a: '1' } }, { labels: { a: '1' } })), false);
    assert.equal(metadataChanged(update({ labels: { a: '1' } }, { labels: { a: '2' } })), true);
    assert.equal(metadataChanged(update({}, { annotations: { note: 'x' } })), true);
    assert.equal(metadataChanged(update({ finalizers: ['f'] }, { finalizers: [] })), true);
    assert.equal(metadataChanged(update({}, { deletionTimestamp: '2026-11-23T08:00:00Z' })), true);
  });

  it('updateChanged passes updates that changed the field it reads, and nothing else', () => {
    const phase = updateChanged((o) => o.metadata?.labels?.phase);
    assert.equal(phase(update({ labels: { phase: 'a' } }, { labels: { phase: 'b' } })), true);
    assert.equal(
      phase(update({ labels: { phase: 'a' } }, { labels: { phase: 'a' }, resourceVersion: '2' })),
      false,
    );
    assert.equal(phase({ type: 'add', object: obj({ labels: { phase: 'a' } }) }), false);
    assert.equal(phase({ type: 'delete', object: obj({}) }), false);
  });

  it('or combines and hasLabels matches the old or the new object', () => {
    const either = or(generationChanged, metadataChanged);
    assert.equal(either(update({ generation: 1 }, { generation: 1, labels: { x: 'y' } })), true);
    assert.equal(either(update({ generation: 1 }, { generation: 1 })), false);
    const managed = hasLabels({ 'app.kubernetes.io/managed-by': 'agentplane-operator' });
    assert.equal(
      managed(update({ labels: { 'app.kubernetes.io/managed-by': 'agentplane-operator' } }, {})),
      true,
    );
    assert.equal(managed({ type: 'add', object: obj({ labels: { other: 'x' } }) }), false);
  });
});
