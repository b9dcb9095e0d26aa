// Where one end user appears in a tenant's PostgreSQL data. The one place that knows how the end
// user is stored (plain columns today; an encrypted column would be looked up through its blind
// index here), so the erasure itself does not change when the storage does. Reads only; runs in
// the caller's tenant scope, so RLS confines it to that tenant.
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../../errors.ts';
import type { EraseBody } from './data-rights.schemas.ts';

export interface EndUser {
  kind: 'email' | 'phone' | 'externalId';
  /** As compared: lower-case email, digits of a phone, the external id as given. */
  value: string;
  /** Finds each mention in free text (messages, replies, knowledge), for redaction. */
  mention?: RegExp;
}

export interface EndUserRows {
  /** Conversations that are theirs (their channel id, sender, lead or extracted entity): deleted whole. */
  conversationIds: string[];
  /** Messages and results of other conversations whose text mentions them. */
  mentioningMessageIds: string[];
  mentioningResultIds: string[];
  /** Knowledge chunks whose text mentions them, and the documents they come from. */
  knowledgeChunkIds: string[];
  knowledgeDocumentIds: string[];
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The end user named by exactly one of email, phone or externalId; 400 otherwise. Pure. */
export function endUserOf(body: EraseBody): EndUser {
  const given = (['email', 'phone', 'externalId'] as const).filter((kind) => body[kind] !== undefined);
  if (given.length !== 1) {
    throw new DomainError('invalid_request', 'name the end user by exactly one of email, phone, externalId', {
      details: { field: 'body', given },
    });
  }
  if (body.email !== undefined) {
    const value = body.email.toLowerCase();
    return { kind: 'email', value, mention: new RegExp(literal(value), 'gi') };
  }
  if (body.phone !== undefined) {
    const value = body.phone.replace(/\D/g, '');
    // The digits with any separators between them, not inside a longer number.
    const spaced = [...value].map(literal).join('[\\s().-]*');
    return { kind: 'phone', value, mention: new RegExp(`(?<!\\d)\\+?${spaced}(?!\\d)`, 'g') };
  }
  // Channel ids are opaque numbers or tokens: text that contains one is not about the person.
  return { kind: 'externalId', value: body.externalId as string };
}

const column = {
  // The stored value, comparable to EndUser.value.
  email: (expr: string) => `lower(${expr})`,
  phone: (expr: string) => `regexp_replace(${expr}, '\\D', '', 'g')`,
};

/** A SQL condition on a text expression mentioning the end user (a candidate; the regexp confirms). */
function mentions(user: EndUser, expr: string): string | undefined {
  if (user.kind === 'email') return `strpos(lower(${expr}), ?) > 0`;
  if (user.kind === 'phone') return `strpos(regexp_replace(${expr}, '\\D', '', 'g'), ?) > 0`;
  return undefined;
}

async function ids(em: EntityManager, sql: string, params: unknown[]): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(sql, params);
  return [...new Set(rows.map((row) => row.id))];
}

/** Every row of `tenantId` that is about `user`. Read-only. */
export async function findEndUserRows(
  em: EntityManager,
  tenantId: string,
  user: EndUser,
): Promise<EndUserRows> {
  const { value } = user;
  const owned =
    user.kind === 'externalId'
      ? `select id from conversations where tenant_id = ? and external_id = ?
         union select conversation_id from messages where tenant_id = ? and sender->>'externalId' = ?`
      : `select conversation_id as id from messages where tenant_id = ? and ${column[user.kind](`sender->>'${user.kind}'`)} = ?
         union select conversation_id from leads where tenant_id = ? and ${column[user.kind](user.kind)} = ?
         union select conversation_id from results where tenant_id = ? and ${column[user.kind](`entities->>'${user.kind}'`)} = ?`;
  const ownedParams = [
    tenantId,
    value,
    tenantId,
    value,
    ...(user.kind === 'externalId' ? [] : [tenantId, value]),
  ];
  const conversationIds = await ids(em, owned, ownedParams);
  const rows: EndUserRows = {
    conversationIds,
    mentioningMessageIds: [],
    mentioningResultIds: [],
    knowledgeChunkIds: [],
    knowledgeDocumentIds: [],
  };
  const mention = user.mention;
  const inBody = mentions(user, 'body');
  if (!mention || !inBody) return rows;
  const mentionOf = (expr: string) => mentions(user, expr) as string;
  // SQL finds candidates; the regexp confirms (a phone's digits may span two numbers).
  const confirmed = async (sql: string, params: unknown[]) => {
    const found = await em.execute<{ id: string; text: string | null }[]>(sql, params);
    const test = new RegExp(mention.source, mention.flags.replace('g', ''));
    return [...new Set(found.filter((row) => test.test(row.text ?? '')).map((row) => row.id))];
  };
  const others = conversationIds.length > 0 ? 'and not (conversation_id = any(?::uuid[]))' : '';
  const othersParam = conversationIds.length > 0 ? [`{${conversationIds.join(',')}}`] : [];
  rows.mentioningMessageIds = await confirmed(
    `select id, body as text from messages where tenant_id = ? and ${inBody} ${others}`,
    [tenantId, value, ...othersParam],
  );
  rows.mentioningResultIds = await confirmed(
    `select id, concat_ws(' ', reply, entities::text) as text from results
     where tenant_id = ? and (${mentionOf('reply')} or ${mentionOf('entities::text')}) ${others}`,
    [tenantId, value, value, ...othersParam],
  );
  const chunks = await em.execute<{ id: string; document_id: string; text: string }[]>(
    `select id, document_id, text from knowledge_chunks where tenant_id = ? and ${mentionOf('text')}`,
    [tenantId, value],
  );
  const test = new RegExp(mention.source, mention.flags.replace('g', ''));
  rows.knowledgeChunkIds = chunks.filter((chunk) => test.test(chunk.text)).map((chunk) => chunk.id);
  rows.knowledgeDocumentIds = await confirmed(
    `select id, content as text from knowledge_documents where tenant_id = ? and ${mentionOf('content')}`,
    [tenantId, value],
  );
  return rows;
}
