// The runtime's vector-store code as a package entry (`@agentplane/runtime/vectors`): the control
// plane indexes tenants' knowledge through the same port, adapter, tenant key and embeddings the
// pipeline searches with, so what one writes the other finds.
export { isRetriable, RuntimeError } from '../errors.ts';
export { createOpenAiEmbedder } from '../llm/openai.ts';
export { createEmbeddedStore } from './embedded.ts';
export { createHashedEmbedder, hashedEmbedding } from './hashed-embedding.ts';
export { type TenantKnowledge, tenantKnowledge } from './knowledge.ts';
export { createQdrantStore, pointId, type QdrantOptions } from './qdrant.ts';
export type {
  Embedder,
  KnowledgeHit,
  KnowledgePage,
  KnowledgePoint,
  StoredKnowledge,
  VectorStore,
} from './store.ts';
