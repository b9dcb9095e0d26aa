// A member's health: one probe reads what the hub needs (the API answers, our CRDs at the expected
// version, the operator's Lease renewed recently), a pure verdict names the first thing wrong, and
// a pure transition adds memory: Unreachable only after consecutive failures, the time of the last
// success, and since when the state holds.
import { isNotFound, type KubeClient } from '@agentplane/operator/kube';
import { type CrdExpectation, crdMismatch, type LiveCrd } from './crd-version.ts';
import type { ClusterHealthState } from './entities.ts';

/** The operator's leader-election Lease (operator/src/main.ts, OPERATOR_NAMESPACE's default). */
export const operatorLease = { namespace: 'agentplane-system', name: 'agentplane-operator' } as const;

export interface LeaseObservation {
  holderIdentity?: string;
  renewTime?: string;
  resourceVersion?: string;
}

export interface MemberObservation {
  /** Undefined when the API server answered; otherwise why not. */
  unreachable?: string;
  /** By CRD name: the object, undefined when absent, or why it could not be read. */
  crds: Record<string, LiveCrd | undefined | Error>;
  /** Undefined when absent; an Error when it could not be read. */
  lease: LeaseObservation | undefined | Error;
}

/** When the Lease's record last changed, on the hub's clock (the member's clock is only trusted once). */
export interface LeaseMemory {
  resourceVersion: string;
  changedAt: number;
}

export interface HealthVerdict {
  state: Exclude<ClusterHealthState, 'Unknown'>;
  message: string;
}

export interface HealthRecord {
  state: ClusterHealthState;
  message: string;
  since: Date | null;
  lastProbeAt: Date | null;
  lastSuccessAt: Date | null;
  /** Consecutive probes that could not reach the API server. */
  failures: number;
  lease?: LeaseMemory;
}

export interface HealthSettings {
  /** The operator is missing when its Lease has not changed for this long. */
  leaseBoundMs: number;
  /** Consecutive failed probes before a member that was reachable is Unreachable. */
  unreachableAfter: number;
}

export const unknownHealth = (): HealthRecord => ({
  state: 'Unknown',
  message: 'not probed yet',
  since: null,
  lastProbeAt: null,
  lastSuccessAt: null,
  failures: 0,
});

async function optional<T>(read: () => Promise<T>): Promise<T | undefined | Error> {
  try {
    return await read();
  } catch (error) {
    return isNotFound(error) ? undefined : (error as Error);
  }
}

/** Reads what a verdict needs, in parallel, each request bounded by `signal`. Never throws. */
export async function observeMember(
  client: KubeClient,
  expected: readonly CrdExpectation[],
  signal: AbortSignal,
): Promise<MemberObservation> {
  const get = <T>(path: string) => client.request<T>({ method: 'GET', path, signal });
  const crdPath = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${operatorLease.namespace}/leases/${operatorLease.name}`;
  const [version, lease, ...crds] = await Promise.all([
    get('/version').then(
      () => undefined,
      (error: Error) => error.message,
    ),
    optional(() =>
      get<{ metadata?: { resourceVersion?: string }; spec?: LeaseObservation }>(leasePath).then((l) => ({
        ...l.spec,
        ...(l.metadata?.resourceVersion ? { resourceVersion: l.metadata.resourceVersion } : {}),
      })),
    ),
    ...expected.map((crd) => optional(() => get<LiveCrd>(crdPath(crd.name)))),
  ]);
  if (version !== undefined) return { unreachable: version, crds: {}, lease: undefined };
  return { crds: Object.fromEntries(expected.map((crd, i) => [crd.name, crds[i]])), lease };
}

function leaseVerdict(
  lease: MemberObservation['lease'],
  memory: LeaseMemory | undefined,
  now: number,
  boundMs: number,
): { message?: string; memory?: LeaseMemory } {
  const where = `Lease ${operatorLease.namespace}/${operatorLease.name}`;
  if (lease instanceof Error) return { message: `cannot read the ${where}: ${lease.message}` };
  if (!lease) return { message: `no ${where}: the operator has never run on this cluster` };
  if (!lease.holderIdentity) return { message: `the ${where} has no holder: no operator is running` };
  const resourceVersion = lease.resourceVersion ?? '';
  const renewed = Date.parse(lease.renewTime ?? '');
  // First sighting: trust the member's renewTime; afterwards only a change we saw ourselves counts.
  const changedAt =
    memory?.resourceVersion === resourceVersion
      ? memory.changedAt
      : memory
        ? now
        : Number.isNaN(renewed)
          ? 0
          : renewed;
  const next = { resourceVersion, changedAt };
  const silentMs = now - changedAt;
  if (silentMs > boundMs)
    return {
      memory: next,
      message: `the ${where} (holder ${lease.holderIdentity}) was last renewed ${Math.round(silentMs / 1000)} s ago, more than ${Math.round(boundMs / 1000)} s`,
    };
  return { memory: next };
}

/** The first thing wrong with a member, in order: unreachable, CRDs, operator. Pure. */
export function verdictOf(
  observation: MemberObservation,
  expected: readonly CrdExpectation[],
  memory: LeaseMemory | undefined,
  now: number,
  settings: Pick<HealthSettings, 'leaseBoundMs'>,
): HealthVerdict & { lease?: LeaseMemory } {
  if (observation.unreachable !== undefined)
    return { state: 'Unreachable', message: observation.unreachable, ...(memory ? { lease: memory } : {}) };
  const lease = leaseVerdict(observation.lease, memory, now, settings.leaseBoundMs);
  const remembered = lease.memory ? { lease: lease.memory } : {};
  const crdProblems = expected.flatMap((crd) => {
    const live = observation.crds[crd.name];
    if (live instanceof Error) return [`cannot read ${crd.name}: ${live.message}`];
    return crdMismatch(crd, live) ?? [];
  });
  if (crdProblems.length > 0)
    return { state: 'CRDsOutdated', message: crdProblems.join('; '), ...remembered };
  if (lease.message) return { state: 'OperatorMissing', message: lease.message, ...remembered };
  return {
    state: 'Ready',
    message: 'the API answers, the CRDs match, the operator renews its Lease',
    ...remembered,
  };
}

/**
 * The record after one probe. A member that was reachable turns Unreachable only after
 * `unreachableAfter` consecutive failures (one slow answer is not an outage); one never reached
 * (Unknown) turns Unreachable at once. Pure.
 */
export function nextHealth(
  previous: HealthRecord,
  verdict: HealthVerdict & { lease?: LeaseMemory },
  now: Date,
  settings: Pick<HealthSettings, 'unreachableAfter'>,
): HealthRecord {
  const failures = verdict.state === 'Unreachable' ? previous.failures + 1 : 0;
  const tolerated =
    verdict.state === 'Unreachable' && previous.state !== 'Unknown' && failures < settings.unreachableAfter;
  const state = tolerated ? previous.state : verdict.state;
  const message = tolerated
    ? `${previous.message.replace(/ \(probe \d+ of .*$/, '')} (probe ${failures} of ${settings.unreachableAfter} failed: ${verdict.message})`
    : verdict.message;
  return {
    state,
    message,
    since: state === previous.state ? previous.since : now,
    lastProbeAt: now,
    lastSuccessAt: verdict.state === 'Ready' ? now : previous.lastSuccessAt,
    failures,
    ...(verdict.lease ? { lease: verdict.lease } : {}),
  };
}
