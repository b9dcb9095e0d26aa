// The control plane's settings: the only module that reads process.env. Every variable is documented
// here with an example; a bad or missing one stops the start with all problems listed at once.
import { ConfigError, type ConfigOf, logLevels, readConfig, setting } from '@agentplane/shared';

export const controlPlaneSettings = {
  databaseUrl: setting.url('DATABASE_URL', {
    example: 'postgres://agentplane@127.0.0.1:5432/agentplane',
    description:
      'PostgreSQL the API uses; every request switches to the agentplane_api role, so the login role must be it or a member of it',
  }),
  migrationDatabaseUrl: setting.url('MIGRATION_DATABASE_URL', {
    example: 'postgres://postgres@127.0.0.1:5432/agentplane',
    optional: true,
    description: 'connection that runs migrations (creates roles and tables); unset: DATABASE_URL',
  }),
  migrateOnStart: setting.boolean('CONTROL_PLANE_MIGRATE_ON_START', {
    example: 'true',
    default: false,
    description: 'apply pending migrations before listening',
  }),
  kafkaBrokers: setting.list('KAFKA_BROKERS', {
    example: '127.0.0.1:9092,127.0.0.1:9093',
    description: 'bootstrap servers the inbound messages are produced to',
  }),
  vaultAddr: setting.url('VAULT_ADDR', { example: 'http://127.0.0.1:8200', optional: true }),
  vaultToken: setting.string('VAULT_TOKEN', { example: 'hvs.XXXX', optional: true }),
  kubeconfig: setting.string('KUBECONFIG', {
    example: '/home/sre/.kube/config',
    optional: true,
    description:
      'kubeconfig of the cluster Tenant and AgentInstance objects are applied to; unset: no writes',
  }),
  platformAdminToken: setting.string('PLATFORM_ADMIN_TOKEN', {
    example: 'a-long-random-string-of-at-least-32-characters',
    description: 'bearer token of the platform administrators (creates tenants, sees every tenant)',
  }),
  httpAddress: setting.string('CONTROL_PLANE_HTTP_ADDRESS', {
    example: '0.0.0.0:8080',
    default: '127.0.0.1:8080',
    description: 'host:port the API listens on; loopback unless told otherwise',
  }),
  bodyLimitBytes: setting.integer('CONTROL_PLANE_BODY_LIMIT_BYTES', {
    example: '1048576',
    default: 1_048_576,
    min: 1024,
    max: 104_857_600,
  }),
  logLevel: setting.oneOf('LOG_LEVEL', logLevels, { example: 'info', default: 'info' }),
};

export type ControlPlaneConfig = ConfigOf<typeof controlPlaneSettings>;

/** Reads and checks every setting; throws ConfigError listing all violations. */
export function loadControlPlaneConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ControlPlaneConfig {
  const config = readConfig(controlPlaneSettings, env);
  if (config.platformAdminToken.length < 32) {
    // A short shared secret is guessable; refuse it in the same style as readConfig.
    throw new ConfigError([
      'PLATFORM_ADMIN_TOKEN must be at least 32 characters (e.g. PLATFORM_ADMIN_TOKEN=$(openssl rand -hex 32))',
    ]);
  }
  return config;
}

/** Splits `host:port` (IPv6 in brackets allowed). Throws on a malformed address. */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match?.[1] || !match[2])
    throw new Error(`CONTROL_PLANE_HTTP_ADDRESS must be host:port, got "${address}"`);
  return { host: match[1], port: Number(match[2]) };
}

/** What `npm run migrate` needs, and nothing else: migrating must not require Kafka or tokens. */
export function loadMigrationConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  const { databaseUrl, migrationDatabaseUrl, logLevel } = controlPlaneSettings;
  return readConfig({ databaseUrl, migrationDatabaseUrl, logLevel }, env);
}
