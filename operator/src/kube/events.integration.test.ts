import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { withoutTestbed } from '@agentplane/shared/testing';
import { createEventRecorder } from './events.ts';
import type { KubeObject } from './resource.ts';
import { configMap, createObject, testbedClient, testNamespace } from './testbed.ts';

type Event = KubeObject & {
  reason: string;
  type: string;
  note: string;
  series?: { count: number };
  regarding: { uid: string };
};

describe('event recorder against the test bed', { skip: withoutTestbed() }, () => {
  it('writes events.k8s.io Events, folds repeats into a series and caps distinct events per object', async (t) => {
    let writes = 0;
    const client = testbedClient({
      onRequest: (method) => {
        if (method !== 'GET') writes += 1;
      },
    });
    const ns = await testNamespace(t, client, 'events');
    const regarding = await createObject(client, configMap(ns, 'subject'));
    const recorder = createEventRecorder({
      client,
      log: silentLogger(),
      reportingController: 'agentplane.io/operator',
      reportingInstance: 'test-1',
      seriesIntervalMs: 60_000,
      budget: { burst: 2, refillMs: 3_600_000 },
    });
    writes = 0;
    const failed = {
      type: 'Warning',
      reason: 'QuotaRejected',
      action: 'Apply',
      note: 'quota exceeds the tier',
    } as const;
    // Three at once (as from concurrent reconciles), then two more: still one Event.
    await Promise.all([1, 2, 3].map(() => recorder.record(regarding, failed)));
    for (let i = 0; i < 2; i += 1) await recorder.record(regarding, failed);
    await recorder.record(regarding, {
      type: 'Normal',
      reason: 'Provisioned',
      action: 'Provision',
      note: 'ready',
    });
    await recorder.record(regarding, {
      type: 'Normal',
      reason: 'ThirdKind',
      action: 'Provision',
      note: 'dropped',
    });
    await recorder.flush();
    assert.equal(writes, 3, 'two creates and one series update');

    const list = await client.request<{ items: Event[] }>({
      method: 'GET',
      path: `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
    });
    const byReason = Object.fromEntries(list.items.map((e) => [e.reason, e]));
    assert.deepEqual(Object.keys(byReason).sort(), ['Provisioned', 'QuotaRejected']);
    assert.equal(byReason.QuotaRejected?.series?.count, 5);
    assert.equal(byReason.QuotaRejected?.type, 'Warning');
    assert.equal(byReason.QuotaRejected?.regarding.uid, regarding.metadata?.uid);
    assert.equal(byReason.Provisioned?.series, undefined);
  });
});
