// The in-process vector index used when no Qdrant URL is configured: exact cosine search over the
// points of one tenant. Suits local runs and small knowledge bases; it is not shared between pods.
import type { KnowledgeHit, KnowledgePoint, VectorStore } from './store.ts';

export function createEmbeddedStore(): VectorStore {
  const tenants = new Map<string, Map<string, KnowledgePoint>>();
  const of = (tenant: string) => {
    const points = tenants.get(tenant) ?? new Map<string, KnowledgePoint>();
    tenants.set(tenant, points);
    return points;
  };
  return {
    ensureReady: async () => undefined,
    async upsert(tenant, points) {
      for (const point of points) of(tenant).set(point.id, { ...point, vector: [...point.vector] });
    },
    async query(tenant, vector, limit) {
      const hits: KnowledgeHit[] = [];
      for (const point of of(tenant).values()) {
        hits.push({
          id: point.id,
          score: cosine(vector, point.vector),
          text: point.text,
          ...(point.title ? { title: point.title } : {}),
        });
      }
      return hits.sort((a, b) => b.score - a.score).slice(0, limit);
    },
    async delete(tenant, ids) {
      for (const id of ids) of(tenant).delete(id);
    },
    count: async (tenant) => of(tenant).size,
    async list(tenant, { cursor, limit }) {
      const ids = [...of(tenant).keys()].sort().filter((id) => cursor === undefined || id >= cursor);
      const points = ids.slice(0, limit).map((id) => {
        const { text, title } = of(tenant).get(id) as KnowledgePoint;
        return { id, text, ...(title ? { title } : {}) };
      });
      const next = ids[limit];
      return next === undefined ? { points } : { points, next };
    },
    isEmpty: (tenant) => (tenants.get(tenant)?.size ?? 0) === 0,
  };
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
