// The tenant's leads, as the events consumer stored them from the agents' results: newest first,
// filtered by temperature, score, or an email or phone (matched by blind index: the stored values
// are sealed, docs/pii-encryption.md). Read in the request's tenant scope (RLS), like every tenant
// route; email and phone are opened with the tenant's key before they are shown.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Pii, revealAll } from '../../crypto/pii.ts';
import { Lead } from '../../db/entities.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { LeadList, LeadsQuery } from './leads.schemas.ts';

export const leadsRoutes: FastifyPluginAsyncTypebox<{ pii: Pii }> = async (app, { pii }) => {
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
      const { temperature, minScore, email, phone, limit = 100 } = request.query;
      const tenantId = request.params.t;
      const match = email || phone ? await pii.endUserLookup(tenantId, { email, phone }) : {};
      const leads = await emOf(request).find(
        Lead,
        {
          tenantId,
          ...(temperature ? { temperature } : {}),
          ...(minScore !== undefined ? { score: { $gte: minScore } } : {}),
          ...(match.emailIndex ? { emailIndex: match.emailIndex } : {}),
          ...(match.phoneIndex ? { phoneIndex: match.phoneIndex } : {}),
        },
        { orderBy: { createdAt: 'desc', id: 'asc' }, limit },
      );
      const contacts = await revealAll(
        pii,
        tenantId,
        leads.flatMap((lead) => [lead.email ?? null, lead.phone ?? null]),
      );
      return {
        items: leads.map((lead, i) => ({
          id: lead.id,
          conversationId: lead.conversationId,
          messageId: lead.messageId ?? null,
          score: lead.score,
          temperature: lead.temperature,
          name: lead.name ?? null,
          email: contacts[2 * i] ?? null,
          phone: contacts[2 * i + 1] ?? null,
          company: lead.company ?? null,
          interest: lead.interest ?? null,
          createdAt: lead.createdAt.toISOString(),
        })),
      };
    },
  );
};
