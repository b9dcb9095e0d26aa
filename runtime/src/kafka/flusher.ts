// Publishes and commits the handled records of one partition's batch, chunk by chunk, while the
// consumer goes on handling the next chunk: the broker round trips of chunk n overlap the work on
// chunk n+1 instead of stalling it.
//
// Chunks are published in order, one after another, and committed in order, each only after its
// own publish and the previous commit: the committed offset never passes a record whose result is
// not acknowledged, and results keep the partition's order. Chunk n+1 may be published while
// chunk n's commit is in flight. After a failure nothing more is published or committed (the
// records not published are released for redelivery) and `drain()` throws it.
import type { Handled } from './consumer.ts';
import type { Publisher } from './producer.ts';

export interface PartitionControl {
  /** True when the partition was taken away: its records are left, uncommitted, to the new owner. */
  isStale(): boolean;
  /** Marks `offset` as handled, so the next fetch starts after it. */
  resolveOffset(offset: string): void;
  /** Commits `offset` (the next record to read) for this partition to the group. */
  commit(offset: string): Promise<void>;
}

export interface Flusher {
  /** Queues `items` (handled records up to `lastOffset`) to be published and committed. */
  enqueue(items: Handled[], lastOffset: string): void;
  /** True once a flush failed: the consumer should stop handling this batch. */
  readonly failed: boolean;
  /** Resolves when every queued chunk is published and committed; throws the first failure. */
  drain(): Promise<void>;
}

const settle = (items: Handled[], published: boolean) => {
  for (const item of items) item.settle?.(published);
};

export function createFlusher(publisher: Publisher, control: PartitionControl): Flusher {
  let published: Promise<boolean> = Promise.resolve(true);
  let committed: Promise<void> = Promise.resolve();
  // Every step catches its own error into `failure`: no promise of the chains ever rejects.
  let failure: { error: unknown } | undefined;

  async function publish(items: Handled[], lastOffset: string): Promise<boolean> {
    if (failure || control.isStale()) {
      settle(items, false);
      return false;
    }
    try {
      await publisher.publish(items.flatMap((item) => item.records));
    } catch (error) {
      settle(items, false);
      failure ??= { error };
      return false;
    }
    settle(items, true);
    control.resolveOffset(lastOffset);
    return true;
  }

  async function commit(lastOffset: string) {
    if (failure) return;
    try {
      await control.commit((BigInt(lastOffset) + 1n).toString());
    } catch (error) {
      failure ??= { error };
    }
  }

  return {
    enqueue(items, lastOffset) {
      const publishing = published.then(() => publish(items, lastOffset));
      const previousCommit = committed;
      committed = publishing.then(async (ok) => {
        await previousCommit;
        if (ok) await commit(lastOffset);
      });
      published = publishing;
    },
    get failed() {
      return failure !== undefined;
    },
    async drain() {
      await committed;
      if (failure) throw failure.error;
    },
  };
}
