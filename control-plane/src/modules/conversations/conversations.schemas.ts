import { type Static, Type } from '@sinclair/typebox';
import { DnsName, Strict, TenantId, Timestamp, Uuid } from '../../http/schemas.ts';

export const CreateConversationBody = Strict({
  agentInstance: DnsName,
  channel: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,32}$', default: 'api' })),
  externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type CreateConversationBody = Static<typeof CreateConversationBody>;

export const Sender = Strict({
  name: Type.Optional(Type.String({ maxLength: 200 })),
  email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ()-]{4,30}$' })),
  externalId: Type.Optional(Type.String({ maxLength: 200 })),
});

export const PostMessageBody = Strict({
  body: Type.String({ minLength: 1, maxLength: 8000 }),
  sender: Type.Optional(Sender),
});
export type PostMessageBody = Static<typeof PostMessageBody>;

export const ConversationParams = Strict({ t: TenantId, c: Uuid });

export const ConversationView = Strict({
  id: Uuid,
  agentInstance: Type.String(),
  channel: Type.String(),
  externalId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});

export const MessageView = Strict({
  id: Uuid,
  author: Type.Union([Type.Literal('end-user'), Type.Literal('agent')]),
  body: Type.String(),
  createdAt: Timestamp,
});

export const LeadView = Strict({
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  temperature: Type.Union([Type.Literal('hot'), Type.Literal('warm'), Type.Literal('cold')]),
});

export const ResultView = Strict(
  {
    id: Uuid,
    messageId: Uuid,
    intent: Type.Union([Type.String(), Type.Null()]),
    sentiment: Type.Union([Type.String(), Type.Null()]),
    labels: Type.Array(Type.String(), {
      description:
        "The lead's tags, `urgency:<low|normal|high>`, and `skipped:<reason>` when no reply was made.",
    }),
    entities: Type.Record(Type.String(), Type.String()),
    reply: Type.Union([Type.String(), Type.Null()]),
    sources: Type.Array(
      Strict({
        id: Type.String({ description: 'The knowledge chunk.' }),
        score: Type.Number(),
        documentId: Type.Union([Uuid, Type.Null()], { description: 'Null once the document was deleted.' }),
        title: Type.Union([Type.String(), Type.Null()]),
      }),
      { description: "The tenant's knowledge the reply drew on, best first." },
    ),
    lead: Type.Union([LeadView, Type.Null()]),
    createdAt: Timestamp,
  },
  { description: 'What the agent made of one message: its reply, labels, entities and lead.' },
);
export type ResultView = Static<typeof ResultView>;

export const EventStreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ maxLength: 100, description: 'Replays only the events stored after this one.' }),
  ),
});

export const EventStream = Type.String({
  description:
    'text/event-stream of the conversation: every stored `message.processed` event (after `Last-Event-ID` ' +
    'when sent), then each new one as it arrives; `id:` is the result id, `data:` a Result as JSON; ' +
    'a `: heartbeat` comment keeps idle connections open.',
});

export const ConversationDetail = Strict({
  ...ConversationView.properties,
  messages: Type.Array(MessageView),
  results: Type.Array(ResultView),
});

export const Accepted = Strict({
  id: Uuid,
  conversationId: Uuid,
  status: Type.Literal('accepted'),
});
