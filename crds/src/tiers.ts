// The tier table (ARCHITECTURE.md, "Tiers") as data, and the pure resolution of a tenant's
// effective settings from its spec. The operator, the control plane and the flags read it from here.

import { vaultNames } from '@agentplane/shared';
import { type AgentInstanceSpec, type AgentType, agentTypes } from './agent-instance.schema.ts';
import type { HibernationMode, Isolation, TenantSpec, Tier } from './tenant.schema.ts';

export interface TierDefinition {
  tier: Tier;
  /** USD per month; null: by contract. */
  priceUsdPerMonth: number | null;
  /** Conversations a month included in the price; null: by contract. */
  includedConversationsPerMonth: number | null;
  /** USD per conversation above the included ones; null: by contract. */
  overageUsdPerConversation: number | null;
  /** Isolation when the Tenant leaves `spec.isolation` out. */
  defaultIsolation: Isolation;
  /** Isolations the tier may use (the CRD's CEL rule enforces the same for basic). */
  allowedIsolations: readonly Isolation[];
  /** Whether an AgentInstance may replace the agent's system prompt. */
  customPrompts: boolean;
  /** AgentInstances a tenant may have; null: unlimited (JSON has no Infinity). */
  maxAgentInstances: number | null;
  allowedAgents: readonly AgentType[];
  /** The tenant's ResourceQuota unless `spec.quota` overrides it. */
  defaultQuota: { cpu: string; memory: string; pods: number };
  /** Per-container defaults and bounds for the tenant's LimitRange. */
  limits: { defaultCpu: string; defaultMemory: string; maxCpu: string; maxMemory: string };
  /** Replicas one agent may scale to; a higher replicas or autoscaling.maxReplicas is capped. */
  maxReplicasPerAgent: number;
  /** Whether an idle tenant's agents scale to zero unless `spec.hibernation.mode` says otherwise. */
  defaultHibernation: HibernationMode;
  /** Bytes a second the tenant's Kafka principal may produce / fetch (broker quotas, when Kafka runs SASL). */
  kafkaProducerByteRate: number;
  kafkaConsumerByteRate: number;
}

// Hibernation by tier: basic tenants are many and often quiet, so their agents sleep when idle;
// pro and enterprise pay for an agent that answers at once, so theirs stay awake unless asked.
// Agents by tier: basic answers and qualifies; pro adds sales; marketing writes outbound content in
// the brand's voice, which needs custom prompts, so it comes with them in enterprise.
const MiB = 1_048_576;

export const tiers: Readonly<Record<Tier, TierDefinition>> = {
  basic: {
    tier: 'basic',
    kafkaProducerByteRate: 1 * MiB,
    kafkaConsumerByteRate: 2 * MiB,
    defaultHibernation: 'Auto',
    maxReplicasPerAgent: 2,
    priceUsdPerMonth: 99,
    includedConversationsPerMonth: 1000,
    overageUsdPerConversation: 0.1,
    defaultIsolation: 'shared',
    allowedIsolations: ['shared'],
    customPrompts: false,
    maxAgentInstances: 2,
    allowedAgents: ['customer-service', 'lead-qualifier'],
    defaultQuota: { cpu: '2', memory: '4Gi', pods: 10 },
    limits: { defaultCpu: '250m', defaultMemory: '256Mi', maxCpu: '1', maxMemory: '1Gi' },
  },
  pro: {
    tier: 'pro',
    kafkaProducerByteRate: 5 * MiB,
    kafkaConsumerByteRate: 10 * MiB,
    defaultHibernation: 'Never',
    maxReplicasPerAgent: 5,
    priceUsdPerMonth: 499,
    includedConversationsPerMonth: 5000,
    overageUsdPerConversation: 0.05,
    defaultIsolation: 'shared',
    allowedIsolations: ['shared', 'dedicated'],
    customPrompts: false,
    maxAgentInstances: 10,
    allowedAgents: ['customer-service', 'lead-qualifier', 'sales'],
    defaultQuota: { cpu: '8', memory: '16Gi', pods: 40 },
    limits: { defaultCpu: '250m', defaultMemory: '256Mi', maxCpu: '2', maxMemory: '4Gi' },
  },
  enterprise: {
    tier: 'enterprise',
    kafkaProducerByteRate: 20 * MiB,
    kafkaConsumerByteRate: 40 * MiB,
    defaultHibernation: 'Never',
    maxReplicasPerAgent: 20,
    priceUsdPerMonth: null,
    includedConversationsPerMonth: null,
    overageUsdPerConversation: null,
    defaultIsolation: 'dedicated',
    allowedIsolations: ['shared', 'dedicated'],
    customPrompts: true,
    maxAgentInstances: null,
    allowedAgents: agentTypes,
    defaultQuota: { cpu: '32', memory: '64Gi', pods: 200 },
    limits: { defaultCpu: '250m', defaultMemory: '256Mi', maxCpu: '4', maxMemory: '8Gi' },
  },
};

