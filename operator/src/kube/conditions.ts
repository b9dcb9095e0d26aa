// Status conditions with metav1.Condition's rules: one entry per type, lastTransitionTime moves
// only when the status flips, and every write records the generation it was computed from.
import { kubeTime } from './resource.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase, e.g. `TenantNotFound`. */
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/**
 * Returns a new list with `update` applied: a new type is appended, an existing one keeps its
 * place. lastTransitionTime is `now` (seconds precision, as the API server stores it) for a new
 * type or a changed status, and kept otherwise, so re-applying the same facts changes nothing.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === update.type);
  const existing = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    existing && existing.status === update.status ? existing.lastTransitionTime : kubeTime(now);
  const next: Condition = { ...update, lastTransitionTime };
  if (existing) list[index] = next;
  else list.push(next);
  return list;
}

/** Returns a new list without the condition of `type`. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((condition) => condition.type !== type);
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/** True when the condition of `type` is present with status True. */
export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** True when the condition of `type` is present with status False. */
export function isFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}
