// The Vault reader against a scripted fetch: which URLs it calls with which role, path and mounts,
// and how it answers Vault's replies.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { loadConfig } from '../config.ts';
import { RuntimeError } from '../errors.ts';
import { readTenantSecrets, type VaultOptions } from './secrets.ts';

interface Call {
  url: string;
  method: string;
  body?: unknown;
  token?: string;
}

/** A fetch answering login and KV reads from `replies` (by URL path), recording every call. */
function fakeVault(replies: Record<string, { status: number; body: unknown }>) {
  const calls: Call[] = [];
  const doFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    calls.push({
      url,
      method: init?.method ?? 'GET',
      ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}),
      ...(headers.get('x-vault-token') ? { token: headers.get('x-vault-token') as string } : {}),
    });
    const reply = replies[new URL(url).pathname] ?? { status: 404, body: { errors: [] } };
    return new Response(JSON.stringify(reply.body), { status: reply.status });
  }) as typeof fetch;
  return { calls, fetch: doFetch };
}

function jwtFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vault-')), 'token');
  writeFileSync(file, 'sa-jwt\n');
  return file;
}

const options = (overrides: Partial<VaultOptions>): VaultOptions => ({
  addr: 'http://vault:8200/',
  path: 'tenants/acme',
  role: 'agentplane-tenant-acme',
  kvMount: 'secret',
  authMount: 'kubernetes',
  jwtPath: jwtFile(),
  ...overrides,
});

it('logs in with the given role at the given auth mount and reads <path>/llm under the KV mount', async () => {
  const vault = fakeVault({
    '/v1/auth/k8s-east/login': { status: 200, body: { auth: { client_token: 'hvs.t' } } },
    '/v1/kv/data/tenants/acme/prod/llm': { status: 200, body: { data: { data: { apiKey: 'sk-acme' } } } },
  });
  const secrets = await readTenantSecrets(
    options({
      path: 'tenants/acme/prod',
      role: 'acme-runtime',
      kvMount: 'kv',
      authMount: 'k8s-east',
      fetch: vault.fetch,
    }),
  );
  assert.deepEqual(secrets, { llmApiKey: 'sk-acme' });
  assert.deepEqual(vault.calls, [
    {
      url: 'http://vault:8200/v1/auth/k8s-east/login',
      method: 'POST',
      body: { role: 'acme-runtime', jwt: 'sa-jwt' },
    },
    { url: 'http://vault:8200/v1/kv/data/tenants/acme/prod/llm', method: 'GET', token: 'hvs.t' },
  ]);
});

it('uses the tenant defaults when the operator passes no Vault settings', async () => {
  const config = loadConfig(
    {
      AGENTPLANE_TENANT: 'acme',
      AGENTPLANE_AGENT_INSTANCE: 'support',
      AGENTPLANE_AGENT: 'sales',
      KAFKA_BROKERS: 'k:9092',
    },
    [],
  );
  const vault = fakeVault({
    '/v1/auth/kubernetes/login': { status: 200, body: { auth: { client_token: 'hvs.t' } } },
    '/v1/secret/data/tenants/acme/llm': { status: 200, body: { data: { data: { apiKey: 'sk-1' } } } },
  });
  const secrets = await readTenantSecrets(
    options({
      path: config.vaultPath,
      role: config.vaultRole,
      kvMount: config.vaultKvMount,
      authMount: config.vaultAuthMount,
      fetch: vault.fetch,
    }),
  );
  assert.deepEqual(secrets, { llmApiKey: 'sk-1' });
  assert.deepEqual(vault.calls[0]?.body, { role: 'agentplane-tenant-acme', jwt: 'sa-jwt' });
});

it('skips the login with a token and answers {} when the tenant stored no key', async () => {
  const vault = fakeVault({});
  assert.deepEqual(await readTenantSecrets(options({ token: 'hvs.local', fetch: vault.fetch })), {});
  assert.deepEqual(vault.calls, [
    { url: 'http://vault:8200/v1/secret/data/tenants/acme/llm', method: 'GET', token: 'hvs.local' },
  ]);
});

it("reports a refused login with the role, the mount and Vault's reason, as retriable", async () => {
  const vault = fakeVault({
    '/v1/auth/kubernetes/login': { status: 400, body: { errors: ['invalid role name "nope"'] } },
  });
  await assert.rejects(readTenantSecrets(options({ role: 'nope', fetch: vault.fetch })), (error) => {
    assert.ok(error instanceof RuntimeError);
    assert.equal(error.code, 'dependency_unavailable');
    assert.equal(error.retriable, true);
    assert.match(error.message, /role nope at auth\/kubernetes failed: HTTP 400: invalid role name "nope"/);
    return true;
  });
});

it('reports a denied read with the path it tried', async () => {
  const vault = fakeVault({
    '/v1/secret/data/tenants/acme/prod/llm': { status: 403, body: { errors: ['permission denied'] } },
  });
  await assert.rejects(
    readTenantSecrets(options({ token: 'hvs.t', path: 'tenants/acme/prod', fetch: vault.fetch })),
    /secret\/data\/tenants\/acme\/prod\/llm with VAULT_TOKEN failed: HTTP 403: permission denied/,
  );
});
