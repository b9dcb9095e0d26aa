import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from './resource.ts';
import { createStore } from './store.ts';

type Obj = KubeObject & { spec?: { tenant?: string } };

const obj = (
  namespace: string | undefined,
  name: string,
  labels: Record<string, string> = {},
  tenant?: string,
): Obj => ({
  metadata: { name, ...(namespace ? { namespace } : {}), labels },
  ...(tenant ? { spec: { tenant } } : {}),
});

const names = (objects: Obj[]) => objects.map((o) => o.metadata?.name).sort();

describe('store', () => {
  it('gets objects by name or namespace/name and lists by namespace', () => {
    const store = createStore<Obj>();
    store.upsert(obj(undefined, 'acme'));
    store.upsert(obj('ns1', 'a'));
    store.upsert(obj('ns2', 'a'));
    assert.equal(store.get('acme')?.metadata?.name, 'acme');
    assert.equal(store.get('ns2/a')?.metadata?.namespace, 'ns2');
    assert.equal(store.get('a'), undefined);
    assert.deepEqual(names(store.list('ns1')), ['a']);
    assert.equal(store.list().length, 3);
  });

  it('lists by labels, following updates and removals', () => {
    const store = createStore<Obj>();
    store.upsert(obj('ns', 'a', { tier: 'pro', team: 'x' }));
    store.upsert(obj('ns', 'b', { tier: 'pro' }));
    store.upsert(obj('ns', 'c', { tier: 'basic', team: 'x' }));
    assert.deepEqual(names(store.listByLabels({ tier: 'pro' })), ['a', 'b']);
    assert.deepEqual(names(store.listByLabels({ tier: 'pro', team: 'x' })), ['a']);
    assert.equal(store.listByLabels({}).length, 3);
    const old = store.upsert(obj('ns', 'a', { tier: 'basic' }));
    assert.deepEqual(old?.metadata?.labels, { tier: 'pro', team: 'x' });
    assert.deepEqual(names(store.listByLabels({ tier: 'pro' })), ['b']);
    store.remove('ns/b');
    assert.deepEqual(names(store.listByLabels({ tier: 'pro' })), []);
    assert.equal(store.size(), 2);
  });

  it('answers custom indexes and rejects unknown ones', () => {
    const store = createStore<Obj>({ tenant: (o) => (o.spec?.tenant ? [o.spec.tenant] : []) });
    store.upsert(obj('ns', 'a', {}, 'acme'));
    store.upsert(obj('ns', 'b', {}, 'globex'));
    store.upsert(obj('other', 'c', {}, 'acme'));
    assert.deepEqual(names(store.byIndex('tenant', 'acme')), ['a', 'c']);
    assert.throws(() => store.byIndex('owner', 'x'), /no index named owner/);
  });
});
