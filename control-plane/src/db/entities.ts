// The tables as MikroORM entities (defineEntity: Node's type stripping cannot run decorators).
// Relations are plain ids: every query is tenant-scoped by RLS and composite foreign keys, and
// the handlers never walk object graphs.
import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import { multiclusterEntities } from '../multicluster/entities.ts';

const id = () =>
  p
    .uuid()
    .primary()
    .onCreate(() => randomUUID());
const createdAt = () => p.datetime().onCreate(() => new Date());

export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id: p.string().primary(),
    displayName: p.string().nullable(),
    tier: p.enum(['basic', 'pro', 'enterprise'] as const),
    isolation: p.enum(['shared', 'dedicated'] as const).nullable(),
    region: p.string().nullable(),
    suspended: p.boolean().onCreate(() => false),
    createdAt: createdAt(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Tenant = InferEntity<typeof Tenant>;

export const tenantRoles = ['owner', 'admin', 'member', 'developer'] as const;

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: id(),
    tenantId: p.string(),
    email: p.string(),
    displayName: p.string().nullable(),
    createdAt: createdAt(),
  },
});

export const Membership = defineEntity({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    id: id(),
    tenantId: p.string(),
    userId: p.uuid(),
    role: p.enum(tenantRoles),
    createdAt: createdAt(),
  },
});

export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: id(),
    tenantId: p.string(),
    lookupId: p.string(),
    keyHash: p.string(),
    name: p.string(),
    role: p.enum(tenantRoles),
    createdAt: createdAt(),
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;

export const AgentDefinition = defineEntity({
  name: 'AgentDefinition',
  tableName: 'agent_definitions',
  properties: {
    id: id(),
    agent: p.string(),
    version: p.string(),
    description: p.string(),
    capabilities: p.json<string[]>(),
    tiers: p.array(),
  },
});

export const AgentInstance = defineEntity({
  name: 'AgentInstance',
  tableName: 'agent_instances',
  properties: {
    id: id(),
    tenantId: p.string(),
    name: p.string(),
    agent: p.string(),
    version: p.string(),
    model: p.json<Record<string, unknown>>().nullable(),
    prompt: p.json<{ system?: string; tone?: string }>().nullable(),
    knowledge: p.json<{ enabled?: boolean; topK?: number }>().nullable(),
    replicas: p.integer(),
    paused: p.boolean(),
    createdAt: createdAt(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type AgentInstance = InferEntity<typeof AgentInstance>;

export const Conversation = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    id: id(),
    tenantId: p.string(),
    agentInstanceId: p.uuid(),
    channel: p.string(),
    externalId: p.string().nullable(),
    createdAt: createdAt(),
  },
});
export type Conversation = InferEntity<typeof Conversation>;

export const Message = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: id(),
    tenantId: p.string(),
    conversationId: p.uuid(),
    author: p.enum(['end-user', 'agent'] as const),
    body: p.text(),
    sender: p.json<Record<string, string>>().nullable(),
    createdAt: createdAt(),
  },
});
export type Message = InferEntity<typeof Message>;

export const Result = defineEntity({
  name: 'Result',
  tableName: 'results',
  properties: {
    id: id(),
    tenantId: p.string(),
    messageId: p.uuid(),
    conversationId: p.uuid(),
    intent: p.string().nullable(),
    sentiment: p.string().nullable(),
    labels: p.json<string[]>(),
    entities: p.json<Record<string, string>>(),
    reply: p.text().nullable(),
    /** The knowledge chunks the reply drew on (ids of knowledge_chunks), best first. */
    sources: p.json<{ id: string; score: number }[]>(),
    tokens: p.integer(),
    // The blind indexes of the sealed email and phone in `entities` (docs/pii-encryption.md).
    emailIndex: p.string().nullable(),
    phoneIndex: p.string().nullable(),
    createdAt: createdAt(),
  },
});
export type Result = InferEntity<typeof Result>;

