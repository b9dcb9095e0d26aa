// `npm run pii:backfill -w control-plane`: seals the email and phone of rows stored before PII
// encryption (docs/pii-encryption.md). Needs MIGRATION_DATABASE_URL (or DATABASE_URL) of a role that
// sees every tenant, VAULT_ADDR and VAULT_TOKEN. Safe to run again; exits non-zero on failure.
import { createLogger } from '@agentplane/shared';
import { loadMigrationConfig } from '../config.ts';
import { createOrm } from '../db/orm.ts';
import { createVaultTransit } from '../vault/transit.ts';
import { backfillPii } from './backfill.ts';
import { createPii } from './pii.ts';

const config = loadMigrationConfig();
const log = createLogger({ name: 'control-plane-pii-backfill', level: config.logLevel });
const { VAULT_ADDR: addr, VAULT_TOKEN: token, VAULT_TRANSIT_MOUNT: mount = 'transit' } = process.env;
if (!addr || !token) {
  log.fatal('VAULT_ADDR and VAULT_TOKEN are required (e.g. VAULT_ADDR=http://127.0.0.1:8200)');
  process.exit(2);
}
const orm = await createOrm({ clientUrl: config.migrationDatabaseUrl ?? config.databaseUrl, poolMax: 2 });
try {
  const transit = createVaultTransit({ addr, token, mount });
  await transit.ensureMount();
  const sealed = await backfillPii(orm.em, createPii({ root: orm.em, transit }));
  log.info(sealed, 'plaintext PII sealed');
} catch (error) {
  log.fatal({ err: error }, 'PII backfill failed');
  process.exitCode = 1;
} finally {
  await orm.close(true);
}
