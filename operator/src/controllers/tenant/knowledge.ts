// A tenant's knowledge partition in Qdrant (the KnowledgeReady step) and its erasure on deletion.
// Shared tenants are a partition of the shared collection keyed by the indexed payload field
// `tenant`; dedicated tenants get a collection of their own (`knowledgeNames` in @agentplane/shared).
// Points are counted only when they are erased, so an unchanged tenant's status never changes.
import type { TenantKnowledgeErasure, TenantKnowledgeStatus } from '@agentplane/crds';
import { type KnowledgeIsolation, knowledgeNames } from '@agentplane/shared';
import type { KnowledgePartitions } from '../../knowledge/qdrant-partitions.ts';
import type { TenantPlan } from './plan.ts';
import type { StepOutcome } from './status.ts';

export const knowledgeReady = 'KnowledgeReady';

/** The operator's Qdrant: absent when OPERATOR_QDRANT_URL is unset. */
export interface KnowledgeSettings {
  partitions: KnowledgePartitions;
  /** The shared collection (OPERATOR_QDRANT_COLLECTION); dedicated ones are named after it. */
  collection: string;
  /** Vector size of the runtime's embeddings (OPERATOR_QDRANT_DIMENSIONS). */
  dimensions: number;
}

/** Where `plan`'s knowledge lives. Pure. */
export function knowledgePartition(
  plan: Pick<TenantPlan, 'name' | 'isolation'>,
  shared: string,
): TenantKnowledgeStatus {
  return {
    collection: knowledgeNames.collection(plan.name, plan.isolation, shared),
    isolation: plan.isolation,
  };
}

export const knowledgeNotConfigured: StepOutcome = {
  type: knowledgeReady,
  status: 'True',
  reason: 'NotConfigured',
  message:
    'not configured: the operator has no OPERATOR_QDRANT_URL, so no knowledge partition is managed and ' +
    'runtime pods use their in-process index',
};

export interface KnowledgeStep {
  outcome: StepOutcome;
  status: TenantKnowledgeStatus;
}

/**
 * KnowledgeReady: the tenant's collection exists with the tenant index. Qdrant unreachable is
 * `QdrantUnavailable` (the caller retries with backoff); a collection whose vectors are not the
 * runtime's size is `DimensionMismatch` (waits for an SRE). Idempotent: reads first, writes only
 * what is missing.
 */
export async function ensureKnowledgePartition(
  plan: Pick<TenantPlan, 'name' | 'isolation'>,
  settings: KnowledgeSettings,
): Promise<KnowledgeStep> {
  const status = knowledgePartition(plan, settings.collection);
  const condition = (ok: boolean, reason: string, message: string): KnowledgeStep => ({
    outcome: { type: knowledgeReady, status: ok ? 'True' : 'False', reason, message },
    status,
  });
  let size: number | undefined;
  try {
    ({ size } = await settings.partitions.ensure(status.collection));
  } catch (error) {
    return condition(false, 'QdrantUnavailable', (error as Error).message);
  }
  if (size !== undefined && size !== settings.dimensions)
    return condition(
      false,
      'DimensionMismatch',
      `collection ${status.collection} holds ${size}-dimension vectors but the runtime's embeddings have ` +
        `${settings.dimensions} (OPERATOR_QDRANT_DIMENSIONS): set it to the runtime's, or recreate the collection`,
    );
  return status.isolation === 'dedicated'
    ? condition(true, 'DedicatedCollection', `own collection ${status.collection}, indexed on tenant`)
    : condition(
        true,
        'SharedCollection',
        `partition tenant=${plan.name} of the shared collection ${status.collection}, indexed on tenant`,
      );
}

/**
 * Erases every point of `tenant`: its points in the shared collection (by the tenant key) and its own
 * collection (deleted whole), wherever it is now, so a tenant that changed isolation leaves nothing
 * behind. Counts before and after; throws when Qdrant fails or points are left (the caller retries).
 */
export async function eraseKnowledge(
  tenant: string,
  isolation: KnowledgeIsolation,
  settings: KnowledgeSettings,
  now: Date,
): Promise<TenantKnowledgeErasure> {
  const shared = settings.collection;
  const own = knowledgeNames.collection(tenant, 'dedicated', shared);
  const { partitions } = settings;
  const count = async () => {
    const inShared = await partitions.countTenant(shared, tenant);
    return { inShared, total: inShared + (await partitions.countAll(own)) };
  };
  const before = await count();
  // A repeated erasure (another clean-up failed) writes nothing when nothing is left.
  if (before.inShared > 0) await partitions.deleteTenantPoints(shared, tenant);
  await partitions.deleteCollection(own);
  const pointsBefore = before.total;
  const pointsAfter = (await count()).total;
  if (pointsAfter > 0)
    throw new Error(`${pointsAfter} of ${pointsBefore} knowledge point(s) still there after erasing them`);
  return {
    collection: knowledgeNames.collection(tenant, isolation, shared),
    pointsBefore,
    pointsAfter,
    erasedAt: now.toISOString(),
  };
}

/**
 * The report once more erasures ran (a retried deletion erases again): points erased add up, the
 * first time stays. Pure.
 */
export function mergeErasure(
  previous: TenantKnowledgeErasure | undefined,
  next: TenantKnowledgeErasure,
): TenantKnowledgeErasure {
  if (!previous) return next;
  return {
    ...previous,
    pointsBefore: previous.pointsBefore + next.pointsBefore,
    pointsAfter: next.pointsAfter,
  };
}

/** The Event that proves the erasure. Pure. */
export function erasureMessage(tenant: string, report: TenantKnowledgeErasure): string {
  return (
    `erased the knowledge of tenant ${tenant} (collection ${report.collection}): ` +
    `${report.pointsBefore} point(s) before, ${report.pointsAfter} after`
  );
}
