import assert from 'node:assert/strict';
import { it } from 'node:test';
import { backoffDelay, mayRetry } from '../kafka/retry.ts';
import { createTokenBudget } from '../llm/budget.ts';
import { createLedger } from './ledger.ts';

it('claims once, releases on failure, forgets the oldest beyond capacity', () => {
  const ledger = createLedger(2);
  assert.ok(ledger.claim('a'));
  assert.ok(!ledger.claim('a'), 'in flight');
  ledger.release('a');
  assert.ok(ledger.claim('a'));
  ledger.complete('a');
  assert.ok(!ledger.claim('a'), 'done');
  ledger.learn('b');
  ledger.learn('c');
  assert.ok(!ledger.has('a') && ledger.has('b') && ledger.has('c'));
});

it('forgets by age of the latest remembering, as an ordered set would', () => {
  // The reference: a Set in insertion order, an id remembered again moving to the newest end.
  const capacity = 5;
  const reference = new Set<string>();
  const ledger = createLedger(capacity);
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let step = 0; step < 20_000; step++) {
    // Few distinct ids, so ids are often remembered again while still known (stale pairs pile up).
    const id = `m${Math.floor(random() * (step < 10_000 ? 8 : 40))}`;
    if (random() < 0.5) ledger.learn(id);
    else if (ledger.claim(id)) ledger.complete(id);
    else continue;
    reference.delete(id);
    reference.add(id);
    while (reference.size > capacity) reference.delete(reference.values().next().value as string);
    assert.equal(ledger.size, reference.size);
    for (const known of reference) assert.ok(ledger.has(known), `${known} at step ${step}`);
  }
});

it('budgets tokens per minute and per month', () => {
  let now = Date.parse('2026-01-31T23:59:00Z');
  const budget = createTokenBudget({ perMinute: 100, perMonth: 150 }, () => now);
  budget.record(100);
  assert.ok(!budget.allows());
  now += 60_000;
  assert.ok(budget.allows(), 'new minute, new month');
});

it('backs off exponentially with jitter within the budget', () => {
  const policy = { attempts: 5, baseMs: 100, maxDelayMs: 1000, budgetMs: 3000 };
  assert.equal(
    backoffDelay(4, policy, () => 1),
    800,
  );
  assert.equal(
    backoffDelay(9, policy, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0),
    0,
  );
  assert.ok(!mayRetry(5, 0, 0, policy, 0));
  assert.ok(!mayRetry(1, 0, 500, policy, 2900));
});
