// Pure: what a tenant's status should say, given which steps of its reconcile succeeded.
import type { TenantPhase } from '@agentplane/crds';

export interface ConditionFact {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The outcome of one `ensure*` step: the condition it owns, true or false with why. */
export type StepOutcome = ConditionFact;

/** The conditions the tenant controller owns; later issues add SecretsReady and MessagingReady. */
export const tenantConditionTypes = ['NamespaceReady', 'QuotaApplied', 'NetworkIsolated'] as const;

/**
 * Ready is the conjunction of every step's condition; the phase is a summary for people: Suspended
 * wins over Ready, a move in progress or any step still false keeps it Provisioning.
 */
export function summarizeTenant(
  steps: StepOutcome[],
  { suspended, moving }: { suspended: boolean; moving: boolean },
): { phase: TenantPhase; conditions: ConditionFact[] } {
  const failing = steps.filter((s) => s.status !== 'True');
  const ready: ConditionFact =
    failing.length === 0
      ? {
          type: 'Ready',
          status: 'True',
          reason: suspended ? 'Suspended' : 'Provisioned',
          message: readyMessage(suspended),
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: failing[0]?.reason ?? 'NotReady',
          message: failing.map((s) => `${s.type}: ${s.message}`).join('; '),
        };
  const phase: TenantPhase = moving
    ? 'Provisioning'
    : ready.status !== 'True'
      ? 'Provisioning'
      : suspended
        ? 'Suspended'
        : 'Ready';
  return { phase, conditions: [...steps, ready] };
}

function readyMessage(suspended: boolean): string {
  return suspended
    ? 'the tenant is suspended: its agents are scaled to zero and new messages are refused'
    : "the tenant's home is provisioned";
}
