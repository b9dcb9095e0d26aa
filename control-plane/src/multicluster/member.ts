// One member cluster as the hub holds it: a client, one informer per kind watching the objects the
// hub placed there (list + watch, re-list on 410 and after failures: the operator's machinery), an
// Event recorder, and a health loop. The caches are what the API answers from, so reading a
// tenant's status never waits on the member.
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { type AgentInstance, apiVersion, type Tenant } from '@agentplane/crds';
import {
  createEventRecorder,
  createInformer,
  createKubeClient,
  type EventRecorder,
  generationChanged,
  type Informer,
  type KubeClient,
  metadataChanged,
  or,
  type Predicate,
} from '@agentplane/operator/kube';
import type { Logger } from '@agentplane/shared';
import type { KubeConfig } from '@kubernetes/client-node';
import type { CrdExpectation } from './crd-version.ts';
import { hubLabels, hubSelector } from './desired.ts';
import {
  type HealthRecord,
  type HealthSettings,
  nextHealth,
  observeMember,
  unknownHealth,
  verdictOf,
} from './health.ts';
import type { MemberAccess } from './sync.ts';

export interface MemberSettings extends HealthSettings {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** Idle timeout of ordinary requests to the member. */
  requestTimeoutMs: number;
  /** Longest wait between re-lists while the member does not answer. */
  relistMaxMs: number;
}

export interface Member extends MemberAccess {
  readonly tenants: Informer<Tenant>;
  readonly agents: Informer<AgentInstance>;
  health(): HealthRecord;
  /** Probes once now (also what the loop does), returning the new record. */
  probe(): Promise<HealthRecord>;
  start(): void;
  stop(): Promise<void>;
}

export interface MemberOptions {
  name: string;
  kubeConfig: KubeConfig;
  expectedCrds: readonly CrdExpectation[];
  settings: MemberSettings;
  log: Logger;
  identity: string;
  /** A restored health record (from the database), so a restart does not forget the last success. */
  initialHealth?: HealthRecord;
  /** Called after every probe whose state differs from the previous one, and once per first probe. */
  onHealth(record: HealthRecord, previous: HealthRecord): void;
  /** Called with the tenant an informer event concerns. */
  onTenantEvent(tenant: string): void;
}

type Watched = Tenant | AgentInstance;

const readiness = ({ status }: Watched) => [
  status?.phase,
  status?.observedGeneration,
  status?.conditions?.find((c) => c.type === 'Ready')?.status,
];

/**
 * Which events can change what the hub does: the hub's fields or the object's existence (spec,
 * metadata, a deletion), or a phase or readiness a migration waits on. The operator's other status
 * writes only refresh the cache the API reads.
 */
export const worthAReconcile: Predicate<Watched> = or<Watched>(
  generationChanged,
  metadataChanged,
  (event) => event.type !== 'update' || !isDeepStrictEqual(readiness(event.old), readiness(event.object)),
);

export function createMember(options: MemberOptions): Member {
  const { name, settings, expectedCrds } = options;
  const log = options.log.child({ member: name });
  const client: KubeClient = createKubeClient(options.kubeConfig, { timeoutMs: settings.requestTimeoutMs });
  const backoff = { baseMs: 500, maxMs: settings.relistMaxMs };
  const tenants = createInformer<Tenant>(client, {
    resource: { apiVersion, kind: 'Tenant', plural: 'tenants', namespaced: false },
    labelSelector: hubSelector,
    log,
    backoff,
  });
  const agents = createInformer<AgentInstance>(client, {
    resource: { apiVersion, kind: 'AgentInstance', plural: 'agentinstances', namespaced: true },
    labelSelector: hubSelector,
    log,
    backoff,
  });
  const recorder: EventRecorder = createEventRecorder({
    client,
    log,
    reportingController: 'agentplane.io/hub',
    reportingInstance: options.identity,
  });
  let health = options.initialHealth ?? unknownHealth();
  let loop: { abort: AbortController; done: Promise<void> } | undefined;

  for (const informer of [tenants, agents] as Array<Informer<Tenant | AgentInstance>>) {
    informer.on((event) => {
      const tenant = event.object.metadata?.labels?.[hubLabels.tenant];
      if (tenant && worthAReconcile(event)) options.onTenantEvent(tenant);
    });
  }

  async function probe(): Promise<HealthRecord> {
    const observation = await observeMember(
      client,
      expectedCrds,
      AbortSignal.timeout(settings.probeTimeoutMs),
    );
    const now = new Date();
    const verdict = verdictOf(observation, expectedCrds, health.lease, now.getTime(), settings);
    const previous = health;
    health = nextHealth(previous, verdict, now, settings);
    if (health.state !== previous.state || previous.lastProbeAt === null) {
      log.info(
        { health: health.state, was: previous.state, reason: health.message },
        'member health changed',
      );
      options.onHealth(health, previous);
    }
    return health;
  }

  async function run(signal: AbortSignal): Promise<void> {
    // A probe made just before start (registration answers with one) counts as this round's.
    let due = (health.lastProbeAt?.getTime() ?? 0) + settings.probeIntervalMs;
    while (!signal.aborted) {
      await sleep(Math.max(0, due - Date.now()), undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      await probe().catch((error: unknown) => log.error({ err: error }, 'member probe failed'));
      due = Date.now() + settings.probeIntervalMs;
    }
  }

  return {
    name,
    client,
    recorder,
    applied: new Map(),
    tenants,
    agents,
    health: () => health,
    probe,
    start() {
      if (loop) return;
      tenants.start();
      agents.start();
      const abort = new AbortController();
      loop = { abort, done: run(abort.signal) };
    },
    async stop() {
      const running = loop;
      loop = undefined;
      running?.abort.abort();
      await Promise.all([running?.done, tenants.stop(), agents.stop(), recorder.flush()]);
    },
  };
}
