// Builds the MikroORM instance the API and the migration command share.
import type { Logger } from '@agentplane/shared';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { entities } from './entities.ts';
import { migrationsList } from './migrations/index.ts';

export interface OrmSettings {
  clientUrl: string;
  /** Overrides the database named in the URL (tests use a fresh one each). */
  dbName?: string;
  logger?: Logger;
  poolMax?: number;
}

/** Connects lazily; throws on invalid settings only. Close it with `orm.close()`. */
export function createOrm({ clientUrl, dbName, logger, poolMax = 10 }: OrmSettings): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl,
    ...(dbName ? { dbName } : {}),
    entities,
    extensions: [Migrator],
    // Hand-written SQL migrations: no schema snapshot file (it would land in the cwd).
    migrations: { snapshot: false, silent: true, migrationsList, transactional: true, allOrNothing: true },
    pool: { min: 0, max: poolMax },
    debug: false,
    ...(logger ? { logger: (message: string) => logger.debug({ orm: message }, 'orm') } : {}),
  });
}
