// The record of message ids this agent instance has published a result for, bounded (oldest ids
// are forgotten first). Ids come from this process's own publishes and from the events topic
// (see events-tail.ts), so a message another pod or an earlier process handled is known too.

export interface Ledger {
  /** True when no result was published for `id` and no handling of it is in flight; marks it in flight. */
  claim(id: string): boolean;
  /** The result for `id` is published: remember it. */
  complete(id: string): void;
  /** Handling `id` ended without a published result: it may be handled again. */
  release(id: string): void;
  /** Learns an id from the events topic. */
  learn(id: string): void;
  has(id: string): boolean;
  readonly size: number;
}

export function createLedger(capacity: number): Ledger {
  // id → the sequence number of its latest remembering; `ids`/`seqs` list those pairs oldest first,
  // with stale pairs of ids remembered again later. Forgetting the oldest is O(1) (walking a Set
  // from its start to its oldest entry skips every deleted slot: O(capacity) per message once full).
  const done = new Map<string, number>();
  let ids: string[] = [];
  let seqs: number[] = [];
  let head = 0;
  let seq = 0;
  const inFlight = new Set<string>();
  const remember = (id: string) => {
    done.set(id, ++seq);
    ids.push(id);
    seqs.push(seq);
    for (; done.size > capacity && head < ids.length; head++) {
      const oldest = ids[head] as string;
      if (done.get(oldest) === seqs[head]) done.delete(oldest);
    }
    // Drop what was walked past, and stale pairs when ids keep being remembered again.
    if (head > capacity || ids.length - head > 2 * capacity + 16) {
      const live = ids.flatMap((entry, i) => (i >= head && done.get(entry) === seqs[i] ? [i] : []));
      ids = live.map((i) => ids[i] as string);
      seqs = live.map((i) => seqs[i] as number);
      head = 0;
    }
  };
  return {
    claim(id) {
      if (done.has(id) || inFlight.has(id)) return false;
      inFlight.add(id);
      return true;
    },
    complete(id) {
      inFlight.delete(id);
      remember(id);
    },
    release: (id) => void inFlight.delete(id),
    learn: remember,
    has: (id) => done.has(id),
    get size() {
      return done.size;
    },
  };
}
