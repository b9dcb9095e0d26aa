import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentInstance, Tenant, TenantSpec, TenantStatus } from '@agentplane/crds';
import { silentLogger, topicNames } from '@agentplane/shared';
import { createActivityWatch } from './hibernation-activity.ts';

const now = new Date('2026-12-01T10:00:00.000Z');
const minutesAgo = (n: number) => new Date(now.getTime() - n * 60_000).toISOString();

const tenant = (name: string, spec: Partial<TenantSpec> = {}, status?: TenantStatus): Tenant => ({
  metadata: { name },
  spec: { tier: 'basic', ...spec },
  ...(status ? { status } : {}),
});
const agent = (tenantName: string, name: string, phase = 'Ready'): AgentInstance => ({
  metadata: { name, namespace: 'agentplane-pool-basic' },
  spec: { tenantRef: tenantName, agent: 'customer-service', version: '2.1.0' },
  status: { phase: phase as 'Ready' },
});
const awake = (offsets: number, idleSince: string): TenantStatus => ({
  hibernation: { mode: 'Auto', idleAfter: '30m', state: 'Awake', observedOffsets: offsets, idleSince },
});

function setup(tenants: Tenant[], agents: AgentInstance[], ends: Map<string, number> | Error) {
  const calls: string[][] = [];
  const enqueued: string[] = [];
  const watch = createActivityWatch({
    listTenants: () => tenants,
    agentInstancesOf: (t) => agents.filter((a) => a.spec.tenantRef === t),
    offsets: {
      endOffsets: async (topics) => {
        calls.push(topics);
        if (ends instanceof Error) throw ends;
        return ends;
      },
    },
    intervalMs: 60_000,
    defaultIdleMs: 30 * 60_000,
    log: silentLogger(),
    now: () => now,
  });
  const stop = watch.connect((key) => enqueued.push(key));
  return { watch, calls, enqueued, stop };
}

describe('hibernation: the activity watch', () => {
  it('reads every hibernation-capable tenant in one call and skips pinned and suspended ones', async () => {
    const tenants = [
      tenant('quiet', {}, awake(3, minutesAgo(5))),
      tenant('busy', {}, awake(3, minutesAgo(5))),
      tenant('pinned', { tier: 'pro' }),
      tenant('held', { suspended: true }),
    ];
    const agents = ['quiet', 'busy', 'pinned', 'held'].map((t) => agent(t, 'support'));
    const ends = new Map([
      [topicNames.inbound('quiet', 'support'), 3],
      [topicNames.inbound('busy', 'support'), 9],
    ]);
    const { watch, calls, enqueued, stop } = setup(tenants, agents, ends);
    await watch.poll();
    stop();
    assert.deepEqual(
      calls.at(-1),
      [topicNames.inbound('quiet', 'support'), topicNames.inbound('busy', 'support')],
      'one read for all of them, none for pinned or suspended tenants',
    );
    assert.deepEqual([...new Set(enqueued)], ['busy'], 'only the tenant whose offsets moved');
    assert.deepEqual(watch.observation('busy'), { offsets: 9, at: now });
    assert.equal(watch.observation('pinned'), undefined);
  });

  it('enqueues a tenant whose idle window ended, and one whose clock never started', async () => {
    const tenants = [tenant('idle', {}, awake(0, minutesAgo(31))), tenant('fresh')];
    const { watch, enqueued, stop } = setup(tenants, [agent('idle', 'a'), agent('fresh', 'a')], new Map());
    await watch.poll();
    stop();
    assert.deepEqual([...new Set(enqueued)].sort(), ['fresh', 'idle']);
  });

  it('enqueues a waking tenant once its agents are ready, even when Kafka does not answer', async () => {
    const waking: TenantStatus = {
      hibernation: {
        mode: 'Auto',
        idleAfter: '30m',
        state: 'Waking',
        observedOffsets: 1,
        idleSince: minutesAgo(1),
      },
    };
    const tenants = [tenant('coming', {}, waking), tenant('slow', {}, waking)];
    const agents = [agent('coming', 'a'), agent('slow', 'a', 'Hibernating')];
    const { watch, enqueued, stop } = setup(tenants, agents, new Error('kafka endOffsets: ECONNREFUSED'));
    await watch.poll();
    stop();
    assert.deepEqual([...new Set(enqueued)], ['coming']);
    assert.equal(watch.observation('slow'), undefined, 'no observation invented');
  });
});
