// Indexes one knowledge document: claims it (pending → indexing), chunks it, records the chunks in
// PostgreSQL, embeds and upserts them into the vector store under the tenant, then marks it ready
// with its chunk count, or failed with the error. Idempotent: chunk ids derive from (tenant,
// document, position), so indexing again overwrites the same points.
import type { Logger } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { derivedId } from '../db/derived-id.ts';
import { KnowledgeChunk } from '../db/entities.ts';
import { withTenantScope } from '../db/tenant-scope.ts';
import type { Background } from './background.ts';
import { type ChunkOptions, chunkDocument, defaultChunkOptions } from './chunking.ts';
import type { KnowledgeIndex } from './knowledge-index.ts';

export interface IndexerDependencies {
  root: EntityManager;
  index: KnowledgeIndex | undefined;
  background: Background;
  log: Logger;
  chunkOptions?: ChunkOptions;
  /** Chunks embedded per call. */
  batchSize?: number;
  /** A document left `indexing` this long (a crashed worker) may be claimed again. */
  staleSeconds?: number;
}

interface Claimed {
  title: string;
  content: string;
  content_type: 'text/markdown' | 'text/plain';
}

/** The chunk's id: the same for the same tenant, document and position. Pure. */
export const chunkId = (tenantId: string, documentId: string, seq: number) =>
  derivedId('knowledge-chunk', tenantId, documentId, String(seq));

export function createKnowledgeIndexer(deps: IndexerDependencies) {
  const { root, background, log, batchSize = 64, staleSeconds = 600 } = deps;
  const inScope = <T>(tenantId: string, work: (em: EntityManager) => Promise<T>) =>
    withTenantScope(root, tenantId, work);

  const claim = (tenantId: string, documentId: string) =>
    inScope(tenantId, (em) =>
      em.execute<Claimed[]>(
        `update knowledge_documents set status = 'indexing', error = null, updated_at = now()
         where tenant_id = ? and id = ?
           and (status = 'pending' or (status = 'indexing' and updated_at < now() - make_interval(secs => ?)))
         returning title, content, content_type`,
        [tenantId, documentId, staleSeconds],
      ),
    ).then((rows) => rows[0]);

  async function index(index: KnowledgeIndex, tenantId: string, documentId: string, doc: Claimed) {
    await index.ready();
    const chunks = chunkDocument(doc.content, doc.content_type, deps.chunkOptions ?? defaultChunkOptions).map(
      (chunk) => ({
        id: chunkId(tenantId, documentId, chunk.seq),
        tenantId,
        documentId,
        seq: chunk.seq,
        title: [doc.title, ...chunk.headings].join(' › '),
        text: chunk.text,
      }),
    );
    // The ledger first: every point in the store has its row, so a delete always finds it.
    const stale = await inScope(tenantId, async (em) => {
      const previous = await em.execute<{ id: string }[]>(
        'delete from knowledge_chunks where tenant_id = ? and document_id = ? returning id',
        [tenantId, documentId],
      );
      if (chunks.length > 0) await em.insertMany(KnowledgeChunk, chunks);
      const kept = new Set(chunks.map((chunk) => chunk.id));
      return previous.map((row) => row.id).filter((id) => !kept.has(id));
    });
    if (stale.length > 0) await index.store.delete(tenantId, stale);
    for (let start = 0; start < chunks.length; start += batchSize) {
      const batch = chunks.slice(start, start + batchSize);
      const vectors = await index.embedder.embed(batch.map((chunk) => `${chunk.title}\n${chunk.text}`));
      await index.store.upsert(
        tenantId,
        batch.map((chunk, i) => ({
          id: chunk.id,
          vector: vectors[i] ?? [],
          text: chunk.text,
          title: chunk.title,
        })),
      );
    }
    const finished = await inScope(tenantId, (em) =>
      em.execute(
        `update knowledge_documents set status = 'ready', chunk_count = ?, indexed_at = now(), updated_at = now()
         where tenant_id = ? and id = ? and status = 'indexing' returning id`,
        [chunks.length, tenantId, documentId],
      ),
    );
    // Deleted while it was being indexed: the delete could not see these points yet; take them back.
    if (finished.length === 0)
      await index.store.delete(
        tenantId,
        chunks.map((chunk) => chunk.id),
      );
  }

  /** Indexes the document when it is pending (or stale); does nothing when it is gone or taken. */
  async function indexDocument(tenantId: string, documentId: string): Promise<void> {
    const { index: knowledge } = deps;
    if (!knowledge) return;
    const doc = await claim(tenantId, documentId);
    if (!doc) return;
    try {
      await index(knowledge, tenantId, documentId, doc);
    } catch (error) {
      log.warn({ err: error, tenantId, documentId }, 'knowledge document failed to index');
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
      await inScope(tenantId, (em) =>
        em.execute(
          `update knowledge_documents set status = 'failed', error = ?, updated_at = now()
           where tenant_id = ? and id = ? and status = 'indexing'`,
          [message, tenantId, documentId],
        ),
      );
    }
  }

  return {
    indexDocument,
    /** Indexes the document in the background (after the request that stored it committed). */
    schedule(tenantId: string, documentId: string): void {
      background.run(`knowledge ${tenantId}/${documentId}`, () => indexDocument(tenantId, documentId));
    },
  };
}

export type KnowledgeIndexer = ReturnType<typeof createKnowledgeIndexer>;
