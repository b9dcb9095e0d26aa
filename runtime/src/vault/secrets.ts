// Reads the tenant's own secrets from Vault's KV v2: the secret at `<path>/llm` under the KV mount
// (field `apiKey`: the tenant's model API key). The path, role and mounts are the tenant's resolved
// Vault settings, passed in by the operator (see config.ts). In a pod the runtime logs in with its
// ServiceAccount token through the tenant's Kubernetes-auth role; local runs pass VAULT_TOKEN.
import { readFile } from 'node:fs/promises';
import { unavailable } from '../errors.ts';

export interface TenantSecrets {
  llmApiKey?: string;
}

export interface VaultOptions {
  addr: string;
  /** The tenant's KV v2 path below `kvMount`, e.g. `tenants/acme` or `tenants/acme/prod`. */
  path: string;
  /** The Kubernetes-auth role to log in as. */
  role: string;
  kvMount: string;
  authMount: string;
  /** A token (local runs); when absent, Kubernetes auth with the ServiceAccount token at `jwtPath`. */
  token?: string;
  jwtPath: string;
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

/** Vault's own explanation (`{"errors": [...]}`), or '' when the body has none. */
async function vaultErrors(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { errors?: unknown };
  return Array.isArray(body.errors) && body.errors.length > 0 ? `: ${body.errors.join('; ')}` : '';
}

async function login(options: VaultOptions, doFetch: typeof fetch, base: string): Promise<string> {
  if (options.token) return options.token;
  const jwt = (await readFile(options.jwtPath, 'utf8')).trim();
  const response = await call(doFetch, `${base}/v1/auth/${options.authMount}/login`, {
    method: 'POST',
    body: JSON.stringify({ role: options.role, jwt }),
  });
  if (!response.ok)
    throw unavailable(
      `Vault login as role ${options.role} at auth/${options.authMount} failed: HTTP ${response.status}${await vaultErrors(response)}`,
    );
  const body = (await response.json()) as { auth?: { client_token?: string } };
  if (!body.auth?.client_token) throw unavailable('Vault login returned no token');
  return body.auth.client_token;
}

/** The tenant's secrets; `{}` when the tenant stored none. Throws a retriable error when Vault fails. */
export async function readTenantSecrets(options: VaultOptions): Promise<TenantSecrets> {
  const doFetch = options.fetch ?? fetch;
  const base = options.addr.replace(/\/+$/, '');
  const token = await login(options, doFetch, base);
  const path = `${options.kvMount}/data/${options.path}/llm`;
  const response = await call(doFetch, `${base}/v1/${path}`, { headers: { 'X-Vault-Token': token } });
  if (response.status === 404) return {};
  if (!response.ok)
    throw unavailable(
      `Vault read of ${path} ${options.token ? 'with VAULT_TOKEN' : `as role ${options.role}`} failed: HTTP ${response.status}${await vaultErrors(response)}`,
    );
  const body = (await response.json()) as { data?: { data?: Record<string, unknown> } };
  const apiKey = body.data?.data?.apiKey;
  return typeof apiKey === 'string' && apiKey ? { llmApiKey: apiKey } : {};
}
