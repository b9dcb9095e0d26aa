// The operator's own counters, read from its /metrics, and the one measure several suites and the
// operator bench share: how many writes a full resync of a settled world makes (the target is 0).
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from './eventually.ts';
import { countPrimaries, type PrimaryObject, watchPrimaryChanges } from './primary-changes.ts';

export interface OperatorCounters {
  /** API requests of every method. */
  requests: number;
  /** PATCH, POST and DELETE (lease renewals are PUTs, the election's heartbeat, not reconcile work). */
  writes: number;
  /** The writes by what they wrote: `PATCH tenants/status`, `POST events`… */
  writesByResource: Record<string, number>;
  /** Successful reconciles of every controller. */
  reconciles: number;
  /** Resident memory in bytes. */
  rss: number;
}

const writeMethods = new Set(['PATCH', 'POST', 'DELETE']);

/** The samples of one metric as label sets and values, whatever the order of the labels. */
function samples(text: string, metric: string): Array<{ labels: Record<string, string>; value: number }> {
  const line = new RegExp(`^${metric}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(line)].map((m) => ({
    labels: Object.fromEntries(
      [...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    ),
    value: Number(m[2]),
  }));
}

export function parseOperatorMetrics(text: string): OperatorCounters {
  const requests = samples(text, 'rest_client_requests_total');
  const writesByResource: Record<string, number> = {};
  for (const { labels, value } of requests) {
    if (!writeMethods.has(labels.method ?? '')) continue;
    const target = labels.subresource ? `${labels.resource}/${labels.subresource}` : (labels.resource ?? '');
    const key = `${labels.method} ${target}`;
    writesByResource[key] = (writesByResource[key] ?? 0) + value;
  }
  const total = (list: Array<{ value: number }>) => list.reduce((sum, s) => sum + s.value, 0);
  return {
    requests: total(requests),
    writes: total(requests.filter((s) => writeMethods.has(s.labels.method ?? ''))),
    writesByResource,
    reconciles: total(
      samples(text, 'controller_runtime_reconcile_total').filter((s) => s.labels.result === 'success'),
    ),
    rss: total(samples(text, 'process_resident_memory_bytes')),
  };
}

/** The writes made between two readings, by resource (only those that changed), e.g. `PATCH tenants/status: 3`. */
export function writesBetween(before: OperatorCounters, after: OperatorCounters): Record<string, number> {
  const made: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.writesByResource)) {
    const delta = count - (before.writesByResource[key] ?? 0);
    if (delta !== 0) made[key] = delta;
  }
  return made;
}

/** `PATCH tenants/status ×3, POST events ×1`, or `none`. */
export const describeWrites = (made: Record<string, number>) =>
  Object.entries(made)
    .map(([key, count]) => `${key} ×${count}`)
    .join(', ') || 'none';

export const operatorCounters = async (metricsUrl: string) =>
  parseOperatorMetrics(await (await fetch(metricsUrl)).text());

/** The operator's event recorder folds repeated Events into a series and patches its count at most
 *  this often: a storm's repeated Events are still flushed this long after it. */
export const eventSeriesIntervalMs = 30_000;

export interface ResyncOptions {
  /** How long no write must happen before the world counts as settled. */
  quietMs?: number;
  /** How long the resync may take. */
  timeoutMs?: number;
  /**
   * The suite's own Tenants and AgentInstances. Given, a window in which any other one changed after
   * the quiet began (a suite beside this one created or deleted it, and the operator reconciled it) is
   * void and measured again, and the resync waits for one reconcile of every primary object on the
   * cluster.
   */
  ours?: (object: PrimaryObject) => boolean;
  /** The cluster `ours` is watched on; default the test bed's. */
  kubeconfig?: string;
  /** Windows to try before giving up on a world others keep changing; default 4. */
  attempts?: number;
}

export interface Resync {
  settled: OperatorCounters;
  resynced: OperatorCounters;
  /** What the resync wrote, by resource (see writesBetween). */
  writes: Record<string, number>;
  /** The foreign changes that voided earlier windows, one list per window. */
  voided: string[][];
}

/**
 * Waits until no write happened for `quietMs` (the world settled), then until `reconciles` more
 * reconciles succeeded (a full resync: each primary object counts once per controller), and returns
 * the counters at both points. The writes between them are what the resync wrote. With `ours`, only
 * a window in which nobody else changed a primary object counts (see ResyncOptions); throws when
 * none of `attempts` windows was undisturbed.
 */
export async function measureResync(
  metricsUrl: string,
  reconciles: number,
  { quietMs = 3000, timeoutMs = 60_000, ours, kubeconfig, attempts = 4 }: ResyncOptions = {},
): Promise<Resync> {
  const voided: string[][] = [];
  for (let attempt = 0; attempt < (ours ? attempts : 1); attempt++) {
    const watch = ours && watchPrimaryChanges(ours, kubeconfig);
    try {
      const { settled, quietSince } = await settle(metricsUrl, quietMs);
      const objects = ours ? Math.max(reconciles, await countPrimaries(kubeconfig)) : reconciles;
      const resynced = await eventually(
        async () => {
          const now = await operatorCounters(metricsUrl);
          return now.reconciles >= settled.reconciles + objects && now;
        },
        { what: 'a full resync', timeoutMs, intervalMs: 1000 },
      );
      // A change before the last write of the quiet phase was reconciled then; one after it may not be.
      const foreign = watch ? watch.foreign(quietSince) : [];
      if (foreign.length === 0)
        return { settled, resynced, writes: writesBetween(settled, resynced), voided };
      voided.push(foreign);
    } finally {
      watch?.stop();
    }
  }
  const seen = voided.map((changes, i) => `window ${i + 1}: ${[...new Set(changes)].join(', ')}`);
  throw new Error(`no full resync without other suites changing the operator's world: ${seen.join('; ')}`);
}

/** The counters once no write happened for `quietMs`, and since when it was quiet. */
async function settle(metricsUrl: string, quietMs: number) {
  let settled = await operatorCounters(metricsUrl);
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    await sleep(500);
    const now = await operatorCounters(metricsUrl);
    if (now.writes !== settled.writes) quietSince = Date.now();
    settled = now;
  }
  return { settled, quietSince };
}
