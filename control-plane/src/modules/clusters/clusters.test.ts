import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testbedEnv, withoutTestbed } from '@agentplane/shared/testing';
import vault from 'node-vault';
import { buildHubTestApp, type HubTestApp } from '../../multicluster/testing.ts';
import { buildTestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

// A member nobody answers for: the registry, Vault and placement work without a real cluster.
const nowhere = (
  name: string,
  credentials: Record<string, string> = { token: `secret-token-of-${name}` },
) => ({
  name,
  region: 'eu',
  capacity: { maxTenants: 5, cpu: '64', memory: '128Gi' },
  apiServer: { url: 'https://127.0.0.1:1' },
  credentials,
});

describe('clusters: the member registry', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: HubTestApp;
  const name = `c-${process.pid}`;
  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: t.admin, ...(payload ? { payload } : {}) });
  const secrets = () => vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') });

  before(async () => {
    db = await createTestDatabase();
    t = await buildHubTestApp(db);
  });
  after(async () => {
    await t?.close();
    await db?.drop();
    await secrets()
      .delete(`secret/metadata/platform/clusters/${name}`)
      .catch(() => {});
  });

  it('registers a member: credentials in Vault only, health probed at once', async () => {
    const res = await inject('POST', '/v1/clusters', nowhere(name));
    assert.equal(res.statusCode, 201, res.body);
    const view = res.json();
    assert.equal(view.health.state, 'Unreachable', 'a member never reached is Unreachable at once');
    assert.equal(view.health.lastSuccessAt, null);
    assert.deepEqual(view.credentials, { kind: 'token', vaultPath: `secret/data/platform/clusters/${name}` });
    assert.deepEqual(view.capacity, { maxTenants: 5, cpu: '64', memory: '128Gi' });
    assert.ok(!res.body.includes('secret-token'));
    const stored = await secrets().read(`secret/data/platform/clusters/${name}`);
    assert.equal(stored.data.data.token, `secret-token-of-${name}`);
    const rows = await t.app.orm.em.fork().execute('select * from member_clusters');
    assert.ok(!JSON.stringify(rows).includes('secret-token'));
    assert.equal((await inject('GET', '/v1/clusters')).json().items.length, 1);
  });

  it('refuses what cannot work, with the field or the reason', async () => {
    assert.equal((await inject('POST', '/v1/clusters', nowhere(name))).statusCode, 409);
    const both = await inject('POST', '/v1/clusters', nowhere('c-both', { token: 't', kubeconfig: 'k' }));
    assert.equal(both.statusCode, 400);
    const garbage = await inject(
      'POST',
      '/v1/clusters',
      nowhere('c-bad', { kubeconfig: 'not: [a kubeconfig' }),
    );
    assert.equal(garbage.statusCode, 422);
    assert.doesNotMatch(garbage.body, /not: \[a/, 'the document is not echoed');
    const elsewhere = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'x', cluster: { server: 'https://10.0.0.1:6443' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'x', user: 'u' } }],
      'current-context': 'x',
    });
    const mismatch = await inject('POST', '/v1/clusters', nowhere('c-else', { kubeconfig: elsewhere }));
    assert.equal(mismatch.statusCode, 422);
    assert.match(mismatch.json().message, /points at https:\/\/10.0.0.1:6443/);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/clusters' })).statusCode, 401);
  });

  it('places no tenant on an unhealthy member: 409 with the reason, and no tenant left behind', async () => {
    const res = await inject('POST', '/v1/tenants', { name: 'acme', tier: 'pro' });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json().details.candidates, [
      { cluster: name, fits: false, reasons: ['health is Unreachable'], headroom: null },
    ]);
    assert.equal((await inject('GET', '/v1/tenants/acme')).statusCode, 404);
  });

  it('unregisters a member and removes its credentials', async () => {
    assert.equal((await inject('DELETE', `/v1/clusters/${name}`)).statusCode, 204);
    assert.equal((await inject('GET', `/v1/clusters/${name}`)).statusCode, 404);
    await assert.rejects(secrets().read(`secret/data/platform/clusters/${name}`), /404|Status 404/);
    const audit = await t.app.orm.em
      .fork()
      .execute<{ action: string }[]>(
        "select action from audit_events where tenant_id = '_platform' order by seq",
      );
    assert.deepEqual(
      audit.map((row) => row.action),
      ['cluster.registered', 'cluster.unregistered'],
    );
  });
});

describe('clusters: without a hub', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('says how to turn multi-cluster placement on', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/clusters', headers: t.admin });
    assert.equal(res.statusCode, 503);
    assert.match(res.json().message, /CONTROL_PLANE_MULTICLUSTER=true/);
    const pinned = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: t.admin,
      payload: { name: 'acme', tier: 'pro', cluster: 'eu-1' },
    });
    assert.equal(pinned.statusCode, 422);
  });
});
