// Liveness and readiness for the kubelet; public, outside /v1 and the docs.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';

export async function healthRoutes(app: FastifyInstance, { orm }: { orm: MikroORM }) {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const ok = await orm.em
      .getConnection()
      .execute('select 1')
      .then(
        () => true,
        () => false,
      );
    return reply.status(ok ? 200 : 503).send({ ok });
  });
}
