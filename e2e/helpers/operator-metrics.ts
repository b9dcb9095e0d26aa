// The operator's own counters, read from its /metrics, and the one measure several suites and the
// operator bench share: how many writes a full resync of a settled world makes (the target is 0).
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from './eventually.ts';

export interface OperatorCounters {
  /** API requests of every method. */
  requests: number;
  /** PATCH, POST and DELETE (lease renewals are PUTs, the election's heartbeat, not reconcile work). */
  writes: number;
  /** Successful reconciles of every controller. */
  reconciles: number;
  /** Resident memory in bytes. */
  rss: number;
}

export function parseOperatorMetrics(text: string): OperatorCounters {
  const sum = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, m) => total + Number(m[1]), 0);
  return {
    requests: sum(/^rest_client_requests_total\{[^}]*\} (\d+)/gm),
    writes: sum(/^rest_client_requests_total\{method="(?:PATCH|POST|DELETE)"\} (\d+)/gm),
    reconciles: sum(/^controller_runtime_reconcile_total\{[^}]*result="success"\} (\d+)/gm),
    rss: sum(/^process_resident_memory_bytes (\d+)/gm),
  };
}

export const operatorCounters = async (metricsUrl: string) =>
  parseOperatorMetrics(await (await fetch(metricsUrl)).text());

/** The operator's event recorder folds repeated Events into a series and patches its count at most
 *  this often: a storm's repeated Events are still flushed this long after it. */
export const eventSeriesIntervalMs = 30_000;

/**
 * Waits until no write happened for `quietMs` (the world settled), then until `reconciles` more
 * reconciles succeeded (a full resync: each primary object counts once per controller), and returns
 * the counters at both points. The writes between them are what the resync wrote.
 */
export async function measureResync(
  metricsUrl: string,
  reconciles: number,
  { quietMs = 3000, timeoutMs = 60_000 } = {},
): Promise<{ settled: OperatorCounters; resynced: OperatorCounters }> {
  let settled = await operatorCounters(metricsUrl);
  for (let quietSince = Date.now(); Date.now() - quietSince < quietMs; ) {
    await sleep(500);
    const now = await operatorCounters(metricsUrl);
    if (now.writes !== settled.writes) quietSince = Date.now();
    settled = now;
  }
  const resynced = await eventually(
    async () => {
      const now = await operatorCounters(metricsUrl);
      return now.reconciles >= settled.reconciles + reconciles && now;
    },
    { what: 'a full resync', timeoutMs, intervalMs: 1000 },
  );
  return { settled, resynced };
}
