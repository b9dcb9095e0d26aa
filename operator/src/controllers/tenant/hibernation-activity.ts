// The clock of hibernation: every interval, one batched read of the end offsets of every inbound
// topic of the tenants that can hibernate. It keeps the last observation of each tenant for the
// reconcile to read (no Kafka call per tenant there), and enqueues a tenant only when the pure
// decision over that observation would change its status: new messages, an idle window that ended,
// a wake that finished. A controller source, so it runs only while this operator leads.

import { isDeepStrictEqual } from 'node:util';
import {
  type AgentInstance,
  effectiveTenantSettings,
  InvalidTenantSpecError,
  type Tenant,
} from '@agentplane/crds';
import { type Logger, topicNames } from '@agentplane/shared';
import type { Source } from '../../kube/controller.ts';
import type { OffsetReader } from '../../messaging/offsets.ts';
import { agentReadiness, decideHibernation, type OffsetsObservation } from './hibernation.ts';

export interface ActivityWatchOptions {
  listTenants(): Tenant[];
  agentInstancesOf(tenant: string): AgentInstance[];
  offsets: Pick<OffsetReader, 'endOffsets'>;
  intervalMs: number;
  defaultIdleMs: number;
  log: Logger;
  now?: () => Date;
}

export interface ActivityWatch extends Source {
  /** The last observation of the tenant's inbound offsets; undefined before the first read. */
  observation(tenant: string): OffsetsObservation | undefined;
  /** One poll now (tests, and the first poll at start); resolves when its keys are enqueued. */
  poll(): Promise<void>;
}

export function createActivityWatch(options: ActivityWatchOptions): ActivityWatch {
  const observations = new Map<string, OffsetsObservation>();
  const now = options.now ?? (() => new Date());
  let enqueue: ((key: string) => void) | undefined;
  let failures = 0;

  const poll = async () => {
    const watched = options.listTenants().flatMap((tenant) => {
      if (tenant.metadata.deletionTimestamp) return [];
      try {
        const settings = effectiveTenantSettings(tenant.spec);
        const clockRuns = settings.hibernation.mode === 'Auto' && !settings.suspended;
        const waking = tenant.status?.hibernation?.state === 'Waking';
        return clockRuns || waking ? [{ tenant, settings, clockRuns }] : [];
      } catch (error) {
        if (error instanceof InvalidTenantSpecError) return [];
        throw error;
      }
    });
    const inbound = (name: string) => [
      ...new Set(options.agentInstancesOf(name).map((ai) => topicNames.inbound(name, ai.metadata.name))),
    ];
    const topics = watched.filter((w) => w.clockRuns).flatMap((w) => inbound(w.tenant.metadata.name));
    const at = now();
    let ends: Map<string, number> | undefined;
    try {
      ends = await options.offsets.endOffsets(topics);
      if (failures > 0) options.log.info({ failures }, 'inbound offsets readable again');
      failures = 0;
    } catch (error) {
      // Observations age; an old one never makes a tenant hibernate (see decideHibernation).
      if (failures++ % 10 === 0) options.log.warn({ err: error, failures }, 'inbound offsets not readable');
    }
    const seen = new Set<string>();
    for (const { tenant, settings, clockRuns } of watched) {
      const name = tenant.metadata.name;
      seen.add(name);
      if (clockRuns && ends) {
        const offsets = inbound(name).reduce((sum, topic) => sum + (ends.get(topic) ?? 0), 0);
        observations.set(name, { offsets, at });
      }
      const previous = tenant.status?.hibernation;
      const decision = decideHibernation({
        settings,
        previous,
        observed: observations.get(name),
        agents: agentReadiness(options.agentInstancesOf(name)),
        defaultIdleMs: options.defaultIdleMs,
        now: at,
      });
      if (decision.needsLag || !isDeepStrictEqual(decision.status, previous)) enqueue?.(name);
    }
    for (const name of observations.keys()) if (!seen.has(name)) observations.delete(name);
  };

  return {
    kind: 'InboundOffsets',
    observation: (tenant) => observations.get(tenant),
    poll,
    connect(add) {
      enqueue = add;
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      const loop = async () => {
        await poll().catch((error: unknown) => options.log.error({ err: error }, 'activity poll failed'));
        if (!stopped) timer = setTimeout(loop, options.intervalMs);
      };
      void loop();
      return () => {
        stopped = true;
        clearTimeout(timer);
        enqueue = undefined;
      };
    },
  };
}
