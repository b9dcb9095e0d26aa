// The vector store and embedder the control plane indexes knowledge with: the runtime's own code
// (`@agentplane/runtime/vectors`), built from the same settings the runtime reads, so the pipeline
// finds what was uploaded here. Without QDRANT_URL there is no index the runtime could share.
import {
  createHashedEmbedder,
  createOpenAiEmbedder,
  createQdrantStore,
  type Embedder,
  type VectorStore,
} from '@agentplane/runtime/vectors';
import type { Logger } from '@agentplane/shared';
import type { ControlPlaneConfig } from '../config.ts';
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

/** The index the settings describe, or undefined without QDRANT_URL. Connects lazily. */
export function knowledgeIndexFromConfig(config: Settings, logger: Logger): KnowledgeIndex | undefined {
  if (!config.qdrantUrl) return undefined;
  const store = createQdrantStore({
    url: config.qdrantUrl,
    collection: config.qdrantCollection,
    ...(config.qdrantApiKey ? { apiKey: config.qdrantApiKey } : {}),
  });
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
