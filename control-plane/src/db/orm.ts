// Builds the MikroORM instance the API and the migration command share.
import type { Logger } from '@agentplane/shared';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { instrumentPool } from '../telemetry/pg.ts';
import { entities } from './entities.ts';
import { migrationsList } from './migrations/index.ts';

export interface OrmSettings {
  clientUrl: string;
  /** Overrides the database named in the URL (tests use a fresh one each). */
  dbName?: string;
  logger?: Logger;
  poolMax?: number;
  /** Bound on waiting for a pooled connection (pool full, server not answering). */
  connectTimeoutMs?: number;
  /** Bound on one query's answer (unset: none, as migrations want); a query past it fails. */
  queryTimeoutMs?: number;
}

/** What of `pg`'s Pool and Client this needs (pg ships no types). */
interface Pool {
  options: { database?: string };
  on(event: 'connect', listener: (client: Client) => void): unknown;
}
interface Client {
  query: (...args: unknown[]) => unknown;
  on(event: 'end', listener: () => void): unknown;
}
type Release = (error?: Error) => void;

/**
 * Gives a checked-out client back to the pool, as broken, as soon as its connection ends. Kysely
 * releases a transaction's connection only once COMMIT or ROLLBACK succeeded, so each request whose
 * server went away mid-transaction would keep a pool slot forever, and after `poolMax` of them every
 * query would wait for a slot: the API would not recover when PostgreSQL is back. pg-pool assigns
 * `client.release` at each checkout; it is made idempotent so Kysely's own later call is harmless.
 */
function releaseBrokenClients(pool: Pool): void {
  pool.on('connect', (client) => {
    let release: Release | undefined;
    Object.defineProperty(client, 'release', {
      configurable: true,
      get: () => release,
      set(fresh: Release) {
        let done = false;
        release = (error) => {
          if (done) return;
          done = true;
          fresh(error);
        };
      },
    });
    client.on('end', () => release?.(new Error('the connection to PostgreSQL ended')));
  });
}

/**
 * Connects lazily; throws on invalid settings only. Close it with `orm.close()`. With PostgreSQL
 * down, a query fails within `connectTimeoutMs` (refused connections at once) and the request that
 * made it answers 503 (http/error-handler.ts); the pool reconnects by itself when the server is back.
 */
export function createOrm({
  clientUrl,
  dbName,
  logger,
  poolMax = 10,
  connectTimeoutMs = 5_000,
  queryTimeoutMs,
}: OrmSettings): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl,
    ...(dbName ? { dbName } : {}),
    entities,
    extensions: [Migrator],
    // Hand-written SQL migrations: no schema snapshot file (it would land in the cwd).
    migrations: { snapshot: false, silent: true, migrationsList, transactional: true, allOrNothing: true },
    pool: { min: 0, max: poolMax },
    // Handed to pg's Pool. keepAlive: a server that vanished without a FIN is noticed.
    driverOptions: {
      connectionTimeoutMillis: connectTimeoutMs,
      ...(queryTimeoutMs ? { query_timeout: queryTimeoutMs } : {}),
      keepAlive: true,
      onPoolCreated: (pool: Pool) => {
        releaseBrokenClients(pool);
        instrumentPool(pool);
      },
    },
    debug: false,
    ...(logger ? { logger: (message: string) => logger.debug({ orm: message }, 'orm') } : {}),
  });
}
