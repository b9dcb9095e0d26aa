// The record a message becomes on its agent instance's inbound topic: the runtime's contract
// (runtime/src/messages.ts, `InboundMessage`). Fields the runtime does not know travel in
// `metadata`, which it keeps but never trusts.
import type { Conversation, Message } from '../../db/entities.ts';

export interface InboundMessage {
  id: string;
  tenant: string;
  conversationId: string;
  text: string;
  channel: string;
  from?: string;
  receivedAt: string;
  metadata: { agentInstance: string; sender: Record<string, string> | null };
}

/** `from` is the sender's most specific address: email, then phone, external id, name. Pure. */
export function inboundRecord(
  tenantId: string,
  agentInstance: string,
  conversation: Pick<Conversation, 'id' | 'channel'>,
  message: Message,
) {
  const sender = message.sender ?? null;
  const from = sender?.email ?? sender?.phone ?? sender?.externalId ?? sender?.name;
  const record: InboundMessage = {
    id: message.id,
    tenant: tenantId,
    conversationId: conversation.id,
    text: message.body,
    channel: conversation.channel,
    ...(from ? { from } : {}),
    receivedAt: message.createdAt.toISOString(),
    metadata: { agentInstance, sender },
  };
  return record;
}
