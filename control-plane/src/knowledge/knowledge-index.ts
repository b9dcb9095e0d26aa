// The vector store and embedder the control plane indexes knowledge with: the runtime's own code
// (`@agentplane/runtime/vectors`), built from the same settings the runtime reads, so the pipeline
// finds what was uploaded here. Without QDRANT_URL there is no index the runtime could share.
// Each tenant's points go to the collection its runtime searches: the shared QDRANT_COLLECTION, or
// a dedicated tenant's own (`knowledgeNames.collection`, the rule the operator applies too).
import { effectiveTenantSettings } from '@agentplane/crds';
import {
  createHashedEmbedder,
  createOpenAiEmbedder,
  createQdrantStore,
  type Embedder,
  type VectorStore,
} from '@agentplane/runtime/vectors';
import { type KnowledgeIsolation, knowledgeNames, type Logger } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ControlPlaneConfig } from '../config.ts';
import { Tenant } from '../db/entities.ts';
import { withTenantScope } from '../db/tenant-scope.ts';
import { DomainError } from '../errors.ts';

export interface KnowledgeIndex {
  readonly store: VectorStore;
  readonly embedder: Embedder;
  /** Creates the collection and tenant index once (retried after a failure). Throws 503 when Qdrant fails. */
  ready(): Promise<void>;
}

/** Wraps a store and embedder; `ready` is memoised until it fails. */
export function knowledgeIndex(store: VectorStore, embedder: Embedder): KnowledgeIndex {
  let setup: Promise<void> | undefined;
  return {
    store,
    embedder,
    ready() {
      setup ??= store.ensureReady(embedder.dimensions).catch((error: unknown) => {
        setup = undefined;
        throw asDomainError(error);
      });
      return setup;
    },
  };
}

type Settings = Pick<
  ControlPlaneConfig,
  | 'qdrantUrl'
  | 'qdrantApiKey'
  | 'qdrantCollection'
  | 'openaiBaseUrl'
  | 'openaiApiKey'
  | 'embeddingModel'
  | 'embeddingDimensions'
>;

/** A tenant's isolation, which decides its collection. */
export type IsolationOf = (tenant: string) => Promise<KnowledgeIsolation>;

/**
 * A store over every tenant's collection: calls for a tenant go to the shared collection or to its
 * own, per `isolationOf` (remembered for `ttlMs`). `ensureReady` readies the shared collection; a
 * dedicated one is readied on its first use (again after a failure).
 */
export function tenantCollections(options: {
  shared: string;
  open: (collection: string) => VectorStore;
  isolationOf: IsolationOf;
  ttlMs?: number;
  now?: () => number;
}): VectorStore {
  const { shared, open, isolationOf, ttlMs = 30_000, now = Date.now } = options;
  const stores = new Map<string, { store: VectorStore; ready?: Promise<void> }>();
  const known = new Map<string, { isolation: KnowledgeIsolation; until: number }>();
  let dimensions: number | undefined;
  const storeOf = (collection: string) => {
    const entry = stores.get(collection) ?? { store: open(collection) };
    stores.set(collection, entry);
    return entry;
  };
  const route = async (tenant: string): Promise<VectorStore> => {
    let cached = known.get(tenant);
    if (!cached || cached.until <= now()) {
      cached = { isolation: await isolationOf(tenant), until: now() + ttlMs };
      known.set(tenant, cached);
    }
    const collection = knowledgeNames.collection(tenant, cached.isolation, shared);
    const entry = storeOf(collection);
    if (collection !== shared && dimensions !== undefined) {
      entry.ready ??= entry.store.ensureReady(dimensions).catch((error: unknown) => {
        entry.ready = undefined;
        throw error;
      });
      await entry.ready;
    }
    return entry.store;
  };
  return {
    async ensureReady(size) {
      dimensions = size;
      await storeOf(shared).store.ensureReady(size);
    },
    upsert: async (tenant, points) => (await route(tenant)).upsert(tenant, points),
    query: async (tenant, vector, limit) => (await route(tenant)).query(tenant, vector, limit),
    delete: async (tenant, ids) => (await route(tenant)).delete(tenant, ids),
    count: async (tenant) => (await route(tenant)).count(tenant),
    list: async (tenant, page) => (await route(tenant)).list(tenant, page),
  };
}

/** Isolation as the tenants table says (tier default when unset); a tenant not found is shared. */
export function isolationFromDatabase(root: EntityManager): IsolationOf {
  return (tenant) =>
    withTenantScope(root, tenant, async (em) => {
      const row = await em.findOne(Tenant, { id: tenant });
      if (!row) return 'shared';
      return effectiveTenantSettings({
        tier: row.tier,
        ...(row.isolation ? { isolation: row.isolation } : {}),
      }).isolation;
    });
}

/**
 * The index the settings describe, or undefined without QDRANT_URL. Connects lazily. With
 * `isolationOf`, dedicated tenants' points go to their own collection; without it, all to the shared one.
 */
export function knowledgeIndexFromConfig(
  config: Settings,
  logger: Logger,
  isolationOf?: IsolationOf,
): KnowledgeIndex | undefined {
  const { qdrantUrl: url, qdrantApiKey: apiKey, qdrantCollection: shared } = config;
  if (!url) return undefined;
  const open = (collection: string) => createQdrantStore({ url, collection, ...(apiKey ? { apiKey } : {}) });
  const store = isolationOf ? tenantCollections({ shared, open, isolationOf }) : open(shared);
  // The runtime's choice, mirrored: the model's embeddings when both are set, else hashed (256).
  const embedder =
    config.openaiBaseUrl && config.embeddingModel
      ? createOpenAiEmbedder({
          baseURL: config.openaiBaseUrl,
          ...(config.openaiApiKey ? { apiKey: config.openaiApiKey } : {}),
          model: config.embeddingModel,
          dimensions: config.embeddingDimensions,
          timeoutMs: 15_000,
          retry: { attempts: 3, baseMs: 200, maxDelayMs: 5_000, budgetMs: 30_000 },
          logger,
        })
      : createHashedEmbedder();
  return knowledgeIndex(store, embedder);
}

/** The index, or the 503 that says how to configure one. */
export function requireIndex(index: KnowledgeIndex | undefined): KnowledgeIndex {
  if (index) return index;
  throw new DomainError(
    'knowledge_store_not_configured',
    'knowledge needs the vector store the runtime searches: start the control plane with QDRANT_URL ' +
      '(and QDRANT_COLLECTION, AGENTPLANE_EMBEDDING_MODEL/DIMENSIONS as the runtime has them)',
    { details: { dependency: 'Qdrant', setting: 'QDRANT_URL' } },
  );
}

/** Errors of the store or the embedder (the runtime's RuntimeError) as the API's 503. */
export function asDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const dependency =
    (error as { code?: unknown }).code === 'model_unavailable' ? 'embedding model' : 'Qdrant';
  return new DomainError('dependency_unavailable', `${dependency} is unavailable: ${message}`, {
    details: { dependency },
    retryAfterSeconds: 5,
    cause: error,
  });
}
