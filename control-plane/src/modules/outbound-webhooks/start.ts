// Wiring for server.ts: PII encryption (Vault transit, the mount enabled when missing) and the
// outbound webhook delivery worker. Without Vault, PII cannot be sealed and ingest waits for it.
import type { Logger } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createPii, type Pii, piiNotConfigured } from '../../crypto/pii.ts';
import {
  cachedOutboundWebhookSecrets,
  createVaultOutboundWebhookSecrets,
  type OutboundWebhookSecrets,
  outboundSecretsNotConfigured,
} from '../../vault/outbound-webhook-secrets.ts';
import { createVaultTransit } from '../../vault/transit.ts';
import { createAuditLog } from '../audit/audit.service.ts';
import { type DeliveryWorker, startDeliveryWorker } from './delivery-worker.ts';

export interface PiiAndWebhooks {
  pii: Pii;
  outboundWebhookSecrets: OutboundWebhookSecrets;
  worker: DeliveryWorker;
}

/** Throws (503) when Vault is configured but cannot enable or find the transit mount. */
export async function startPiiAndOutboundWebhooks({
  root,
  log,
  vaultAddr,
  vaultToken,
  vaultKvMount = 'secret',
  transitMount = 'transit',
  webhookAllowPrivate = false,
}: {
  root: EntityManager;
  log: Logger;
  vaultAddr?: string | undefined;
  vaultToken?: string | undefined;
  vaultKvMount?: string;
  transitMount?: string;
  /** CONTROL_PLANE_WEBHOOK_ALLOW_PRIVATE: deliveries to private, loopback and link-local receivers. */
  webhookAllowPrivate?: boolean;
}): Promise<PiiAndWebhooks> {
  let pii = piiNotConfigured;
  let outboundWebhookSecrets = outboundSecretsNotConfigured;
  if (vaultAddr && vaultToken) {
    const transit = createVaultTransit({ addr: vaultAddr, token: vaultToken, mount: transitMount });
    await transit.ensureMount();
    pii = createPii({ root, transit });
    const vault = createVaultOutboundWebhookSecrets({
      addr: vaultAddr,
      token: vaultToken,
      kvMount: vaultKvMount,
    });
    outboundWebhookSecrets = cachedOutboundWebhookSecrets(vault, { ttlMs: 30_000 });
  } else {
    log.warn('VAULT_ADDR unset: PII cannot be encrypted, so result events wait (retried) until it is set');
  }
  const worker = startDeliveryWorker({
    root,
    pii,
    secrets: outboundWebhookSecrets,
    audit: createAuditLog(),
    log: log.child({ component: 'outbound-webhooks' }),
    allowPrivateReceivers: webhookAllowPrivate,
  });
  return { pii, outboundWebhookSecrets, worker };
}
