// What to do about a condition that is not as it should be: the table of docs/operator.md (and the
// hub's ClusterUnreachable) as data, keyed by condition type and reason. Pure.

export interface ConditionLike {
  type: string;
  status: string;
  reason: string;
  message: string;
}

type Kind = 'Tenant' | 'AgentInstance';

const describe = (kind: Kind) =>
  `\`kubectl describe ${kind === 'Tenant' ? 'tenant' : 'ai -n <namespace>'} <name>\``;

/** `type/reason`, or `*\/reason` for any type. */
const advice: Record<string, string> = {
  'Ready/InvalidSpec':
    'the spec cannot run as written (the message says why): fix the manifest and apply it again',
  '*/ApplyFailed':
    'the operator could not write this to the cluster: see the Event, check the operator RBAC (operator/deploy/rbac.yaml); it retries with backoff',
  'SecretsReady/SecretMissing':
    'write the key named in the message: vault kv patch <mount>/<path> <key>=…; picked up within OPERATOR_SECRETS_REFRESH (1m)',
  '*/VaultUnavailable':
    "bring Vault back (the operator's VAULT_ADDR); it retries with backoff and the running agents are not affected",
  '*/KafkaUnavailable': "bring Kafka back (the operator's KAFKA_BROKERS); it retries with backoff",
  'MessagingReady/PartitionsCannotShrink':
    'set spec.messaging.partitions back to at least the current count: partitions only grow',
  '*/Terminating':
    'being deleted: status.deletion.remaining lists what is left; it finishes once the dependency answers (stop whatever still consumes the inbound topic)',
  '*/ClusterUnreachable':
    "the tenant's member cluster does not answer: `platformctl clusters` shows its health; move the tenant (POST /v1/tenants/<t>/migrate) if it stays down",
  '*/TenantNotFound': 'create the Tenant first (platformctl deploy --tenant <t>) or fix spec.tenantRef',
  '*/TenantTerminating': 'its tenant is being deleted; nothing to do',
  '*/InvalidTenant': "the tenant's spec is invalid: fix the Tenant (see its Ready condition)",
  '*/WrongNamespace':
    "an AgentInstance must live in its tenant's home namespace (Tenant status.home.namespace): recreate it there, or deploy it through the API (platformctl agents deploy), which picks the namespace",
  '*/AgentNotAllowed':
    "the tenant's tier does not include this agent type: choose another agent or a higher tier",
  '*/TierLimitExceeded':
    "the tenant has as many agent instances as its tier allows: delete one, or raise the Tenant's spec.quota.maxAgentInstances",
  '*/CustomPromptNotAllowed':
    'custom system prompts are an enterprise feature: remove spec.prompt.system or upgrade',
  'TenantValid/QuotaExceeded':
    "not even the agent's minimum replicas fit the tenant's quota: raise the Tenant's spec.quota or lower replicas",
  'Available/QuotaExceeded': 'the ReplicaSet cannot create pods: raise the quota or lower replicas',
  'Available/ReplicaFailure':
    'the ReplicaSet cannot create pods: `kubectl describe replicaset -n <namespace>` of the agent says why',
  'Available/ReplicasNotReady':
    'pods are not ready yet: `platformctl agents logs` shows why; they need a node that runs them (no kubelet, no pods)',
  'Ready/ReplicasNotReady':
    'pods are not ready yet: `platformctl agents logs` shows why; they need a node that runs them (no kubelet, no pods)',
  'Deployed/DeploymentPending': 'the Deployment is not written yet: check that the operator runs',
  'Scaling/Capped':
    "the agent runs with fewer replicas than asked: raise the Tenant's spec.quota, or accept the cap",
  '*/NotObserved':
    'the operator has not reconciled the latest spec: check that it runs and holds its Lease (kubectl get lease -n agentplane-system)',
};

/** Conditions that are fine when False. */
const negativeOk = new Set(['Scaling']);

/** Whether `condition` needs attention: a positive condition not True (Scaling=False is a warning). */
export function isFailing(condition: ConditionLike): boolean {
  return condition.status !== 'True' && !negativeOk.has(condition.type);
}

/** Whether `condition` is worth a line of advice: failing, or a warning like Scaling=False/Capped. */
export function needsAttention(condition: ConditionLike): boolean {
  return condition.status !== 'True';
}

/** What to do about `condition` on a `kind`; always an answer, the generic one last. */
export function adviceFor(kind: Kind, condition: ConditionLike): string {
  const reason = condition.reason;
  return (
    advice[`${condition.type}/${reason}`] ??
    advice[`*/${reason}`] ??
    `${describe(kind)} shows the operator's Events for ${condition.type}/${reason || 'no reason'}; its logs carry the same reason`
  );
}
