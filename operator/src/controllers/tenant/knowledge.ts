// A tenant's knowledge partition in Qdrant (the KnowledgeReady step) and its erasure on deletion.
// Shared tenants are a partition of the shared collection keyed by the indexed payload field
// `tenant`; dedicated tenants get a collection of their own (`knowledgeNames` in @agentplane/shared).
// Points are counted only when they are erased, so an unchanged tenant's status never changes.
// With an API key, runtime pods get a read-only token for their tenant's collection alone
// (qdrant-token.ts), in the Secret `tenant-<t>-qdrant` of the tenant's home, never the key itself.
import type { TenantKnowledgeErasure, TenantKnowledgeStatus } from '@agentplane/crds';
import { type KnowledgeIsolation, knowledgeNames } from '@agentplane/shared';
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { KnowledgePartitions } from '../../knowledge/qdrant-partitions.ts';
import type { Desired } from './desired.ts';
import { type TenantPlan, tenantLabels } from './plan.ts';
import { tenantQdrantToken } from './qdrant-token.ts';
import type { StepOutcome } from './status.ts';

export const knowledgeReady = 'KnowledgeReady';

/** The operator's Qdrant: absent when OPERATOR_QDRANT_URL is unset. */
export interface KnowledgeSettings {
  partitions: KnowledgePartitions;
  /** The shared collection (OPERATOR_QDRANT_COLLECTION); dedicated ones are named after it. */
  collection: string;
  /** Vector size of the runtime's embeddings (OPERATOR_QDRANT_DIMENSIONS). */
  dimensions: number;
  /** Qdrant has an API key (and jwt_rbac): runtime pods get read-only tokens signed with it. */
  access?: QdrantAccess;
}

export interface QdrantAccess {
  /** OPERATOR_QDRANT_API_KEY: signs the tokens; never leaves the operator. */
  apiKey: string;
  /** OPERATOR_QDRANT_TOKEN_TTL in milliseconds. */
  tokenValidityMs: number;
}

export const qdrantSecretName = (tenant: string) => `tenant-${tenant}-qdrant`;

/** On the Secret and on the agents' pod template: when the token they hold expires. */
export const qdrantTokenExpiresAnnotation = 'agentplane.io/qdrant-token-expires';

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
  const pods = settings.access
    ? `; runtime pods read it with a read-only token (Secret ${qdrantSecretName(plan.name)})`
    : '';
  return status.isolation === 'dedicated'
    ? condition(true, 'DedicatedCollection', `own collection ${status.collection}, indexed on tenant${pods}`)
    : condition(
        true,
        'SharedCollection',
        `partition tenant=${plan.name} of the shared collection ${status.collection}, indexed on tenant${pods}`,
      );
}

/**
 * The Secret holding the tenant's read-only token for `collection` (QDRANT_API_KEY of its pods), and
 * when it must be renewed (epoch ms). Pure: the same window gives the same Secret, so applying it
 * again writes nothing; a new window, another key or another collection gives another token.
 */
export function desiredQdrantSecret(
  plan: Pick<TenantPlan, 'name' | 'tier' | 'namespace'>,
  owner: V1OwnerReference,
  collection: string,
  access: QdrantAccess,
  now: Date,
): { secret: Desired; renewAt: number; expiresAt: string } {
  const { token, window } = tenantQdrantToken(
    access.apiKey,
    plan.name,
    collection,
    now,
    access.tokenValidityMs,
  );
  const expiresAt = new Date(window.expiresAt).toISOString();
  const secret: Desired = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: qdrantSecretName(plan.name),
      namespace: plan.namespace,
      labels: tenantLabels(plan),
      annotations: {
        'agentplane.io/qdrant-collection': collection,
        [qdrantTokenExpiresAnnotation]: expiresAt,
      },
      ownerReferences: [owner],
    },
    type: 'Opaque',
    data: { QDRANT_API_KEY: Buffer.from(token).toString('base64') },
  };
  return { secret, renewAt: window.renewAt, expiresAt };
}

/**
 * The token step as the reconcile runs it: writes the Secret (a no-op until renewal is due) and
 * returns the milliseconds until the next renewal, capped to what a timer can wait. A failed write
 * is pushed to `failures` and returned as a KnowledgeReady outcome.
 */
export async function qdrantTokenStep(
  plan: Pick<TenantPlan, 'name' | 'tier' | 'namespace'>,
  owner: V1OwnerReference,
  collection: string,
  access: QdrantAccess,
  now: Date,
  apply: (object: Desired) => Promise<unknown>,
  failures: Error[],
): Promise<{ renewInMs?: number; expiresAt?: string; failed?: StepOutcome }> {
  const { secret, renewAt, expiresAt } = desiredQdrantSecret(plan, owner, collection, access, now);
  try {
    await apply(secret);
  } catch (error) {
    failures.push(error as Error);
    const message = `cannot write Secret ${secret.metadata.name}: ${(error as Error).message}`;
    return { failed: { type: knowledgeReady, status: 'False', reason: 'ApplyFailed', message } };
  }
  return {
    renewInMs: Math.min(Math.max(renewAt - now.getTime(), 1000), maxTimerMs),
    expiresAt,
  };
}

/** setTimeout's limit (2^31 - 1 ms, about 24.8 days): a longer delay would fire at once. */
const maxTimerMs = 2_147_483_647;

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
