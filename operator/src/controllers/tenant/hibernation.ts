// Hibernation: a tenant whose inbound topics see no new message for its idle window has its agents
// scaled to zero — namespace, topics, offsets, secrets and identity stay — and wakes when one arrives.
// Pure: the decision is a function of the effective settings, the status written last time, the
// offsets observed and the clock. The tenant reconcile writes it into status.hibernation; the agent
// reconcile holds the Deployments at zero while `state` is Hibernating.
//
// Activity is the sum of the end offsets of the tenant's inbound topics (the control plane produces
// every message there, so an API call and a direct produce look the same). A tenant only hibernates
// when its agents have consumed everything (lag 0), so while it sleeps "the sum moved" is exactly
// "there are records beyond the committed offsets": the wake signal needs no consumer-group read.
import type {
  AgentInstance,
  EffectiveTenantSettings,
  HibernationState,
  TenantHibernationStatus,
  TenantStatus,
} from '@agentplane/crds';

export interface OffsetsObservation {
  /** Sum of the end offsets of every partition of the tenant's inbound topics. */
  offsets: number;
  /** When they were read. */
  at: Date;
}

export interface HibernationInput {
  settings: Pick<EffectiveTenantSettings, 'hibernation' | 'suspended'>;
  /** status.hibernation as written last time. */
  previous: TenantHibernationStatus | undefined;
  /** Absent until the operator has read the offsets (or while Kafka does not answer). */
  observed?: OffsetsObservation | undefined;
  /** Records the agents have not consumed yet; read only when `needsLag` asked for it. */
  lag?: number;
  /** Agents that run when the tenant is awake (not paused), and how many of them are Ready. */
  agents: { runnable: number; ready: number };
  /** OPERATOR_HIBERNATION_IDLE, for tenants without spec.hibernation.idleAfter. */
  defaultIdleMs: number;
  now: Date;
}

export type HibernationEventReason = 'Hibernated' | 'Waking' | 'Woke';

export interface HibernationDecision {
  status: TenantHibernationStatus;
  /** The tenant would hibernate now if its agents have no lag: read it and decide again. */
  needsLag?: boolean;
  /** A transition to record as a Normal Event. */
  event?: { reason: HibernationEventReason; message: string };
}

/**
 * What status.hibernation should say now. Idempotent: the same input gives the same status, and a
 * status written from it decides nothing new until the offsets, the agents or the spec change or the
 * idle window ends.
 */
export function decideHibernation(input: HibernationInput): HibernationDecision {
  const { settings, previous, observed, now } = input;
  const { mode } = settings.hibernation;
  const idleMs = idleWindowMs(settings.hibernation, input.defaultIdleMs);
  const clockRuns = mode === 'Auto' && !settings.suspended;
  let state: HibernationState = previous?.state ?? 'Awake';
  let event: HibernationDecision['event'];
  const history = {
    hibernatedAt: previous?.hibernatedAt,
    wakeRequestedAt: previous?.wakeRequestedAt,
    lastWokeAt: previous?.lastWokeAt,
    lastWakeSeconds: previous?.lastWakeSeconds,
  };
  let clock = clockRuns ? { observedOffsets: previous?.observedOffsets, idleSince: previous?.idleSince } : {};
  const wake = (at: Date, why: string) => {
    state = 'Waking';
    history.wakeRequestedAt = at.toISOString();
    event = { reason: 'Waking', message: `waking the agents: ${why}` };
  };

  if (!clockRuns && state === 'Hibernating') {
    // Suspension holds the agents at zero by itself; a pin (mode Never) wakes them.
    if (settings.suspended) state = 'Awake';
    else wake(now, 'spec.hibernation.mode is Never');
  }
  if (clockRuns && observed && observed.offsets !== clock.observedOffsets) {
    if (state === 'Hibernating') {
      const before = clock.observedOffsets;
      wake(
        observed.at,
        before === undefined ? 'new inbound messages' : `${observed.offsets - before} new inbound message(s)`,
      );
    }
    clock = { observedOffsets: observed.offsets, idleSince: observed.at.toISOString() };
  }

  if (state === 'Waking' && input.agents.ready >= input.agents.runnable) {
    const since = history.wakeRequestedAt ? new Date(history.wakeRequestedAt).getTime() : now.getTime();
    const seconds = Math.max(0, Math.round((now.getTime() - since) / 100) / 10);
    state = 'Awake';
    history.lastWokeAt = now.toISOString();
    history.lastWakeSeconds = seconds;
    event = { reason: 'Woke', message: `${input.agents.runnable} agent(s) ready again after ${seconds}s` };
  }

  let needsLag = false;
  const idleSince = clock.idleSince ? new Date(clock.idleSince) : undefined;
  // Idle only when an observation made after the window ended still shows no new message.
  if (
    clockRuns &&
    state === 'Awake' &&
    observed &&
    idleSince &&
    observed.at.getTime() >= idleSince.getTime() + idleMs
  ) {
    if (input.lag === undefined) needsLag = true;
    else if (input.lag > 0)
      clock.idleSince = observed.at.toISOString(); // still work to do: not idle
    else {
      state = 'Hibernating';
      history.hibernatedAt = now.toISOString();
      event = {
        reason: 'Hibernated',
        message: `no inbound message since ${idleSince.toISOString()} (idle after ${formatDuration(idleMs)}): agents scaled to zero until the next one`,
      };
    }
  }

  const status: TenantHibernationStatus = {
    mode,
    ...(mode === 'Auto' ? { idleAfter: formatDuration(idleMs) } : {}),
    state,
    ...defined({ ...clock, ...history }),
  };
  return { status, ...(needsLag ? { needsLag } : {}), ...(event ? { event } : {}) };
}

/**
 * The agents a wake waits for — not paused by the user, not failed, not being deleted — and how many
 * of them are Ready (phase Ready: running, not held at zero).
 */
export function agentReadiness(instances: AgentInstance[]): HibernationInput['agents'] {
  const runnable = instances.filter(
    (ai) => !ai.spec.paused && !ai.metadata.deletionTimestamp && ai.status?.phase !== 'Failed',
  );
  return { runnable: runnable.length, ready: runnable.filter((ai) => ai.status?.phase === 'Ready').length };
}

/** Whether the agent reconcile must hold the tenant's Deployments at zero for hibernation. */
export function isHibernating(status: TenantStatus | undefined): boolean {
  return status?.hibernation?.state === 'Hibernating';
}

/** The idle window of a tenant: spec.hibernation.idleAfter, else the operator's default. */
export function idleWindowMs(hibernation: { idleAfter?: string }, defaultIdleMs: number): number {
  return hibernation.idleAfter ? (parseDuration(hibernation.idleAfter) ?? defaultIdleMs) : defaultIdleMs;
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `30m`, `2h`, `500ms` in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  const unit = match?.[2] ? units[match[2]] : undefined;
  return match && unit ? Number(match[1]) * unit : undefined;
}

/** The largest whole unit: 1800000 → `30m`, 90000 → `90s`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
