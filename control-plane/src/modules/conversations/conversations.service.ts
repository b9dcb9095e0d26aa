// Conversations and messages. A posted message is stored, then produced to its agent instance's
// inbound topic keyed by conversation id (order per conversation), inside the request's
// transaction: if Kafka refuses, nothing is stored and the caller gets 503 and can retry.
import { topicNames } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AgentInstance, Conversation, Message, Result, Tenant } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { InboundBus } from '../../messaging/inbound-bus.ts';
import type { CreateConversationBody, PostMessageBody } from './conversations.schemas.ts';

/** What agents receive on the inbound topic (the runtime's contract). */
export interface InboundMessage {
  messageId: string;
  tenantId: string;
  agentInstance: string;
  conversationId: string;
  channel: string;
  body: string;
  sender: Record<string, string> | null;
  receivedAt: string;
}

function conversationView(conversation: Conversation, agentInstance: string) {
  return {
    id: conversation.id,
    agentInstance,
    channel: conversation.channel,
    externalId: conversation.externalId ?? null,
    createdAt: conversation.createdAt.toISOString(),
  };
}

export function createConversationsService({ bus }: { bus: InboundBus }) {
  const load = async (em: EntityManager, tenantId: string, id: string) => {
    const conversation = await em.findOne(Conversation, { id, tenantId });
    if (!conversation) throw notFound('conversation', id);
    const instance = await em.findOneOrFail(AgentInstance, { id: conversation.agentInstanceId });
    return { conversation, instance };
  };

  return {
    /** Opens a conversation with one of the tenant's agent instances (404 if there is no such instance). */
    async create(em: EntityManager, tenantId: string, body: CreateConversationBody) {
      const instance = await em.findOne(AgentInstance, { tenantId, name: body.agentInstance });
      if (!instance) throw notFound('agent instance', body.agentInstance);
      const conversation = em.create(Conversation, {
        tenantId,
        agentInstanceId: instance.id,
        channel: body.channel ?? 'api',
        externalId: body.externalId ?? null,
      });
      await em.flush();
      return conversationView(conversation, instance.name);
    },

    /** Stores the message and hands it to the agent; returns its id. 409 when the tenant is suspended. */
    async postMessage(em: EntityManager, tenantId: string, conversationId: string, body: PostMessageBody) {
      const { conversation, instance } = await load(em, tenantId, conversationId);
      const tenant = await em.findOneOrFail(Tenant, { id: tenantId });
      if (tenant.suspended)
        throw new DomainError(
          'tenant_suspended',
          `tenant "${tenantId}" is suspended and accepts no messages`,
        );
      const message = em.create(Message, {
        tenantId,
        conversationId,
        author: 'end-user',
        body: body.body,
        sender: body.sender ?? null,
      });
      await em.flush();
      const record: InboundMessage = {
        messageId: message.id,
        tenantId,
        agentInstance: instance.name,
        conversationId,
        channel: conversation.channel,
        body: message.body,
        sender: message.sender ?? null,
        receivedAt: message.createdAt.toISOString(),
      };
      await bus.publish({
        topic: topicNames.inbound(tenantId, instance.name),
        key: conversationId,
        value: record,
        headers: { 'agentplane-message-id': message.id, 'agentplane-tenant': tenantId },
      });
      return { id: message.id, conversationId, status: 'accepted' as const };
    },

    /** The conversation with its messages and the results that arrived so far. */
    async get(em: EntityManager, tenantId: string, conversationId: string) {
      const { conversation, instance } = await load(em, tenantId, conversationId);
      const messages = await em.find(
        Message,
        { tenantId, conversationId },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      const results = await em.find(Result, { tenantId, conversationId }, { orderBy: { createdAt: 'asc' } });
      return {
        ...conversationView(conversation, instance.name),
        messages: messages.map((m) => ({
          id: m.id,
          author: m.author,
          body: m.body,
          createdAt: m.createdAt.toISOString(),
        })),
        results: results.map((r) => ({
          messageId: r.messageId,
          intent: r.intent ?? null,
          sentiment: r.sentiment ?? null,
          labels: r.labels,
          reply: r.reply ?? null,
          createdAt: r.createdAt.toISOString(),
        })),
      };
    },
  };
}

export type ConversationsService = ReturnType<typeof createConversationsService>;
