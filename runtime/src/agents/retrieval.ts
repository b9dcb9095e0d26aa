// Retrieval of the tenant's knowledge: top-k chunks above a relevance floor. A store outage
// degrades the reply (no sources) instead of failing the message.

import type { TenantKnowledge } from '../vectors/knowledge.ts';
import type { KnowledgeHit } from '../vectors/store.ts';

export interface Retrieved {
  hits: KnowledgeHit[];
  failed: boolean;
}

/** Returns at most `topK` hits scoring at least `minScore`; `failed` when the store could not answer. */
export async function retrieve(
  knowledge: TenantKnowledge | undefined,
  text: string,
  topK: number,
  minScore = 0.25,
): Promise<Retrieved> {
  if (!knowledge) return { hits: [], failed: false };
  try {
    const hits = await knowledge.search(text, topK);
    return { hits: hits.filter((hit) => hit.score >= minScore), failed: false };
  } catch {
    return { hits: [], failed: true };
  }
}
