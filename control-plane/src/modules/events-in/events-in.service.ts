// Events in: a result event of the runtime becomes, in one transaction of the topic's tenant, the
// message's result, the agent's reply as a message of the conversation, a lead, and usage records,
// each written once however often the event is delivered (keys derived from the message id).
// A result stored for the first time is then pushed to the conversation's SSE streams.
import { topicNames } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { derivedId } from '../../db/derived-id.ts';
import { Lead, Message, Result, UsageRecord } from '../../db/entities.ts';
import { insertOnce } from '../../db/insert-once.ts';
import { withTenantScope } from '../../db/tenant-scope.ts';
import { DomainError } from '../../errors.ts';
import { toDomainError } from '../../http/error-handler.ts';
import type { EventRecord } from '../../messaging/events-consumer.ts';
import type { InboundRecord } from '../../messaging/inbound-bus.ts';
import type { ConversationHub } from '../conversations/conversation-hub.ts';
import { resultOfMessage } from '../conversations/results.ts';
import { type ResultEvent, resultEventChecker } from './result-event.schemas.ts';

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const [before = '', after = ''] = topicNames.events('\0').split('\0');
/** Every tenant's events topic (the tenant id is a DNS label, so it never contains a dot). */
export const eventsTopics = new RegExp(`^${literal(before)}([a-z0-9-]{1,40})${literal(after)}$`);

const unprocessable = (message: string, details?: Record<string, unknown>) =>
  new DomainError('unprocessable', message, details ? { details } : {});

/**
 * The event's message is not (yet) stored: the runtime can answer before the transaction that
 * produced the message commits. Says nothing about retrying, so the consumer tries a few times and
 * then dead-letters it.
 */
export class UnknownMessage extends Error {
  override name = 'UnknownMessage';
  readonly code = 'unknown_message';
}

/** The event in `record`, checked against the schema and the topic's tenant; throws `unprocessable`. */
export function parseResultEvent(record: EventRecord): { tenantId: string; event: ResultEvent } {
  const tenantId = eventsTopics.exec(record.topic)?.[1];
  if (!tenantId) throw unprocessable(`"${record.topic}" is not a tenant's events topic`);
  let value: unknown;
  try {
    value = JSON.parse(record.value?.toString('utf8') ?? '');
  } catch {
    throw unprocessable('the event is not JSON');
  }
  if (!resultEventChecker.Check(value)) {
    const first = resultEventChecker.Errors(value).First();
    throw unprocessable(`the event is not a result event: ${first?.path || '/'} ${first?.message ?? ''}`);
  }
  // The topic names the tenant; an event claiming another must not write into either.
  if (value.tenant !== tenantId)
    throw unprocessable(`an event of tenant "${value.tenant}" on the topic of "${tenantId}"`);
  return { tenantId, event: value };
}

export function labelsOf(event: ResultEvent): string[] {
  const labels = [...(event.lead?.tags ?? []), `urgency:${event.intent.urgency}`];
  if (event.skipReason) labels.push(`skipped:${event.skipReason}`);
  return [...new Set(labels)];
}

async function store(em: EntityManager, tenantId: string, event: ResultEvent): Promise<boolean> {
  const { messageId, conversationId } = event;
  const message = await em.findOne(Message, { id: messageId, tenantId });
  if (!message || message.conversationId !== conversationId)
    throw new UnknownMessage(`no message "${messageId}" in conversation "${conversationId}"`);
  const fresh = await insertOnce(
    em,
    Result,
    {
      tenantId,
      messageId,
      conversationId,
      intent: event.intent.label,
      sentiment: event.sentiment,
      labels: labelsOf(event),
      entities: event.entities,
      reply: event.reply ?? null,
      tokens: event.tokens.totalTokens,
    },
    ['tenantId', 'messageId'],
  );
  if (event.reply) {
    const reply = { tenantId, conversationId, author: 'agent' as const, body: event.reply, sender: null };
    await insertOnce(em, Message, { id: derivedId('reply', messageId), ...reply }, ['id']);
  }
  const { lead, entities } = event;
  if (lead && lead.temperature !== 'none') {
    const found = {
      name: entities.name ?? null,
      email: entities.email ?? null,
      phone: entities.phone ?? null,
      company: entities.company ?? null,
      interest: entities.interest ?? null,
    };
    const score = Math.round(lead.score);
    const row = { tenantId, conversationId, messageId, score, temperature: lead.temperature, ...found };
    await insertOnce(em, Lead, row, ['tenantId', 'messageId']);
  }
  const occurredAt = Number.isNaN(Date.parse(event.processedAt)) ? new Date() : new Date(event.processedAt);
  const usage = [
    { kind: 'conversation' as const, quantity: 1, sourceId: conversationId },
    { kind: 'message' as const, quantity: 1, sourceId: messageId },
    { kind: 'tokens' as const, quantity: event.tokens.totalTokens, sourceId: messageId },
  ];
  for (const record of usage) {
    await insertOnce(em, UsageRecord, { tenantId, occurredAt, ...record }, ['tenantId', 'kind', 'sourceId']);
  }
  return fresh;
}

export function createEventsIngest({ root, hub }: { root: EntityManager; hub: ConversationHub }) {
  return {
    /**
     * Stores the event of `record` once. Throws DomainError `unprocessable` (retrying cannot help)
     * for an event that is malformed or of another tenant, UnknownMessage for a message not stored
     * (yet), and `dependency_unavailable` (retriable) when the database cannot be reached.
     */
    async ingest(record: EventRecord): Promise<'stored' | 'duplicate'> {
      const { tenantId, event } = parseResultEvent(record);
      try {
        const stored = await withTenantScope(root, tenantId, async (em) =>
          (await store(em, tenantId, event)) ? resultOfMessage(em, tenantId, event.messageId) : undefined,
        );
        if (!stored) return 'duplicate';
        hub.publish(tenantId, event.conversationId, stored);
        return 'stored';
      } catch (error) {
        throw toDomainError(error) ?? error;
      }
    },

    /** The tenant's dead letter for an event that could not be stored, with the record byte for byte. */
    deadLetter(record: EventRecord, error: unknown, attempts: number): InboundRecord {
      const tenant = eventsTopics.exec(record.topic)?.[1] ?? 'unknown';
      const code = error instanceof DomainError || error instanceof UnknownMessage ? error.code : 'internal';
      return {
        topic: topicNames.deadLetter(tenant),
        key: record.key ?? '',
        value: {
          type: 'event.dead_lettered',
          tenant,
          consumer: 'control-plane',
          error: { code, message: error instanceof Error ? error.message : String(error), attempts },
          original: { ...record, value: undefined, valueBase64: record.value?.toString('base64') ?? null },
          deadLetteredAt: new Date().toISOString(),
        },
        headers: { 'agentplane-error-code': code },
      };
    },
  };
}

export type EventsIngest = ReturnType<typeof createEventsIngest>;
