// The flusher against a scripted publisher and partition: order of publishes and commits, overlap
// with the caller, and what a failure or a lost partition leaves behind.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Handled } from './consumer.ts';
import { createFlusher, type PartitionControl } from './flusher.ts';
import type { Publisher } from './producer.ts';
import type { OutboundRecord } from './records.ts';

const roundTrip = () => new Promise((resolve) => setImmediate(resolve));

function world(options: { failPublish?: number; failCommit?: string; stale?: () => boolean } = {}) {
  const log: string[] = [];
  const settled = new Map<string, boolean>();
  let publishes = 0;
  let commitGate: Promise<void> = Promise.resolve();
  const publisher: Publisher = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    async publish(records: readonly OutboundRecord[]) {
      const n = ++publishes;
      log.push(`publish ${records.map((r) => r.value).join(',')}`);
      await roundTrip();
      if (n === options.failPublish) throw new Error('broker down');
    },
  };
  const control: PartitionControl = {
    isStale: options.stale ?? (() => false),
    resolveOffset: (offset) => log.push(`resolve ${offset}`),
    async commit(offset) {
      await commitGate;
      await roundTrip();
      if (offset === options.failCommit) throw new Error('not the coordinator');
      log.push(`commit ${offset}`);
    },
  };
  const item = (value: string): Handled => ({
    records: [{ topic: 'out', key: null, value }],
    settle: (published) => settled.set(value, published),
  });
  const holdCommits = () => {
    let release = () => {};
    commitGate = new Promise((resolve) => {
      release = resolve;
    });
    return release;
  };
  return { log, settled, flusher: createFlusher(publisher, control), item, holdCommits };
}

const at = (log: string[], entry: string) => {
  const index = log.indexOf(entry);
  assert.ok(index >= 0, `${entry} in ${log.join(' | ')}`);
  return index;
};

it('publishes and commits the chunks in order, each commit after its publish, without blocking the caller', async () => {
  const { log, settled, flusher, item } = world();
  flusher.enqueue([item('a'), item('b')], '11');
  flusher.enqueue([item('c')], '12');
  assert.equal(log.length, 0, 'enqueue returns before any round trip');
  await flusher.drain();
  assert.deepEqual(
    log.filter((entry) => entry.startsWith('publish')),
    ['publish a,b', 'publish c'],
  );
  assert.deepEqual(
    log.filter((entry) => entry.startsWith('commit')),
    ['commit 12', 'commit 13'],
  );
  assert.ok(at(log, 'commit 12') > at(log, 'resolve 11'));
  assert.ok(at(log, 'commit 13') > at(log, 'resolve 12'));
  assert.deepEqual(
    [...settled],
    [
      ['a', true],
      ['b', true],
      ['c', true],
    ],
  );
});

it('publishes the next chunk while a commit is still in flight', async () => {
  const { log, flusher, item, holdCommits } = world();
  const release = holdCommits();
  flusher.enqueue([item('a')], '1');
  flusher.enqueue([item('b')], '2');
  const drained = flusher.drain();
  for (let i = 0; i < 5; i++) await roundTrip();
  assert.deepEqual(log, ['publish a', 'resolve 1', 'publish b', 'resolve 2'], 'no commit yet');
  release();
  await drained;
  assert.deepEqual(log.slice(4), ['commit 2', 'commit 3']);
});

it('after a failed publish, releases the later chunks unpublished and uncommitted, and reports it', async () => {
  const { log, settled, flusher, item } = world({ failPublish: 2 });
  flusher.enqueue([item('a')], '1');
  flusher.enqueue([item('b')], '2');
  flusher.enqueue([item('c')], '3');
  await assert.rejects(flusher.drain(), /broker down/);
  assert.ok(flusher.failed);
  assert.deepEqual(log, ['publish a', 'resolve 1', 'publish b', 'commit 2']);
  assert.deepEqual(
    [...settled],
    [
      ['a', true],
      ['b', false],
      ['c', false],
    ],
  );
});

it('after a failed commit, commits nothing later and reports it', async () => {
  const { log, flusher, item } = world({ failCommit: '2' });
  flusher.enqueue([item('a')], '1');
  flusher.enqueue([item('b')], '2');
  await assert.rejects(flusher.drain(), /not the coordinator/);
  assert.ok(!log.some((entry) => entry.startsWith('commit')), log.join(' | '));
});

it('leaves a partition that was taken away to its new owner', async () => {
  let stale = false;
  const { log, settled, flusher, item } = world({ stale: () => stale });
  flusher.enqueue([item('a')], '1');
  await flusher.drain();
  stale = true;
  flusher.enqueue([item('b')], '2');
  await flusher.drain();
  assert.deepEqual(log, ['publish a', 'resolve 1', 'commit 2']);
  assert.equal(settled.get('b'), false);
});
