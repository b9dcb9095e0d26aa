// The runtime on Kafka with a model behind the OpenAI stand-in: the model path, token usage and
// cost, budget exhaustion falling back, a model outage falling back, and the trace carried from the
// inbound record's headers to the event's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@agentplane/shared/testing';
import { inbound, withoutKafka } from '../test-support/kafka.ts';
import { kafkaSuite } from '../test-support/kafka-suite.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../test-support/openai-stand-in.ts';
import type { ResultEvent } from './messages.ts';

describe('runtime with a model (OpenAI stand-in)', { skip: withoutKafka(), timeout: 120_000 }, () => {
  const suite = kafkaSuite({ telemetry: true });
  let standIn: OpenAiStandIn;
  before(async () => {
    standIn = await startOpenAiStandIn();
  });
  after(async () => {
    await standIn.close();
  });

  async function run(
    t: { after: (fn: () => unknown) => void },
    env: Record<string, string>,
    texts: string[],
    headers = {},
  ) {
    const { tenant, send, collect, start } = await suite.tenant(t, {
      partitions: 1,
      env: { OPENAI_BASE_URL: standIn.baseURL, OPENAI_API_KEY: 'k', ...env },
    });
    await send(texts.map((text, i) => ({ ...inbound(tenant, 'c1', text, `m${i}`), headers })));
    await start();
    const events = await collect();
    await eventually(() => events.records.length >= texts.length, { what: `${texts.length} events` });
    return { events: events.json<ResultEvent>(), records: events.records };
  }

  it('uses the model for every step and records tokens and cost', async (t) => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { events, records } = await run(t, {}, ['We want 40 seats, what is the price?'], {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    const [event] = events;
    assert.equal(event?.path, 'model');
    assert.equal(event?.reply, 'Thanks! Our team will send pricing today.');
    assert.equal(event?.lead?.temperature, 'hot');
    assert.deepEqual(event?.tokens, { promptTokens: 120, completionTokens: 40, totalTokens: 160 });
    assert.ok((event?.costUsd ?? 0) > 0);
    assert.equal(event?.traceId, traceId, 'the inbound trace continues');
    assert.match(records[0]?.headers.traceparent ?? '', new RegExp(`^00-${traceId}-`));
  });

  it('falls back once the token budget is spent, and says so', async (t) => {
    const { events } = await run(t, { AGENTPLANE_TOKENS_PER_MINUTE: '100' }, [
      'price for 10 seats?',
      'and a demo?',
    ]);
    const [first, second] = events;
    assert.equal(first?.path, 'fallback');
    assert.ok(
      (first?.tokens.totalTokens ?? 0) > 0,
      'the first message used the model until the budget ran out',
    );
    assert.equal(second?.budgetExceeded, true);
    assert.equal(second?.tokens.totalTokens, 0);
    assert.match(second?.fallbackReason ?? '', /budget_exceeded/);
  });

  it('falls back when the model keeps failing, without dead-lettering', async (t) => {
    standIn.script(...Array.from({ length: 40 }, () => ({ status: 503 })));
    const { events } = await run(t, { AGENTPLANE_RETRY_ATTEMPTS: '2', AGENTPLANE_RETRY_BASE: '5ms' }, [
      'My password reset does not work',
    ]);
    assert.equal(events[0]?.path, 'fallback');
    assert.equal(events[0]?.intent.label, 'support');
    assert.match(events[0]?.fallbackReason ?? '', /intent:model_unavailable/);
  });
});
