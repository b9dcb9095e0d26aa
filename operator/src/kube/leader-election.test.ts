import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { eventually } from '@agentplane/shared/testing';
import { KubeApiError, type KubeClient, type KubeRequest } from './client.ts';
import { createLeaderElector } from './leader-election.ts';

type Lease = { metadata: { resourceVersion?: string }; spec?: { holderIdentity?: string } };

/** One Lease in memory with the API server's optimistic concurrency; `failing` makes writes fail. */
function leaseServer() {
  const state = { lease: undefined as Lease | undefined, version: 0, failing: false, writes: 0 };
  const client: KubeClient = {
    async request<T>(req: KubeRequest): Promise<T> {
      if (req.method === 'GET') {
        if (!state.lease) throw new KubeApiError(404, 'NotFound', 'no lease');
        return structuredClone(state.lease) as T;
      }
      if (state.failing) throw new Error('connection refused');
      const body = req.body as Lease;
      const exists = state.lease !== undefined;
      if (req.method === 'POST' && exists) throw new KubeApiError(409, 'AlreadyExists', 'exists');
      if (req.method === 'PUT' && body.metadata.resourceVersion !== state.lease?.metadata.resourceVersion) {
        throw new KubeApiError(409, 'Conflict', 'stale');
      }
      state.version += 1;
      state.writes += 1;
      state.lease = {
        ...structuredClone(body),
        metadata: { ...body.metadata, resourceVersion: String(state.version) },
      };
      return structuredClone(state.lease) as T;
    },
    watch: () => Promise.reject(new Error('unused')),
    discover: () => Promise.reject(new Error('unused')),
  };
  return { state, client };
}

const timing = { leaseDurationMs: 400, renewDeadlineMs: 200, retryPeriodMs: 40 };

function elector(client: KubeClient, identity: string, log: string[]) {
  return createLeaderElector({
    client,
    log: silentLogger(),
    namespace: 'ns',
    name: 'operator',
    identity,
    ...timing,
    onStartedLeading: (signal) => {
      log.push(`${identity} started`);
      signal.addEventListener('abort', () => log.push(`${identity} signal aborted`));
    },
    onStoppedLeading: () => void log.push(`${identity} stopped`),
  });
}

describe('leader election', () => {
  it('refuses timings client-go would refuse', () => {
    const { client } = leaseServer();
    assert.throws(
      () =>
        createLeaderElector({
          ...timing,
          renewDeadlineMs: 500,
          client,
          log: silentLogger(),
          namespace: 'n',
          name: 'x',
          identity: 'i',
          onStartedLeading() {},
          onStoppedLeading() {},
        }),
      /leaseDuration > renewDeadline/,
    );
  });

  it('elects one of two candidates, which renews and releases on stop', async () => {
    const { state, client } = leaseServer();
    const log: string[] = [];
    const [a, b] = [elector(client, 'a', log), elector(client, 'b', log)];
    void a.run();
    void b.run();
    await eventually(() => a.isLeader() || b.isLeader(), { what: 'a leader', intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1);
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    assert.ok(state.writes >= 3, 'the leader renews every retry period');
    await leader.stop();
    assert.equal(state.lease?.spec?.holderIdentity, '');
    await eventually(() => other.isLeader(), { what: 'the other to lead', intervalMs: 10 });
    await other.stop();
    const [l, o] = leader === a ? ['a', 'b'] : ['b', 'a'];
    const term = (id: string | undefined) => [`${id} started`, `${id} signal aborted`, `${id} stopped`];
    assert.deepEqual(log, [...term(l), ...term(o)]);
  });

  it('gives up leadership when it cannot renew within the deadline, and campaigns again', async () => {
    const { state, client } = leaseServer();
    const log: string[] = [];
    const a = elector(client, 'a', log);
    void a.run();
    await eventually(() => a.isLeader(), { what: 'leadership', intervalMs: 10 });
    state.failing = true;
    await eventually(() => !a.isLeader(), { what: 'leadership lost', intervalMs: 10 });
    assert.deepEqual(log, ['a started', 'a signal aborted', 'a stopped']);
    state.failing = false;
    await eventually(() => a.isLeader(), { what: 'leadership again', intervalMs: 10 });
    await a.stop();
    assert.deepEqual(log.slice(3), ['a started', 'a signal aborted', 'a stopped']);
  });
});
