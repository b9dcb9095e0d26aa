import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TenantHibernationStatus } from '@agentplane/crds';
import {
  decideHibernation,
  formatDuration,
  type HibernationInput,
  idleWindowMs,
  isHibernating,
  parseDuration,
} from './hibernation.ts';

const t0 = new Date('2026-12-01T10:00:00.000Z');
const after = (ms: number) => new Date(t0.getTime() + ms);
const minutes = (n: number) => n * 60_000;

type Modifier = (input: HibernationInput) => HibernationInput;

/** An awake basic tenant with one ready agent, observed at t0 with 5 messages so far, 30m window. */
function input(...modifiers: Modifier[]): HibernationInput {
  const base: HibernationInput = {
    settings: { hibernation: { mode: 'Auto' }, suspended: false },
    previous: undefined,
    observed: { offsets: 5, at: t0 },
    agents: { runnable: 1, ready: 1 },
    defaultIdleMs: minutes(30),
    now: t0,
  };
  return modifiers.reduce((acc, modify) => modify(acc), base);
}
const withPrevious =
  (previous: Partial<TenantHibernationStatus>): Modifier =>
  (i) => ({ ...i, previous: { mode: 'Auto', state: 'Awake', ...previous } });
const observedAt =
  (offsets: number, at: Date): Modifier =>
  (i) => ({ ...i, observed: { offsets, at }, now: at });
const unobserved: Modifier = (i) => {
  const { observed: _observed, ...rest } = i;
  return rest;
};
const withLag =
  (lag: number): Modifier =>
  (i) => ({ ...i, lag });
const withMode =
  (mode: 'Auto' | 'Never', idleAfter?: string): Modifier =>
  (i) => ({ ...i, settings: { ...i.settings, hibernation: { mode, ...(idleAfter ? { idleAfter } : {}) } } });
const suspended: Modifier = (i) => ({ ...i, settings: { ...i.settings, suspended: true } });
const withAgents =
  (runnable: number, ready: number): Modifier =>
  (i) => ({ ...i, agents: { runnable, ready } });
const at =
  (now: Date): Modifier =>
  (i) => ({ ...i, now });

/** Awake since t0 with offsets 5: the idle clock running. */
const awake = withPrevious({ observedOffsets: 5, idleSince: t0.toISOString() });
/** Hibernating since 10:30 with offsets 5. */
const asleep = withPrevious({
  state: 'Hibernating',
  observedOffsets: 5,
  idleSince: t0.toISOString(),
  hibernatedAt: after(minutes(30)).toISOString(),
});

