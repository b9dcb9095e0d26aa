// The LLM adapter against the OpenAI stand-in: structured output, validation, retries and timeouts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { type OpenAiStandIn, startOpenAiStandIn } from '../../test-support/openai-stand-in.ts';
import { modelIntent, validateIntent } from '../agents/intent.ts';
import type { RuntimeError } from '../errors.ts';
import { createOpenAiEmbedder, createOpenAiLlm } from './openai.ts';
import type { StructuredRequest } from './port.ts';

const request = (apiKey?: string): StructuredRequest<unknown> => ({
  model: 'gpt-4o-mini',
  name: 'intent',
  system: 's',
  user: 'u',
  schema: {},
  validate: validateIntent,
  ...(apiKey ? { apiKey } : {}),
});

describe('openai adapter (against the stand-in)', () => {
  let standIn: OpenAiStandIn;
  const llm = () =>
    createOpenAiLlm({
      baseURL: standIn.baseURL,
      apiKey: 'platform-key',
      timeoutMs: 200,
      retry: { attempts: 4, baseMs: 5, maxDelayMs: 20, budgetMs: 5_000 },
      logger: silentLogger(),
    });
  before(async () => {
    standIn = await startOpenAiStandIn();
  });
  after(() => standIn.close());

  it('returns validated structured output with token usage, sending the json_schema', async () => {
    const result = await llm().complete(request());
    assert.deepEqual(result.value, {
      label: 'sales',
      confidence: 0.9,
      urgency: 'normal',
      sentiment: 'positive',
    });
    assert.deepEqual(result.usage, { promptTokens: 30, completionTokens: 10, totalTokens: 40 });
    const sent = standIn.requests.at(-1)?.body as unknown as {
      response_format: { type: string; json_schema: { strict: boolean } };
    };
    assert.equal(sent.response_format.type, 'json_schema');
    assert.equal(sent.response_format.json_schema.strict, true);
  });

  it('retries 429, 5xx and timeouts, then succeeds', async () => {
    const before = standIn.requests.length;
    standIn.script({ status: 429 }, { status: 503 }, { delayMs: 400 });
    const result = await llm().complete(request());
    assert.equal((result.value as { label: string }).label, 'sales');
    assert.equal(standIn.requests.length - before, 4);
  });

  it('gives up with a retriable model_unavailable when failures persist', async () => {
    standIn.script({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    await assert.rejects(llm().complete(request()), (error: RuntimeError) => {
      assert.equal(error.code, 'model_unavailable');
      assert.equal(error.retriable, true);
      return true;
    });
  });

  it('does not retry a 400, and rejects output that fails validation', async () => {
    standIn.script({ status: 400 });
    await assert.rejects(llm().complete(request()), { code: 'model_unavailable', retriable: false });
    standIn.script({ content: { label: 'lottery', confidence: 2 } });
    await assert.rejects(llm().complete(request()), { code: 'model_invalid_output' });
  });

  it("uses the tenant's own key when the request carries one", async () => {
    await llm().complete(request('tenant-key'));
    assert.equal(standIn.requests.at(-1)?.authorization, 'Bearer tenant-key');
    await modelIntent('hello')({
      llm: llm(),
      model: 'm',
      replyModel: 'm',
      withinBudget: () => true,
      onUsage: () => {},
    });
    assert.equal(standIn.requests.at(-1)?.authorization, 'Bearer platform-key');
  });

  it('embeds through /v1/embeddings with the requested dimensions', async () => {
    const embedder = createOpenAiEmbedder({
      baseURL: standIn.baseURL,
      timeoutMs: 500,
      retry: { attempts: 1, baseMs: 1, maxDelayMs: 1, budgetMs: 1 },
      logger: silentLogger(),
      model: 'text-embedding-3-small',
      dimensions: 16,
    });
    const vectors = await embedder.embed(['a', 'bb']);
    assert.equal(vectors.length, 2);
    assert.equal(vectors[0]?.length, 16);
  });
});
