// Events in: a result event of the runtime becomes, in one transaction of the topic's tenant, the
// message's result, the agent's reply as a message of the conversation, a lead, and usage records,
// each written once however often the event is delivered (keys derived from the message id).
// A result stored for the first time is then pushed to the conversation's SSE streams, and its
// `reply.sent` / `lead.created` payloads join the outbound webhook's outbox in the same transaction.
// Email and phone are sealed with the tenant's key before they are written (docs/pii-encryption.md);
// without the key (Vault unreachable) nothing is written and the event is retried.
import { topicNames } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantKeys } from '../../crypto/envelope.ts';
import { type Pii, sealContact, sealEntities } from '../../crypto/pii.ts';
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
import type { OutboundPayload } from '../outbound-webhooks/outbound-webhooks.schemas.ts';
import {
  deliveryId,
  enqueueDelivery,
  subscribedEvents,
} from '../outbound-webhooks/outbound-webhooks.service.ts';
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

interface Stored {
  fresh: boolean;
  payloads: OutboundPayload[];
}

async function store(em: EntityManager, keys: TenantKeys, event: ResultEvent): Promise<Stored> {
  const { messageId, conversationId } = event;
  const tenantId = keys.tenant;
  const payloads: OutboundPayload[] = [];
  const occurredAt = Number.isNaN(Date.parse(event.processedAt)) ? new Date() : new Date(event.processedAt);
  const { emailIndex, phoneIndex } = sealContact(keys, event.entities);
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
      entities: sealEntities(keys, event.entities),
      reply: event.reply ?? null,
      sources: (event.sources ?? []).map(({ id, score }) => ({ id, score })),
      tokens: event.tokens.totalTokens,
      emailIndex,
      phoneIndex,
    },
    ['tenantId', 'messageId'],
  );
  if (event.reply) {
    const reply = { tenantId, conversationId, author: 'agent' as const, body: event.reply, sender: null };
    const replyId = derivedId('reply', messageId);
    if (await insertOnce(em, Message, { id: replyId, ...reply }, ['id'])) {
      payloads.push({
        id: deliveryId(tenantId, 'reply.sent', messageId),
        type: 'reply.sent',
        tenant: tenantId,
        occurredAt: occurredAt.toISOString(),
        data: {
          messageId: replyId,
          inReplyTo: messageId,
          conversationId,
          text: event.reply,
          intent: event.intent.label,
          sentiment: event.sentiment,
          labels: labelsOf(event),
        },
      });
    }
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
    const id = derivedId('lead', tenantId, messageId);
    const { temperature } = lead;
    const row = {
      id,
      tenantId,
      conversationId,
      messageId,
      score,
      temperature,
      ...found,
      ...sealContact(keys, found),
    };
    if (await insertOnce(em, Lead, row, ['tenantId', 'messageId'])) {
      payloads.push({
        id: deliveryId(tenantId, 'lead.created', messageId),
        type: 'lead.created',
        tenant: tenantId,
        occurredAt: occurredAt.toISOString(),
        data: { leadId: id, conversationId, messageId, score, temperature, ...found },
      });
    }
  }
  const usage = [
    { kind: 'conversation' as const, quantity: 1, sourceId: conversationId },
    { kind: 'message' as const, quantity: 1, sourceId: messageId },
    { kind: 'tokens' as const, quantity: event.tokens.totalTokens, sourceId: messageId },
  ];
  for (const record of usage) {
    await insertOnce(em, UsageRecord, { tenantId, occurredAt, ...record }, ['tenantId', 'kind', 'sourceId']);
  }
  const subscribed = payloads.length > 0 ? await subscribedEvents(em, tenantId) : [];
  const due = payloads.filter((payload) => subscribed.includes(payload.type));
  for (const payload of due) await enqueueDelivery(em, keys, payload);
  return { fresh, payloads: due };
}

export interface EventsIngestDeps {
  root: EntityManager;
  hub: ConversationHub;
  pii: Pii;
  /** Called after a transaction put deliveries in the outbox (the delivery worker's `wake`). */
  onEnqueued?: () => void;
}

export function createEventsIngest({ root, hub, pii, onEnqueued }: EventsIngestDeps) {
  return {
    /**
     * Stores the event of `record` once. Throws DomainError `unprocessable` (retrying cannot help)
     * for an event that is malformed or of another tenant, UnknownMessage for a message not stored
     * (yet), and `dependency_unavailable` (retriable) when the database or Vault cannot be reached.
     */
    async ingest(record: EventRecord): Promise<'stored' | 'duplicate'> {
      const { tenantId, event } = parseResultEvent(record);
      try {
        // The key first: when Vault is down nothing is written and the consumer retries the event.
        const keys = await pii.keysFor(tenantId);
        const { stored, payloads } = await withTenantScope(root, tenantId, async (em) => {
          const { fresh, payloads } = await store(em, keys, event);
          const view = fresh ? await resultOfMessage(em, tenantId, event.messageId, pii) : undefined;
          return { stored: view, payloads };
        });
        if (payloads.length > 0) onEnqueued?.();
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
