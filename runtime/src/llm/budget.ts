// Per-tenant token budget by tier, per minute and per calendar month (UTC). Kept in this process:
// with N replicas a tenant can spend up to N times the minute budget; the monthly figure is exact
// per pod and is reconciled from usage events by the control plane, which owns billing.
import type { Tier } from '../config.ts';

export const tierBudgets: Record<Tier, { perMinute: number; perMonth: number }> = {
  basic: { perMinute: 20_000, perMonth: 2_000_000 },
  pro: { perMinute: 100_000, perMonth: 20_000_000 },
  enterprise: { perMinute: 500_000, perMonth: 200_000_000 },
};

export interface TokenBudget {
  /** False once either window is spent; the caller then uses the fallback path. */
  allows(): boolean;
  record(tokens: number): void;
}

export function createTokenBudget(
  limits: { perMinute: number; perMonth: number },
  now: () => number = Date.now,
): TokenBudget {
  let minute = -1;
  let month = '';
  let usedMinute = 0;
  let usedMonth = 0;
  const roll = () => {
    const t = now();
    const m = Math.floor(t / 60_000);
    const mo = new Date(t).toISOString().slice(0, 7);
    if (m !== minute) [minute, usedMinute] = [m, 0];
    if (mo !== month) [month, usedMonth] = [mo, 0];
  };
  return {
    allows() {
      roll();
      return usedMinute < limits.perMinute && usedMonth < limits.perMonth;
    },
    record(tokens) {
      roll();
      usedMinute += tokens;
      usedMonth += tokens;
    },
  };
}
