// Reads the tenant's own secrets from Vault's KV v2 at `secret/data/tenants/<tenant>/llm`
// (field `apiKey`: the tenant's model API key). In a pod the runtime logs in with its
// ServiceAccount token through the tenant's Kubernetes-auth role; local runs pass VAULT_TOKEN.
import { readFile } from 'node:fs/promises';
import { vaultNames } from '@agentplane/shared';
import { unavailable } from '../errors.ts';

export interface TenantSecrets {
  llmApiKey?: string;
}

export interface VaultOptions {
  addr: string;
  tenant: string;
  /** A token (local runs); when absent, Kubernetes auth with the ServiceAccount token at `jwtPath`. */
  token?: string;
  jwtPath: string;
  mount?: string;
  fetch?: typeof fetch;
}

async function call(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw unavailable(
      `Vault at ${new URL(url).origin} cannot be reached: ${(error as Error).message}`,
      error,
    );
  }
}

async function login(options: VaultOptions, doFetch: typeof fetch): Promise<string> {
  if (options.token) return options.token;
  const jwt = (await readFile(options.jwtPath, 'utf8')).trim();
  const response = await call(doFetch, `${options.addr}/v1/auth/kubernetes/login`, {
    method: 'POST',
    body: JSON.stringify({ role: vaultNames.role(options.tenant), jwt }),
  });
  if (!response.ok)
    throw unavailable(
      `Vault login as role ${vaultNames.role(options.tenant)} failed: HTTP ${response.status}`,
    );
  const body = (await response.json()) as { auth?: { client_token?: string } };
  if (!body.auth?.client_token) throw unavailable('Vault login returned no token');
  return body.auth.client_token;
}

/** The tenant's secrets; `{}` when the tenant stored none. Throws a retriable error when Vault fails. */
export async function readTenantSecrets(options: VaultOptions): Promise<TenantSecrets> {
  const doFetch = options.fetch ?? fetch;
  const token = await login(options, doFetch);
  const path = `${options.mount ?? 'secret'}/data/${vaultNames.defaultPath(options.tenant)}/llm`;
  const response = await call(doFetch, `${options.addr}/v1/${path}`, { headers: { 'X-Vault-Token': token } });
  if (response.status === 404) return {};
  if (!response.ok) throw unavailable(`Vault read of ${path} failed: HTTP ${response.status}`);
  const body = (await response.json()) as { data?: { data?: Record<string, unknown> } };
  const apiKey = body.data?.data?.apiKey;
  return typeof apiKey === 'string' && apiKey ? { llmApiKey: apiKey } : {};
}
