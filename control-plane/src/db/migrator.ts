// Applying migrations: a separate, short-lived connection (the migration role may differ from the
// API's), shared by the `migrate` command, the start-up flag and the tests.
import type { Logger } from '@agentplane/shared';
import { createOrm } from './orm.ts';

/** Applies pending migrations to `clientUrl` (database `dbName` when given); returns their names. Idempotent. */
export async function migrate(clientUrl: string, log: Logger, dbName?: string): Promise<string[]> {
  const orm = await createOrm({ clientUrl, ...(dbName ? { dbName } : {}), poolMax: 1 });
  try {
    const applied = await orm.migrator.up();
    for (const { name } of applied) log.info({ migration: name }, 'migration applied');
    return applied.map(({ name }) => name);
  } finally {
    await orm.close(true);
  }
}
