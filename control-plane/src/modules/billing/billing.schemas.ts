import { type Static, Type } from '@sinclair/typebox';
import { Strict, TenantId } from '../../http/schemas.ts';

export const MonthQuery = Strict({
  month: Type.Optional(
    Type.String({
      pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$',
      description: 'The month, YYYY-MM (UTC). Left out: the current month.',
      examples: ['2026-11'],
    }),
  ),
});
export type MonthQuery = Static<typeof MonthQuery>;

export const UsageView = Strict({
  tenant: TenantId,
  month: Type.String(),
  conversations: Type.Integer({ minimum: 0, description: 'Conversations that began this month.' }),
  messages: Type.Integer({ minimum: 0, description: 'Messages processed this month.' }),
  tokens: Type.Integer({ minimum: 0, description: 'Model tokens used this month (0 on the fallback path).' }),
});

const Line = Strict({
  description: Type.String(),
  quantity: Type.Integer({ minimum: 0 }),
  unitCents: Type.Integer({ minimum: 0 }),
  amountCents: Type.Integer({ minimum: 0 }),
});

export const InvoiceView = Strict({
  tenant: TenantId,
  month: Type.String(),
  tier: Type.String(),
  currency: Type.Literal('USD'),
  conversations: Type.Integer({ minimum: 0 }),
  byContract: Type.Boolean({ description: 'true: priced by contract (enterprise); no amounts here.' }),
  includedConversations: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  lines: Type.Array(Line),
  totalCents: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: 'Total in US cents: exact, never rounded.',
  }),
});
