// Erasure of one end user of a tenant: their conversations go whole (messages, results and leads
// cascade), mentions of them elsewhere are redacted, knowledge chunks mentioning them leave
// PostgreSQL and the vector store (their documents are redacted and indexed again), and export
// archives holding them are purged. One audit event records the erasure with counts only: the audit
// log is append-only, so it must never hold the identifier itself. Runs in the request's tenant
// scope; the vector store is cleaned before the commit, so a failure there rolls everything back
// and the erasure can simply be repeated.
import type { EntityManager } from '@mikro-orm/postgresql';
import { actorOf, type Principal } from '../../auth/roles.ts';
import type { KnowledgeIndex } from '../../knowledge/knowledge-index.ts';
import { asDomainError, requireIndex } from '../../knowledge/knowledge-index.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { EraseBody, ErasureReport } from './data-rights.schemas.ts';
import { type EndUser, endUserOf, findEndUserRows } from './end-user-rows.ts';

export interface ErasureDependencies {
  audit: AuditLog;
  index: KnowledgeIndex | undefined;
}

const redacted = '[erased]';
const uuids = (ids: readonly string[]) => `{${ids.join(',')}}`;

async function countIn(em: EntityManager, table: string, tenantId: string, conversationIds: string[]) {
  const rows = await em.execute<{ n: number }[]>(
    `select count(*)::int as n from ${table} where tenant_id = ? and conversation_id = any(?::uuid[])`,
    [tenantId, uuids(conversationIds)],
  );
  return rows[0]?.n ?? 0;
}

/** Replaces every mention in the given rows' text columns; returns how many rows changed. */
async function redact(
  em: EntityManager,
  table: 'messages' | 'results' | 'knowledge_documents',
  columns: string[],
  tenantId: string,
  ids: string[],
  user: EndUser,
): Promise<number> {
  if (ids.length === 0 || !user.mention) return 0;
  const mention = user.mention;
  const rows = await em.execute<Record<string, string | null>[]>(
    `select id, ${columns.join(', ')} from ${table} where tenant_id = ? and id = any(?::uuid[])`,
    [tenantId, uuids(ids)],
  );
  let changed = 0;
  for (const row of rows) {
    const values = columns.map((name) => {
      const value = row[name];
      // jsonb comes back parsed: redact its text form, stored back as jsonb.
      const text = typeof value === 'string' || value === null ? value : JSON.stringify(value);
      return text === null ? null : text.replace(mention, redacted);
    });
    const before = columns.map((name) => {
      const value = row[name];
      return typeof value === 'string' || value === null ? value : JSON.stringify(value);
    });
    if (values.every((value, i) => value === before[i])) continue;
    const sets = columns.map((name) => `${name} = ?${name === 'entities' ? '::jsonb' : ''}`).join(', ');
    await em.execute(`update ${table} set ${sets} where tenant_id = ? and id = ?`, [
      ...values,
      tenantId,
      row.id,
    ]);
    changed += 1;
  }
  return changed;
}

/** Deletes every point of the tenant whose text mentions the end user, walking the whole store. */
async function erasePoints(index: KnowledgeIndex, tenantId: string, user: EndUser, known: string[]) {
  if (!user.mention) {
    if (known.length > 0) await index.store.delete(tenantId, known);
    return known.length;
  }
  const test = new RegExp(user.mention.source, user.mention.flags.replace('g', ''));
  const found = new Set(known);
  let cursor: string | undefined;
  do {
    const page = await index.store.list(tenantId, { limit: 256, ...(cursor ? { cursor } : {}) });
    for (const point of page.points) if (test.test(point.text)) found.add(point.id);
    cursor = page.next;
  } while (cursor);
  if (found.size > 0) await index.store.delete(tenantId, [...found]);
  return found.size;
}

