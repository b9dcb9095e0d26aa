import { type Static, Type } from '@sinclair/typebox';
import { Strict, TenantId, Timestamp, Uuid } from '../../http/schemas.ts';

const ContentType = Type.Union([Type.Literal('text/markdown'), Type.Literal('text/plain')], {
  description: 'How the content is chunked: markdown splits at headings; plain text at paragraphs.',
});

export const UploadDocumentBody = Strict(
  {
    title: Type.String({ minLength: 1, maxLength: 300 }),
    content: Type.String({
      minLength: 1,
      pattern: '\\S',
      description:
        'The document text (UTF-8). At most CONTROL_PLANE_KNOWLEDGE_MAX_DOCUMENT_BYTES bytes (default 512 KiB): larger is 413.',
    }),
    contentType: Type.Optional({ ...ContentType, default: 'text/markdown' }),
  },
  { description: 'A text or markdown document, as JSON.' },
);
export type UploadDocumentBody = Static<typeof UploadDocumentBody>;

export const DocumentParams = Strict({ t: TenantId, documentId: Uuid });

const Status = Type.Union(
  [Type.Literal('pending'), Type.Literal('indexing'), Type.Literal('ready'), Type.Literal('failed')],
  {
    description:
      'pending: stored, waiting; indexing: being chunked and embedded; ready: searchable; failed: see error.',
  },
);

export const ListDocumentsQuery = Strict({
  status: Type.Optional(Status),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export type ListDocumentsQuery = Static<typeof ListDocumentsQuery>;

export const DocumentView = Strict({
  id: Uuid,
  title: Type.String(),
  contentType: ContentType,
  bytes: Type.Integer({ minimum: 0 }),
  sha256: Type.String(),
  status: Status,
  error: Type.Union([Type.String(), Type.Null()]),
  chunkCount: Type.Integer({ minimum: 0 }),
  createdAt: Timestamp,
  indexedAt: Type.Union([Timestamp, Type.Null()]),
});
export type DocumentView = Static<typeof DocumentView>;

export const DocumentDetail = Strict({ ...DocumentView.properties, content: Type.String() });

export const DocumentList = Strict({ items: Type.Array(DocumentView) });

export const DeletedDocument = Strict({
  id: Uuid,
  chunksRemoved: Type.Integer({ minimum: 0, description: 'Chunk rows removed from PostgreSQL.' }),
  pointsRemoved: Type.Integer({
    minimum: 0,
    description: 'Points deleted from the vector store: one per chunk.',
  }),
});
