// The port over Vault's transit engine that PII encryption uses (docs/pii-encryption.md): one named
// key per tenant (`agentplane-tenant-<t>`) that never leaves Vault, data keys generated and
// unwrapped by it, and the key's destruction when the tenant is erased.
import vault from 'node-vault';
import { DomainError, dependencyUnavailable } from '../errors.ts';

export interface TransitKeys {
  /** Enables the transit engine at the mount when it is missing. Idempotent. */
  ensureMount(): Promise<void>;
  /** A fresh 256-bit data key: its plaintext and the same key wrapped by the tenant's transit key (created when missing). */
  newDataKey(tenant: string): Promise<{ plaintext: Buffer; wrapped: string }>;
  /** The plaintext of a wrapped data key. Throws `KeyDestroyed` when the tenant's key is gone. */
  unwrap(tenant: string, wrapped: string): Promise<Buffer>;
  /** Deletes the tenant's transit key (deletion_allowed, then delete). Idempotent. */
  destroyKey(tenant: string): Promise<void>;
}

export const transitKeyName = (tenant: string) => `agentplane-tenant-${tenant}`;

/** The tenant's transit key does not exist (any more): what it wrapped cannot be recovered. Not retriable. */
export const keyDestroyed = (tenant: string) =>
  new DomainError('unprocessable', `the encryption key of tenant "${tenant}" does not exist (destroyed?)`, {
    details: { dependency: 'Vault', key: transitKeyName(tenant) },
  });

const statusOf = (error: unknown) => (error as { response?: { statusCode?: number } }).response?.statusCode;

export interface TransitSettings {
  addr: string;
  token: string;
  mount?: string;
  timeoutMs?: number;
}

export function createVaultTransit({
  addr,
  token,
  mount = 'transit',
  timeoutMs = 3000,
}: TransitSettings): TransitKeys {
  const client = vault({ endpoint: addr, token, requestOptions: { timeout: timeoutMs } });
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      // A 4xx is Vault's answer about the request; anything else (refused, reset, 5xx) is an outage.
      const status = statusOf(error);
      if (status !== undefined && status >= 400 && status < 500) throw error;
      throw dependencyUnavailable('Vault', error);
    }
  };
  const keyPath = (tenant: string) => `${mount}/keys/${transitKeyName(tenant)}`;
  return {
    async ensureMount() {
      const mounts = (await call(() => client.mounts())) as Record<string, unknown> & {
        data?: Record<string, unknown>;
      };
      if (`${mount}/` in (mounts.data ?? mounts)) return;
      await call(() => client.mount({ mount_point: mount, type: 'transit' })).catch((error: unknown) => {
        // Another replica enabled it in between: "path is already in use".
        if (statusOf(error) !== 400) throw error;
      });
    },

    async newDataKey(tenant) {
      // Creating an existing key changes nothing (Vault answers 204), so no read first.
      await call(() => client.write(keyPath(tenant), { type: 'aes256-gcm96' }));
      const answer = (await call(() =>
        client.write(`${mount}/datakey/plaintext/${transitKeyName(tenant)}`, { bits: 256 }),
      )) as { data: { plaintext: string; ciphertext: string } };
      return { plaintext: Buffer.from(answer.data.plaintext, 'base64'), wrapped: answer.data.ciphertext };
    },

    async unwrap(tenant, wrapped) {
      try {
        const answer = (await call(() =>
          client.write(`${mount}/decrypt/${transitKeyName(tenant)}`, { ciphertext: wrapped }),
        )) as { data: { plaintext: string } };
        return Buffer.from(answer.data.plaintext, 'base64');
      } catch (error) {
        if (error instanceof DomainError) throw error;
        throw keyDestroyed(tenant);
      }
    },

    async destroyKey(tenant) {
      try {
        await call(() => client.write(`${keyPath(tenant)}/config`, { deletion_allowed: true }));
        await call(() => client.delete(keyPath(tenant)));
      } catch (error) {
        if (error instanceof DomainError) throw error;
        // 400/404: there is no such key, which is what was asked for.
        if (![400, 404].includes(statusOf(error) ?? 0)) throw dependencyUnavailable('Vault', error);
      }
    },
  };
}