/** A tenant's settings with every default resolved; what the operator builds the tenant's home from. */
export interface EffectiveTenantSettings {
  tier: Tier;
  isolation: Isolation;
  quota: {
    cpu: string;
    memory: string;
    pods: number;
    /** null: unlimited. */
    maxAgentInstances: number | null;
    /** null: by contract. */
    monthlyConversations: number | null;
  };
  limits: TierDefinition['limits'];
  maxReplicasPerAgent: number;
  customPrompts: boolean;
  allowedAgents: readonly AgentType[];
  messaging: { partitions: number; retentionHours: number };
  suspended: boolean;
  /** `idleAfter` absent: the operator's default window. */
  hibernation: { mode: HibernationMode; idleAfter?: string };
}

/** Raised for a spec the API server would have rejected (it reached us around the CRD's rules). */
export class InvalidTenantSpecError extends Error {
  override name = 'InvalidTenantSpecError';
}

/**
 * Resolves the tier defaults under `spec`: isolation (dedicated for enterprise, shared otherwise),
 * `spec.quota` fields over the tier's quota (quantities as strings), messaging and suspension.
 * Pure. Throws InvalidTenantSpecError for an isolation the tier does not allow (basic + dedicated).
 */
export function effectiveTenantSettings(spec: TenantSpec): EffectiveTenantSettings {
  const tier = tiers[spec.tier];
  const isolation = spec.isolation ?? tier.defaultIsolation;
  if (!tier.allowedIsolations.includes(isolation)) {
    throw new InvalidTenantSpecError(
      `the ${spec.tier} tier cannot be ${isolation}: allowed ${tier.allowedIsolations.join(', ')}`,
    );
  }
  const quota = spec.quota ?? {};
  return {
    tier: spec.tier,
    isolation,
    quota: {
      cpu: String(quota.cpu ?? tier.defaultQuota.cpu),
      memory: String(quota.memory ?? tier.defaultQuota.memory),
      pods: quota.pods ?? tier.defaultQuota.pods,
      maxAgentInstances: quota.maxAgentInstances ?? tier.maxAgentInstances,
      monthlyConversations: quota.monthlyConversations ?? tier.includedConversationsPerMonth,
    },
    limits: tier.limits,
    maxReplicasPerAgent: tier.maxReplicasPerAgent,
    customPrompts: tier.customPrompts,
    allowedAgents: tier.allowedAgents,
    // The same defaults as the CRD's, for specs that did not pass through the API server.
    messaging: {
      partitions: spec.messaging?.partitions ?? 3,
      retentionHours: spec.messaging?.retentionHours ?? 168,
    },
    suspended: spec.suspended ?? false,
    hibernation: {
      mode: spec.hibernation?.mode ?? tier.defaultHibernation,
      ...(spec.hibernation?.idleAfter ? { idleAfter: spec.hibernation.idleAfter } : {}),
    },
  };
}

/** The Vault path of a tenant's secrets: `spec.secrets.vaultPath`, default `tenants/<name>`. */
export function tenantVaultPath(name: string, spec: TenantSpec): string {
  return spec.secrets?.vaultPath ?? vaultNames.defaultPath(name);
}

export type TierViolationReason = 'AgentNotAllowed' | 'TierLimitExceeded' | 'CustomPromptNotAllowed';

export interface TierViolation {
  reason: TierViolationReason;
  message: string;
}

/**
 * Why an AgentInstance cannot run under its tenant's tier, or undefined when it can. `othersCount` is
 * the number of the tenant's *other* AgentInstances (so re-checking an admitted instance passes).
 * Pure; the reason is a Kubernetes condition reason.
 */
export function tierViolation(
  settings: EffectiveTenantSettings,
  spec: Pick<AgentInstanceSpec, 'agent' | 'prompt'>,
  othersCount: number,
): TierViolation | undefined {
  if (!settings.allowedAgents.includes(spec.agent)) {
    return {
      reason: 'AgentNotAllowed',
      message: `the ${settings.tier} tier does not include the ${spec.agent} agent (it has ${settings.allowedAgents.join(', ')})`,
    };
  }
  const max = settings.quota.maxAgentInstances;
  if (max !== null && othersCount >= max) {
    return {
      reason: 'TierLimitExceeded',
      message: `the tenant already has ${othersCount} agent instances and may have at most ${max}`,
    };
  }
  if (spec.prompt?.system !== undefined && !settings.customPrompts) {
    return {
      reason: 'CustomPromptNotAllowed',
      message: `custom system prompts (spec.prompt.system) are for the enterprise tier; this tenant is ${settings.tier}`,
    };
  }
  return undefined;
}
