// Evaluates a tenant's flags through an OpenFeature client. The SDK's API object is process-wide,
// so each evaluator binds its provider to a domain of its own (several apps in one test process
// never share a provider) and unbinds it on close.
import { randomUUID } from 'node:crypto';
import { NOOP_PROVIDER, OpenFeature } from '@openfeature/server-sdk';
import { type FlagDefinition, type FlagValue, flagDefinitions } from './definitions.ts';
import { createTierFlagProvider } from './provider.ts';

export interface FlagSubject {
  tenantId: string;
  tier: string;
  overrides: Record<string, FlagValue>;
}

export interface Evaluation {
  key: string;
  value: FlagValue;
  reason: string;
  variant?: string;
  errorCode?: string;
}

export interface FlagEvaluator {
  definitions: readonly FlagDefinition[];
  /** One flag; a missing key gives errorCode FLAG_NOT_FOUND. */
  evaluate(key: string, subject: FlagSubject): Promise<Evaluation>;
  evaluateAll(subject: FlagSubject): Promise<Evaluation[]>;
  close(): Promise<void>;
}

export async function createFlagEvaluator(
  definitions: readonly FlagDefinition[] = flagDefinitions,
): Promise<FlagEvaluator> {
  const domain = `agentplane-${randomUUID()}`;
  await OpenFeature.setProviderAndWait(domain, createTierFlagProvider(definitions));
  const client = OpenFeature.getClient(domain);
  const byKey = new Map(definitions.map((flag) => [flag.key, flag]));
  const evaluate = async (key: string, { tenantId, tier, overrides }: FlagSubject): Promise<Evaluation> => {
    // The context always carries tenant and tier; targetingKey is the tenant.
    const context = { targetingKey: tenantId, tenantId, tier, overrides };
    const details =
      byKey.get(key)?.type === 'number'
        ? await client.getNumberDetails(key, 0, context)
        : await client.getBooleanDetails(key, false, context);
    return {
      key,
      value: details.value,
      reason: details.reason ?? 'UNKNOWN',
      ...(details.variant ? { variant: details.variant } : {}),
      ...(details.errorCode ? { errorCode: details.errorCode } : {}),
    };
  };
  return {
    definitions,
    evaluate,
    evaluateAll: (subject) => Promise.all(definitions.map((flag) => evaluate(flag.key, subject))),
    close: () => OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER),
  };
}
