// A member cluster's credentials: kept in Vault KV v2 at `<mount>/data/platform/clusters/<name>`
// (never in PostgreSQL), and turned into a KubeConfig when the hub connects. Errors never carry
// the node-vault error or the request: either could hold the secret on its way to a log line.
import { KubeConfig } from '@kubernetes/client-node';
import vault from 'node-vault';
import { DomainError } from '../errors.ts';

/** A kubeconfig (its current context is used), or a bearer token with the server's CA. */
export type ClusterCredentials =
  | { kind: 'kubeconfig'; kubeconfig: string }
  | { kind: 'token'; token: string; caData?: string };

export interface CredentialStore {
  /** Where a cluster's credentials live, for people and the API (no secret in it). */
  pathOf(cluster: string): string;
  /** Writes a new version. Throws 503 when Vault cannot be written. */
  put(cluster: string, credentials: ClusterCredentials): Promise<void>;
  /** The stored credentials, or undefined when there are none. Throws 503 when Vault cannot be read. */
  get(cluster: string): Promise<ClusterCredentials | undefined>;
  /** Removes every version; absent is fine. Throws 503 when Vault cannot be written. */
  remove(cluster: string): Promise<void>;
}

export interface VaultCredentialSettings {
  addr: string;
  token: string;
  kvMount?: string;
  timeoutMs?: number;
}

const statusOf = (error: unknown) => (error as { response?: { statusCode?: number } }).response?.statusCode;

function vaultFailed(what: string, error: unknown): DomainError {
  // Only the status code: the error object holds the request, and the request holds the secret.
  const status = statusOf(error);
  return new DomainError('dependency_unavailable', `Vault could not ${what} (${status ?? 'no answer'})`, {
    details: { dependency: 'Vault', ...(status ? { status } : {}) },
    retryAfterSeconds: 5,
  });
}

export function createVaultCredentialStore({
  addr,
  token,
  kvMount = 'secret',
  timeoutMs = 5000,
}: VaultCredentialSettings): CredentialStore {
  const client = vault({ endpoint: addr, token, requestOptions: { timeout: timeoutMs } });
  const relative = (cluster: string) => `platform/clusters/${cluster}`;
  return {
    pathOf: (cluster) => `${kvMount}/data/${relative(cluster)}`,
    async put(cluster, credentials) {
      try {
        await client.write(`${kvMount}/data/${relative(cluster)}`, { data: credentials });
      } catch (error) {
        throw vaultFailed('store the cluster credentials', error);
      }
    },
    async get(cluster) {
      try {
        const answer = (await client.read(`${kvMount}/data/${relative(cluster)}`)) as {
          data?: { data?: ClusterCredentials | null };
        };
        return answer.data?.data ?? undefined;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw vaultFailed('read the cluster credentials', error);
      }
    },
    async remove(cluster) {
      try {
        await client.delete(`${kvMount}/metadata/${relative(cluster)}`);
      } catch (error) {
        if (statusOf(error) !== 404) throw vaultFailed('delete the cluster credentials', error);
      }
    },
  };
}

/** Refuses every call: the hub was started without Vault, so credentials have nowhere to go. */
export const noCredentialStore: CredentialStore = {
  pathOf: () => '',
  put: async () => {
    throw new DomainError(
      'dependency_unavailable',
      'member clusters need Vault for their credentials: start the control plane with VAULT_ADDR and VAULT_TOKEN',
      { details: { dependency: 'Vault' } },
    );
  },
  get: async () => undefined,
  remove: async () => {},
};

/**
 * The KubeConfig the hub uses for a member. A kubeconfig must point at `server` (the registry is
 * the one record of where a member is); a token is used with the CA given, or the system's CAs.
 * Throws DomainError 422 for a kubeconfig that cannot be used.
 */
export function kubeConfigFor(credentials: ClusterCredentials, server: string): KubeConfig {
  const kc = new KubeConfig();
  if (credentials.kind === 'token') {
    kc.loadFromOptions({
      clusters: [{ name: 'member', server, ...(credentials.caData ? { caData: credentials.caData } : {}) }],
      users: [{ name: 'agentplane-hub', token: credentials.token }],
      contexts: [{ name: 'member', cluster: 'member', user: 'agentplane-hub' }],
      currentContext: 'member',
    });
    return kc;
  }
  try {
    kc.loadFromString(credentials.kubeconfig);
  } catch {
    // The parser's message may quote the document, which holds the secret.
    throw new DomainError('unprocessable', 'credentials.kubeconfig is not a valid kubeconfig document');
  }
  const current = kc.getCurrentCluster();
  if (!current || !kc.getCurrentUser())
    throw new DomainError(
      'unprocessable',
      'credentials.kubeconfig has no current-context with a cluster and a user',
    );
  if (new URL(current.server).href !== new URL(server).href)
    throw new DomainError(
      'unprocessable',
      `credentials.kubeconfig points at ${current.server}, not at apiServer.url ${server}`,
    );
  return kc;
}
