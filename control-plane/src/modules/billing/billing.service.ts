// Usage of a month from the usage records the events consumer writes (one per conversation, one
// per message, tokens per message; each stored once per source, so redelivered events never
// count twice), and the month's invoice from it. Runs in the request's tenant scope (RLS).
import type { EntityManager } from '@mikro-orm/postgresql';
import { Tenant } from '../../db/entities.ts';
import { notFound } from '../../errors.ts';
import { invoiceFor, monthRange } from './invoice.ts';

export interface MonthUsage {
  conversations: number;
  messages: number;
  tokens: number;
}

export function createBillingService() {
  async function usage(em: EntityManager, tenantId: string, month: string): Promise<MonthUsage> {
    const { from, to } = monthRange(month);
    const rows = (await em.getConnection().execute(
      `select kind, coalesce(sum(quantity), 0)::bigint as total from usage_records
        where tenant_id = ? and occurred_at >= ? and occurred_at < ? group by kind`,
      [tenantId, from, to],
    )) as Array<{ kind: string; total: string | number }>;
    const total = (kind: string) => Number(rows.find((r) => r.kind === kind)?.total ?? 0);
    return { conversations: total('conversation'), messages: total('message'), tokens: total('tokens') };
  }

  return {
    usage,
    async invoice(em: EntityManager, tenantId: string, month: string) {
      const tenant = await em.findOne(Tenant, { id: tenantId });
      if (!tenant) throw notFound('tenant', tenantId);
      const { conversations } = await usage(em, tenantId, month);
      return { tier: tenant.tier, conversations, ...invoiceFor(tenant.tier, conversations) };
    },
  };
}

export type BillingService = ReturnType<typeof createBillingService>;
