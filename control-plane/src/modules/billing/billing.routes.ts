import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import { InvoiceView, MonthQuery, UsageView } from './billing.schemas.ts';
import type { BillingService } from './billing.service.ts';
import { currentMonth } from './invoice.ts';

export const billingRoutes: FastifyPluginAsyncTypebox<{ service: BillingService }> = async (
  app,
  { service },
) => {
  const tags = ['billing'];
  app.get(
    '/tenants/:t/usage',
    {
      config: { action: 'billing:read' },
      schema: {
        tags,
        params: TenantParams,
        querystring: MonthQuery,
        response: { 200: UsageView, ...errorResponses },
      },
    },
    async (request) => {
      const month = request.query.month ?? currentMonth();
      return {
        tenant: request.params.t,
        month,
        ...(await service.usage(emOf(request), request.params.t, month)),
      };
    },
  );

  app.get(
    '/tenants/:t/invoice',
    {
      config: { action: 'billing:read' },
      schema: {
        tags,
        description:
          "The month's invoice: the tier's price plus overage per conversation above the included ones, in exact US cents.",
        params: TenantParams,
        querystring: MonthQuery,
        response: { 200: InvoiceView, ...errorResponses },
      },
    },
    async (request) => {
      const month = request.query.month ?? currentMonth();
      const invoice = await service.invoice(emOf(request), request.params.t, month);
      return { tenant: request.params.t, month, currency: 'USD' as const, ...invoice };
    },
  );
};
