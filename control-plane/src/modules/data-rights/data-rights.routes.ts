// Data rights of a tenant: exports of everything it has (background build, progress, download) and
// erasure of one end user. Work that must see the request's rows starts in `onResponse`, after the
// request's transaction committed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import type { Background } from '../../knowledge/background.ts';
import type { KnowledgeIndexer } from '../../knowledge/indexer.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
  EraseBody,
  ErasureReport,
  ExportArchive,
  ExportList,
  ExportParams,
  ExportView,
} from './data-rights.schemas.ts';
import type { ErasureService } from './erasure.service.ts';
import type { ExportBuilder } from './export-builder.ts';
import type { ExportsService } from './exports.service.ts';

export const dataRightsRoutes: FastifyPluginAsyncTypebox<{
  exports: ExportsService;
  builder: ExportBuilder;
  erasure: ErasureService;
  indexer: KnowledgeIndexer;
  background: Background;
}> = async (app, { exports, builder, erasure, indexer, background }) => {
  const tags = ['data rights'];
  // What a request committed and the background must pick up afterwards.
  const afterCommit = new WeakMap<object, () => void>();
  const runAfterCommit = async (request: object, reply: { statusCode: number }) => {
    if (reply.statusCode < 400) afterCommit.get(request)?.();
  };

  app.post(
    '/tenants/:t/exports',
    {
      config: { action: 'data:export' },
      schema: {
        tags,
        summary:
          'Start an export of everything about the tenant (PostgreSQL and the vector store), as NDJSON',
        params: TenantParams,
        response: { 202: ExportView, ...errorResponses },
      },
      onResponse: runAfterCommit,
    },
    async (request, reply) => {
      const { t } = request.params;
      const view = await exports.request(emOf(request), t, principalOf(request));
      afterCommit.set(request, () => background.run(`export ${t}/${view.id}`, () => builder.run(t, view.id)));
      return reply.status(202).header('location', `/v1/tenants/${t}/exports/${view.id}`).send(view);
    },
  );

  app.get(
    '/tenants/:t/exports',
    {
      config: { action: 'data:export' },
      schema: { tags, params: TenantParams, response: { 200: ExportList, ...errorResponses } },
    },
    async (request) => ({ items: await exports.list(emOf(request), request.params.t) }),
  );

  app.get(
    '/tenants/:t/exports/:exportId',
    {
      config: { action: 'data:export' },
      schema: { tags, params: ExportParams, response: { 200: ExportView, ...errorResponses } },
    },
    async (request) => exports.get(emOf(request), request.params.t, request.params.exportId),
  );

  app.get(
    '/tenants/:t/exports/:exportId/download',
    {
      config: { action: 'data:export' },
      schema: {
        tags,
        summary: 'The archive, streamed (409 until the export is ready)',
        params: ExportParams,
        produces: ['application/x-ndjson'],
        response: {
          200: {
            description: 'The NDJSON archive',
            content: { 'application/x-ndjson': { schema: ExportArchive } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { t, exportId } = request.params;
      const stream = await exports.download(emOf(request), t, exportId);
      return reply
        .type('application/x-ndjson')
        .header('content-disposition', `attachment; filename="${t}-export-${exportId}.ndjson"`)
        .send(stream);
    },
  );

  app.post(
    '/tenants/:t/erasures',
    {
      config: { action: 'data:erase' },
      schema: {
        tags,
        summary: "Erase one end user's data from every store; returns what was removed where",
        params: TenantParams,
        body: EraseBody,
        response: { 200: ErasureReport, ...errorResponses },
      },
      onResponse: runAfterCommit,
    },
    async (request) => {
      const { t } = request.params;
      const { report, documentsToIndex } = await erasure.erase(
        emOf(request),
        t,
        request.body,
        principalOf(request),
      );
      afterCommit.set(request, () => {
        for (const id of documentsToIndex) indexer.schedule(t, id);
      });
      return report;
    },
  );
};
