// Builds the control plane as a multi-cluster hub for tests: the app (against a test database) and
// a hub with the bed's Vault, on short intervals so health and drift show within seconds.
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger, type LogLevel } from '@agentplane/shared';
import { testbedEnv } from '@agentplane/shared/testing';
import { buildApp } from '../app.ts';
import { createOrm } from '../db/orm.ts';
import { createFlagEvaluator } from '../flags/evaluator.ts';
import { noClusterWriter } from '../kube/resource-writer.ts';
import { createAuditLog } from '../modules/audit/audit.service.ts';
import { recordingBus } from '../testing/app.ts';
import type { TestDatabase } from '../testing/database.ts';
import { createVaultCredentialStore } from './credentials.ts';
import { createHub, type Hub, type HubSettings } from './hub.ts';

export const fastHubSettings: HubSettings = {
  probeIntervalMs: 1_000,
  probeTimeoutMs: 2_000,
  unreachableAfter: 2,
  leaseBoundMs: 30_000,
  resyncMs: 5_000,
  requestTimeoutMs: 10_000,
  relistMaxMs: 2_000,
  concurrency: 4,
  identity: 'agentplane-hub-test',
  rules: { enterpriseLabel: { key: 'agentplane.io/dedicated-tenants', value: 'true' } },
};

export interface HubTestApp {
  app: Awaited<ReturnType<typeof buildApp>>;
  hub: Hub;
  admin: { authorization: string };
  /** Stops the hub and closes the app (the ORM with it). */
  close(): Promise<void>;
}

/** A hub and its API on `db`, with the bed's Vault; started (every registered member connected). */
export async function buildHubTestApp(
  db: TestDatabase,
  options: { settings?: Partial<HubSettings>; logger?: Logger } = {},
): Promise<HubTestApp> {
  const log =
    options.logger ??
    createLogger({
      name: 'hub-test',
      level: (process.env.HUB_TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent',
    });
  const orm = await createOrm({ clientUrl: db.clientUrl, dbName: db.dbName });
  const hub = createHub({
    root: orm.em,
    credentials: createVaultCredentialStore({
      addr: testbedEnv('VAULT_ADDR'),
      token: testbedEnv('VAULT_TOKEN'),
    }),
    audit: createAuditLog(),
    settings: { ...fastHubSettings, ...options.settings },
    log,
  });
  await hub.start();
  const platformAdminToken = randomBytes(24).toString('hex');
  const app = await buildApp(
    {
      orm,
      bus: recordingBus(),
      writer: noClusterWriter,
      multicluster: hub,
      flags: await createFlagEvaluator(),
      platformAdminToken,
    },
    { logger: log },
  );
  return {
    app,
    hub,
    admin: { authorization: `Bearer ${platformAdminToken}` },
    async close() {
      await hub.stop();
      await app.close();
    },
  };
}
