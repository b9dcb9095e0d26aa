// Knowledge and data rights as one unit of the app: the background worker, the indexer, the export
// builder and the erasure share it. Registered by app.ts with one call.
import type { Logger } from '@agentplane/shared';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../modules/audit/audit.service.ts';
import { dataRightsRoutes } from '../modules/data-rights/data-rights.routes.ts';
import { createErasureService } from '../modules/data-rights/erasure.service.ts';
import { createExportBuilder } from '../modules/data-rights/export-builder.ts';
import { createExportsService } from '../modules/data-rights/exports.service.ts';
import { resumeUnfinishedWork } from '../modules/data-rights/resume.ts';
import { knowledgeRoutes } from '../modules/knowledge/knowledge.routes.ts';
import { createKnowledgeService } from '../modules/knowledge/knowledge.service.ts';
import { createBackground } from './background.ts';
import { createKnowledgeIndexer } from './indexer.ts';
import type { KnowledgeIndex } from './knowledge-index.ts';

export interface KnowledgeAndDataRightsOptions {
  orm: MikroORM;
  audit: AuditLog;
  /** The vector store shared with the runtime; unset: knowledge routes answer 503. */
  index: KnowledgeIndex | undefined;
  maxDocumentBytes?: number;
}

/** Registers the knowledge and data-rights routes under /v1; closing the app waits for their jobs. */
export async function registerKnowledgeAndDataRights(
  instance: FastifyInstance,
  { orm, audit, index, maxDocumentBytes = 524_288 }: KnowledgeAndDataRightsOptions,
) {
  const root = orm.em;
  // The app's logger is the pino instance buildApp was given.
  const log = instance.log.child({ component: 'knowledge-and-data-rights' }) as Logger;
  const background = createBackground(log);
  const indexer = createKnowledgeIndexer({ root, index, background, log });
  const builder = createExportBuilder({ root, index, log });
  // Jobs write to PostgreSQL: they finish before the ORM closes.
  instance.addHook('preClose', () => background.idle());
  instance.addHook('onReady', async () => {
    await resumeUnfinishedWork({ root, indexer, builder, background, log });
  });
  await instance.register(knowledgeRoutes, {
    prefix: '/v1',
    service: createKnowledgeService({ index, maxDocumentBytes }),
    indexer,
    // JSON escaping can double the content; the content's own limit is checked in the service.
    bodyLimitBytes: Math.max(instance.initialConfig.bodyLimit ?? 1_048_576, maxDocumentBytes * 2 + 65_536),
  });
  await instance.register(dataRightsRoutes, {
    prefix: '/v1',
    exports: createExportsService({ audit, root }),
    builder,
    erasure: createErasureService({ audit, index }),
    indexer,
    background,
  });
  return { background };
}
