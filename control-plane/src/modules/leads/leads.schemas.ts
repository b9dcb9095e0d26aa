import { type Static, Type } from '@sinclair/typebox';
import { Strict, Timestamp, Uuid } from '../../http/schemas.ts';

const Temperature = Type.Union([Type.Literal('hot'), Type.Literal('warm'), Type.Literal('cold')]);

export const LeadsQuery = Strict({
  temperature: Type.Optional(Temperature),
  minScore: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 100, description: 'Only leads scoring at least this.' }),
  ),
  email: Type.Optional(
    Type.String({ minLength: 3, maxLength: 320, description: 'Only leads with this email (any case).' }),
  ),
  phone: Type.Optional(
    Type.String({
      minLength: 3,
      maxLength: 40,
      description: 'Only leads with this phone (spaces, dashes and a 00 prefix ignored).',
    }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export type LeadsQuery = Static<typeof LeadsQuery>;

const nullable = (schema = Type.String()) => Type.Union([schema, Type.Null()]);

export const LeadView = Strict({
  id: Uuid,
  conversationId: Uuid,
  messageId: nullable(Uuid),
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  temperature: Temperature,
  name: nullable(),
  email: nullable(),
  phone: nullable(),
  company: nullable(),
  interest: nullable(),
  createdAt: Timestamp,
});

export const LeadList = Strict({ items: Type.Array(LeadView) });
