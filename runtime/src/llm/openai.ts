// The LLM port over the `openai` client, for any OpenAI-compatible endpoint. Structured outputs
// (`response_format: json_schema`, strict) are parsed and validated before they are returned.
// 429, 5xx, connection errors and timeouts are retried with backoff and jitter within a budget;
// the SDK's own retries are off so that there is one policy.
import type { Logger } from '@agentplane/shared';
import OpenAI from 'openai';
import { RuntimeError } from '../errors.ts';
import { backoffDelay, mayRetry, type RetryPolicy } from '../kafka/retry.ts';
import type { Embedder } from '../vectors/store.ts';
import type { LlmPort, StructuredRequest, StructuredResult } from './port.ts';

export interface OpenAiOptions {
  baseURL: string;
  apiKey?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True for failures that may pass: timeouts, connection errors, 408, 409, 429 and 5xx. */
export function isTransient(error: unknown): boolean {
  if (error instanceof OpenAI.APIConnectionError) return true; // includes APIConnectionTimeoutError
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    return status === 408 || status === 409 || status === 429 || status >= 500;
  }
  return false;
}

export function createOpenAiClient(options: Pick<OpenAiOptions, 'baseURL' | 'apiKey' | 'timeoutMs'>): OpenAI {
  return new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey ?? 'not-set',
    timeout: options.timeoutMs,
    maxRetries: 0,
  });
}

/** Runs `call` under the retry policy; throws `model_unavailable` (retriable) when it gives up. */
async function withRetry<T>(call: () => Promise<T>, options: OpenAiOptions, what: string): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const delay = backoffDelay(attempt, options.retry);
      if (!isTransient(error)) {
        throw new RuntimeError('model_unavailable', `${what} failed: ${(error as Error).message}`, {
          retriable: false,
          cause: error,
        });
      }
      if (!mayRetry(attempt, started, delay, options.retry)) {
        throw new RuntimeError(
          'model_unavailable',
          `${what} failed after ${attempt} attempts: ${(error as Error).message}`,
          {
            retriable: true,
            cause: error,
          },
        );
      }
      options.logger.debug({ err: error, attempt, delay }, 'retrying model call');
      await (options.sleep ?? defaultSleep)(delay);
    }
  }
}

export function createOpenAiLlm(options: OpenAiOptions, client = createOpenAiClient(options)): LlmPort {
  return {
    async complete<T>(request: StructuredRequest<T>): Promise<StructuredResult<T>> {
      const response = await withRetry(
        () =>
          client.chat.completions.create(
            {
              model: request.model,
              messages: [
                { role: 'system', content: request.system },
                { role: 'user', content: request.user },
              ],
              response_format: {
                type: 'json_schema',
                json_schema: { name: request.name, schema: request.schema, strict: true },
              },
              ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
              ...(request.maxTokens === undefined ? {} : { max_completion_tokens: request.maxTokens }),
            },
            request.apiKey ? { headers: { Authorization: `Bearer ${request.apiKey}` } } : undefined,
          ),
        options,
        `model ${request.model} (${request.name})`,
      );
      const content = response.choices[0]?.message?.content;
      let parsed: unknown;
      try {
        parsed = JSON.parse(content ?? '');
      } catch (error) {
        throw new RuntimeError('model_invalid_output', `${request.name}: model output is not JSON`, {
          retriable: false,
          cause: error,
        });
      }
      const checked = request.validate(parsed);
      if (!checked.ok) {
        throw new RuntimeError('model_invalid_output', `${request.name}: ${checked.problem}`, {
          retriable: false,
        });
      }
      const usage = response.usage;
      return {
        value: checked.value,
        model: response.model || request.model,
        usage: {
          promptTokens: usage?.prompt_tokens ?? 0,
          completionTokens: usage?.completion_tokens ?? 0,
          totalTokens: usage?.total_tokens ?? 0,
        },
      };
    },
  };
}

/** Embeddings through the OpenAI embeddings API (`dimensions` requested explicitly). */
export function createOpenAiEmbedder(
  options: OpenAiOptions & { model: string; dimensions: number },
  client = createOpenAiClient(options),
): Embedder {
  return {
    dimensions: options.dimensions,
    async embed(texts) {
      const response = await withRetry(
        () =>
          client.embeddings.create({
            model: options.model,
            input: [...texts],
            dimensions: options.dimensions,
          }),
        options,
        `embeddings ${options.model}`,
      );
      return response.data.sort((a, b) => a.index - b.index).map((item) => item.embedding);
    },
  };
}
