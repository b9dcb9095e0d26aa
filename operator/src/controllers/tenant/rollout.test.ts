import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRollout, rolloutHash } from './rollout.ts';

const window = 10 * 60_000;
const at = (iso: string) => new Date(iso);

describe('calm secret rotation', () => {
  it('rolls at once for the first delivery and not at all while nothing changes', () => {
    const first = decideRollout(undefined, 'llm=1', at('2026-11-29T10:00:00Z'), window);
    assert.deepEqual(first, { rolledOut: { versions: 'llm=1', at: '2026-11-29T10:00:00.000Z' } });
    assert.deepEqual(decideRollout(first, 'llm=1', at('2026-11-29T10:03:00Z'), window), first);
  });

  it('holds rotations inside the window as one pending rollout, then rolls them together', () => {
    const rolled = { rolledOut: { versions: 'llm=1', at: '2026-11-29T10:00:00.000Z' } };
    const one = decideRollout(rolled, 'llm=2', at('2026-11-29T10:04:00Z'), window);
    assert.deepEqual(one, {
      rolledOut: rolled.rolledOut,
      pendingRollout: { versions: 'llm=2', notBefore: '2026-11-29T10:10:00.000Z' },
      requeueAfterMs: 6 * 60_000,
    });
    const two = decideRollout(rolled, 'llm=3,org=2', at('2026-11-29T10:08:00Z'), window);
    assert.equal(two.pendingRollout?.versions, 'llm=3,org=2', 'the newest versions wait, still one rollout');
    assert.equal(two.rolledOut, rolled.rolledOut);
    const due = decideRollout(rolled, 'llm=3,org=2', at('2026-11-29T10:10:00Z'), window);
    assert.deepEqual(due, { rolledOut: { versions: 'llm=3,org=2', at: '2026-11-29T10:10:00.000Z' } });
  });

  it('hashes versions into a stable annotation', () => {
    assert.equal(rolloutHash('llm=1'), rolloutHash('llm=1'));
    assert.notEqual(rolloutHash('llm=1'), rolloutHash('llm=2'));
  });
});
