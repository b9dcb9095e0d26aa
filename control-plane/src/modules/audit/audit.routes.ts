import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { AuditList, AuditQuery, Verification } from './audit.schemas.ts';
import type { AuditLog } from './audit.service.ts';

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditLog }> = async (app, { audit }) => {
  const tags = ['audit'];
  app.get(
    '/tenants/:t/audit',
    {
      config: { action: 'audit:read' },
      schema: {
        tags,
        params: TenantParams,
        querystring: AuditQuery,
        response: { 200: AuditList, ...errorResponses },
      },
    },
    async (request) => {
      const events = await audit.list(emOf(request), request.params.t, request.query.limit ?? 100);
      return {
        items: events.map((e) => ({ ...e, seq: Number(e.seq), createdAt: e.createdAt.toISOString() })),
      };
    },
  );

  app.get(
    '/tenants/:t/audit/verify',
    {
      config: { action: 'audit:read' },
      schema: { tags, params: TenantParams, response: { 200: Verification, ...errorResponses } },
    },
    async (request) => audit.verify(emOf(request), request.params.t),
  );
};
