// Builds a tenant's export archive in the background: NDJSON, one line per record with its kind,
// every PostgreSQL record read from one repeatable-read snapshot, then the vector store's points.
// The archive is stored in parts of about `partBytes` in data_export_parts (so any replica can
// serve the download) and progress is written as it goes. Claiming the row makes a build run once;
// a build whose export was purged meanwhile (an erasure) deletes what it wrote.
import type { Logger } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { apiRole, withTenantScope } from '../../db/tenant-scope.ts';
import type { KnowledgeIndex } from '../../knowledge/knowledge-index.ts';

/** Every tenant table, in the archive's order; `omit` lists columns never exported. */
export const exportedKinds = [
  { kind: 'tenant', table: 'tenants', key: 'id', tenantColumn: 'id' },
  { kind: 'user', table: 'users', key: 'id' },
  { kind: 'membership', table: 'memberships', key: 'id' },
  { kind: 'api-key', table: 'api_keys', key: 'id', omit: ['key_hash'] },
  { kind: 'agent-instance', table: 'agent_instances', key: 'id' },
  { kind: 'conversation', table: 'conversations', key: 'id' },
  { kind: 'message', table: 'messages', key: 'id' },
  { kind: 'result', table: 'results', key: 'id' },
  { kind: 'lead', table: 'leads', key: 'id' },
  { kind: 'usage-record', table: 'usage_records', key: 'id' },
  { kind: 'audit-event', table: 'audit_events', key: 'id' },
  { kind: 'flag-override', table: 'flag_overrides', key: 'flag_key' },
  { kind: 'knowledge-document', table: 'knowledge_documents', key: 'id' },
  { kind: 'knowledge-chunk', table: 'knowledge_chunks', key: 'id' },
] as const satisfies readonly {
  kind: string;
  table: string;
  key: string;
  tenantColumn?: string;
  omit?: readonly string[];
}[];

export interface ExportBuilderDependencies {
  root: EntityManager;
  index: KnowledgeIndex | undefined;
  log: Logger;
  pageSize?: number;
  partBytes?: number;
  staleSeconds?: number;
}

