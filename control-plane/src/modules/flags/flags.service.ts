// A tenant's feature flags: evaluated through OpenFeature with tenant id and tier in the context
// and the tenant's overrides applied; also the answers of OFREP (remote evaluation protocol).
import type { EntityManager } from '@mikro-orm/postgresql';
import { FlagOverride, Tenant } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { FlagValue } from '../../flags/definitions.ts';
import type { Evaluation, FlagEvaluator, FlagSubject } from '../../flags/evaluator.ts';

async function subjectOf(em: EntityManager, tenantId: string): Promise<FlagSubject> {
  const tenant = await em.findOne(Tenant, { id: tenantId });
  if (!tenant) throw notFound('tenant', tenantId);
  const overrides = await em.find(FlagOverride, { tenantId });
  return {
    tenantId,
    tier: tenant.tier,
    overrides: Object.fromEntries(overrides.map((row) => [row.flagKey, row.value as FlagValue])),
  };
}

/** An OFREP success or error body (https://openfeature.dev/docs/reference/other-technologies/ofrep). */
export function toOfrep({ key, value, reason, variant, errorCode }: Evaluation) {
  if (errorCode) return { key, errorCode, errorDetails: `flag "${key}": ${errorCode}` };
  return { key, value, reason, ...(variant ? { variant } : {}), metadata: {} };
}

export function createFlagsService({ evaluator }: { evaluator: FlagEvaluator }) {
  return {
    /** Every flag of the tenant, evaluated. 404 when the tenant does not exist. */
    async forTenant(em: EntityManager, tenantId: string) {
      const subject = await subjectOf(em, tenantId);
      const evaluations = await evaluator.evaluateAll(subject);
      const flags = Object.fromEntries(
        evaluations.map(({ key, value, reason, variant }) => [
          key,
          { value, reason, ...(variant ? { variant } : {}) },
        ]),
      );
      return { tenant: tenantId, tier: subject.tier, flags };
    },

    async evaluate(em: EntityManager, tenantId: string, key: string): Promise<Evaluation> {
      return evaluator.evaluate(key, await subjectOf(em, tenantId));
    },

    async evaluateAll(em: EntityManager, tenantId: string): Promise<Evaluation[]> {
      return evaluator.evaluateAll(await subjectOf(em, tenantId));
    },

    /** Throws 403 feature_not_in_tier unless boolean flag `key` is on for the tenant. */
    async requireFeature(em: EntityManager, tenantId: string, key: string, what: string): Promise<void> {
      const { value } = await evaluator.evaluate(key, await subjectOf(em, tenantId));
      if (value !== true) {
        throw new DomainError('feature_not_in_tier', `${what} is not included in this tenant's tier`, {
          details: { flag: key },
        });
      }
    },

    /** A number flag's value for the tenant (-1: unlimited). */
    async limit(em: EntityManager, tenantId: string, key: string): Promise<number> {
      const { value } = await evaluator.evaluate(key, await subjectOf(em, tenantId));
      return typeof value === 'number' ? value : 0;
    },
  };
}

export type FlagsService = ReturnType<typeof createFlagsService>;
