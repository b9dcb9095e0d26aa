// The month's invoice from the tier table, in integer cents so no amount is ever rounded: the tier's
// price, plus each conversation above the included ones at the tier's overage. Enterprise is priced
// by contract, which this invoice says instead of inventing a number. Pure.
import { type Tier, tiers } from '@agentplane/crds';

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitCents: number;
  amountCents: number;
}

export type Invoice =
  | { byContract: false; lines: InvoiceLine[]; totalCents: number; includedConversations: number }
  | { byContract: true; lines: []; totalCents: null; includedConversations: null };

/** USD to cents without floating-point drift (0.1 * 100 is 10.000000000000002). */
const cents = (usd: number) => Math.round(usd * 100);

export function invoiceFor(tier: Tier, conversations: number): Invoice {
  const table = tiers[tier];
  const price = table.priceUsdPerMonth;
  const included = table.includedConversationsPerMonth;
  const overage = table.overageUsdPerConversation;
  if (price === null || included === null || overage === null)
    return { byContract: true, lines: [], totalCents: null, includedConversations: null };
  const lines: InvoiceLine[] = [
    {
      description: `${tier} tier, monthly price`,
      quantity: 1,
      unitCents: cents(price),
      amountCents: cents(price),
    },
  ];
  const extra = Math.max(0, conversations - included);
  if (extra > 0) {
    lines.push({
      description: `conversations above the ${included} included`,
      quantity: extra,
      unitCents: cents(overage),
      amountCents: extra * cents(overage),
    });
  }
  return {
    byContract: false,
    lines,
    totalCents: lines.reduce((sum, line) => sum + line.amountCents, 0),
    includedConversations: included,
  };
}

/** The first instant of `month` (YYYY-MM, UTC) and of the month after it. */
export function monthRange(month: string): { from: Date; to: Date } {
  const [year, index] = month.split('-').map(Number) as [number, number];
  return { from: new Date(Date.UTC(year, index - 1, 1)), to: new Date(Date.UTC(year, index, 1)) };
}

export const currentMonth = (now = new Date()) => now.toISOString().slice(0, 7);
