// Pure: what a tenant's status should say, given which steps of its reconcile succeeded.
import type { HibernationState, TenantPhase } from '@agentplane/crds';

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
  {
    suspended,
    moving,
    hibernation = 'Awake',
  }: { suspended: boolean; moving: boolean; hibernation?: HibernationState },
): { phase: TenantPhase; conditions: ConditionFact[] } {
  const sleep = suspended ? 'Awake' : hibernation;
  const failing = steps.filter((s) => s.status !== 'True');
  const ready: ConditionFact =
    failing.length === 0
      ? {
          type: 'Ready',
          status: 'True',
          reason: suspended ? 'Suspended' : sleep !== 'Awake' ? sleep : 'Provisioned',
          message: readyMessage(suspended, sleep),
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
        : sleep !== 'Awake'
          ? sleep
          : 'Ready';
  return { phase, conditions: [...steps, ready] };
}

function readyMessage(suspended: boolean, sleep: HibernationState): string {
  if (suspended) return 'the tenant is suspended: its agents are scaled to zero and new messages are refused';
  if (sleep === 'Hibernating')
    return "the tenant's home is provisioned; it is hibernating: its agents are scaled to zero until the next inbound message";
  if (sleep === 'Waking')
    return "the tenant's home is provisioned; its agents are waking for new inbound messages";
  return "the tenant's home is provisioned";
}
