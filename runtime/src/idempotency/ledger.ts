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
  const done = new Set<string>(); // insertion order = age
  const inFlight = new Set<string>();
  const remember = (id: string) => {
    done.delete(id);
    done.add(id);
    while (done.size > capacity) {
      const oldest = done.values().next().value;
      if (oldest === undefined) break;
      done.delete(oldest);
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
