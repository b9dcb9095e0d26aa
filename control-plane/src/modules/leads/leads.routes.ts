// The tenant's leads, as the events consumer stored them from the agents' results: newest first,
// filtered by temperature or score. Read in the request's tenant scope (RLS), like every tenant route.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Lead } from '../../db/entities.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { LeadList, LeadsQuery } from './leads.schemas.ts';

export const leadsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/tenants/:t/leads',
    {
      config: { action: 'conversations:read' },
      schema: {
        tags: ['leads'],
        params: TenantParams,
        querystring: LeadsQuery,
        response: { 200: LeadList, ...errorResponses },
      },
    },
    async (request) => {
      const { temperature, minScore, limit = 100 } = request.query;
      const leads = await emOf(request).find(
        Lead,
        {
          tenantId: request.params.t,
          ...(temperature ? { temperature } : {}),
          ...(minScore !== undefined ? { score: { $gte: minScore } } : {}),
        },
        { orderBy: { createdAt: 'desc', id: 'asc' }, limit },
      );
      return {
        items: leads.map((lead) => ({
          id: lead.id,
          conversationId: lead.conversationId,
          messageId: lead.messageId ?? null,
          score: lead.score,
          temperature: lead.temperature,
          name: lead.name ?? null,
          email: lead.email ?? null,
          phone: lead.phone ?? null,
          company: lead.company ?? null,
          interest: lead.interest ?? null,
          createdAt: lead.createdAt.toISOString(),
        })),
      };
    },
  );
};
