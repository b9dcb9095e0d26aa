import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCondition, isFalse, isTrue, removeCondition, setCondition } from './conditions.ts';

const t0 = new Date('2026-11-23T08:00:00.750Z');
const t1 = new Date('2026-11-23T09:00:00Z');
const ready = {
  type: 'Ready',
  status: 'True',
  reason: 'Provisioned',
  message: 'home ready',
  observedGeneration: 1,
} as const;

describe('conditions', () => {
  it('adds a new condition stamped with the time at seconds precision', () => {
    const list = setCondition(undefined, ready, t0);
    assert.deepEqual(list, [{ ...ready, lastTransitionTime: '2026-11-23T08:00:00Z' }]);
  });

  it('keeps lastTransitionTime when the status stays, even if reason, message or generation change', () => {
    const first = setCondition([], ready, t0);
    const second = setCondition(
      first,
      { ...ready, reason: 'StillFine', message: 'ok', observedGeneration: 2 },
      t1,
    );
    assert.equal(second[0]?.lastTransitionTime, '2026-11-23T08:00:00Z');
    assert.equal(second[0]?.observedGeneration, 2);
    assert.equal(second[0]?.reason, 'StillFine');
    assert.deepEqual(setCondition(first, ready, t1), first, 'the same facts give an equal list');
  });

  it('moves lastTransitionTime when the status flips, in place, without touching the input', () => {
    const first = setCondition(setCondition([], ready, t0), { ...ready, type: 'QuotaApplied' }, t0);
    const flipped = setCondition(first, { ...ready, status: 'False', reason: 'NamespaceMissing' }, t1);
    assert.deepEqual(
      flipped.map((c) => [c.type, c.status, c.lastTransitionTime]),
      [
        ['Ready', 'False', '2026-11-23T09:00:00Z'],
        ['QuotaApplied', 'True', '2026-11-23T08:00:00Z'],
      ],
    );
    assert.equal(first[0]?.status, 'True');
  });

  it('finds, tests and removes conditions', () => {
    const list = setCondition(
      setCondition([], ready, t0),
      { ...ready, type: 'Deployed', status: 'False' },
      t0,
    );
    assert.equal(isTrue(list, 'Ready'), true);
    assert.equal(isFalse(list, 'Deployed'), true);
    assert.equal(isTrue(list, 'Missing'), false);
    assert.equal(isFalse(list, 'Missing'), false);
    assert.equal(findCondition(list, 'Deployed')?.status, 'False');
    assert.deepEqual(
      removeCondition(list, 'Ready').map((c) => c.type),
      ['Deployed'],
    );
  });
});
