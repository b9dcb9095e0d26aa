// Kubernetes Events (events.k8s.io/v1) so `kubectl describe` tells an SRE what happened and why.
// Like client-go's recorder it folds repeats: an identical event within the series window only
// raises `series.count` (patched at most once per seriesIntervalMs), and each object gets a budget
// of distinct events that refills slowly, so a hot loop cannot flood the API server.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@agentplane/shared';
import type { KubeClient } from './client.ts';
import { type KubeObject, microTime } from './resource.ts';

export interface EventInput {
  type: 'Normal' | 'Warning';
  /** CamelCase, machine-readable: the same word as the condition reason when there is one. */
  reason: string;
  /** What was done or attempted, CamelCase: `Provision`, `Apply`, `Validate`. */
  action: string;
  /** For people; at most 1 KiB is kept. */
  note: string;
  related?: KubeObject;
}

export interface EventRecorder {
  /** Records an Event about `regarding`. Never throws: a failure to record is logged. */
  record(regarding: KubeObject, event: EventInput): Promise<void>;
  /** Writes pending series counts now (on shutdown, and in tests). */
  flush(): Promise<void>;
}

export interface EventRecorderOptions {
  client: KubeClient;
  log: Logger;
  /** e.g. `agentplane.io/operator`. */
  reportingController: string;
  /** This process, e.g. the pod name or the leader-election identity. */
  reportingInstance: string;
  /** Identical events closer than this form one series; default 6 minutes (as client-go). */
  seriesWindowMs?: number;
  /** Minimum time between two series updates of one event; default 30 s. */
  seriesIntervalMs?: number;
  /** Distinct events per object: burst and refill interval; default 25 and one per 5 minutes. */
  budget?: { burst: number; refillMs: number };
  now?: () => Date;
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  lastObserved: number;
  lastWritten: number;
  timer?: NodeJS.Timeout;
}

const maxCached = 4096;
const reference = (obj: KubeObject) => {
  const { name, namespace, uid } = obj.metadata ?? {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name,
    ...(namespace ? { namespace } : {}),
    ...(uid ? { uid } : {}),
  };
};

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const { client, reportingController, reportingInstance, now = () => new Date() } = options;
  const { seriesWindowMs = 360_000, seriesIntervalMs = 30_000 } = options;
  const { burst, refillMs } = options.budget ?? { burst: 25, refillMs: 300_000 };
  const log = options.log.child({ component: 'events' });
  const series = new Map<string, Series>();
  const budgets = new Map<string, { tokens: number; at: number }>();

  function spend(objectKey: string, at: number): boolean {
    const budget = budgets.get(objectKey) ?? { tokens: burst, at };
    const tokens = Math.min(burst, budget.tokens + (at - budget.at) / refillMs);
    budgets.set(objectKey, { tokens: tokens >= 1 ? tokens - 1 : tokens, at });
    if (budgets.size > maxCached) budgets.delete(budgets.keys().next().value ?? '');
    return tokens >= 1;
  }

  async function writeSeries(entry: Series): Promise<void> {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.lastWritten = now().getTime();
    const path = `/apis/events.k8s.io/v1/namespaces/${entry.namespace}/events/${entry.name}`;
    const body = {
      series: { count: entry.count, lastObservedTime: microTime(new Date(entry.lastObserved)) },
    };
    await client
      .request({ method: 'PATCH', path, body, contentType: 'application/merge-patch+json' })
      .catch((error) => log.warn({ err: error, event: entry.name }, 'cannot update the event series'));
  }

  async function create(regarding: KubeObject, event: EventInput, at: Date): Promise<Series | undefined> {
    const namespace = regarding.metadata?.namespace || 'default';
    const name = `${regarding.metadata?.name ?? 'object'}.${at.getTime().toString(16)}${randomBytes(2).toString('hex')}`;
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(at),
      reportingController,
      reportingInstance,
      regarding: reference(regarding),
      ...(event.related ? { related: reference(event.related) } : {}),
      type: event.type,
      reason: event.reason,
      action: event.action,
      note: event.note.slice(0, 1024),
    };
    const path = `/apis/events.k8s.io/v1/namespaces/${namespace}/events`;
    try {
      await client.request({ method: 'POST', path, body });
      return { name, namespace, count: 1, lastObserved: at.getTime(), lastWritten: at.getTime() };
    } catch (error) {
      log.warn({ err: error, reason: event.reason, regarding: body.regarding }, 'cannot record an event');
      return undefined;
    }
  }

  // Identical events recorded at the same moment (two reconciles, one transition) must join one
  // series, not each create an Event: the second waits for the first's create.
  const creating = new Map<string, Promise<Series | undefined>>();

  return {
    async record(regarding, event) {
      const at = now();
      const objectKey =
        regarding.metadata?.uid ?? `${regarding.metadata?.namespace}/${regarding.metadata?.name}`;
      const key = JSON.stringify([objectKey, event.type, event.reason, event.action, event.note]);
      const inFlight = creating.get(key);
      if (inFlight) await inFlight;
      const entry = series.get(key);
      if (entry && at.getTime() - entry.lastObserved < seriesWindowMs) {
        entry.count += 1;
        entry.lastObserved = at.getTime();
        const wait = entry.lastWritten + seriesIntervalMs - at.getTime();
        if (wait <= 0) return writeSeries(entry);
        entry.timer ??= setTimeout(() => void writeSeries(entry), wait).unref();
        return;
      }
      if (!spend(objectKey, at.getTime())) {
        log.debug({ reason: event.reason, object: objectKey }, 'event dropped: too many for this object');
        return;
      }
      // Waiters resume only once the new series is in place.
      const pending = create(regarding, event, at).then((created) => {
        if (!created) return created;
        series.delete(key);
        series.set(key, created);
        if (series.size > maxCached) series.delete(series.keys().next().value ?? '');
        return created;
      });
      creating.set(key, pending);
      await pending.finally(() => creating.delete(key));
    },
    async flush() {
      await Promise.all([...series.values()].filter((entry) => entry.timer).map(writeSeries));
    },
  };
}
