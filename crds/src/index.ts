// @agentplane/crds: the Tenant and AgentInstance resources, their types, CRDs and tier rules.
export * from './agent-instance.schema.ts';
export * from './crd.ts';
export * from './group.ts';
export type { CelRule, ObjectMeta } from './kube-schema.ts';
export { ConditionSchema, conditionStatuses } from './kube-schema.ts';
export * from './tenant.schema.ts';
export * from './tiers.ts';
