import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrationDecision } from './migration.ts';
import { advanceMigration } from './propagation.ts';
import type { SideObservation } from './tenant-sync.ts';

type Side = SideObservation & { cluster: string };
const side = (cluster: string, ...modifiers: Array<(s: Side) => Side>): Side =>
  modifiers.reduce((s, m) => m(s), {
    cluster,
    reachable: true,
    tenantPresent: true,
    tenantReady: true,
    agents: [],
  } as Side);
const agent =
  (name: string, phase: string, extra: Partial<Side['agents'][number]> = {}) =>
  (s: Side): Side => ({
    ...s,
    agents: [...s.agents, { name, present: true, current: true, ready: true, phase, ...extra }],
  });
const down = (s: Side): Side => ({ ...s, reachable: false });
const gone = (s: Side): Side => ({ ...s, tenantPresent: false, tenantReady: false, agents: [] });

describe('migrationDecision', () => {
  it('builds the target first, paused agents Ready there', () => {
    const waiting = migrationDecision(
      'BuildingTarget',
      side('b', agent('support', 'Provisioning', { ready: false })),
      side('a'),
    );
    assert.deepEqual(waiting, { wait: 'waiting for AgentInstance(s) support to be Ready (paused) on b' });
    const built = migrationDecision('BuildingTarget', side('b', agent('support', 'Paused')), side('a'));
    assert.equal('advance' in built && built.advance, 'PausingSource');
  });

  it('switches only once the source agents are paused, and never with the source unreachable', () => {
    const running = migrationDecision('PausingSource', side('b'), side('a', agent('support', 'Ready')));
    assert.match('wait' in running ? running.wait : '', /support to pause on a/);
    assert.match(
      JSON.stringify(migrationDecision('PausingSource', side('b'), side('a', down))),
      /does not answer/,
    );
    const paused = migrationDecision('PausingSource', side('b'), side('a', agent('support', 'Paused')));
    assert.equal('advance' in paused && paused.advance, 'RemovingSource');
  });

  it('completes when nothing is left on the source', () => {
    assert.match(
      JSON.stringify(migrationDecision('RemovingSource', side('b'), side('a'))),
      /1 object\(s\) left/,
    );
    assert.deepEqual(migrationDecision('RemovingSource', side('b'), side('a', gone)), {
      advance: 'Completed',
      message: 'moved from a to b',
    });
  });
});

describe('advanceMigration', () => {
  const state = {
    from: 'a',
    to: 'b',
    step: 'PausingSource' as const,
    startedAt: '2026-11-29T12:00:00.000Z',
    updatedAt: '2026-11-29T12:00:00.000Z',
    message: 'x',
    by: 'platform-admin',
  };
  it('the switch makes the target the cluster and keeps the source as the peer until it is empty', () => {
    const switched = advanceMigration(state, { advance: 'RemovingSource', message: 'switched' });
    assert.equal(switched?.cluster, 'b');
    assert.equal(switched?.migrationPeer, 'a');
    const done = advanceMigration(
      { ...state, step: 'RemovingSource' },
      { advance: 'Completed', message: 'moved' },
    );
    assert.equal(done?.migrationPeer, null);
    assert.equal(done?.migration?.step, 'Completed');
  });
  it('writes a wait only when its message changes', () => {
    assert.equal(advanceMigration(state, { wait: 'x' }), undefined);
    assert.equal(advanceMigration(state, { wait: 'y' })?.migration?.message, 'y');
  });
});
