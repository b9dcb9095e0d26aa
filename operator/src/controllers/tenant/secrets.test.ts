import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KvSecret } from '../../vault/tenant-vault.ts';
import type { TenantPlan } from './plan.ts';
import { checkTenantKeys, neededKeys } from './secrets.ts';

const plan = { name: 'acme', tier: 'pro', namespace: 'agentplane-pool-pro' } as TenantPlan;
const owner = { apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant', name: 'acme', uid: 'u' };

function vault(store: Record<string, KvSecret>) {
  const reads: string[] = [];
  return {
    reads,
    port: {
      kvMount: 'secret',
      readSecret: async (path: string) => {
        reads.push(path);
        return store[path];
      },
    },
  };
}

describe('checkTenantKeys', () => {
  it('reads each secret once and names every missing key with its full path', async () => {
    const v = vault({ 'tenants/acme': { data: { webhook: 'w' }, version: 1 } });
    const report = await checkTenantKeys(
      plan,
      'tenants/acme',
      {
        required: [{ key: 'webhook' }, { path: 'llm', key: 'apiKey' }, { path: 'llm', key: 'org' }],
        projected: [{ path: 'llm', key: 'apiKey' }],
      },
      v.port,
      owner,
    );
    assert.deepEqual(v.reads, ['tenants/acme', 'tenants/acme/llm']);
    assert.equal(report.outcome.reason, 'SecretMissing');
    assert.match(
      report.outcome.message,
      /^missing key apiKey in secret\/tenants\/acme\/llm, key org in secret\/tenants\/acme\/llm;/,
    );
    assert.match(report.outcome.message, /vault kv patch secret\/tenants\/acme\/llm apiKey=/);
    assert.equal(report.secret, undefined, 'nothing is projected while a key is missing');
    assert.equal(report.versions, '.=1,llm=0');
  });

  it('projects keys under their secretKey with the versions they came from', async () => {
    const v = vault({
      'tenants/acme': { data: { webhook: 'hook' }, version: 4 },
      'tenants/acme/llm': { data: { apiKey: 'sk-1' }, version: 2 },
    });
    const report = await checkTenantKeys(
      plan,
      'tenants/acme',
      { projected: [{ key: 'webhook' }, { path: 'llm', key: 'apiKey', secretKey: 'OPENAI_API_KEY' }] },
      v.port,
      owner,
    );
    assert.equal(report.outcome.status, 'True');
    const secret = report.secret as unknown as {
      data: Record<string, string>;
      metadata: { annotations: object };
    };
    assert.deepEqual(secret.data, {
      webhook: Buffer.from('hook').toString('base64'),
      OPENAI_API_KEY: Buffer.from('sk-1').toString('base64'),
    });
    assert.deepEqual(secret.metadata.annotations, { 'agentplane.io/vault-versions': '.=4,llm=2' });
  });

  it('treats projected keys as required', () => {
    assert.deepEqual(neededKeys({ required: [{ key: 'a' }], projected: [{ key: 'b', secretKey: 'B' }] }), [
      { key: 'a' },
      { key: 'b', secretKey: 'B' },
    ]);
  });
});
