// Where the signing secret of a tenant's outbound webhook lives: Vault KV v2 at
// `<mount>/data/tenants/<tenant>/outbound-webhook` ({ secret }), read through a short cache by the
// delivery worker and written only when the API generates a new one.
import { vaultNames } from '@agentplane/shared';
import vault from 'node-vault';
import { DomainError, dependencyUnavailable } from '../errors.ts';

export interface OutboundWebhookSecrets {
  /** The tenant's signing secret, or undefined when it has none. Throws 503 when Vault cannot be asked. */
  read(tenant: string): Promise<string | undefined>;
  /** Stores `secret` as the tenant's signing secret (a new KV version). */
  write(tenant: string, secret: string): Promise<void>;
  /** Removes every version of it. Idempotent. */
  remove(tenant: string): Promise<void>;
}

export const outboundWebhookSecretPath = (tenant: string) =>
  `${vaultNames.defaultPath(tenant)}/outbound-webhook`;

const statusOf = (error: unknown) => (error as { response?: { statusCode?: number } }).response?.statusCode;

export function createVaultOutboundWebhookSecrets({
  addr,
  token,
  kvMount = 'secret',
  timeoutMs = 3000,
}: {
  addr: string;
  token: string;
  kvMount?: string;
  timeoutMs?: number;
}): OutboundWebhookSecrets {
  const client = vault({ endpoint: addr, token, requestOptions: { timeout: timeoutMs } });
  const path = (kind: 'data' | 'metadata', tenant: string) =>
    `${kvMount}/${kind}/${outboundWebhookSecretPath(tenant)}`;
  return {
    async read(tenant) {
      try {
        const answer = (await client.read(path('data', tenant))) as {
          data?: { data?: { secret?: unknown } };
        };
        const secret = answer.data?.data?.secret;
        return typeof secret === 'string' ? secret : undefined;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw dependencyUnavailable('Vault', error);
      }
    },
    async write(tenant, secret) {
      try {
        await client.write(path('data', tenant), { data: { secret } });
      } catch (error) {
        throw dependencyUnavailable('Vault', error);
      }
    },
    async remove(tenant) {
      try {
        await client.delete(path('metadata', tenant));
      } catch (error) {
        if (statusOf(error) !== 404) throw dependencyUnavailable('Vault', error);
      }
    },
  };
}

/** Caches each found secret for `ttlMs` (a rotation through the API drops the entry at once). */
export function cachedOutboundWebhookSecrets(
  inner: OutboundWebhookSecrets,
  { ttlMs, now = Date.now }: { ttlMs: number; now?: () => number },
): OutboundWebhookSecrets {
  const entries = new Map<string, { expires: number; secret: string }>();
  return {
    async read(tenant) {
      const cached = entries.get(tenant);
      if (cached && cached.expires > now()) return cached.secret;
      const secret = await inner.read(tenant);
      if (secret) entries.set(tenant, { expires: now() + ttlMs, secret });
      else entries.delete(tenant);
      return secret;
    },
    async write(tenant, secret) {
      entries.delete(tenant);
      await inner.write(tenant, secret);
    },
    async remove(tenant) {
      entries.delete(tenant);
      await inner.remove(tenant);
    },
  };
}

/** For a control plane started without VAULT_ADDR. */
export const outboundSecretsNotConfigured: OutboundWebhookSecrets = {
  read: async () => {
    throw new DomainError(
      'dependency_unavailable',
      'outbound webhooks need Vault: start the control plane with VAULT_ADDR and VAULT_TOKEN',
      { details: { dependency: 'Vault' } },
    );
  },
  write: async () => void (await outboundSecretsNotConfigured.read('')),
  remove: async () => {},
};
