// PostgreSQL for the routes: one tenant-scoped unit of work per request. Routes with an action and
// a tenant get `request.em`, a fork inside a transaction running as agentplane_api with
// app.tenant_id set (db/tenant-scope.ts); it commits when the reply succeeds and rolls back otherwise.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Tenant } from '../../db/entities.ts';
import { openTenantScope } from '../../db/tenant-scope.ts';
import { notFound } from '../../errors.ts';
import { toDomainError } from '../../http/error-handler.ts';

declare module 'fastify' {
  interface FastifyInstance {
    orm: MikroORM;
  }
  interface FastifyContextConfig {
    /** The tenant whose scope the request runs in; default: the `t` path parameter. */
    tenantOf?: (request: FastifyRequest) => string | undefined;
  }
  interface FastifyRequest {
    em: EntityManager | null;
    /** What runs once the request's scope committed (see `afterCommit`). */
    committed: (() => void)[] | null;
  }
}

async function endScope(request: FastifyRequest, commit: boolean): Promise<void> {
  const em = request.em;
  if (!em?.isInTransaction()) return;
  if (commit) {
    await em.commit();
    for (const done of request.committed ?? []) done();
  } else {
    // A failed rollback means the connection is gone, and the server rolled the transaction back
    // with it; throwing here would replace the request's own answer (a 503) with a bare 500.
    await em.rollback().catch((error: unknown) => request.log.warn({ err: error }, 'rollback failed'));
  }
}

async function ormPlugin(app: FastifyInstance, { orm }: { orm: MikroORM }) {
  app.decorate('orm', orm);
  app.decorateRequest('em', null);
  app.decorateRequest('committed', null);
  app.addHook('preHandler', async (request) => {
    const { action, tenantOf } = request.routeOptions.config;
    const tenant = tenantOf ? tenantOf(request) : (request.params as { t?: string } | undefined)?.t;
    if (!action || !tenant) return;
    try {
      request.em = await openTenantScope(orm.em, tenant);
    } catch (error) {
      throw toDomainError(error) ?? error;
    }
    // A key's tenant exists (it was checked with the key); the platform administrator can name any,
    // and a tenant that is not there is a 404 on every route, not a foreign-key failure in a write.
    // (Routes that name their tenant otherwise, like creating one, check for themselves.)
    if (
      !tenantOf &&
      request.principal?.kind === 'platform-admin' &&
      !(await request.em.findOne(Tenant, { id: tenant }))
    )
      throw notFound('tenant', tenant);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    await endScope(request, reply.statusCode < 400);
    return payload;
  });
  // A request that ends without a reply (client gone, serialization failure) must not leak its connection.
  app.addHook('onResponse', (request) => endScope(request, false));
  app.addHook('onRequestAbort', (request) => endScope(request, false));
  app.addHook('onClose', () => orm.close());
}

export default fp(ormPlugin, { name: 'agentplane-orm', fastify: '5.x' });

/** The tenant-scoped EntityManager of a request (only for routes with a tenant). */
export function emOf(request: FastifyRequest): EntityManager {
  if (!request.em) throw new Error('emOf called on a route without a tenant scope');
  return request.em;
}

/**
 * Runs `done` (synchronous, must not throw) once the request's tenant scope has committed; never
 * when it rolls back. For in-process state (caches) that must follow what other requests can see.
 */
export function afterCommit(request: FastifyRequest, done: () => void): void {
  request.committed ??= [];
  request.committed.push(done);
}
