// The runtime's result event (runtime/src/messages.ts, `ResultEvent`) as far as the control plane
// reads it. Fields it does not read are allowed and ignored, so the runtime can add some freely.
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

// A pattern, not `format: 'uuid'`: the compiler below knows no formats, and ids key foreign rows.
const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});
const Label = Type.String({ minLength: 1, maxLength: 100 });

export const ResultEvent = Type.Object({
  type: Type.Literal('message.processed'),
  messageId: Uuid,
  conversationId: Uuid,
  tenant: Type.String(),
  instance: Type.String(),
  reply: Type.Optional(Type.String({ maxLength: 8000 })),
  skipReason: Type.Optional(Label),
  intent: Type.Object({ label: Label, confidence: Type.Number(), urgency: Label }),
  sentiment: Label,
  lead: Type.Optional(
    Type.Object({
      score: Type.Number({ minimum: 0, maximum: 100 }),
      temperature: Type.Union([
        Type.Literal('hot'),
        Type.Literal('warm'),
        Type.Literal('cold'),
        Type.Literal('none'),
      ]),
      tags: Type.Array(Label, { maxItems: 20 }),
    }),
  ),
  entities: Type.Record(Type.String(), Type.String({ maxLength: 1000 })),
  sources: Type.Optional(
    Type.Array(Type.Object({ id: Type.String({ maxLength: 200 }), score: Type.Number() }), { maxItems: 50 }),
  ),
  tokens: Type.Object({
    promptTokens: Type.Integer({ minimum: 0 }),
    completionTokens: Type.Integer({ minimum: 0 }),
    totalTokens: Type.Integer({ minimum: 0 }),
  }),
  processedAt: Type.String(),
});
export type ResultEvent = Static<typeof ResultEvent>;

export const resultEventChecker = TypeCompiler.Compile(ResultEvent);
