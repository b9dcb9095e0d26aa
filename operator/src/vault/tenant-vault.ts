// Per-tenant Vault access, written by the operator: a policy that reads only the tenant's KV v2
// path, and a Kubernetes-auth role that gives that policy to the tenant's runtime ServiceAccount in
// its home namespace, with a short token TTL. The Kubernetes auth method itself is enabled and
// configured from the operator's own settings when it is not yet. Policy and role writes are preceded
// by a read, so an unchanged tenant costs Vault no write.

import { vaultNames } from '@agentplane/shared';
import vault from 'node-vault';
import type { StepOutcome } from '../controllers/tenant/status.ts';

export interface TenantVaultOptions {
  addr: string;
  /** The operator's Vault token (read from a mounted file, never from a manifest). */
  token: string;
  /** KV v2 mount holding tenants' secrets. */
  kvMount: string;
  authMount: string;
  /** How Vault reaches the API server to review runtime tokens. */
  kubernetes: { host: string; caCert: string; reviewerJwt: () => Promise<string> };
  tokenTtl: string;
}

export interface TenantHomeIdentity {
  tenant: string;
  /** The tenant's home; during a move, the old and the new one. */
  namespaces: string[];
  serviceAccount: string;
  /** KV v2 path under the mount, e.g. tenants/acme. */
  path: string;
}

/** One KV v2 secret as read: its fields and version; absent when it does not exist (or is deleted). */
export interface KvSecret {
  data: Record<string, string>;
  version: number;
}

export interface TenantVault {
  /** SecretsReady: the tenant's policy and role as desired. VaultUnavailable when Vault cannot be reached. */
  ensureTenant(home: TenantHomeIdentity): Promise<StepOutcome>;
  /** The current version of the KV v2 secret at `path` (under the KV mount); undefined when absent. */
  readSecret(path: string): Promise<KvSecret | undefined>;
  /** Removes the tenant's role and policy (its KV data stays). Idempotent. */
  deleteTenant(tenant: string): Promise<void>;
  /** Destroys every version of every secret at and below `path`; returns the paths destroyed. */
  deleteSecrets(path: string): Promise<string[]>;
  /** Where the KV v2 mount is, for messages that tell an SRE which `vault kv` command to run. */
  readonly kvMount: string;
}

type Client = ReturnType<typeof vault>;

