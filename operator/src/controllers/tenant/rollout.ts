// Calm secret rotation: agents' pods roll when the secret versions delivered to them change, but
// at most once per tenant per window. Several secrets rotating together (a key and its org id, a
// weekly rotation job touching every secret) then cause one rolling restart, not one per secret.
// Pure: the tenant reconcile keeps the decision in status.secrets, the agent reconcile reads it.
import { createHash } from 'node:crypto';
import type { TenantStatus } from '@agentplane/crds';

type SecretsStatus = NonNullable<TenantStatus['secrets']>;

export interface RolloutDecision {
  rolledOut: NonNullable<SecretsStatus['rolledOut']>;
  pendingRollout?: NonNullable<SecretsStatus['pendingRollout']>;
  /** When to look again to start the pending rollout. */
  requeueAfterMs?: number;
}

/**
 * What the agents should run with, given what they run with now (`before`), the versions just
 * delivered, and the window. The first delivery rolls at once (pods may have started without it).
 */
export function decideRollout(
  before: Pick<SecretsStatus, 'rolledOut'> | undefined,
  versions: string,
  now: Date,
  windowMs: number,
): RolloutDecision {
  const rolled = before?.rolledOut;
  if (!rolled) return { rolledOut: { versions, at: now.toISOString() } };
  if (rolled.versions === versions) return { rolledOut: rolled };
  const notBefore = new Date(new Date(rolled.at).getTime() + windowMs);
  if (now >= notBefore) return { rolledOut: { versions, at: now.toISOString() } };
  return {
    rolledOut: rolled,
    pendingRollout: { versions, notBefore: notBefore.toISOString() },
    requeueAfterMs: notBefore.getTime() - now.getTime(),
  };
}

/** The pod-template annotation value of a rollout: changes exactly when the rolled versions do. */
export function rolloutHash(rolledVersions: string): string {
  return createHash('sha256').update(rolledVersions).digest('hex').slice(0, 16);
}
