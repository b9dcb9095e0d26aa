// A tenant's feature flags: evaluated through OpenFeature with tenant id and tier in the context
// and the tenant's overrides applied; also the answers of OFREP (remote evaluation protocol).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../../auth/roles.ts';
import { actorOf } from '../../auth/roles.ts';
import { FlagOverride, Tenant } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import { type FlagValue, flagDefinitions } from '../../flags/definitions.ts';
import type { Evaluation, FlagEvaluator, FlagSubject } from '../../flags/evaluator.ts';
import type { AuditLog } from '../audit/audit.service.ts';

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

/** The flag's definition; 404 for a key no flag has. */
function definitionOf(key: string) {
  const definition = flagDefinitions.find((flag) => flag.key === key);
  if (!definition) throw notFound('flag', key);
  return definition;
}

export function createFlagsService({ evaluator, audit }: { evaluator: FlagEvaluator; audit?: AuditLog }) {
  /** The tier's value of `key` for the tenant, ignoring its overrides. */
  const tierValue = async (em: EntityManager, tenantId: string, key: string) => {
    const subject = await subjectOf(em, tenantId);
    return (await evaluator.evaluate(key, { ...subject, overrides: {} })).value as FlagValue;
  };
  const recordOverride = async (
    em: EntityManager,
    principal: Principal,
    tenantId: string,
    key: string,
    before: FlagValue | undefined,
    after: FlagValue | undefined,
  ) =>
    audit?.record(em, {
      tenantId,
      actor: actorOf(principal),
      action: after === undefined ? 'flag.override-removed' : 'flag.overridden',
      target: `flag/${key}`,
      ...(before === undefined ? {} : { before: { value: before } }),
      ...(after === undefined ? {} : { after: { value: after } }),
    });

  return {
    /**
     * Sets the tenant's own value of flag `key` (platform administrators: a contract's terms, a
     * trial). The value must have the flag's type: 400 naming `value` otherwise. Audited.
     */
    async setOverride(
      em: EntityManager,
      principal: Principal,
      tenantId: string,
      key: string,
      value: FlagValue,
    ) {
      const definition = definitionOf(key);
      if (typeof value !== definition.type) {
        throw new DomainError('invalid_request', `flag "${key}" takes a ${definition.type} value`, {
          details: { field: 'value', expected: definition.type },
        });
      }
      const base = await tierValue(em, tenantId, key);
      const existing = await em.findOne(FlagOverride, { tenantId, flagKey: key });
      await em.upsert(FlagOverride, { tenantId, flagKey: key, value });
      await recordOverride(em, principal, tenantId, key, existing?.value as FlagValue | undefined, value);
      return { tenant: tenantId, key, value, tierValue: base };
    },

    /** Removes the tenant's override of `key`: the tier decides again. 404 when none is set. */
    async removeOverride(em: EntityManager, principal: Principal, tenantId: string, key: string) {
      definitionOf(key);
      await subjectOf(em, tenantId);
      const existing = await em.findOne(FlagOverride, { tenantId, flagKey: key });
      if (!existing) throw notFound('flag override', key);
      await em.nativeDelete(FlagOverride, { tenantId, flagKey: key });
      await recordOverride(em, principal, tenantId, key, existing.value as FlagValue, undefined);
    },

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