describe('hibernation: the decision', () => {
  it('starts the idle clock at the first observation, and decides nothing without one', () => {
    const first = decideHibernation(input());
    assert.deepEqual(first, {
      status: {
        mode: 'Auto',
        idleAfter: '30m',
        state: 'Awake',
        observedOffsets: 5,
        idleSince: t0.toISOString(),
      },
    });
    assert.deepEqual(decideHibernation(input(unobserved)).status, {
      mode: 'Auto',
      idleAfter: '30m',
      state: 'Awake',
    });
    const kept = decideHibernation(input(asleep, unobserved, at(after(minutes(90)))));
    assert.equal(kept.status.state, 'Hibernating', 'no observation: no wake and no change');
    assert.equal(kept.event, undefined);
  });

  it('is idempotent: the status it wrote decides nothing new while the offsets stay', () => {
    const first = decideHibernation(input(awake, observedAt(5, after(minutes(10)))));
    const again = decideHibernation({ ...input(observedAt(5, after(minutes(20)))), previous: first.status });
    assert.deepEqual(again.status, first.status);
    assert.equal(again.event, undefined);
    assert.equal(again.needsLag, undefined);
  });

  it('counts any change of the offsets as activity and restarts the clock there', () => {
    const moved = decideHibernation(input(awake, observedAt(7, after(minutes(29)))));
    assert.equal(moved.status.observedOffsets, 7);
    assert.equal(moved.status.idleSince, after(minutes(29)).toISOString());
    // A deleted agent's topic makes the sum drop: still a change, so the tenant stays awake.
    assert.equal(decideHibernation(input(awake, observedAt(2, after(minutes(31))))).status.state, 'Awake');
  });

  describe('the idle window boundary', () => {
    it('does not hibernate one millisecond before the window ends', () => {
      const d = decideHibernation(input(awake, observedAt(5, after(minutes(30) - 1)), withLag(0)));
      assert.equal(d.status.state, 'Awake');
      assert.equal(d.needsLag, undefined);
    });

    it('asks for the lag exactly at the end of the window, then hibernates when it is 0', () => {
      const due = decideHibernation(input(awake, observedAt(5, after(minutes(30)))));
      assert.equal(due.needsLag, true);
      assert.equal(due.status.state, 'Awake', 'nothing changes before the lag is known');
      const d = decideHibernation(input(awake, observedAt(5, after(minutes(30))), withLag(0)));
      assert.equal(d.status.state, 'Hibernating');
      assert.equal(d.status.hibernatedAt, after(minutes(30)).toISOString());
      assert.equal(d.status.idleSince, t0.toISOString(), 'idleSince stays the time of the last message');
      assert.equal(d.event?.reason, 'Hibernated');
      assert.match(
        d.event?.message ?? '',
        /no inbound message since 2026-12-01T10:00:00.000Z \(idle after 30m\)/,
      );
    });

    it('needs an observation made after the window: a stale one keeps it awake however late it is', () => {
      const stale = decideHibernation({
        ...input(awake, observedAt(5, after(minutes(29)))),
        now: after(minutes(90)),
        lag: 0,
      });
      assert.equal(stale.status.state, 'Awake');
    });

    it('stays awake while the agents still have messages to consume, and restarts the clock', () => {
      const d = decideHibernation(input(awake, observedAt(5, after(minutes(31))), withLag(3)));
      assert.equal(d.status.state, 'Awake');
      assert.equal(d.status.idleSince, after(minutes(31)).toISOString());
      assert.equal(d.needsLag, undefined);
      assert.equal(d.event, undefined);
    });

    it('takes spec.hibernation.idleAfter over the operator default', () => {
      const short = withMode('Auto', '90s');
      assert.equal(
        decideHibernation(input(awake, short, observedAt(5, after(89_999)), withLag(0))).status.state,
        'Awake',
      );
      const d = decideHibernation(input(awake, short, observedAt(5, after(90_000)), withLag(0)));
      assert.equal(d.status.state, 'Hibernating');
      assert.equal(d.status.idleAfter, '90s');
    });
  });

  describe('a new message during hibernation', () => {
    it('wakes the tenant from the moment the message was seen', () => {
      const seen = after(minutes(45));
      const d = decideHibernation(
        input(asleep, observedAt(6, seen), withAgents(1, 0), at(after(minutes(45) + 200))),
      );
      assert.equal(d.status.state, 'Waking');
      assert.equal(d.status.wakeRequestedAt, seen.toISOString());
      assert.equal(d.status.observedOffsets, 6);
      assert.equal(d.status.idleSince, seen.toISOString());
      assert.equal(d.status.hibernatedAt, after(minutes(30)).toISOString(), 'history is kept');
      assert.deepEqual(d.event, { reason: 'Waking', message: 'waking the agents: 1 new inbound message(s)' });
    });

    it('stays Waking until every runnable agent is Ready, then records how long it took', () => {
      const waking = withPrevious({
        state: 'Waking',
        observedOffsets: 6,
        idleSince: after(minutes(45)).toISOString(),
        wakeRequestedAt: after(minutes(45)).toISOString(),
        hibernatedAt: after(minutes(30)).toISOString(),
      });
      const notYet = decideHibernation(
        input(waking, observedAt(6, after(minutes(45) + 1000)), withAgents(2, 1)),
      );
      assert.equal(notYet.status.state, 'Waking');
      assert.equal(notYet.event, undefined);
      const done = decideHibernation(
        input(waking, observedAt(6, after(minutes(45) + 3_460)), withAgents(2, 2)),
      );
      assert.equal(done.status.state, 'Awake');
      assert.equal(done.status.lastWakeSeconds, 3.5);
      assert.equal(done.status.lastWokeAt, after(minutes(45) + 3_460).toISOString());
      assert.deepEqual(done.event, { reason: 'Woke', message: '2 agent(s) ready again after 3.5s' });
    });

    it('wakes and is awake at once when no agent needs to run', () => {
      const d = decideHibernation(input(asleep, observedAt(6, after(minutes(45))), withAgents(0, 0)));
      assert.equal(d.status.state, 'Awake');
      assert.equal(d.status.lastWakeSeconds, 0);
      assert.equal(d.event?.reason, 'Woke');
    });

    it('stays asleep while the offsets do not move, however long', () => {
      const d = decideHibernation(input(asleep, observedAt(5, after(minutes(600))), withAgents(1, 0)));
      assert.equal(d.status.state, 'Hibernating');
      assert.equal(d.event, undefined);
      assert.equal(d.needsLag, undefined);
    });

    it('wakes when it sleeps without a baseline (never loses a message)', () => {
      const d = decideHibernation(
        input(withPrevious({ state: 'Hibernating' }), observedAt(5, after(1000)), withAgents(1, 0)),
      );
      assert.equal(d.status.state, 'Waking');
    });
  });

  describe('pinned awake', () => {
    it('never hibernates and keeps no clock', () => {
      const d = decideHibernation(
        input(awake, withMode('Never'), observedAt(5, after(minutes(600))), withLag(0)),
      );
      assert.deepEqual(d.status, { mode: 'Never', state: 'Awake' });
      assert.equal(d.needsLag, undefined);
    });

    it('wakes a hibernating tenant when it gets pinned', () => {
      const d = decideHibernation(input(asleep, withMode('Never'), withAgents(1, 0), at(after(minutes(50)))));
      assert.equal(d.status.state, 'Waking');
      assert.equal(d.status.wakeRequestedAt, after(minutes(50)).toISOString());
      assert.equal(d.event?.message, 'waking the agents: spec.hibernation.mode is Never');
    });
  });

  describe('suspended', () => {
    it('stops the clock: suspension already holds the agents at zero', () => {
      const d = decideHibernation(input(awake, suspended, observedAt(5, after(minutes(600))), withLag(0)));
      assert.deepEqual(d.status, { mode: 'Auto', idleAfter: '30m', state: 'Awake' });
    });

    it('ends a hibernation without a wake, and the clock restarts when the suspension ends', () => {
      const d = decideHibernation(input(asleep, suspended, withAgents(1, 0), at(after(minutes(50)))));
      assert.equal(d.status.state, 'Awake');
      assert.equal(d.event, undefined);
      const resumed = decideHibernation({ ...input(observedAt(5, after(minutes(60)))), previous: d.status });
      assert.equal(resumed.status.idleSince, after(minutes(60)).toISOString());
      assert.equal(resumed.status.state, 'Awake');
    });
  });

  describe('agents paused by the user', () => {
    it('are not waited for: a tenant whose agents are all paused wakes at once', () => {
      const d = decideHibernation(input(asleep, observedAt(6, after(minutes(45))), withAgents(0, 0)));
      assert.equal(d.status.state, 'Awake');
    });

    it('do not stop the tenant from hibernating (their pause outlasts the wake)', () => {
      const d = decideHibernation(
        input(awake, withAgents(0, 0), observedAt(5, after(minutes(31))), withLag(0)),
      );
      assert.equal(d.status.state, 'Hibernating');
    });
  });
});

describe('hibernation: helpers', () => {
  it('tells the agent reconcile to hold at zero only while Hibernating', () => {
    assert.equal(isHibernating({ hibernation: { mode: 'Auto', state: 'Hibernating' } }), true);
    assert.equal(isHibernating({ hibernation: { mode: 'Auto', state: 'Waking' } }), false);
    assert.equal(isHibernating(undefined), false);
  });

  it('reads and writes durations the way the CRD and the settings spell them', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1h30m'), undefined);
    assert.equal(formatDuration(1_800_000), '30m');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(idleWindowMs({ idleAfter: '5s' }, 1), 5000);
    assert.equal(idleWindowMs({}, 1234), 1234);
  });
});
