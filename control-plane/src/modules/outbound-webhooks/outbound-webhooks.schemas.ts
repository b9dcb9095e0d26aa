// The tenant's outbound webhook: its configuration, its deliveries, and the payloads it receives
// (registered with $id so OpenAPI lists them under components.schemas).
import { type Static, Type } from '@sinclair/typebox';
import { Strict, Timestamp, Uuid } from '../../http/schemas.ts';

export const outboundEventTypes = ['lead.created', 'reply.sent'] as const;
export type OutboundEventType = (typeof outboundEventTypes)[number];
const EventType = Type.Union(outboundEventTypes.map((type) => Type.Literal(type)));

export const PutOutboundWebhookBody = Strict({
  url: Type.String({
    maxLength: 2048,
    pattern: '^https?://',
    description: 'http(s) URL the events are POSTed to. Link-local (metadata) addresses are refused.',
  }),
  events: Type.Array(EventType, { minItems: 1, uniqueItems: true }),
  rotateSecret: Type.Optional(
    Type.Boolean({ description: 'Generate a new signing secret even though one exists.' }),
  ),
});
export type PutOutboundWebhookBody = Static<typeof PutOutboundWebhookBody>;

export const OutboundWebhookView = Strict({
  url: Type.String(),
  events: Type.Array(EventType),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type OutboundWebhookView = Static<typeof OutboundWebhookView>;

export const ConfiguredOutboundWebhook = Strict({
  ...OutboundWebhookView.properties,
  secret: Type.Optional(
    Type.String({
      description:
        'The signing secret, only when this request generated it (first PUT or rotateSecret): shown once, kept in Vault.',
    }),
  ),
});

const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]);

export const DeliveriesQuery = Strict({
  status: Type.Optional(DeliveryStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const DeliveryList = Strict({
  items: Type.Array(
    Strict({
      id: Uuid,
      event: EventType,
      status: DeliveryStatus,
      attempts: Type.Integer({ minimum: 0 }),
      nextAttemptAt: Timestamp,
      lastStatus: nullable(Type.Integer()),
      lastError: nullable(Type.String()),
      deliveredAt: nullable(Timestamp),
      createdAt: Timestamp,
    }),
  ),
});

const envelope = <T extends OutboundEventType, D extends ReturnType<typeof Strict>>(
  id: string,
  type: T,
  data: D,
  description: string,
) =>
  Type.Object(
    {
      id: Type.String({ format: 'uuid', description: 'The delivery id; the same on every retry of it.' }),
      type: Type.Literal(type),
      tenant: Type.String(),
      occurredAt: Timestamp,
      data,
    },
    { $id: id, additionalProperties: false, description },
  );

export const LeadCreatedPayload = envelope(
  'OutboundLeadCreated',
  'lead.created',
  Strict({
    leadId: Uuid,
    conversationId: Uuid,
    messageId: Uuid,
    score: Type.Integer({ minimum: 0, maximum: 100 }),
    temperature: Type.Union([Type.Literal('hot'), Type.Literal('warm'), Type.Literal('cold')]),
    name: nullable(Type.String()),
    email: nullable(Type.String()),
    phone: nullable(Type.String()),
    company: nullable(Type.String()),
    interest: nullable(Type.String()),
  }),
  'POSTed to the outbound webhook when an agent recorded a new lead.',
);
export type LeadCreatedPayload = Static<typeof LeadCreatedPayload>;

export const ReplySentPayload = envelope(
  'OutboundReplySent',
  'reply.sent',
  Strict({
    messageId: Type.String({ format: 'uuid', description: "The agent's reply message." }),
    inReplyTo: Type.String({ format: 'uuid', description: "The end user's message it answers." }),
    conversationId: Uuid,
    text: Type.String(),
    intent: nullable(Type.String()),
    sentiment: nullable(Type.String()),
    labels: Type.Array(Type.String()),
  }),
  'POSTed to the outbound webhook when an agent replied to a message.',
);
export type ReplySentPayload = Static<typeof ReplySentPayload>;

export type OutboundPayload = LeadCreatedPayload | ReplySentPayload;
