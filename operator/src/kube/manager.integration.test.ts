import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { eventually, withoutTestbed } from '@agentplane/shared/testing';
import { createManager } from './manager.ts';
import { createMetrics } from './metrics.ts';
import { addMirrorController, type ConfigMap } from './mirror.fixture.ts';
import {
  configMap,
  createObject,
  deleteObject,
  mergePatch,
  readObject,
  testbedClient,
  testNamespace,
} from './testbed.ts';

describe('a controller run by the manager against the test bed', { skip: withoutTestbed() }, () => {
  it('mirrors a ConfigMap, corrects drift of its child, and makes no write on resyncs of an unchanged world', async (t) => {
    const metrics = createMetrics();
    const writes: string[] = [];
    const client = testbedClient({
      onRequest: (method, path) => {
        metrics.apiRequest(method, path);
        if (method !== 'GET') writes.push(`${method} ${path}`);
      },
    });
    const ns = await testNamespace(t, client, 'mirror');
    const manager = createManager({
      client,
      log: silentLogger(),
      metrics,
      leaderElection: false,
      resyncMs: 200,
    });
    let reconciles = 0;
    addMirrorController(manager, client, ns, {
      onReconcile: () => {
        reconciles += 1;
      },
    });
    await manager.start();
    t.after(() => manager.stop());

    const readCopy = () => readObject<ConfigMap>(client, configMap(ns, 'settings-copy'));
    await createObject(client, configMap(ns, 'settings', { color: 'blue' }, { role: 'source' }));
    await eventually(async () => (await readCopy())?.data?.color === 'blue', { what: 'the copy' });
    const copy = await readCopy();
    assert.equal(copy?.metadata?.ownerReferences?.[0]?.name, 'settings');

    await mergePatch(client, configMap(ns, 'settings'), { data: { color: 'green' } });
    await eventually(async () => (await readCopy())?.data?.color === 'green', { what: 'the copy to follow' });

    await deleteObject(client, configMap(ns, 'settings-copy'));
    await eventually(async () => (await readCopy())?.data?.color === 'green', {
      what: 'the deleted copy back',
    });
    await mergePatch(client, configMap(ns, 'settings-copy'), { data: { color: 'red' } });
    await eventually(async () => (await readCopy())?.data?.color === 'green', {
      what: 'the edited copy corrected',
    });

    // Steady state: resyncs reconcile every source again, and nothing is written.
    await eventually(() => manager.readiness().ready, { what: 'readiness' });
    const writesBefore = writes.length;
    const reconcilesBefore = reconciles;
    await eventually(() => reconciles >= reconcilesBefore + 5, { what: 'five resync reconciles' });
    assert.deepEqual(writes.slice(writesBefore), [], 'no write when nothing changed');

    const port = manager.port();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(text, /controller_runtime_reconcile_total\{controller="mirror",result="success"\} \d+/);
    assert.match(text, /controller_runtime_reconcile_time_seconds_bucket\{le="0\.005",controller="mirror"\}/);
    assert.match(text, /workqueue_adds_total\{name="mirror"\} \d+/);
    assert.match(text, /workqueue_depth\{name="mirror"\} \d+/);
    assert.match(
      text,
      /rest_client_requests_total\{method="PATCH",resource="configmaps",subresource=""\} \d+/,
    );
    assert.match(text, /process_resident_memory_bytes \d+/);
  });
});
