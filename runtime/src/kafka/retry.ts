// Exponential backoff with full jitter, bounded by a number of attempts and a time budget.

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  /** Longest single wait. */
  maxDelayMs: number;
  /** No new attempt starts after this much time since the first. */
  budgetMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseMs: 200,
  maxDelayMs: 10_000,
  budgetMs: 30_000,
};

/** The wait before attempt `attempt + 1` (attempt counts from 1): uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** True when another attempt fits the policy after `attempt` attempts that started at `startedAt`. */
export function mayRetry(
  attempt: number,
  startedAt: number,
  delayMs: number,
  policy: RetryPolicy,
  now = Date.now(),
) {
  return attempt < policy.attempts && now + delayMs - startedAt <= policy.budgetMs;
}
