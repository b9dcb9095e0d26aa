// Results are tallied in plain numbers and reach the counters at each scrape: a scrape shows every
// result so far, once, and a second scrape adds nothing.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ResultEvent } from './messages.ts';
import { createMetrics } from './metrics.ts';

const result = (path: 'model' | 'fallback', promptTokens: number, costUsd: number) =>
  ({
    path,
    tokens: { promptTokens, completionTokens: 2 * promptTokens, totalTokens: 3 * promptTokens },
    costUsd,
  }) as ResultEvent;

const value = (text: string, series: string) =>
  Number(new RegExp(`^${series} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

it('counts results, tokens and cost as of each scrape, once', async () => {
  const metrics = createMetrics({ tenant: 'acme', instance: 'support' });
  metrics.result(result('fallback', 0, 0));
  metrics.result(result('model', 10, 0.25));
  metrics.result(result('model', 5, 0.5));
  const labels = 'tenant="acme",instance="support"';
  const check = async (fallback: number, model: number, prompt: number, cost: number) => {
    const text = await metrics.registry.metrics();
    const messages = (path: string) =>
      value(text, `agentplane_runtime_messages_total\\{outcome="processed",path="${path}",${labels}\\}`);
    assert.equal(messages('fallback'), fallback);
    assert.equal(messages('model'), model);
    assert.equal(value(text, `agentplane_runtime_tokens_total\\{kind="prompt",${labels}\\}`), prompt);
    assert.equal(value(text, `agentplane_runtime_tokens_total\\{kind="completion",${labels}\\}`), 2 * prompt);
    assert.equal(value(text, `agentplane_runtime_cost_usd_total\\{${labels}\\}`), cost);
  };
  await check(1, 2, 15, 0.75);
  await check(1, 2, 15, 0.75);
  metrics.result(result('fallback', 0, 0));
  await check(2, 2, 15, 0.75);
});
