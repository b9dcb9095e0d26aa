// At start, picks up what a stopped control plane left unfinished: documents never indexed and
// exports never built (or abandoned mid-way: untouched for `staleSeconds`). The claim in each
// worker makes sure that two replicas resuming at once do the work once.
import type { Logger } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Background } from '../../knowledge/background.ts';
import type { KnowledgeIndexer } from '../../knowledge/indexer.ts';
import type { ExportBuilder } from './export-builder.ts';

export interface ResumeDependencies {
  root: EntityManager;
  indexer: KnowledgeIndexer;
  builder: ExportBuilder;
  background: Background;
  log: Logger;
  staleSeconds?: number;
}

/** Schedules every unfinished job; returns how many. Logs (never throws) when PostgreSQL fails. */
export async function resumeUnfinishedWork(deps: ResumeDependencies): Promise<number> {
  const { root, indexer, builder, background, log, staleSeconds = 600 } = deps;
  try {
    // A SECURITY DEFINER function: ids across tenants without lifting RLS for anything else.
    const work = await root
      .fork()
      .execute<{ kind: string; tenant_id: string; id: string }[]>(
        'select kind, tenant_id, id from data_rights_unfinished_work(?)',
        [staleSeconds],
      );
    for (const { kind, tenant_id: tenantId, id } of work) {
      if (kind === 'export') background.run(`export ${tenantId}/${id}`, () => builder.run(tenantId, id));
      else indexer.schedule(tenantId, id);
    }
    if (work.length > 0) log.info({ jobs: work.length }, 'resumed unfinished knowledge and export work');
    return work.length;
  } catch (err) {
    log.error({ err }, 'could not look for unfinished knowledge and export work');
    return 0;
  }
}
