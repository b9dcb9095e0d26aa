// Leader election on a coordination.k8s.io/v1 Lease, following client-go: a candidate takes the
// lease when it is free or its holder has not renewed it for leaseDuration (measured on our own
// clock from when we last saw it change, so clock skew does not matter); the leader renews every
// retryPeriod and gives up when it could not renew for renewDeadline. Every write carries the
// resourceVersion read, so two candidates never both win. Stopping releases the lease.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@agentplane/shared';
import { isConflict, isNotFound, type KubeClient } from './client.ts';
import { microTime } from './resource.ts';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: KubeClient;
  log: Logger;
  namespace: string;
  /** The Lease's name, one per operator deployment. */
  name: string;
  /** Unique per process (e.g. pod name + random suffix). */
  identity: string;
  /** Defaults as client-go: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called on winning; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading(): void;
  /** Clear the holder on stop so a successor need not wait out the lease (default true). */
  releaseOnStop?: boolean;
}

export interface LeaderElector {
  /** Campaigns, leads, and campaigns again after losing, until stop(). */
  run(): Promise<void>;
  /** Ends the campaign: leadership ends (onStoppedLeading) and the lease is released. */
  stop(): Promise<void>;
  isLeader(): boolean;
}

export function createLeaderElector(options: LeaderElectionOptions): LeaderElector {
  const {
    client,
    identity,
    namespace,
    name,
    leaseDurationMs = 15_000,
    renewDeadlineMs = 10_000,
    retryPeriodMs = 2_000,
  } = options;
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs * 1.2)) {
    throw new Error('leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod');
  }
  const log = options.log.child({ lease: `${namespace}/${name}`, identity });
  const path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
  const durationSeconds = Math.max(1, Math.round(leaseDurationMs / 1000));
  const stopping = new AbortController();
  let lease: Lease | undefined;
  let observed = { holder: '', renewTime: '', at: 0 };
  let leading = false;
  let running: Promise<void> | undefined;

  function observe(spec: LeaseSpec = {}): void {
    const { holderIdentity: holder = '', renewTime = '' } = spec;
    if (holder === observed.holder && renewTime === observed.renewTime) return;
    if (holder !== observed.holder && holder) log.info({ leader: holder }, 'lease holder observed');
    observed = { holder, renewTime, at: Date.now() };
  }

  function readLease(signal: AbortSignal): Promise<Lease | undefined> {
    return client
      .request<Lease>({ method: 'GET', path, signal })
      .catch((error) => (isNotFound(error) ? undefined : Promise.reject(error)));
  }

  async function tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = microTime(new Date());
    // The leader writes over its own last copy; a candidate (or a leader after a failure) reads first.
    if (!leading || !lease) lease = await readLease(signal);
    const spec = lease?.spec ?? {};
    observe(spec);
    const holder = spec.holderIdentity ?? '';
    const expiresAt = observed.at + (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && holder !== identity && Date.now() < expiresAt) return false;
    const ours = holder === identity;
    const next: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, ...(lease ? { resourceVersion: lease.metadata.resourceVersion } : {}) },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: ours && spec.acquireTime ? spec.acquireTime : now,
        renewTime: now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (ours || !lease ? 0 : 1),
      },
    };
    const method = lease ? 'PUT' : 'POST';
    const target = lease ? path : path.slice(0, path.lastIndexOf('/'));
    try {
      lease = await client.request<Lease>({ method, path: target, body: next, signal });
    } catch (error) {
      lease = undefined;
      if (isConflict(error)) return false;
      throw error;
    }
    observe(lease.spec);
    return true;
  }

  async function attempt(timeoutMs: number): Promise<boolean> {
    try {
      return await tryAcquireOrRenew(
        AbortSignal.any([stopping.signal, AbortSignal.timeout(Math.max(timeoutMs, 1))]),
      );
    } catch (error) {
      if (!stopping.signal.aborted) log.warn({ err: error }, 'cannot read or write the lease');
      return false;
    }
  }

  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => {});

  async function lead(): Promise<void> {
    leading = true;
    log.info('became the leader');
    const term = new AbortController();
    options.onStartedLeading(term.signal);
    let renewedAt = Date.now();
    while (!stopping.signal.aborted) {
      await pause(retryPeriodMs);
      if (stopping.signal.aborted) break;
      if (await attempt(renewedAt + renewDeadlineMs - Date.now())) renewedAt = Date.now();
      else if (Date.now() - renewedAt >= renewDeadlineMs) {
        log.error({ renewDeadlineMs }, 'could not renew the lease in time; leadership lost');
        break;
      }
    }
    leading = false;
    term.abort(new Error('leadership ended'));
    options.onStoppedLeading();
  }

  async function release(): Promise<void> {
    if (!lease || lease.spec?.holderIdentity !== identity) return;
    const now = microTime(new Date());
    const spec = {
      ...lease.spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: now,
      acquireTime: now,
    };
    await client
      .request({
        method: 'PUT',
        path,
        body: { ...lease, spec },
        signal: AbortSignal.timeout(renewDeadlineMs),
      })
      .then(() => log.info('lease released'))
      .catch((error) =>
        log.warn({ err: error }, 'cannot release the lease; a successor waits for it to expire'),
      );
  }

  async function campaign(): Promise<void> {
    while (!stopping.signal.aborted) {
      if (await attempt(retryPeriodMs)) await lead();
      else await pause(retryPeriodMs * (1 + Math.random() * 0.2));
    }
    if (options.releaseOnStop ?? true) await release();
  }

  return {
    run: () => {
      running ??= campaign();
      return running;
    },
    async stop() {
      stopping.abort();
      await running;
    },
    isLeader: () => leading,
  };
}
