// An in-process OpenFeature provider over flag definitions that are data (flags/definitions.ts).
// The evaluation context carries `tier` and, when a tenant has them, `overrides` (flag key → value).
import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import { ErrorCode, StandardResolutionReasons } from '@openfeature/server-sdk';
import type { FlagDefinition, FlagValue } from './definitions.ts';

function resolve<T extends FlagValue>(
  definitions: ReadonlyMap<string, FlagDefinition>,
  key: string,
  type: FlagDefinition['type'],
  defaultValue: T,
  context: EvaluationContext,
): ResolutionDetails<T> {
  const flag = definitions.get(key);
  if (!flag)
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    };
  if (flag.type !== type) {
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
    };
  }
  const override = (context.overrides as Record<string, JsonValue> | undefined)?.[key];
  if (typeof override === type)
    return { value: override as T, reason: StandardResolutionReasons.TARGETING_MATCH, variant: 'override' };
  const tier = context.tier;
  const variant =
    typeof tier === 'string' && tier in flag.byTier
      ? flag.byTier[tier as keyof FlagDefinition['byTier']]
      : undefined;
  if (variant === undefined) {
    const value = flag.variants[flag.defaultVariant] as T;
    return { value, reason: StandardResolutionReasons.DEFAULT, variant: flag.defaultVariant };
  }
  return { value: flag.variants[variant] as T, reason: StandardResolutionReasons.TARGETING_MATCH, variant };
}

/** A provider evaluating `definitions` in process; pure and synchronous underneath. */
export function createTierFlagProvider(definitions: readonly FlagDefinition[]): Provider {
  const byKey = new Map(definitions.map((flag) => [flag.key, flag]));
  return {
    metadata: { name: 'agentplane-tier-flags' },
    runsOn: 'server',
    resolveBooleanEvaluation: async (key, defaultValue, context) =>
      resolve(byKey, key, 'boolean', defaultValue, context),
    resolveNumberEvaluation: async (key, defaultValue, context) =>
      resolve(byKey, key, 'number', defaultValue, context),
    resolveStringEvaluation: async (_key, defaultValue) => ({
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
    }),
    resolveObjectEvaluation: async (_key, defaultValue) => ({
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
    }),
  };
}
