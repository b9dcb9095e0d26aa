// The hub as server.ts starts it: Vault for member credentials, the database, the settings.
import type { Logger } from '@agentplane/shared';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ControlPlaneConfig } from '../config.ts';
import { createAuditLog } from '../modules/audit/audit.service.ts';
import { createVaultCredentialStore } from './credentials.ts';
import { createHub, type Hub } from './hub.ts';
import { hubSettingsOf } from './settings.ts';

/** Creates and starts the hub (every registered member connected). Throws when PostgreSQL or Vault cannot be read. */
export async function startHub(config: ControlPlaneConfig, orm: MikroORM, log: Logger): Promise<Hub> {
  if (!config.vaultAddr || !config.vaultToken)
    throw new Error('the multi-cluster hub needs VAULT_ADDR and VAULT_TOKEN');
  const hub = createHub({
    root: orm.em,
    credentials: createVaultCredentialStore({
      addr: config.vaultAddr,
      token: config.vaultToken,
      kvMount: config.vaultKvMount,
    }),
    audit: createAuditLog(),
    settings: hubSettingsOf(config),
    log: log.child({ component: 'hub' }),
  });
  await hub.start();
  return hub;
}
