// Knowledge documents of a tenant: upload (202, indexed in the background), list with status, read,
// delete. Indexing starts in `onResponse`, after the request's transaction committed the document.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import type { KnowledgeIndexer } from '../../knowledge/indexer.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
  DeletedDocument,
  DocumentDetail,
  DocumentList,
  DocumentParams,
  DocumentView,
  ListDocumentsQuery,
  UploadDocumentBody,
} from './knowledge.schemas.ts';
import type { KnowledgeService } from './knowledge.service.ts';

export const knowledgeRoutes: FastifyPluginAsyncTypebox<{
  service: KnowledgeService;
  indexer: KnowledgeIndexer;
  /** Body limit of the upload route: the document limit plus room for JSON escaping. */
  bodyLimitBytes: number;
}> = async (app, { service, indexer, bodyLimitBytes }) => {
  const tags = ['knowledge'];
  // The document an upload stored, indexed once the response (and so the commit) is done.
  const uploaded = new WeakMap<object, string>();
  app.post(
    '/tenants/:t/knowledge',
    {
      config: { action: 'knowledge:manage' },
      bodyLimit: bodyLimitBytes,
      schema: {
        tags,
        summary: 'Upload a text or markdown document; it is chunked, embedded and indexed in the background',
        params: TenantParams,
        body: UploadDocumentBody,
        response: { 202: DocumentView, 413: { $ref: 'Error' }, ...errorResponses },
      },
      onResponse: async (request, reply) => {
        const id = uploaded.get(request);
        if (reply.statusCode === 202 && id) indexer.schedule(request.params.t, id);
      },
    },
    async (request, reply) => {
      const doc = await service.upload(emOf(request), request.params.t, request.body);
      uploaded.set(request, doc.id);
      return reply
        .status(202)
        .header('location', `/v1/tenants/${request.params.t}/knowledge/${doc.id}`)
        .send(doc);
    },
  );

  app.get(
    '/tenants/:t/knowledge',
    {
      config: { action: 'knowledge:read' },
      schema: {
        tags,
        params: TenantParams,
        querystring: ListDocumentsQuery,
        response: { 200: DocumentList, ...errorResponses },
      },
    },
    async (request) => ({ items: await service.list(emOf(request), request.params.t, request.query) }),
  );

  app.get(
    '/tenants/:t/knowledge/:documentId',
    {
      config: { action: 'knowledge:read' },
      schema: { tags, params: DocumentParams, response: { 200: DocumentDetail, ...errorResponses } },
    },
    async (request) => service.get(emOf(request), request.params.t, request.params.documentId),
  );

  app.delete(
    '/tenants/:t/knowledge/:documentId',
    {
      config: { action: 'knowledge:manage' },
      schema: {
        tags,
        summary: 'Delete a document: its points leave the vector store, its rows PostgreSQL',
        params: DocumentParams,
        response: { 200: DeletedDocument, ...errorResponses },
      },
    },
    async (request) => service.remove(emOf(request), request.params.t, request.params.documentId),
  );
};
