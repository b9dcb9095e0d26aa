// The manager wires the machinery: shared informers (started at once, so a standby has a warm
// cache and fails over fast), controllers (run only by the leader, once the caches are synced),
// leader election, the event recorder, probes and metrics, and a graceful stop: stop taking work,
// let reconciles in flight finish (bounded), release the Lease, close watches and the server.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@agentplane/shared';
import type { KubeClient } from './client.ts';
import { type Controller, type ControllerOptions, createController } from './controller.ts';
import { createEventRecorder, type EventRecorder } from './events.ts';
import { createInformer, type Informer, type InformerOptions } from './informer.ts';
import { createLeaderElector, type LeaderElectionOptions } from './leader-election.ts';
import { createMetrics, type OperatorMetrics } from './metrics.ts';
import { createProbeServer } from './probes.ts';
import type { KubeObject } from './resource.ts';

export interface ManagerOptions {
  client: KubeClient;
  log: Logger;
  /** Share with createKubeClient's onRequest to count API requests; a new set when omitted. */
  metrics?: OperatorMetrics;
  /** Where the Lease lives; false runs controllers at once, without election (one replica, tests). */
  leaderElection:
    | false
    | (Pick<LeaderElectionOptions, 'namespace' | 'name'> &
        Partial<
          Pick<
            LeaderElectionOptions,
            'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs' | 'releaseOnStop'
          >
        >);
  /** Unique per process; default `<hostname>_<uuid>` (the hostname of a pod is its name). */
  identity?: string;
  /** Probe server address; default 127.0.0.1 and a free port. */
  probes?: { host?: string; port?: number };
  /** Resync period of the informers the manager makes; default 10 minutes. */
  resyncMs?: number;
  /** How long reconciles in flight may finish on stop; default 30 s. */
  drainTimeoutMs?: number;
  /** Events' reportingController; default `agentplane.io/operator`. */
  reportingController?: string;
}

export type InformerSettings<T extends KubeObject> = Partial<Omit<InformerOptions<T>, 'resource' | 'log'>>;

export interface Manager {
  readonly identity: string;
  readonly metrics: OperatorMetrics;
  /** Records Events as `reportingController`, with this process as the instance. */
  readonly events: EventRecorder;
  /** The shared informer for a resource and selection (one per distinct combination). Before start. */
  informer<T extends KubeObject>(
    resource: InformerOptions<T>['resource'],
    settings?: InformerSettings<T>,
  ): Informer<T>;
  /** Adds a controller with the manager's logger and metrics. Before start. */
  controller(options: Omit<ControllerOptions, 'log' | 'metrics'>): Controller;
  /** Listens, starts the informers and the campaign; resolves once the probe server is bound. */
  start(): Promise<void>;
  /** Graceful stop; idempotent; resolves when everything is closed. */
  stop(): Promise<void>;
  /** Stops on these signals (default SIGTERM, SIGINT); see whenStopped. */
  stopOnSignals(signals?: NodeJS.Signals[]): void;
  whenStopped(): Promise<void>;
  /** The bound probe port, after start. */
  port(): number | undefined;
  isLeader(): boolean;
  /** Ready: not stopping, caches synced, and, when leading, controllers started. */
  readiness(): Readiness;
}

export type Readiness = Record<'ready' | 'synced' | 'leader' | 'controllersStarted' | 'stopping', boolean>;

