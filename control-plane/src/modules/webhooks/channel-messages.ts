// What a verified delivery says, per channel kind: the text messages in it with the channel's own
// ids, or a set-up challenge to echo. Everything else a channel sends (read receipts, edits, the
// bot's own messages, media) carries no message for an agent and is acknowledged as empty. Pure.
import { DomainError } from '../../errors.ts';
import type { ChannelMessage } from '../conversations/conversations.service.ts';
import type { ChannelKind } from './signatures.ts';
import {
  checkers,
  firstProblem,
  type GenericDelivery,
  type MetaDelivery,
  type SlackDelivery,
} from './webhooks.schemas.ts';

export type Inbound = Omit<ChannelMessage, 'channel' | 'agentInstance'>;
export type Parsed = { challenge: string } | { messages: Inbound[] };

/** Longer texts are cut: a channel redelivers a refused delivery forever. */
export const maxBodyLength = 8000;

const message = (
  externalConversation: string,
  channelMessageId: string,
  body: string,
  sender: Record<string, string> | null,
): Inbound => ({ externalConversation, channelMessageId, body: body.slice(0, maxBodyLength), sender });

function metaMessages(delivery: MetaDelivery): Inbound[] {
  const found: Inbound[] = [];
  for (const entry of delivery.entry) {
    for (const { value } of entry.changes ?? []) {
      const names = new Map(value.contacts?.map((c) => [c.wa_id, c.profile?.name]) ?? []);
      for (const m of value.messages ?? []) {
        if (m.type !== 'text' || !m.text?.body) continue;
        const name = names.get(m.from);
        const sender = { externalId: m.from, phone: `+${m.from}`, ...(name ? { name } : {}) };
        found.push(message(m.from, m.id, m.text.body, sender));
      }
    }
    for (const event of entry.messaging ?? []) {
      const text = event.message?.text;
      if (!event.message || !text || event.message.is_echo) continue;
      found.push(message(event.sender.id, event.message.mid, text, { externalId: event.sender.id }));
    }
  }
  return found;
}

function slackMessages(delivery: SlackDelivery): Parsed {
  if (delivery.type === 'url_verification' && delivery.challenge) return { challenge: delivery.challenge };
  const event = delivery.event;
  const isMessage = event?.type === 'message' || event?.type === 'app_mention';
  // Edits, joins and every bot's messages (the agent's own replies among them) have a subtype or bot_id.
  if (delivery.type !== 'event_callback' || !event || !isMessage || event.subtype || event.bot_id)
    return { messages: [] };
  const { channel, ts, text, user, thread_ts } = event;
  if (!channel || !ts || !text) return { messages: [] };
  const thread = thread_ts ? `${channel}:${thread_ts}` : channel;
  // channel + ts names a Slack message; a mention also delivered as a message is then one message.
  return { messages: [message(thread, `${channel}:${ts}`, text, user ? { externalId: user } : null)] };
}

/** Parses and checks a verified delivery of `kind`. Throws `invalid_request` naming the first problem. */
export function parseDelivery(kind: ChannelKind, rawBody: Buffer): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new DomainError('invalid_request', 'the delivery body must be JSON');
  }
  const problem = firstProblem(checkers[kind], value);
  if (problem) {
    const field = `body${problem.path}`;
    throw new DomainError('invalid_request', `${field} ${problem.message}`, { details: { field } });
  }
  if (kind === 'meta') return { messages: metaMessages(value as MetaDelivery) };
  if (kind === 'slack') return slackMessages(value as SlackDelivery);
  const generic = value as GenericDelivery;
  return { messages: [message(generic.conversation, generic.id, generic.body, generic.sender ?? null)] };
}
