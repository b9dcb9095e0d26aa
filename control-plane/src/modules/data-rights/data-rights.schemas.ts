import { type Static, Type } from '@sinclair/typebox';
import { Strict, TenantId, Timestamp, Uuid } from '../../http/schemas.ts';

export const ExportParams = Strict({ t: TenantId, exportId: Uuid });

const ExportStatus = Type.Union(
  ['pending', 'running', 'ready', 'failed', 'purged'].map((status) => Type.Literal(status)),
  { description: 'purged: an erasure removed the archive (it held the erased end user); request a new one.' },
);

export const ExportView = Strict({
  id: Uuid,
  status: ExportStatus,
  stage: Type.Union([Type.String(), Type.Null()], { description: 'The kind of record being written.' }),
  progress: Strict({
    recordsDone: Type.Integer({ minimum: 0 }),
    recordsTotal: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    percent: Type.Number({ minimum: 0, maximum: 100 }),
  }),
  parts: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  downloadUrl: Type.Union([Type.String(), Type.Null()], { description: 'Set when the archive is ready.' }),
});
export type ExportView = Static<typeof ExportView>;

export const ExportList = Strict({ items: Type.Array(ExportView) });

export const ExportArchive = Type.String({
  description:
    'NDJSON: a first line `{"kind":"export","data":{…counts}}`, then one line per record `{"kind":"message","data":{…}}` ' +
    '(tenant, user, membership, api-key without its hash, agent-instance, conversation, message, result, lead, ' +
    'usage-record, audit-event, flag-override, knowledge-document, knowledge-chunk from PostgreSQL; vector-point from the vector store).',
});

export const EraseBody = Strict(
  {
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ()-]{6,30}$' })),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { description: 'Exactly one of email, phone (compared by its digits) or externalId (the channel id).' },
);
export type EraseBody = Static<typeof EraseBody>;

const Count = Type.Integer({ minimum: 0 });

export const ErasureReport = Strict({
  subject: Type.Union([Type.Literal('email'), Type.Literal('phone'), Type.Literal('externalId')]),
  postgres: Strict({
    conversations: Type.Integer({ minimum: 0, description: "The end user's conversations, deleted whole." }),
    messages: Type.Integer({ minimum: 0, description: 'Messages deleted with them.' }),
    results: Type.Integer({ minimum: 0, description: 'Results deleted with them.' }),
    leads: Type.Integer({ minimum: 0, description: 'Leads deleted with them.' }),
    messagesRedacted: Type.Integer({
      minimum: 0,
      description: 'Messages of other conversations that mention them, the mention replaced by [erased].',
    }),
    resultsRedacted: Count,
    knowledgeChunks: Type.Integer({ minimum: 0, description: 'Knowledge chunks mentioning them, deleted.' }),
    knowledgeDocumentsRedacted: Type.Integer({
      minimum: 0,
      description: 'Documents whose text mentioned them: redacted and indexed again.',
    }),
    exportsPurged: Type.Integer({ minimum: 0, description: 'Export archives that held them, deleted.' }),
  }),
  vectorStore: Strict({
    configured: Type.Boolean(),
    points: Type.Integer({
      minimum: 0,
      description: 'Points mentioning them, deleted from the vector store.',
    }),
  }),
  auditSeq: Type.Integer({ minimum: 1, description: 'The audit event that records this erasure.' }),
});
export type ErasureReport = Static<typeof ErasureReport>;