export function createTenantVault(options: TenantVaultOptions): TenantVault {
  const client: Client = vault({
    endpoint: options.addr,
    token: options.token,
    requestOptions: { timeout: 5_000 },
  });
  // The reviewer token expires, so the auth config is rewritten well before it does.
  let authWrittenAt = 0;
  const refreshMs = 30 * 60_000;

  async function ensureAuth(): Promise<void> {
    if (Date.now() - authWrittenAt < refreshMs) return;
    const mounts = (await client.auths()) as Record<string, { type?: string }>;
    if (!mounts[`${options.authMount}/`])
      await client.enableAuth({ mount_point: options.authMount, type: 'kubernetes' });
    const path = `auth/${options.authMount}/config`;
    const { host, caCert } = options.kubernetes;
    await client.write(path, {
      kubernetes_host: host,
      kubernetes_ca_cert: caCert,
      token_reviewer_jwt: await options.kubernetes.reviewerJwt(),
    });
    authWrittenAt = Date.now();
  }

  return {
    async ensureTenant(home) {
      try {
        await ensureAuth();
        const policy = vaultNames.policy(home.tenant);
        const rules = policyRules(options.kvMount, home.path);
        const existing = await readOrUndefined(client, `sys/policy/${policy}`);
        if (existing?.rules !== rules) await client.addPolicy({ name: policy, rules });
        const rolePath = `auth/${options.authMount}/role/${vaultNames.role(home.tenant)}`;
        const role = {
          bound_service_account_names: [home.serviceAccount],
          bound_service_account_namespaces: home.namespaces,
          token_policies: [policy],
          token_ttl: options.tokenTtl,
        };
        const current = await readOrUndefined(client, rolePath);
        if (!sameRole(current, role)) await client.write(rolePath, role);
        return {
          type: 'SecretsReady',
          status: 'True',
          reason: 'PolicyWritten',
          message: `policy ${policy} reads ${options.kvMount}/${home.path}; role ${vaultNames.role(home.tenant)} is bound to ServiceAccount ${home.serviceAccount} in ${home.namespaces.join(' and ')}`,
        };
      } catch (error) {
        authWrittenAt = 0;
        return {
          type: 'SecretsReady',
          status: 'False',
          reason: 'VaultUnavailable',
          message: describe(error),
        };
      }
    },
    kvMount: options.kvMount,
    async readSecret(path) {
      const answer = (await readOrUndefined(client, `${options.kvMount}/data/${path}`)) as
        | { data?: Record<string, unknown> | null; metadata?: { version?: number } }
        | undefined;
      if (!answer?.data) return undefined;
      const data = Object.fromEntries(
        Object.entries(answer.data).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
      );
      return { data, version: answer.metadata?.version ?? 0 };
    },
    async deleteSecrets(path) {
      // Children first: a LIST shows `name/` for folders and `name` for secrets. Deleting the metadata
      // of a secret destroys all of its versions.
      const destroyed: string[] = [];
      const visit = async (folder: string) => {
        const listed = await client.list(`${options.kvMount}/metadata/${folder}`).catch((error: unknown) => {
          if (statusOf(error) === 404) return { data: { keys: [] } };
          throw error;
        });
        for (const key of ((listed as { data?: { keys?: string[] } }).data?.keys ?? []) as string[]) {
          if (key.endsWith('/')) await visit(`${folder}/${key.slice(0, -1)}`);
          else await destroy(`${folder}/${key}`);
        }
      };
      const destroy = async (secret: string) => {
        await client.delete(`${options.kvMount}/metadata/${secret}`).catch(ignoreNotFound);
        destroyed.push(secret);
      };
      await visit(path);
      if (await readOrUndefined(client, `${options.kvMount}/metadata/${path}`)) await destroy(path);
      return destroyed;
    },
    async deleteTenant(tenant) {
      await client.delete(`auth/${options.authMount}/role/${vaultNames.role(tenant)}`).catch(ignoreNotFound);
      await client.removePolicy({ name: vaultNames.policy(tenant) }).catch(ignoreNotFound);
    },
  };
}

/** Read only the tenant's own path (and below it) of the KV v2 mount: nothing else. */
export function policyRules(kvMount: string, path: string): string {
  return [
    `path "${kvMount}/data/${path}" { capabilities = ["read"] }`,
    `path "${kvMount}/data/${path}/*" { capabilities = ["read"] }`,
  ].join('\n');
}

function sameRole(current: Record<string, unknown> | undefined, desired: Record<string, unknown>): boolean {
  if (!current) return false;
  const list = (v: unknown) => JSON.stringify([...((v as string[] | undefined) ?? [])].sort());
  return (
    list(current.bound_service_account_names) === list(desired.bound_service_account_names) &&
    list(current.bound_service_account_namespaces) === list(desired.bound_service_account_namespaces) &&
    list(current.token_policies) === list(desired.token_policies) &&
    Number(current.token_ttl) === ttlSeconds(String(desired.token_ttl))
  );
}

function ttlSeconds(ttl: string): number {
  const match = /^(\d+)([smh]?)$/.exec(ttl);
  const unit = { '': 1, s: 1, m: 60, h: 3600 }[match?.[2] ?? ''] ?? 1;
  return Number(match?.[1] ?? 0) * unit;
}

async function readOrUndefined(client: Client, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return ((await client.read(path)) as { data?: Record<string, unknown> }).data;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

const statusOf = (error: unknown) => (error as { response?: { statusCode?: number } }).response?.statusCode;

function ignoreNotFound(error: unknown): void {
  if (statusOf(error) !== 404) throw error;
}

function describe(error: unknown): string {
  const status = statusOf(error);
  return `Vault did not answer as expected${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`;
}
