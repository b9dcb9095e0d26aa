// Channel webhooks: the channel's record in Vault, the three delivery formats, and the answers.
// Deliveries are checked here, by the service, after their signature (the route keeps raw bytes);
// the route declares the same schemas for the OpenAPI document.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { DnsName, Strict, TenantId, Uuid } from '../../http/schemas.ts';
import { channelKinds } from './signatures.ts';

export const ChannelName = Type.String({
  pattern: '^[a-z0-9-]{1,32}$',
  description: 'The channel as named in Vault under tenants/<tenant>/channels/.',
});
export const WebhookParams = Strict({ tenant: TenantId, channel: ChannelName });

/** `secret/data/tenants/<tenant>/channels/<channel>` (KV v2); other keys in the record are ignored. */
export const ChannelConfig = Type.Object({
  kind: Type.Union(channelKinds.map((kind) => Type.Literal(kind))),
  /** hmac: the shared secret; meta: the app secret; slack: the signing secret. */
  secret: Type.String({ minLength: 8 }),
  /** The agent instance that answers this channel's messages. */
  agentInstance: Type.String({ pattern: DnsName.pattern }),
  /** meta only: what the `GET` handshake must present as hub.verify_token. */
  verifyToken: Type.Optional(Type.String({ minLength: 1 })),
});
export type ChannelConfig = Static<typeof ChannelConfig>;

const Sender = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    phone: Type.Optional(Type.String({ maxLength: 30 })),
    externalId: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const GenericDelivery = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 200,
      description: "The channel's id of the message; a redelivery carries the same id and is accepted once.",
    }),
    conversation: Type.String({
      minLength: 1,
      maxLength: 200,
      description: "The channel's thread or chat id.",
    }),
    body: Type.String({ minLength: 1, maxLength: 8000 }),
    sender: Type.Optional(Sender),
  },
  { title: 'hmac channel delivery' },
);
export type GenericDelivery = Static<typeof GenericDelivery>;

const WhatsAppMessage = Type.Object({
  from: Type.String(),
  id: Type.String(),
  type: Type.String(),
  text: Type.Optional(Type.Object({ body: Type.String() })),
});
const WhatsAppValue = Type.Object({
  contacts: Type.Optional(
    Type.Array(
      Type.Object({
        wa_id: Type.String(),
        profile: Type.Optional(Type.Object({ name: Type.Optional(Type.String()) })),
      }),
    ),
  ),
  messages: Type.Optional(Type.Array(WhatsAppMessage)),
});
const MessengerEvent = Type.Object({
  sender: Type.Object({ id: Type.String() }),
  message: Type.Optional(
    Type.Object({
      mid: Type.String(),
      text: Type.Optional(Type.String()),
      is_echo: Type.Optional(Type.Boolean()),
    }),
  ),
});

export const MetaDelivery = Type.Object(
  {
    object: Type.String({ description: '`whatsapp_business_account`, `page` or `instagram`' }),
    entry: Type.Array(
      Type.Object({
        changes: Type.Optional(Type.Array(Type.Object({ field: Type.String(), value: WhatsAppValue }))),
        messaging: Type.Optional(Type.Array(MessengerEvent)),
      }),
    ),
  },
  { title: 'meta channel delivery (WhatsApp Cloud API, Messenger, Instagram)' },
);
export type MetaDelivery = Static<typeof MetaDelivery>;

export const SlackDelivery = Type.Object(
  {
    type: Type.String({ description: '`event_callback`, or `url_verification` when the app is set up' }),
    challenge: Type.Optional(Type.String()),
    event: Type.Optional(
      Type.Object({
        type: Type.String(),
        subtype: Type.Optional(Type.String()),
        bot_id: Type.Optional(Type.String()),
        user: Type.Optional(Type.String()),
        text: Type.Optional(Type.String()),
        channel: Type.Optional(Type.String()),
        ts: Type.Optional(Type.String()),
        thread_ts: Type.Optional(Type.String()),
      }),
    ),
  },
  { title: 'slack channel delivery (Events API)' },
);
export type SlackDelivery = Static<typeof SlackDelivery>;

export const WebhookBody = Type.Union([GenericDelivery, MetaDelivery, SlackDelivery]);

export const WebhookHeaders = Type.Object({
  'x-agentplane-signature': Type.Optional(
    Type.String({ description: 'hmac: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>`' }),
  ),
  'x-agentplane-timestamp': Type.Optional(Type.String({ description: 'hmac: Unix seconds, ±5 minutes' })),
  'x-hub-signature-256': Type.Optional(
    Type.String({ description: 'meta: `sha256=` + hex HMAC-SHA256 of the raw body with the app secret' }),
  ),
  'x-slack-signature': Type.Optional(
    Type.String({ description: 'slack: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`' }),
  ),
  'x-slack-request-timestamp': Type.Optional(Type.String({ description: 'slack: Unix seconds, ±5 minutes' })),
});

export const AcceptedDeliveries = Strict({
  accepted: Type.Array(
    Strict({
      id: Uuid,
      conversationId: Uuid,
      duplicate: Type.Boolean({ description: 'accepted before: nothing was enqueued again' }),
    }),
  ),
});
export const SlackChallengeAnswer = Strict({ challenge: Type.String() });

export const MetaHandshakeQuery = Type.Object({
  'hub.mode': Type.String(),
  'hub.verify_token': Type.String(),
  'hub.challenge': Type.String({ maxLength: 1000 }),
});
export type MetaHandshakeQuery = Static<typeof MetaHandshakeQuery>;

/** Compiled once: deliveries are checked on every request. */
export const checkers = {
  config: TypeCompiler.Compile(ChannelConfig),
  hmac: TypeCompiler.Compile(GenericDelivery),
  meta: TypeCompiler.Compile(MetaDelivery),
  slack: TypeCompiler.Compile(SlackDelivery),
};

/** The first violation of the checker's schema by `value`, or undefined. */
export function firstProblem(
  checker: TypeCheck<TSchema>,
  value: unknown,
): { path: string; message: string } | undefined {
  if (checker.Check(value)) return undefined;
  const first = checker.Errors(value).First();
  return { path: first?.path ?? '', message: first?.message ?? 'is invalid' };
}