export function createErasureService({ audit, index }: ErasureDependencies) {
  return {
    /**
     * Erases the end user from every store of the tenant; returns what was removed where. 400 when
     * the body does not name exactly one identifier; 503 when the vector store fails (nothing erased).
     * Idempotent: a second run finds nothing and reports zeros.
     */
    async erase(
      em: EntityManager,
      tenantId: string,
      body: EraseBody,
      principal: Principal,
    ): Promise<{ report: ErasureReport; documentsToIndex: string[] }> {
      const user = endUserOf(body);
      if (!index) {
        // Points may exist in a store this control plane is no longer configured for: refuse
        // rather than report an erasure that left them there.
        const [indexed] = await em.execute<{ n: number }[]>(
          'select count(*)::int as n from knowledge_chunks where tenant_id = ?',
          [tenantId],
        );
        if (indexed?.n) requireIndex(index);
      }
      const rows = await findEndUserRows(em, tenantId, user);
      const owned = rows.conversationIds;
      const postgres: ErasureReport['postgres'] = {
        conversations: owned.length,
        messages: owned.length ? await countIn(em, 'messages', tenantId, owned) : 0,
        results: owned.length ? await countIn(em, 'results', tenantId, owned) : 0,
        leads: owned.length ? await countIn(em, 'leads', tenantId, owned) : 0,
        messagesRedacted: await redact(em, 'messages', ['body'], tenantId, rows.mentioningMessageIds, user),
        resultsRedacted: await redact(
          em,
          'results',
          ['reply', 'entities'],
          tenantId,
          rows.mentioningResultIds,
          user,
        ),
        knowledgeChunks: rows.knowledgeChunkIds.length,
        knowledgeDocumentsRedacted: await redact(
          em,
          'knowledge_documents',
          ['content'],
          tenantId,
          rows.knowledgeDocumentIds,
          user,
        ),
        exportsPurged: 0,
      };
      if (owned.length > 0)
        await em.execute('delete from conversations where tenant_id = ? and id = any(?::uuid[])', [
          tenantId,
          uuids(owned),
        ]);
      if (rows.knowledgeChunkIds.length > 0)
        await em.execute('delete from knowledge_chunks where tenant_id = ? and id = any(?::uuid[])', [
          tenantId,
          uuids(rows.knowledgeChunkIds),
        ]);
      // Redacted documents are indexed again from their new text (after the commit).
      if (rows.knowledgeDocumentIds.length > 0)
        await em.execute(
          `update knowledge_documents set status = 'pending', updated_at = now()
           where tenant_id = ? and id = any(?::uuid[])`,
          [tenantId, uuids(rows.knowledgeDocumentIds)],
        );
      postgres.exportsPurged = await purgeExports(em, tenantId, user);
      const points = index
        ? await index
            .ready()
            .then(() => erasePoints(index, tenantId, user, rows.knowledgeChunkIds))
            .catch((error: unknown) => {
              throw asDomainError(error);
            })
        : 0;
      const report = {
        subject: user.kind,
        postgres,
        vectorStore: { configured: index !== undefined, points },
      };
      const event = await audit.record(em, {
        tenantId,
        actor: actorOf(principal),
        action: 'data.erased',
        target: `end-user/${user.kind}`,
        after: report,
        details: report,
      });
      return {
        report: { ...report, auditSeq: Number(event.seq) },
        documentsToIndex: rows.knowledgeDocumentIds,
      };
    },
  };
}

/**
 * Deletes the archive of every export that may hold the end user: finished ones whose text
 * mentions them, and every one still being built (its snapshot predates the erasure).
 */
async function purgeExports(em: EntityManager, tenantId: string, user: EndUser): Promise<number> {
  const needle =
    user.kind === 'email'
      ? 'strpos(lower(p.body), ?) > 0'
      : user.kind === 'phone'
        ? "strpos(regexp_replace(p.body, '\\D', '', 'g'), ?) > 0"
        : 'strpos(p.body, ?) > 0';
  const value = user.kind === 'externalId' ? JSON.stringify(user.value) : user.value;
  const purged = await em.execute<{ id: string }[]>(
    `update data_exports e set status = 'purged', error = 'purged by an end-user erasure; request a new export',
       stage = null, updated_at = now()
     where e.tenant_id = ? and (e.status in ('pending', 'running')
       or (e.status = 'ready' and exists (
         select 1 from data_export_parts p where p.tenant_id = e.tenant_id and p.export_id = e.id and ${needle})))
     returning e.id`,
    [tenantId, value],
  );
  if (purged.length > 0)
    await em.execute('delete from data_export_parts where tenant_id = ? and export_id = any(?::uuid[])', [
      tenantId,
      uuids(purged.map((row) => row.id)),
    ]);
  return purged.length;
}

export type ErasureService = ReturnType<typeof createErasureService>;
