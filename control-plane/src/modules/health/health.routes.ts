// Liveness and readiness for the kubelet; public, outside /v1 and the docs. Liveness never looks at
// dependencies: a database outage must not get the pods restarted (they recover by themselves, see
// docs/observability.md); readiness answers 503 while PostgreSQL is unreachable, within a bound
// shorter than a probe's timeout.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { dependencyUnavailable } from '../../errors.ts';

export interface HealthOptions {
  orm: MikroORM;
  /** How long /readyz waits for PostgreSQL before answering 503. */
  readyTimeoutMs?: number;
}

/** Resolves true when `select 1` answers within `timeoutMs`, false otherwise; never throws. */
async function answers(orm: MikroORM, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = orm.em
    .getConnection()
    .execute('select 1')
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([probe, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance, { orm, readyTimeoutMs = 800 }: HealthOptions) {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  // 503 in the error shape, with Retry-After, like any API answer while PostgreSQL is down.
  app.get('/readyz', { schema: { hide: true } }, async () => {
    if (!(await answers(orm, readyTimeoutMs))) throw dependencyUnavailable('PostgreSQL');
    return { ok: true };
  });
}
