import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { KubeApiError } from './client.ts';
import { ensureFinalizer, removeFinalizer } from './finalizers.ts';
import {
  configMap,
  createObject,
  deleteObject,
  readObject,
  testbedClient,
  testNamespace,
} from './testbed.ts';

const finalizer = 'agentplane.io/test';

describe('finalizers against the test bed', { skip: withoutTestbed() }, () => {
  it('adds and removes a finalizer idempotently, refusing a stale object', async (t) => {
    let patches = 0;
    const client = testbedClient({
      onRequest: (method) => {
        if (method === 'PATCH') patches += 1;
      },
    });
    const ns = await testNamespace(t, client, 'finalizers');
    const created = await createObject(client, configMap(ns, 'c'));
    const added = await ensureFinalizer(client, created, finalizer);
    assert.deepEqual(added.metadata?.finalizers, [finalizer]);
    assert.equal(await ensureFinalizer(client, added, finalizer), added);
    assert.equal(patches, 1);

    await assert.rejects(ensureFinalizer(client, created, 'agentplane.io/other'), (error: unknown) => {
      return error instanceof KubeApiError && error.status === 409;
    });

    await deleteObject(client, added);
    const deleting = await readObject<typeof added>(client, added);
    assert.ok(deleting?.metadata?.deletionTimestamp, 'held by the finalizer');
    assert.equal(
      await removeFinalizer(client, deleting, finalizer).then((o) => o?.metadata?.finalizers?.length ?? 0),
      0,
    );
    assert.equal(await readObject(client, added), undefined, 'gone with its last finalizer');
  });
});
