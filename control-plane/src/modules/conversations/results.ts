// What the agents made of a conversation's messages, as the API shows it: one result per processed
// message with its lead, in the order they were stored. The conversation view and the SSE stream
// both read here, so a replayed event is the same object a live one was.
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Pii, revealResults } from '../../crypto/pii.ts';
import type { ResultView } from './conversations.schemas.ts';

interface ResultRow {
  id: string;
  message_id: string;
  intent: string | null;
  sentiment: string | null;
  labels: string[];
  entities: Record<string, string>;
  reply: string | null;
  sources: ResultView['sources'];
  created_at: Date | string;
  score: number | null;
  temperature: 'hot' | 'warm' | 'cold' | null;
}

const toView = (row: ResultRow): ResultView => ({
  id: row.id,
  messageId: row.message_id,
  intent: row.intent,
  sentiment: row.sentiment,
  labels: row.labels,
  entities: row.entities,
  reply: row.reply,
  sources: row.sources,
  lead:
    row.score === null || row.temperature === null
      ? null
      : { score: row.score, temperature: row.temperature },
  createdAt: new Date(row.created_at).toISOString(),
});

// Sources name the chunk's document and title while it exists (null once it was deleted).
const select = `select r.id, r.message_id, r.intent, r.sentiment, r.labels, r.entities, r.reply, r.created_at,
       l.score, l.temperature,
       (select coalesce(jsonb_agg(jsonb_build_object(
                 'id', e.value->>'id', 'score', (e.value->>'score')::float8,
                 'documentId', c.document_id, 'title', c.title) order by e.ord), '[]'::jsonb)
          from jsonb_array_elements(r.sources) with ordinality as e(value, ord)
          left join knowledge_chunks c on c.tenant_id = r.tenant_id and c.id::text = e.value->>'id') as sources
  from results r
  left join leads l on l.tenant_id = r.tenant_id and l.message_id = r.message_id`;

/**
 * The conversation's results in stored order, only those after the result `afterId` when it is one
 * of this conversation's (an unknown id reads from the start). Runs in the caller's tenant scope.
 */
export async function resultsOf(
  em: EntityManager,
  tenantId: string,
  conversationId: string,
  { afterId, limit = 1000, pii }: { afterId?: string | undefined; limit?: number; pii: Pii },
): Promise<ResultView[]> {
  const [cursor] = afterId
    ? await em.execute<{ id: string }[]>(
        'select id from results where tenant_id = ? and conversation_id = ? and id = ?',
        [tenantId, conversationId, afterId],
      )
    : [];
  // The cursor is compared in SQL: timestamps carry microseconds that a JS Date would drop.
  const rows = await em.execute<ResultRow[]>(
    `${select}
      where r.tenant_id = ? and r.conversation_id = ?
        ${cursor ? 'and (r.created_at, r.id) > (select created_at, id from results where id = ?)' : ''}
      order by r.created_at, r.id
      limit ?`,
    cursor ? [tenantId, conversationId, cursor.id, limit] : [tenantId, conversationId, limit],
  );
  return revealResults(pii, tenantId, rows.map(toView));
}

/**
 * The first `limit` results of conversation `c` (an alias the enclosing statement defines) as one
 * JSON array, in stored order: for reading them in the same round trip as the conversation. Open
 * the array with `revealResultRows`.
 */
export const resultRowsOf = (c: string, limit = 1000) =>
  `(select coalesce(jsonb_agg(to_jsonb(x) order by x.created_at, x.id), '[]')
      from (${select} where r.tenant_id = ${c}.tenant_id and r.conversation_id = ${c}.id
            order by r.created_at, r.id limit ${Number(limit)}) x)`;

/** The views of rows read with `resultRowsOf` (timestamps as JSON renders them), PII opened. */
export function revealResultRows(pii: Pii, tenantId: string, rows: unknown): Promise<ResultView[]> {
  return revealResults(pii, tenantId, (rows as ResultRow[]).map(toView));
}

/** The result of one message, or undefined before it arrived. Runs in the caller's tenant scope. */
export async function resultOfMessage(
  em: EntityManager,
  tenantId: string,
  messageId: string,
  pii: Pii,
): Promise<ResultView | undefined> {
  const [row] = await em.execute<ResultRow[]>(`${select} where r.tenant_id = ? and r.message_id = ?`, [
    tenantId,
    messageId,
  ]);
  return row ? (await revealResults(pii, tenantId, [toView(row)]))[0] : undefined;
}
