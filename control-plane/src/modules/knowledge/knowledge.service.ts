// A tenant's knowledge documents: stored in PostgreSQL, indexed into the shared vector store in the
// background (knowledge/indexer.ts), listed with their status, and deleted from both stores.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { KnowledgeChunk, KnowledgeDocument } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import { asDomainError, type KnowledgeIndex, requireIndex } from '../../knowledge/knowledge-index.ts';
import type { DocumentView, ListDocumentsQuery, UploadDocumentBody } from './knowledge.schemas.ts';

export interface KnowledgeServiceDependencies {
  index: KnowledgeIndex | undefined;
  maxDocumentBytes: number;
}

function toView(doc: KnowledgeDocument): DocumentView {
  return {
    id: doc.id,
    title: doc.title,
    contentType: doc.contentType,
    bytes: doc.bytes,
    sha256: doc.sha256,
    status: doc.status,
    error: doc.error ?? null,
    chunkCount: doc.chunkCount,
    createdAt: doc.createdAt.toISOString(),
    indexedAt: doc.indexedAt?.toISOString() ?? null,
  };
}

export function createKnowledgeService({ index, maxDocumentBytes }: KnowledgeServiceDependencies) {
  const find = async (em: EntityManager, tenantId: string, id: string) => {
    const doc = await em.findOne(KnowledgeDocument, { tenantId, id }, { populate: ['content'] });
    if (!doc) throw notFound('knowledge document', id);
    return doc;
  };

  return {
    /**
     * Stores a document as pending (indexing starts once the caller commits). 413 when the content
     * is over the limit, 503 when no vector store is configured (nothing could index it).
     */
    async upload(em: EntityManager, tenantId: string, body: UploadDocumentBody): Promise<DocumentView> {
      requireIndex(index);
      const bytes = Buffer.byteLength(body.content, 'utf8');
      if (bytes > maxDocumentBytes) {
        throw new DomainError(
          'payload_too_large',
          `the document has ${bytes} bytes; the limit is ${maxDocumentBytes}`,
          { details: { field: 'body/content', bytes, limitBytes: maxDocumentBytes } },
        );
      }
      const doc = em.create(KnowledgeDocument, {
        tenantId,
        title: body.title,
        contentType: body.contentType ?? 'text/markdown',
        content: body.content,
        bytes,
        sha256: createHash('sha256').update(body.content).digest('hex'),
        status: 'pending',
        error: null,
        indexedAt: null,
      });
      await em.flush();
      return toView(doc);
    },

    async list(em: EntityManager, tenantId: string, query: ListDocumentsQuery): Promise<DocumentView[]> {
      const docs = await em.find(
        KnowledgeDocument,
        { tenantId, ...(query.status ? { status: query.status } : {}) },
        { orderBy: { createdAt: 'desc', id: 'asc' }, limit: query.limit ?? 100 },
      );
      return docs.map(toView);
    },

    async get(em: EntityManager, tenantId: string, id: string) {
      const doc = await find(em, tenantId, id);
      return { ...toView(doc), content: doc.content };
    },

    /**
     * Removes the document's points from the vector store, then its rows (chunks cascade). 404 when
     * the tenant has no such document; 503 when the store cannot be reached (nothing is removed).
     */
    async remove(em: EntityManager, tenantId: string, id: string) {
      const knowledge = requireIndex(index);
      const doc = await find(em, tenantId, id);
      const chunks = await em.find(KnowledgeChunk, { tenantId, documentId: id }, { fields: ['id'] });
      const ids = chunks.map((chunk) => chunk.id);
      if (ids.length > 0) {
        await knowledge.ready();
        await knowledge.store.delete(tenantId, ids).catch((error: unknown) => {
          throw asDomainError(error);
        });
      }
      await em.remove(doc).flush();
      return { id, chunksRemoved: ids.length, pointsRemoved: ids.length };
    },
  };
}

export type KnowledgeService = ReturnType<typeof createKnowledgeService>;
