// One tenant's knowledge: the store and embedder bound to a tenant id fixed at construction, so
// the pipeline cannot ask for another tenant's chunks.
import type { Embedder, KnowledgeHit, VectorStore } from './store.ts';

export interface TenantKnowledge {
  readonly tenant: string;
  search(text: string, limit: number): Promise<KnowledgeHit[]>;
  add(docs: readonly { id: string; text: string; title?: string }[]): Promise<void>;
}

export function tenantKnowledge(store: VectorStore, embedder: Embedder, tenant: string): TenantKnowledge {
  return {
    tenant,
    async search(text, limit) {
      // Nothing to find: skip embedding the text (the answer would be no hits all the same).
      if (store.isEmpty?.(tenant)) return [];
      const [vector] = await embedder.embed([text]);
      return vector ? store.query(tenant, vector, limit) : [];
    },
    async add(docs) {
      const vectors = await embedder.embed(docs.map((doc) => doc.text));
      await store.upsert(
        tenant,
        docs.map((doc, i) => ({ ...doc, vector: vectors[i] ?? [] })),
      );
    },
  };
}
