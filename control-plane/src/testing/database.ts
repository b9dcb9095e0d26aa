// A fresh, migrated database per suite on the test bed's PostgreSQL, dropped afterwards.
import { silentLogger } from '@agentplane/shared';
import { testbedEnv, uniqueName } from '@agentplane/shared/testing';
import { MikroORM } from '@mikro-orm/postgresql';
import { migrate } from '../db/migrator.ts';
import { createOrm } from '../db/orm.ts';

export interface TestDatabase {
  /** Superuser URL of the test bed; pair it with `dbName`. */
  clientUrl: string;
  dbName: string;
  /** A URL of the new database that logs in as `role` (trust auth on the bed). */
  urlAs(role: string): string;
  drop(): Promise<void>;
}

/** Creates `cp_<hex>`, applies every migration, returns how to reach and drop it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const clientUrl = testbedEnv('DATABASE_URL');
  const dbName = uniqueName('cp').replace('-', '_');
  const admin = await createOrm({ clientUrl, poolMax: 1 });
  await admin.schema.createDatabase(dbName);
  await admin.close(true);
  await migrate(clientUrl, silentLogger(), dbName);
  return {
    clientUrl,
    dbName,
    urlAs(role) {
      const url = new URL(clientUrl);
      url.username = role;
      url.pathname = `/${dbName}`;
      return url.toString();
    },
    async drop() {
      const orm = await MikroORM.init({ clientUrl, entities: [], discovery: { warnWhenNoEntities: false } });
      // Connections of a failed test may linger; end them so the drop cannot hang.
      await orm.em
        .getConnection()
        .execute(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()',
          [dbName],
        );
      await orm.schema.dropDatabase(dbName);
      await orm.close(true);
    },
  };
}
