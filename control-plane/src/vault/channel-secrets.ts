// The port through which channel webhooks read a tenant's channel secrets, its node-vault
// implementation (KV v2 at `<mount>/data/tenants/<tenant>/channels/<channel>`) and a short cache.
import { vaultNames } from '@agentplane/shared';
import vault from 'node-vault';
import { DomainError, dependencyUnavailable } from '../errors.ts';

export interface ChannelSecrets {
  /**
   * The channel's secret record as stored, or undefined when the tenant has no such channel.
   * Throws DomainError 503 when Vault cannot be asked.
   */
  read(tenant: string, channel: string): Promise<Record<string, unknown> | undefined>;
}

export interface VaultSettings {
  addr: string;
  token: string;
  /** The KV v2 mount holding tenants' secrets. */
  kvMount?: string;
  timeoutMs?: number;
}

/** The KV v2 path of a channel's secret, relative to the mount's `data/`. */
export const channelSecretPath = (tenant: string, channel: string) =>
  `${vaultNames.defaultPath(tenant)}/channels/${channel}`;

const statusOf = (error: unknown) => (error as { response?: { statusCode?: number } }).response?.statusCode;

export function createVaultChannelSecrets({
  addr,
  token,
  kvMount = 'secret',
  timeoutMs = 3000,
}: VaultSettings): ChannelSecrets {
  const client = vault({ endpoint: addr, token, requestOptions: { timeout: timeoutMs } });
  return {
    async read(tenant, channel) {
      try {
        const answer = (await client.read(`${kvMount}/data/${channelSecretPath(tenant, channel)}`)) as {
          data?: { data?: Record<string, unknown> | null };
        };
        // A deleted latest version reads as data: null.
        return answer.data?.data ?? undefined;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw dependencyUnavailable('Vault', error);
      }
    },
  };
}

/** For a control plane started without VAULT_ADDR: every read says how to fix it. */
export const vaultNotConfigured: ChannelSecrets = {
  read: async () => {
    throw new DomainError(
      'dependency_unavailable',
      'channel webhooks need Vault: start the control plane with VAULT_ADDR and VAULT_TOKEN',
      { details: { dependency: 'Vault' } },
    );
  },
};

/**
 * Keeps each answer (found or not) for `ttlMs`, so a burst of deliveries costs Vault one read per
 * tenant and channel; a rotated secret is picked up within `ttlMs`. Failures are not kept.
 */
export function cachedChannelSecrets(
  inner: ChannelSecrets,
  { ttlMs, maxEntries = 10_000, now = Date.now }: { ttlMs: number; maxEntries?: number; now?: () => number },
): ChannelSecrets {
  const entries = new Map<string, { expires: number; value: ReturnType<ChannelSecrets['read']> }>();
  return {
    read(tenant, channel) {
      const key = `${tenant}/${channel}`;
      const cached = entries.get(key);
      if (cached && cached.expires > now()) return cached.value;
      // Oldest first (insertion order): unknown channel names must not grow the map without bound.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value ?? key);
      const value = inner.read(tenant, channel);
      entries.set(key, { expires: now() + ttlMs, value });
      value.catch(() => entries.get(key)?.value === value && entries.delete(key));
      return value;
    },
  };
}