export function createExportBuilder(deps: ExportBuilderDependencies) {
  const { root, index, log, pageSize = 500, partBytes = 1_048_576, staleSeconds = 600 } = deps;
  const inScope = <T>(tenantId: string, work: (em: EntityManager) => Promise<T>) =>
    withTenantScope(root, tenantId, work);

  const claim = (tenantId: string, exportId: string) =>
    inScope(tenantId, async (em) => {
      const rows = await em.execute(
        `update data_exports set status = 'running', stage = 'counting', records_done = 0, parts = 0, bytes = 0,
           error = null, updated_at = now()
         where tenant_id = ? and id = ?
           and (status = 'pending' or (status = 'running' and updated_at < now() - make_interval(secs => ?)))
         returning id`,
        [tenantId, exportId, staleSeconds],
      );
      // A build taken over from a crashed one starts from an empty archive.
      if (rows.length > 0)
        await em.execute('delete from data_export_parts where tenant_id = ? and export_id = ?', [
          tenantId,
          exportId,
        ]);
      return rows.length > 0;
    });

  /** Writes parts and progress; each call is its own short transaction. False: the export was purged. */
  function archive(tenantId: string, exportId: string) {
    let buffer = '';
    let parts = 0;
    let bytes = 0;
    let records = 0;
    let live = true;
    const flush = async (stage: string | null) => {
      const body = buffer;
      buffer = '';
      live = await inScope(tenantId, async (em) => {
        if (body) {
          await em.execute(
            'insert into data_export_parts (tenant_id, export_id, seq, body) values (?, ?, ?, ?)',
            [tenantId, exportId, parts, body],
          );
        }
        const updated = await em.execute(
          `update data_exports set stage = ?, records_done = ?, parts = ?, bytes = ?, updated_at = now()
           where tenant_id = ? and id = ? and status = 'running' returning id`,
          [stage, records, parts + (body ? 1 : 0), bytes + Buffer.byteLength(body), tenantId, exportId],
        );
        return updated.length > 0;
      });
      if (body) {
        parts += 1;
        bytes += Buffer.byteLength(body);
      }
      if (!live) throw new Purged();
    };
    return {
      async write(kind: string, data: unknown, stage: string) {
        buffer += `${JSON.stringify({ kind, data })}\n`;
        if (kind !== 'export') records += 1;
        if (buffer.length >= partBytes) await flush(stage);
      },
      progress: (stage: string) => flush(stage),
      get totals() {
        return { parts, bytes, records };
      },
    };
  }

  /** Reads the tenant's PostgreSQL rows in one snapshot, page by page. */
  async function* pgRecords(reader: EntityManager, tenantId: string) {
    for (const { kind, table, key, ...rest } of exportedKinds) {
      const tenantColumn = 'tenantColumn' in rest ? rest.tenantColumn : 'tenant_id';
      const omit = 'omit' in rest ? rest.omit.map((column) => ` - '${column}'`).join('') : '';
      let after: string | undefined;
      for (;;) {
        const page = await reader.execute<{ cursor: string; record: unknown }[]>(
          `select ${key}::text as cursor, to_jsonb(t)${omit} as record from ${table} t
           where ${tenantColumn} = ? ${after === undefined ? '' : `and ${key}::text > ?`}
           order by ${key}::text limit ?`,
          [tenantId, ...(after === undefined ? [] : [after]), pageSize],
        );
        for (const row of page) yield { kind, record: row.record };
        yield { kind, record: undefined }; // a page boundary: progress is written
        if (page.length < pageSize) break;
        after = page.at(-1)?.cursor;
      }
    }
  }

  async function totals(reader: EntityManager, tenantId: string) {
    const counts: Record<string, number> = {};
    for (const { kind, table, ...rest } of exportedKinds) {
      const tenantColumn = 'tenantColumn' in rest ? rest.tenantColumn : 'tenant_id';
      const rows = await reader.execute<{ n: number }[]>(
        `select count(*)::int as n from ${table} where ${tenantColumn} = ?`,
        [tenantId],
      );
      counts[kind] = rows[0]?.n ?? 0;
    }
    if (index) {
      await index.ready();
      counts['vector-point'] = await index.store.count(tenantId);
    }
    return counts;
  }

  async function build(tenantId: string, exportId: string) {
    // One snapshot for every PostgreSQL record: the archive is consistent as of its start.
    const reader = root.fork({ session: { role: apiRole, variables: { 'app.tenant_id': tenantId } } });
    await reader.begin({ isolationLevel: 'repeatable read', readOnly: true });
    try {
      const counts = await totals(reader, tenantId);
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      await inScope(tenantId, (em) =>
        em.execute('update data_exports set records_total = ? where tenant_id = ? and id = ?', [
          total,
          tenantId,
          exportId,
        ]),
      );
      const out = archive(tenantId, exportId);
      const header = {
        format: 'agentplane-export/1',
        id: exportId,
        tenant: tenantId,
        startedAt: new Date().toISOString(),
        vectorStore: index ? 'included' : 'not configured',
        counts,
      };
      await out.write('export', header, 'tenant');
      for await (const { kind, record } of pgRecords(reader, tenantId)) {
        if (record === undefined) await out.progress(kind);
        else await out.write(kind, record, kind);
      }
      if (index) {
        await out.progress('vector-point');
        let cursor: string | undefined;
        do {
          const page = await index.store.list(tenantId, { limit: 256, ...(cursor ? { cursor } : {}) });
          for (const point of page.points) await out.write('vector-point', point, 'vector-point');
          await out.progress('vector-point');
          cursor = page.next;
        } while (cursor);
      }
      await out.progress('done');
      return out.totals;
    } finally {
      await reader.rollback();
    }
  }

  /** Builds the export when it is pending (or stale); records `ready` or `failed`. Never throws. */
  async function run(tenantId: string, exportId: string): Promise<void> {
    if (!(await claim(tenantId, exportId))) return;
    try {
      const { records } = await build(tenantId, exportId);
      const finished = await inScope(tenantId, (em) =>
        em.execute(
          `update data_exports set status = 'ready', stage = null, records_done = ?, finished_at = now(), updated_at = now()
           where tenant_id = ? and id = ? and status = 'running' returning id`,
          [records, tenantId, exportId],
        ),
      );
      if (finished.length === 0) throw new Purged();
    } catch (error) {
      if (error instanceof Purged) {
        // An erasure purged it while it ran: what was written may hold the erased end user.
        await inScope(tenantId, (em) =>
          em.execute('delete from data_export_parts where tenant_id = ? and export_id = ?', [
            tenantId,
            exportId,
          ]),
        );
        return;
      }
      log.warn({ err: error, tenantId, exportId }, 'export failed');
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
      await inScope(tenantId, (em) =>
        em.execute(
          `update data_exports set status = 'failed', error = ?, finished_at = now(), updated_at = now()
           where tenant_id = ? and id = ? and status = 'running'`,
          [message, tenantId, exportId],
        ),
      );
    }
  }

  return { run };
}

class Purged extends Error {}

export type ExportBuilder = ReturnType<typeof createExportBuilder>;
