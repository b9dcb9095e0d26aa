import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenBucket } from './rate-limit.ts';

describe('token bucket', () => {
  it('lets a burst through at once, then paces requests at qps', async () => {
    const bucket = createTokenBucket({ qps: 100, burst: 5 });
    const started = performance.now();
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 15 }, () => bucket.take().then(() => at.push(performance.now() - started))),
    );
    assert.ok((at[4] ?? Infinity) < 5, `the first 5 go at once (${at.slice(0, 5).map(Math.round)})`);
    // 10 more at 100/s: about 100 ms; generous upper bound for a loaded machine.
    assert.ok((at[14] ?? 0) >= 90, `the rest are paced (${Math.round(at[14] ?? 0)} ms)`);
  });

  it('drops a waiter whose signal aborts, without holding up the ones behind it', async () => {
    const bucket = createTokenBucket({ qps: 20, burst: 1 });
    await bucket.take();
    const abort = new AbortController();
    const abandoned = bucket.take(abort.signal);
    const next = bucket.take();
    abort.abort(new Error('stopping'));
    await assert.rejects(abandoned, /stopping/);
    await next;
  });
});
