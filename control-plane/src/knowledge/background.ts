// Work that runs after the request that asked for it has committed (indexing a document, building an
// export). Each job records its own outcome in PostgreSQL; this only keeps track of what is in
// flight, so that closing the app waits for it and tests can wait until the work is done.
import type { Logger } from '@agentplane/shared';

export interface Background {
  /** Starts `work` now; its failure is logged (the job itself records status). */
  run(job: string, work: () => Promise<void>): void;
  /** Resolves when nothing is in flight (jobs started meanwhile included). */
  idle(): Promise<void>;
}

export function createBackground(log: Logger): Background {
  const inFlight = new Set<Promise<void>>();
  return {
    run(job, work) {
      const running = work()
        .catch((err: unknown) => log.error({ err, job }, 'background job failed'))
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
