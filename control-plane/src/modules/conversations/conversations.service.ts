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
import { resultRowsOf, revealResultRows } from './results.ts';
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

type ConversationFields = Pick<Conversation, 'id' | 'channel' | 'externalId' | 'createdAt'>;

function conversationView(conversation: ConversationFields, agentInstance: string) {
  return {
    id: conversation.id,
    agentInstance,
    channel: conversation.channel,
    externalId: conversation.externalId ?? null,
    createdAt: conversation.createdAt.toISOString(),
  };
}

interface LoadedRow {
  id: string;
  channel: string;
  external_id: string | null;
  created_at: Date | string;
  agent_instance: string;
  suspended: boolean;
  /** Only when asked for: the messages in stored order (timestamps as JSON renders them). */
  messages?: { id: string; author: Message['author']; body: string; createdAt: string }[];
  /** With the messages: the results, as `resultRowsOf` reads them. */
  results?: unknown;
}

// Each request reads what it needs in one statement (round trips are most of its cost). The row
// exists only when the conversation is the tenant's; the joined rows then exist (foreign keys).
const loadOne = `select conv.id, conv.channel, conv.external_id, conv.created_at, a.name as agent_instance, t.suspended
  from conversations conv
  join agent_instances a on a.tenant_id = conv.tenant_id and a.id = conv.agent_instance_id
  join tenants t on t.id = conv.tenant_id
  where conv.tenant_id = ? and conv.id = ?`;
const loadWithMessages = loadOne.replace(
  ', t.suspended',
  `, t.suspended,
    (select coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'author', m.author, 'body', m.body,
                                                  'createdAt', m.created_at) order by m.created_at, m.id), '[]')
       from messages m where m.tenant_id = conv.tenant_id and m.conversation_id = conv.id) as messages,
    ${resultRowsOf('conv')} as results`,
);

const fieldsOf = (row: LoadedRow): ConversationFields => ({
  id: row.id,
  channel: row.channel,
  externalId: row.external_id,
  createdAt: new Date(row.created_at),
});

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
  /** The conversation with its agent instance's name and whether its tenant is suspended: one round trip. */
  const load = async (em: EntityManager, tenantId: string, id: string, withMessages = false) => {
    const [row] = await em.execute<LoadedRow[]>(withMessages ? loadWithMessages : loadOne, [tenantId, id]);
    if (!row) throw notFound('conversation', id);
    return row;
  };

  /** 409 when the tenant is suspended in its row (`suspendedRow`) or on its cluster. */
  const ensureAccepting = async (tenantId: string, suspendedRow: boolean) => {
    if (suspendedRow || (await suspension?.isSuspended(tenantId)))
      throw new DomainError('tenant_suspended', `tenant "${tenantId}" is suspended and accepts no messages`);
  };

  /** 404 when the tenant has no row, 409 when it is suspended. */
  const ensureTenantAccepting = async (em: EntityManager, tenantId: string) => {
    const tenant = await em.findOne(Tenant, { id: tenantId });
    if (!tenant) throw notFound('tenant', tenantId);
    await ensureAccepting(tenantId, tenant.suspended);
  };

  /** Produces the stored message to its agent instance's inbound topic, keyed by conversation. */
  const handOver = async (
    tenantId: string,
    agentInstance: string,
    conversation: Pick<Conversation, 'id' | 'channel'>,
    message: Message,
  ) =>
    bus.publish({
      topic: topicNames.inbound(tenantId, agentInstance),
      key: conversation.id,
      value: inboundRecord(tenantId, agentInstance, conversation, message),
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
      const row = await load(em, tenantId, conversationId);
      await ensureAccepting(tenantId, row.suspended);
      const message = em.create(Message, {
        tenantId,
        conversationId,
        author: 'end-user',
        body: body.body,
        sender: body.sender ?? null,
      });
      await em.flush();
      await handOver(tenantId, row.agent_instance, fieldsOf(row), message);
      return { id: message.id, conversationId, status: 'accepted' as const };
    },

    /**
     * Stores a channel's message and hands it to the agent, once: its id is derived from the
     * channel's own message id, so a redelivery answers with the same id and produces nothing.
     * 409 when the channel names an agent instance that does not exist or the tenant is suspended.
     */
    async receive(em: EntityManager, tenantId: string, delivery: ChannelMessage): Promise<AcceptedMessage> {
      await ensureTenantAccepting(em, tenantId);
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
        await handOver(tenantId, instance.name, conversation, message);
      }
      return { id, conversationId: conversation.id, duplicate: !fresh };
    },

    /** Resolves when the tenant has the conversation; 404 otherwise. */
    async ensureExists(em: EntityManager, tenantId: string, conversationId: string): Promise<void> {
      await load(em, tenantId, conversationId);
    },

    /** The conversation with its messages and the results that arrived so far. */
    async get(em: EntityManager, tenantId: string, conversationId: string) {
      const row = await load(em, tenantId, conversationId, true);
      return {
        ...conversationView(fieldsOf(row), row.agent_instance),
        messages: (row.messages ?? []).map((m) => ({ ...m, createdAt: new Date(m.createdAt).toISOString() })),
        results: await revealResultRows(pii, tenantId, row.results ?? []),
      };
    },
  };
}

export type ConversationsService = ReturnType<typeof createConversationsService>;
