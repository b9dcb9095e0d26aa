// The vector-store port. Every method takes the tenant first and the implementation adds the tenant
// filter to every read and write itself: no caller can query across tenants by forgetting a filter.

export interface KnowledgePoint {
  /** The document chunk's id within its tenant. */
  id: string;
  vector: number[];
  text: string;
  title?: string;
}

export interface KnowledgeHit {
  id: string;
  score: number;
  text: string;
  title?: string;
}

/** A stored point as listed: its chunk id, text and title (no vector). */
export interface StoredKnowledge {
  id: string;
  text: string;
  title?: string;
}

export interface KnowledgePage {
  points: StoredKnowledge[];
  /** Opaque cursor of the next page; absent on the last page. */
  next?: string;
}

export interface VectorStore {
  /** Creates the collection and the tenant index when missing. Idempotent. */
  ensureReady(dimensions: number): Promise<void>;
  upsert(tenant: string, points: readonly KnowledgePoint[]): Promise<void>;
  /** The `limit` nearest chunks of `tenant` only, best first (cosine similarity). */
  query(tenant: string, vector: readonly number[], limit: number): Promise<KnowledgeHit[]>;
  delete(tenant: string, ids: readonly string[]): Promise<void>;
  count(tenant: string): Promise<number>;
  /**
   * One page of `tenant`'s points in a stable order; pass `next` back as `cursor` for the following
   * page. Reads only: the control plane's exports and erasures walk a tenant's points with it.
   */
  list(tenant: string, page: { cursor?: string; limit: number }): Promise<KnowledgePage>;
  /**
   * Optional, for stores that know at once: true when `tenant` has no points, so a search needs no
   * embedding (a remote store leaves it out and is always queried).
   */
  isEmpty?(tenant: string): boolean;
}

export interface Embedder {
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<number[][]>;
}
