// Exports of a tenant's data, as the API sees them: requested (the build runs in the background,
// export-builder.ts), followed through their progress, and downloaded part by part.
import { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import { actorOf, type Principal } from '../../auth/roles.ts';
import { DataExport } from '../../db/entities.ts';
import { withTenantScope } from '../../db/tenant-scope.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { ExportView } from './data-rights.schemas.ts';

function toView(row: DataExport): ExportView {
  const total = row.recordsTotal ?? null;
  const done = row.status === 'ready' ? (total ?? row.recordsDone) : row.recordsDone;
  return {
    id: row.id,
    status: row.status,
    stage: row.stage ?? null,
    progress: {
      recordsDone: row.recordsDone,
      recordsTotal: total,
      percent:
        row.status === 'ready' ? 100 : total ? Math.min(99.9, Math.floor((done / total) * 1000) / 10) : 0,
    },
    parts: row.parts,
    bytes: Number(row.bytes),
    error: row.error ?? null,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    downloadUrl: row.status === 'ready' ? `/v1/tenants/${row.tenantId}/exports/${row.id}/download` : null,
  };
}

export function createExportsService({ audit, root }: { audit: AuditLog; root: EntityManager }) {
  const find = async (em: EntityManager, tenantId: string, id: string) => {
    const row = await em.findOne(DataExport, { tenantId, id });
    if (!row) throw notFound('export', id);
    return row;
  };
  return {
    /** Records the request (audited); the build starts once the caller commits. */
    async request(em: EntityManager, tenantId: string, principal: Principal): Promise<ExportView> {
      const row = em.create(DataExport, {
        tenantId,
        status: 'pending',
        requestedBy: actorOf(principal),
        stage: null,
        recordsTotal: null,
        error: null,
        finishedAt: null,
      });
      await em.flush();
      await audit.record(em, {
        tenantId,
        actor: actorOf(principal),
        action: 'data.export-requested',
        target: `export/${row.id}`,
      });
      return toView(row);
    },

    get: async (em: EntityManager, tenantId: string, id: string) => toView(await find(em, tenantId, id)),

    async list(em: EntityManager, tenantId: string) {
      const rows = await em.find(DataExport, { tenantId }, { orderBy: { createdAt: 'desc' }, limit: 100 });
      return rows.map(toView);
    },

    /**
     * The archive as a stream of its parts, each read in its own short tenant-scoped transaction
     * (the request's own ends when the headers go out). 404 unknown; 409 when it is not ready.
     */
    async download(em: EntityManager, tenantId: string, id: string): Promise<Readable> {
      const row = await find(em, tenantId, id);
      if (row.status !== 'ready') {
        throw new DomainError('conflict', `export ${id} is ${row.status}, not ready`, {
          details: { status: row.status },
        });
      }
      const parts = row.parts;
      async function* body() {
        for (let seq = 0; seq < parts; seq++) {
          const rows = await withTenantScope(root, tenantId, (scope) =>
            scope.execute<{ body: string }[]>(
              'select body from data_export_parts where tenant_id = ? and export_id = ? and seq = ?',
              [tenantId, id, seq],
            ),
          );
          // Purged (an erasure) after the download began: end short rather than serve it.
          if (!rows[0]) throw new Error(`export ${id} part ${seq} is gone`);
          yield rows[0].body;
        }
      }
      return Readable.from(body());
    },
  };
}

export type ExportsService = ReturnType<typeof createExportsService>;
