import { Type } from '@sinclair/typebox';
import { Strict, Timestamp, Uuid } from '../../http/schemas.ts';

export const AuditQuery = Strict({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const AuditEventView = Strict({
  id: Uuid,
  seq: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  beforeDigest: Type.Union([Type.String(), Type.Null()]),
  afterDigest: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  hash: Type.String(),
});

export const AuditList = Strict({ items: Type.Array(AuditEventView) });

export const Verification = Strict({
  valid: Type.Boolean(),
  events: Type.Integer(),
  brokenAtSeq: Type.Optional(Type.Integer()),
});
