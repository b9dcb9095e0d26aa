import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@agentplane/shared';
import { eventually, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import type { KubeClient } from './client.ts';
import { createManager, type Manager } from './manager.ts';
import { addMirrorController } from './mirror.fixture.ts';
import { configMap, createObject, testbedClient, testNamespace } from './testbed.ts';

type Lease = { spec: { holderIdentity?: string; leaseTransitions?: number; renewTime?: string } };
const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

/** Starts a manager running the mirror controller; records which keys it reconciled. */
async function candidate(
  t: TestContext,
  client: KubeClient,
  ns: string,
  identity: string,
  extra: { releaseOnStop?: boolean; slowMs?: number } = {},
) {
  const manager = createManager({
    client,
    log: silentLogger(),
    identity,
    leaderElection: {
      namespace: ns,
      name: 'operator',
      ...timing,
      ...(extra.releaseOnStop === false ? { releaseOnStop: false } : {}),
    },
  });
  const reconciled: string[] = [];
  const finished: string[] = [];
  addMirrorController(manager, client, ns, {
    async onReconcile(key) {
      reconciled.push(key);
      if (extra.slowMs) await sleep(extra.slowMs);
      finished.push(key);
    },
  });
  await manager.start();
  t.after(() => manager.stop());
  return { manager, reconciled, finished };
}

const readLease = (client: KubeClient, ns: string) =>
  client.request<Lease>({
    method: 'GET',
    path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/operator`,
  });

const leaderOf = async (managers: Manager[]) =>
  eventually(() => managers.find((m) => m.isLeader()), { what: 'a leader', timeoutMs: 10_000 });

describe('leader election against the test bed', { skip: withoutTestbed() }, () => {
  it('lets only the leader reconcile; on SIGTERM it finishes in-flight work, releases the lease, and the other takes over', async (t) => {
    const client = testbedClient();
    const ns = await testNamespace(t, client, 'election');
    const a = await candidate(t, client, ns, 'a', { slowMs: 400 });
    const b = await candidate(t, client, ns, 'b', { slowMs: 400 });
    const leader = await leaderOf([a.manager, b.manager]);
    const [first, second] = leader === a.manager ? [a, b] : [b, a];
    await createObject(client, configMap(ns, 'one', { v: '1' }, { role: 'source' }));
    await eventually(() => first.finished.includes(`${ns}/one`), { what: 'the leader to reconcile' });
    assert.deepEqual(second.reconciled, [], 'the standby reconciles nothing');
    assert.equal(second.manager.readiness().ready, true, 'a synced standby is ready');

    // SIGTERM while a reconcile is in flight.
    first.manager.stopOnSignals(['SIGTERM']);
    await createObject(client, configMap(ns, 'two', { v: '2' }, { role: 'source' }));
    await eventually(() => first.reconciled.includes(`${ns}/two`), { what: 'a reconcile in flight' });
    process.emit('SIGTERM');
    await first.manager.whenStopped();
    assert.ok(first.finished.includes(`${ns}/two`), 'the reconcile in flight finished before the stop');
    const released = await readLease(client, ns);
    assert.ok(
      !released.spec.holderIdentity || released.spec.holderIdentity === second.manager.identity,
      'released',
    );

    const started = Date.now();
    await eventually(() => second.manager.isLeader(), {
      what: 'the standby to lead',
      timeoutMs: timing.leaseDurationMs,
    });
    assert.ok(
      Date.now() - started < timing.leaseDurationMs,
      'a released lease is taken without waiting it out',
    );
    await createObject(client, configMap(ns, 'three', { v: '3' }, { role: 'source' }));
    await eventually(() => second.finished.includes(`${ns}/three`), { what: 'the new leader to reconcile' });
    assert.equal((await readLease(client, ns)).spec.holderIdentity, second.manager.identity);
  });

  it('takes over within the lease duration when the leader vanishes without releasing', async (t) => {
    const client = testbedClient();
    const ns = await testNamespace(t, client, 'failover');
    const crashing = await candidate(t, client, ns, uniqueName('crash'), { releaseOnStop: false });
    await eventually(() => crashing.manager.isLeader(), { what: 'the first to lead' });
    const standby = await candidate(t, client, ns, uniqueName('standby'));
    await sleep(timing.retryPeriodMs * 2);
    assert.equal(standby.manager.isLeader(), false);

    await crashing.manager.stop(); // stops renewing and keeps the lease, as a killed process would
    const held = await readLease(client, ns);
    assert.equal(held.spec.holderIdentity, crashing.manager.identity, 'not released');
    const lastRenewal = Date.parse(held.spec.renewTime ?? '');
    await eventually(() => standby.manager.isLeader(), {
      what: 'the standby to lead',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    // client-go's guarantee: the lease expires leaseDuration after its last renewal as the standby
    // saw it, and the standby notices within about a retry period (with jitter).
    const takeover = Date.now() - lastRenewal;
    assert.ok(takeover >= timing.leaseDurationMs, `not before the lease expired (${takeover} ms)`);
    assert.ok(
      takeover <= timing.leaseDurationMs + 3 * timing.retryPeriodMs,
      `took over ${takeover} ms after the last renewal`,
    );
    await createObject(client, configMap(ns, 'after', {}, { role: 'source' }));
    await eventually(() => standby.finished.includes(`${ns}/after`), { what: 'the new leader to reconcile' });
    assert.equal((await readLease(client, ns)).spec.leaseTransitions, 1);
  });
});
