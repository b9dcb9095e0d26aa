// The narrow port in front of any OpenAI-compatible model. Steps ask for a JSON object that follows
// a schema; the adapter validates it before returning, so a step never sees unchecked model output.
import type { Usage } from '../messages.ts';

/** A JSON Schema object, as sent in `response_format.json_schema.schema` (strict mode subset). */
export type JsonSchema = Record<string, unknown>;

export interface StructuredRequest<T> {
  model: string;
  /** Schema name for `response_format`, e.g. `intent`. */
  name: string;
  system: string;
  user: string;
  schema: JsonSchema;
  /** Returns the value when it is valid, or a sentence saying what is wrong. */
  validate: (value: unknown) => { ok: true; value: T } | { ok: false; problem: string };
  temperature?: number;
  maxTokens?: number;
  /** The caller's own key (the tenant's, from Vault); the adapter's default key otherwise. */
  apiKey?: string;
}

export interface StructuredResult<T> {
  value: T;
  model: string;
  usage: Usage;
}

export interface LlmPort {
  /**
   * Calls the model once (retrying 429, 5xx and timeouts within the adapter's budget). Throws a
   * RuntimeError: `model_unavailable` (retriable) or `model_invalid_output` (not retriable).
   */
  complete<T>(request: StructuredRequest<T>): Promise<StructuredResult<T>>;
}

export const zeroUsage = (): Usage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });

export function addUsage(into: Usage, more: Usage): void {
  into.promptTokens += more.promptTokens;
  into.completionTokens += more.completionTokens;
  into.totalTokens += more.totalTokens;
}
