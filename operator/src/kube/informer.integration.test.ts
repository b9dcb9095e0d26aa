import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { eventually, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import type { KubeClient } from './client.ts';
import { createInformer, type InformerEvent } from './informer.ts';
import type { KubeObject } from './resource.ts';
import {
  configMap,
  createObject,
  deleteObject,
  installWidgetCrd,
  mergePatch,
  testbedClient,
  testNamespace,
} from './testbed.ts';

type ConfigMap = KubeObject & { data?: Record<string, string> };
const log = silentLogger();

function record(events: string[]) {
  return (event: InformerEvent<ConfigMap>) => {
    const resync = event.type === 'update' && event.resync ? ':resync' : '';
    events.push(`${event.type}${resync}:${event.object.metadata?.name}`);
  };
}

describe('informer against the test bed', { skip: withoutTestbed() }, () => {
  it('lists, then watches adds, updates and deletes into an indexed cache', async (t) => {
    const client = testbedClient();
    const ns = await testNamespace(t, client, 'informer');
    await createObject(client, configMap(ns, 'a', { v: '1' }, { role: 'source' }));
    const informer = createInformer<ConfigMap>(client, {
      resource: { apiVersion: 'v1', kind: 'ConfigMap' },
      namespace: ns,
      log,
    });
    const events: string[] = [];
    informer.on(record(events));
    informer.start();
    t.after(() => informer.stop());
    await informer.waitForSync(AbortSignal.timeout(10_000));
    assert.equal(informer.get(`${ns}/a`)?.data?.v, '1');
    assert.equal(informer.get(`${ns}/a`)?.kind, 'ConfigMap', 'list items get their kind');

    await createObject(client, configMap(ns, 'b', {}, { role: 'copy' }));
    await mergePatch(client, configMap(ns, 'a'), { data: { v: '2' } });
    await deleteObject(client, configMap(ns, 'b'));
    await eventually(() => events.includes('delete:b'), { what: 'the delete of b' });
    assert.deepEqual(
      events.filter((e) => /:(a|b)$/.test(e)),
      ['add:a', 'add:b', 'update:a', 'delete:b'],
    );
    assert.equal(informer.get(`${ns}/a`)?.data?.v, '2');
    assert.deepEqual(
      informer.listByLabels({ role: 'source' }).map((o) => o.metadata?.name),
      ['a'],
    );
    assert.equal(informer.get(`${ns}/b`), undefined);
  });

  it('watches a cluster-scoped kind through a label selector, keyed by name', async (t) => {
    const client = testbedClient();
    const label = uniqueName('sel');
    const informer = createInformer<KubeObject>(client, {
      resource: { apiVersion: 'v1', kind: 'Namespace' },
      labelSelector: `kubetest=${label}`,
      log,
    });
    informer.start();
    t.after(() => informer.stop());
    await informer.waitForSync(AbortSignal.timeout(10_000));
    const [chosen, other] = [uniqueName('chosen'), uniqueName('other')];
    for (const [name, labels] of [
      [chosen, { kubetest: label }],
      [other, {}],
    ] as const) {
      await createObject(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
      t.after(() => deleteObject(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    }
    await eventually(() => informer.get(chosen), { what: 'the labelled namespace' });
    assert.equal(informer.get(other), undefined);
    assert.deepEqual(
      informer.list().map((ns) => ns.metadata?.name),
      [chosen],
    );
  });

  it('re-delivers cached objects as resync updates', async (t) => {
    const client = testbedClient();
    const ns = await testNamespace(t, client, 'resync');
    await createObject(client, configMap(ns, 'a'));
    const informer = createInformer<ConfigMap>(client, {
      resource: { apiVersion: 'v1', kind: 'ConfigMap' },
      namespace: ns,
      resyncMs: 100,
      log,
    });
    const events: string[] = [];
    informer.on(record(events));
    informer.start();
    t.after(() => informer.stop());
    await eventually(() => events.filter((e) => e === 'update:resync:a').length >= 2, {
      what: 'two resyncs',
    });
  });

  it('lists again after a watch failure and sees what changed meanwhile', async (t) => {
    const real = testbedClient();
    const ns = await testNamespace(t, real, 'relist');
    await createObject(real, configMap(ns, 'gone'));
    let watches = 0;
    // The first watch fails as a dropped connection would; meanwhile an object is deleted.
    const client: KubeClient = {
      ...real,
      async watch(path, query, onEvent, signal) {
        watches += 1;
        if (watches > 1) return real.watch(path, query, onEvent, signal);
        await deleteObject(real, configMap(ns, 'gone'));
        throw new Error('socket hang up');
      },
    };
    const informer = createInformer<ConfigMap>(client, {
      resource: { apiVersion: 'v1', kind: 'ConfigMap' },
      namespace: ns,
      backoff: { baseMs: 50 },
      log,
    });
    const events: string[] = [];
    informer.on(record(events));
    informer.start();
    t.after(() => informer.stop());
    await eventually(() => events.includes('delete:gone'), { what: 'the delete found by the re-list' });
    await createObject(real, configMap(ns, 'later'));
    await eventually(() => events.includes('add:later'), { what: 'the add on the new watch' });
  });
});

describe('informer on a custom resource whose watch expires (410 Gone)', { skip: withoutTestbed() }, () => {
  it('lists again from scratch and keeps watching', async (t) => {
    const client = testbedClient();
    // A fresh CRD gets a fresh watch cache: a resourceVersion from before it is "too old" for real.
    const before = await client.request<{ metadata: { resourceVersion: string } }>({
      method: 'GET',
      path: '/api/v1/namespaces',
      query: { limit: 1 },
    });
    const group = `${uniqueName('g')}.kubetest.agentplane.io`;
    const widget = await installWidgetCrd(t, client, group);
    const ns = await testNamespace(t, client, 'gone');
    const apiVersion = `${group}/v1`;
    const item = (name: string) => ({
      apiVersion,
      kind: 'Widget',
      metadata: { name, namespace: ns },
      spec: { size: 1 },
    });
    await eventually(() => createObject(client, item('first')), { what: 'the CRD to serve' });

    const statuses: number[] = [];
    let watches = 0;
    const expiring: KubeClient = {
      ...client,
      async watch(path, query, onEvent, signal) {
        watches += 1;
        if (watches > 1) return client.watch(path, query, onEvent, signal);
        // As if the informer had been cut off for long: changes happen, its resourceVersion expires.
        await deleteObject(client, item('first'));
        await createObject(client, item('second'));
        const expired = { ...query, resourceVersion: before.metadata.resourceVersion };
        const record = (event: Parameters<typeof onEvent>[0]) => {
          if (event.type === 'ERROR') statuses.push(event.object.code ?? 0);
          onEvent(event);
        };
        return client.watch(path, expired, record, signal);
      },
    };
    const informer = createInformer<KubeObject>(expiring, {
      resource: { apiVersion, kind: widget },
      namespace: ns,
      log,
    });
    const events: string[] = [];
    informer.on((event) => events.push(`${event.type}:${event.object.metadata?.name}`));
    informer.start();
    t.after(() => informer.stop());
    await eventually(() => events.includes('delete:first') && events.includes('add:second'), {
      what: 'the re-list after 410',
    });
    assert.deepEqual(statuses, [410], 'the API server itself answered 410 Gone');
    await createObject(client, item('third'));
    await eventually(() => informer.get(`${ns}/third`), { what: 'the watch after the re-list' });
  });
});
