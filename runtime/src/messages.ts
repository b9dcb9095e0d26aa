// Wire formats of the runtime: the inbound message it consumes, the result event and the dead
// letter it produces. Inbound records are checked by a small hand-written schema (no validator
// dependency in the runtime); unknown inbound fields are kept, never trusted.
import { malformed, tenantMismatch } from './errors.ts';

export const channels = ['api', 'email', 'chat', 'sms', 'whatsapp', 'webhook', 'web'] as const;

/** Produced by the control plane to `agentplane.<tenant>.agent.<instance>.inbound`, keyed by conversationId. */
export interface InboundMessage {
  id: string;
  tenant: string;
  conversationId: string;
  text: string;
  channel?: string;
  from?: string;
  /** ISO 8601, when the control plane accepted it. */
  receivedAt: string;
  metadata?: Record<string, unknown>;
}

export const intents = ['sales', 'support', 'complaint', 'spam', 'other'] as const;
export type Intent = (typeof intents)[number];
export type Sentiment = 'positive' | 'neutral' | 'negative';
export type Temperature = 'hot' | 'warm' | 'cold' | 'none';

export interface Entities {
  name?: string;
  email?: string;
  phone?: string;
  company?: string;
  interest?: string;
}

export interface Lead {
  score: number;
  temperature: Temperature;
  tags: string[];
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** Published to `agentplane.<tenant>.events`, keyed by conversationId. */
export interface ResultEvent {
  type: 'message.processed';
  messageId: string;
  conversationId: string;
  tenant: string;
  instance: string;
  agent: string;
  reply?: string;
  skipReason?: 'spam' | 'empty' | 'low_confidence' | 'not_applicable';
  intent: { label: Intent; confidence: number; urgency: 'low' | 'normal' | 'high' };
  sentiment: Sentiment;
  lead?: Lead;
  entities: Entities;
  sources: { id: string; score: number }[];
  model: string | null;
  path: 'model' | 'fallback';
  /** Why the fallback ran although a model is configured (budget, model error). */
  fallbackReason?: string;
  budgetExceeded?: boolean;
  tokens: Usage;
  costUsd: number;
  timings: Record<string, number>;
  traceId: string;
  processedAt: string;
}

export interface DeadLetter {
  type: 'message.dead_lettered';
  tenant: string;
  instance: string;
  error: { code: string; message: string; retriable: boolean; attempts: number };
  original: {
    topic: string;
    partition: number;
    offset: string;
    key: string | null;
    /** The record's value, byte for byte, cut at 256 KiB (`truncated`; the whole record stays on its topic). */
    valueBase64: string | null;
    /** The size of the record's value. */
    valueBytes: number;
    truncated: boolean;
    headers: Record<string, string>;
    timestamp: string;
  };
  deadLetteredAt: string;
}

type Check = (value: unknown) => string | undefined;

const nonEmptyString =
  (max: number): Check =>
  (value) =>
    typeof value === 'string' && value.length > 0 && value.length <= max
      ? undefined
      : `must be a non-empty string of at most ${max} characters`;
const string =
  (max: number): Check =>
  (value) =>
    typeof value === 'string' && value.length <= max
      ? undefined
      : `must be a string of at most ${max} characters`;
const isoDate: Check = (value) =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : 'must be an ISO 8601 date-time';
const object: Check = (value) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'must be an object';

const inboundSchema: Record<keyof InboundMessage, { check: Check; required: boolean }> = {
  id: { check: nonEmptyString(200), required: true },
  tenant: { check: nonEmptyString(63), required: true },
  conversationId: { check: nonEmptyString(200), required: true },
  text: { check: string(20_000), required: true },
  channel: { check: string(50), required: false },
  from: { check: string(320), required: false },
  receivedAt: { check: isoDate, required: true },
  metadata: { check: object, required: false },
};

const inboundFields = Object.entries(inboundSchema);

/** Lists every violation of the inbound schema (empty when valid). Pure. */
export function inboundViolations(value: unknown): string[] {
  if (object(value)) return ['message must be a JSON object'];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [field, { check, required }] of inboundFields) {
    const item = record[field];
    if (item === undefined || item === null) {
      if (required) problems.push(`${field} is required`);
      continue;
    }
    const problem = check(item);
    if (problem) problems.push(`${field} ${problem}`);
  }
  return problems;
}

/**
 * Parses an inbound record's value for `tenant`. Throws a non-retriable RuntimeError when it is not
 * JSON, breaks the schema, or belongs to another tenant (that record must never be processed).
 */
export function parseInbound(value: Buffer | null, tenant: string): InboundMessage {
  if (!value || value.length === 0) throw malformed('record has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw malformed('record value is not JSON', error);
  }
  const problems = inboundViolations(parsed);
  if (problems.length > 0) throw malformed(`invalid inbound message: ${problems.join('; ')}`);
  const message = parsed as InboundMessage;
  if (message.tenant !== tenant) throw tenantMismatch(tenant, message.tenant);
  return message;
}
