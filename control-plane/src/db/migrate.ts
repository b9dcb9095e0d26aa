// `npm run migrate -w control-plane`: applies pending migrations and exits (non-zero on failure).
import { createLogger } from '@agentplane/shared';
import { loadMigrationConfig } from '../config.ts';
import { migrate } from './migrator.ts';

const config = loadMigrationConfig();
const log = createLogger({ name: 'control-plane-migrate', level: config.logLevel });
try {
  const applied = await migrate(config.migrationDatabaseUrl ?? config.databaseUrl, log);
  log.info({ applied }, 'migrations applied');
} catch (error) {
  log.fatal({ err: error }, 'migration failed');
  process.exitCode = 1;
}