export function createManager(options: ManagerOptions): Manager {
  const { client, leaderElection, resyncMs = 600_000, drainTimeoutMs = 30_000 } = options;
  const identity = options.identity ?? `${hostname()}_${randomUUID()}`;
  const log = options.log.child({ identity });
  const metrics = options.metrics ?? createMetrics();
  const reportingController = options.reportingController ?? 'agentplane.io/operator';
  const events = createEventRecorder({ client, log, reportingController, reportingInstance: identity });
  const informers = new Map<string, Informer<KubeObject>>();
  const controllers: Controller[] = [];
  const probes = createProbeServer({ log, registry: metrics.registry, readiness, ...options.probes });
  const state = { started: false, stopping: false, controllersStarted: false };
  let port: number | undefined;
  const signalHandlers: Array<[NodeJS.Signals, () => void]> = [];
  const stopped = Promise.withResolvers<void>();
  let shuttingDown: Promise<void> | undefined;

  const elector = leaderElection
    ? createLeaderElector({
        ...leaderElection,
        client,
        log,
        identity,
        onStartedLeading: (signal) => {
          metrics.leader(leaderElection.name, true);
          void startControllers(signal);
        },
        onStoppedLeading: () => {
          metrics.leader(leaderElection.name, false);
          state.controllersStarted = false;
          // Another process may lead already: abort reconciles in flight at once.
          void Promise.all(controllers.map((controller) => controller.stop(0)));
        },
      })
    : undefined;

  async function startControllers(signal: AbortSignal): Promise<void> {
    try {
      await Promise.all([...informers.values()].map((informer) => informer.waitForSync(signal)));
    } catch {
      return; // leadership ended or stopping before the caches were ready
    }
    if (signal.aborted || state.stopping) return;
    for (const controller of controllers) controller.start();
    state.controllersStarted = true;
    log.info({ controllers: controllers.map((c) => c.name) }, 'controllers started');
  }

  function readiness(): Readiness {
    const synced = [...informers.values()].every((informer) => informer.hasSynced());
    const leader = elector ? elector.isLeader() : true;
    const { stopping, controllersStarted } = state;
    return {
      ready: !stopping && synced && (!leader || controllersStarted),
      synced,
      leader,
      controllersStarted,
      stopping,
    };
  }

  function assertNotStarted(what: string): void {
    if (state.started) throw new Error(`add ${what} before the manager starts`);
  }

  async function shutdown(): Promise<void> {
    state.stopping = true;
    log.info({ drainTimeoutMs }, 'stopping');
    await Promise.all(controllers.map((controller) => controller.stop(drainTimeoutMs)));
    // Only now, with no reconcile of ours left running, may a successor take the lease.
    await elector?.stop();
    await Promise.all([...informers.values()].map((informer) => informer.stop()));
    await events.flush();
    await probes.close();
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
    log.info('stopped');
    stopped.resolve();
  }

  const manager: Manager = {
    identity,
    metrics,
    events,
    informer<T extends KubeObject>(
      resource: InformerOptions<T>['resource'],
      settings: InformerSettings<T> = {},
    ) {
      const { namespace, labelSelector, fieldSelector } = settings;
      const key = JSON.stringify([
        resource.apiVersion,
        resource.kind,
        namespace,
        labelSelector,
        fieldSelector,
      ]);
      const existing = informers.get(key);
      if (existing && settings.indexers)
        throw new Error(`declare the indexers of ${resource.kind} where it is first used`);
      if (existing) return existing as unknown as Informer<T>;
      assertNotStarted(`the informer of ${resource.kind}`);
      const informer = createInformer<T>(client, { resyncMs, ...settings, resource, log });
      informers.set(key, informer as unknown as Informer<KubeObject>);
      return informer;
    },
    controller(controllerOptions) {
      assertNotStarted(`controller ${controllerOptions.name}`);
      const controller = createController({
        ...controllerOptions,
        log,
        metrics: metrics.controller(controllerOptions.name),
      });
      controllers.push(controller);
      return controller;
    },
    async start() {
      if (state.started) throw new Error('the manager was started already');
      state.started = true;
      port = await probes.listen();
      for (const informer of informers.values()) informer.start();
      if (elector) void elector.run();
      else void startControllers(new AbortController().signal);
    },
    stop() {
      if (!state.started) return Promise.resolve();
      shuttingDown ??= shutdown();
      return shuttingDown;
    },
    stopOnSignals(signals = ['SIGTERM', 'SIGINT']) {
      for (const signal of signals) {
        const handler = () => {
          log.info({ signal }, 'signal received');
          void manager.stop();
        };
        process.once(signal, handler);
        signalHandlers.push([signal, handler]);
      }
    },
    whenStopped: () => stopped.promise,
    port: () => port,
    isLeader: () => (elector ? elector.isLeader() : state.started && !state.stopping),
    readiness,
  };
  return manager;
}