export const Lead = defineEntity({
  name: 'Lead',
  tableName: 'leads',
  properties: {
    id: id(),
    tenantId: p.string(),
    conversationId: p.uuid(),
    messageId: p.uuid().nullable(),
    score: p.integer(),
    temperature: p.enum(['hot', 'warm', 'cold'] as const),
    name: p.string().nullable(),
    // Sealed (`pii1:…`, docs/pii-encryption.md), matched through their blind indexes.
    email: p.string().nullable(),
    phone: p.string().nullable(),
    emailIndex: p.string().nullable(),
    phoneIndex: p.string().nullable(),
    company: p.string().nullable(),
    interest: p.string().nullable(),
    createdAt: createdAt(),
  },
});

export const UsageRecord = defineEntity({
  name: 'UsageRecord',
  tableName: 'usage_records',
  properties: {
    id: id(),
    tenantId: p.string(),
    kind: p.enum(['conversation', 'message', 'tokens'] as const),
    quantity: p.bigint('number'),
    sourceId: p.string(),
    occurredAt: p.datetime().onCreate(() => new Date()),
  },
});

export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: {
    id: id(),
    tenantId: p.string(),
    seq: p.bigint('number'),
    actor: p.string(),
    action: p.string(),
    target: p.string(),
    beforeDigest: p.string().nullable(),
    afterDigest: p.string().nullable(),
    details: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    prevHash: p.string(),
    hash: p.string(),
  },
});
export type AuditEvent = InferEntity<typeof AuditEvent>;

export const FlagOverride = defineEntity({
  name: 'FlagOverride',
  tableName: 'flag_overrides',
  properties: {
    tenantId: p.string().primary(),
    flagKey: p.string().primary(),
    value: p.json<unknown>(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

export const entities = [
  Tenant,
  User,
  Membership,
  ApiKey,
  AgentDefinition,
  AgentInstance,
  Conversation,
  Message,
  Result,
  Lead,
  UsageRecord,
  AuditEvent,
  FlagOverride,
  ...multiclusterEntities,
];

// Knowledge and data rights (Migration20261206000100_knowledge_and_data_rights): documents and the
// chunks indexed from them, exports and their archive parts. Appended to `entities` below.
import type { EntitySchema } from '@mikro-orm/postgresql';
export const knowledgeStatuses = ['pending', 'indexing', 'ready', 'failed'] as const;

export const KnowledgeDocument = defineEntity({
  name: 'KnowledgeDocument',
  tableName: 'knowledge_documents',
  properties: {
    id: id(),
    tenantId: p.string(),
    title: p.string(),
    contentType: p.enum(['text/markdown', 'text/plain'] as const),
    content: p.text().lazy(),
    bytes: p.integer(),
    sha256: p.string(),
    status: p.enum(knowledgeStatuses),
    error: p.text().nullable(),
    chunkCount: p.integer().onCreate(() => 0),
    createdAt: createdAt(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    indexedAt: p.datetime().nullable(),
  },
});
export type KnowledgeDocument = InferEntity<typeof KnowledgeDocument>;

export const KnowledgeChunk = defineEntity({
  name: 'KnowledgeChunk',
  tableName: 'knowledge_chunks',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.string(),
    documentId: p.uuid(),
    seq: p.integer(),
    title: p.string(),
    text: p.text(),
  },
});

export const exportStatuses = ['pending', 'running', 'ready', 'failed', 'purged'] as const;

export const DataExport = defineEntity({
  name: 'DataExport',
  tableName: 'data_exports',
  properties: {
    id: id(),
    tenantId: p.string(),
    status: p.enum(exportStatuses),
    requestedBy: p.string(),
    stage: p.string().nullable(),
    recordsDone: p.integer().onCreate(() => 0),
    recordsTotal: p.integer().nullable(),
    parts: p.integer().onCreate(() => 0),
    bytes: p.bigint('number').onCreate(() => 0),
    error: p.text().nullable(),
    createdAt: createdAt(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    finishedAt: p.datetime().nullable(),
  },
});
export type DataExport = InferEntity<typeof DataExport>;

export const DataExportPart = defineEntity({
  name: 'DataExportPart',
  tableName: 'data_export_parts',
  properties: {
    tenantId: p.string().primary(),
    exportId: p.uuid().primary(),
    seq: p.integer().primary(),
    body: p.text(),
  },
});

// `entities` is read when the ORM starts, after this module ran; its element type is the union of
// the schemas listed above, hence the widening.
(entities as EntitySchema[]).push(KnowledgeDocument, KnowledgeChunk, DataExport, DataExportPart);
