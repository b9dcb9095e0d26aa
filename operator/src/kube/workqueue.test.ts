import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWorkQueue } from './workqueue.ts';

/** A promise with its resolve exposed, to hold a worker inside `process`. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('workqueue', () => {
  it('queues a waiting key once however often it is added', async () => {
    const queue = createWorkQueue();
    for (const key of ['a', 'b', 'a', 'a', 'b']) queue.add(key);
    assert.equal(queue.len(), 2);
    const seen: string[] = [];
    const running = queue.run(1, async (key) => void seen.push(key));
    await tick();
    await queue.shutDown();
    await running;
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('re-queues a key added while in flight once, after it is done, never running it twice at once', async () => {
    const queue = createWorkQueue();
    const held = gate();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const running = queue.run(4, async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      runs += 1;
      if (runs === 1) await held.promise;
      active -= 1;
    });
    queue.add('a');
    await tick();
    queue.add('a');
    queue.add('a');
    assert.equal(queue.len(), 0, 'the key in flight is not handed to another worker');
    held.open();
    await tick();
    await tick();
    assert.equal(runs, 2);
    assert.equal(maxActive, 1);
    await queue.shutDown();
    await running;
  });

  it('runs at most `concurrency` keys at once', async () => {
    const queue = createWorkQueue();
    const held = gate();
    let active = 0;
    let maxActive = 0;
    const running = queue.run(3, async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await held.promise;
      active -= 1;
    });
    for (let i = 0; i < 10; i += 1) queue.add(`k${i}`);
    await tick();
    assert.equal(active, 3);
    assert.equal(queue.len(), 7);
    held.open();
    await tick();
    await queue.shutDown(1000);
    await running;
    assert.equal(maxActive, 3);
  });

  it('backs off exponentially per key up to the maximum, and forget resets it', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const queue = createWorkQueue({ baseDelayMs: 5, maxDelayMs: 30 });
    let processed = 0;
    const running = queue.run(1, async () => {
      processed += 1;
    });
    const delayOfNextRetry = async (): Promise<number> => {
      const before = processed;
      queue.addRateLimited('a');
      for (let ms = 1; ms <= 100; ms += 1) {
        t.mock.timers.tick(1);
        await tick();
        if (processed > before) return ms;
      }
      return -1;
    };
    const delays: number[] = [];
    for (let i = 0; i < 5; i += 1) delays.push(await delayOfNextRetry());
    assert.deepEqual(delays, [5, 10, 20, 30, 30]);
    assert.equal(queue.numRequeues('a'), 5);
    queue.forget('a');
    assert.equal(queue.numRequeues('a'), 0);
    assert.equal(await delayOfNextRetry(), 5);
    await queue.shutDown();
    await running;
  });

  it('addAfter keeps the earliest time for a key and adds at once for a delay of 0', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const queue = createWorkQueue();
    queue.addAfter('a', 100);
    queue.addAfter('a', 50);
    queue.addAfter('a', 80);
    t.mock.timers.tick(49);
    assert.equal(queue.len(), 0);
    t.mock.timers.tick(1);
    assert.equal(queue.len(), 1);
    queue.addAfter('b', 0);
    assert.equal(queue.len(), 2);
  });

  it('shutDown stops taking work, drops waiting keys and lets the key in flight finish', async () => {
    const queue = createWorkQueue();
    const held = gate();
    const finished: string[] = [];
    const running = queue.run(1, async (key) => {
      await held.promise;
      finished.push(key);
    });
    queue.add('a');
    queue.add('b');
    await tick();
    const stopping = queue.shutDown(5000);
    queue.add('c');
    assert.equal(queue.len(), 0);
    held.open();
    assert.equal(await stopping, true);
    await running;
    assert.deepEqual(finished, ['a']);
  });

  it('shutDown gives up after the drain timeout when a key never finishes', async () => {
    const queue = createWorkQueue();
    void queue.run(1, () => new Promise(() => {}));
    queue.add('stuck');
    await tick();
    assert.equal(await queue.shutDown(20), false);
  });

  it('reports adds, depth and retries', async () => {
    const calls = { added: 0, retried: 0, depth: [] as number[] };
    const queue = createWorkQueue({
      metrics: {
        added: () => {
          calls.added += 1;
        },
        retried: () => {
          calls.retried += 1;
        },
        depth: (n) => {
          calls.depth.push(n);
        },
      },
    });
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.addRateLimited('c');
    assert.equal(calls.added, 2);
    assert.equal(calls.retried, 1);
    assert.deepEqual(calls.depth, [1, 2]);
    await queue.shutDown();
  });
});
