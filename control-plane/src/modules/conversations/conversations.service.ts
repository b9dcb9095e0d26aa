// Conversations and messages. A message (posted through the API or delivered by a channel webhook)
// is stored, then produced to its agent instance's inbound topic keyed by conversation id (order
// per conversation), inside the caller's transaction: if Kafka refuses, nothing is stored and the
// caller gets 409/503 and can retry.
import { topicNames } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pii } from '../../crypto/pii.ts';
import { derivedId } from '../../db/derived-id.ts';
import { AgentInstance, Conversation, Message, Tenant } from '../../db/entities.ts';
import { insertOnce } from '../../db/insert-once.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { InboundBus } from '../../messaging/inbound-bus.ts';
import type { CreateConversationBody, PostMessageBody } from './conversations.schemas.ts';
import { inboundRecord } from './inbound-record.ts';
import { resultsOf } from './results.ts';
import type { SuspensionCheck } from './suspension.ts';

/** A message that arrived on a channel webhook, with the channel's own identities. */
export interface ChannelMessage {
  channel: string;
  agentInstance: string;
  /** The channel's conversation (thread, chat, sender): one platform conversation each. */
  externalConversation: string;
  /** The channel's id of the message: a redelivery carries the same one. */
  channelMessageId: string;
  body: string;
  sender: Record<string, string> | null;
}

export interface AcceptedMessage {
  id: string;
  conversationId: string;
  /** True when this message was accepted before (a redelivery): nothing was produced again. */
  duplicate: boolean;
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

export function createConversationsService({
  bus,
  pii,
  suspension,
}: {
  bus: InboundBus;
  pii: Pii;
  /** The cluster's word on suspension (spec.suspended set with kubectl); unset: the tenants table only. */
  suspension?: SuspensionCheck | undefined;
}) {
  const load = async (em: EntityManager, tenantId: string, id: string) => {
    const conversation = await em.findOne(Conversation, { id, tenantId });
    if (!conversation) throw notFound('conversation', id);
    const instance = await em.findOneOrFail(AgentInstance, { id: conversation.agentInstanceId });
    return { conversation, instance };
  };

  const ensureAccepting = async (em: EntityManager, tenantId: string) => {
    const tenant = await em.findOne(Tenant, { id: tenantId });
    if (!tenant) throw notFound('tenant', tenantId);
    if (tenant.suspended || (await suspension?.isSuspended(tenantId)))
      throw new DomainError('tenant_suspended', `tenant "${tenantId}" is suspended and accepts no messages`);
  };

  /** Produces the stored message to its agent instance's inbound topic, keyed by conversation. */
  const handOver = async (
    tenantId: string,
    instance: AgentInstance,
    conversation: Conversation,
    message: Message,
  ) =>
    bus.publish({
      topic: topicNames.inbound(tenantId, instance.name),
      key: conversation.id,
      value: inboundRecord(tenantId, instance, conversation, message),
      headers: { 'agentplane-message-id': message.id, 'agentplane-tenant': tenantId },
    });

  /** The conversation of a channel thread with `instance`, opened on its first message. */
  const channelConversation = async (
    em: EntityManager,
    tenantId: string,
    instance: AgentInstance,
    { channel, externalConversation }: ChannelMessage,
  ) => {
    // Two first messages of one thread arriving at once must open one conversation, not two.
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [
      JSON.stringify([tenantId, instance.id, channel, externalConversation]),
    ]);
    const where = { tenantId, agentInstanceId: instance.id, channel, externalId: externalConversation };
    const existing = await em.findOne(Conversation, where, { orderBy: { createdAt: 'asc' } });
    if (existing) return existing;
    const conversation = em.create(Conversation, where);
    await em.flush();
    return conversation;
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
      await ensureAccepting(em, tenantId);
      const message = em.create(Message, {
        tenantId,
        conversationId,
        author: 'end-user',
        body: body.body,
        sender: body.sender ?? null,
      });
      await em.flush();
      await handOver(tenantId, instance, conversation, message);
      return { id: message.id, conversationId, status: 'accepted' as const };
    },

    /**
     * Stores a channel's message and hands it to the agent, once: its id is derived from the
     * channel's own message id, so a redelivery answers with the same id and produces nothing.
     * 409 when the channel names an agent instance that does not exist or the tenant is suspended.
     */
    async receive(em: EntityManager, tenantId: string, delivery: ChannelMessage): Promise<AcceptedMessage> {
      await ensureAccepting(em, tenantId);
      const instance = await em.findOne(AgentInstance, { tenantId, name: delivery.agentInstance });
      if (!instance) {
        throw new DomainError(
          'conflict',
          `channel "${delivery.channel}" routes to agent instance "${delivery.agentInstance}", which does not exist`,
          { details: { channel: delivery.channel, agentInstance: delivery.agentInstance } },
        );
      }
      const conversation = await channelConversation(em, tenantId, instance, delivery);
      const id = derivedId(tenantId, delivery.channel, delivery.channelMessageId);
      const fresh = await insertOnce(
        em,
        Message,
        {
          id,
          tenantId,
          conversationId: conversation.id,
          author: 'end-user',
          body: delivery.body,
          sender: delivery.sender,
        },
        ['id'],
      );
      if (fresh) {
        const message = await em.findOneOrFail(Message, { id, tenantId });
        await handOver(tenantId, instance, conversation, message);
      }
      return { id, conversationId: conversation.id, duplicate: !fresh };
    },

    /** Resolves when the tenant has the conversation; 404 otherwise. */
    async ensureExists(em: EntityManager, tenantId: string, conversationId: string): Promise<void> {
      await load(em, tenantId, conversationId);
    },

    /** The conversation with its messages and the results that arrived so far. */
    async get(em: EntityManager, tenantId: string, conversationId: string) {
      const { conversation, instance } = await load(em, tenantId, conversationId);
      const messages = await em.find(
        Message,
        { tenantId, conversationId },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      return {
        ...conversationView(conversation, instance.name),
        messages: messages.map((m) => ({
          id: m.id,
          author: m.author,
          body: m.body,
          createdAt: m.createdAt.toISOString(),
        })),
        results: await resultsOf(em, tenantId, conversationId, { pii }),
      };
    },
  };
}

export type ConversationsService = ReturnType<typeof createConversationsService>;
