import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, withoutTestbed } from '@agentplane/shared/testing';
import { hashKey } from '../../auth/api-key.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('api keys', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let acme: Awaited<ReturnType<typeof onboardTenant>>;

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    acme = await onboardTenant(t, 'acme');
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('shows the key once and stores only its SHA-256', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: acme.headers,
      payload: { name: 'ci', role: 'developer' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const { key, prefix, id } = res.json();
    assert.match(key, /^ap_live_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.ok(key.startsWith(`${prefix}_`));

    const list = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/api-keys',
      headers: acme.headers,
    });
    assert.ok(!list.body.includes(key), 'a listing never contains a key');
    assert.equal(list.json().items.find((k: { id: string }) => k.id === id)?.prefix, prefix);

    const rows = await t.app.orm.em
      .fork()
      .execute<{ key_hash: string }[]>('select * from api_keys where id = ?', [id]);
    assert.equal(rows[0]?.key_hash, hashKey(key));
    assert.ok(
      // The secret is everything after the prefix: base64url may itself contain '_'.
      !JSON.stringify(rows).includes(key.slice(prefix.length + 1)),
      'the secret part is stored nowhere',
    );

    const used = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(used.statusCode, 200);
  });

  it('a revoked key stops working; a developer cannot manage keys; an admin cannot mint an owner', async () => {
    const dev = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: acme.headers,
      payload: { name: 'd', role: 'developer' },
    });
    const devHeaders = { authorization: `Bearer ${dev.json().key}` };
    const denied = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/api-keys',
      headers: devHeaders,
    });
    assert.equal(denied.statusCode, 403);

    const admin = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: acme.headers,
      payload: { name: 'a', role: 'admin' },
    });
    const escalate = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: { authorization: `Bearer ${admin.json().key}` },
      payload: { name: 'o', role: 'owner' },
    });
    assert.equal(escalate.statusCode, 403);

    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/acme/api-keys/${dev.json().id}`,
      headers: acme.headers,
    });
    assert.equal(revoke.statusCode, 204);
    const after = await t.app.inject({ method: 'GET', url: '/v1/tenants/acme', headers: devHeaders });
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().code, 'unauthenticated');
  });

  it('rejects a forged key with the right lookup id', async () => {
    const forged = `${acme.key.slice(0, -4)}AAAA`;
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme',
      headers: { authorization: `Bearer ${forged}` },
    });
    assert.equal(res.statusCode, 401);
  });
  // Found keys are kept in memory for up to 2 s (auth/principal-store.ts); these two pin what that may cost.
  const issue = async (name: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: acme.headers,
      payload: { name, role: 'member' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const { id, key } = res.json() as { id: string; key: string };
    const use = () =>
      t.app.inject({ method: 'GET', url: '/v1/tenants/acme', headers: { authorization: `Bearer ${key}` } });
    return { id, use };
  };

  it('a key revoked through this API is refused by the next request, although it was just used', async () => {
    const key = await issue('cached');
    assert.equal((await key.use()).statusCode, 200);
    assert.equal((await key.use()).statusCode, 200, 'answered from the cache now');
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/acme/api-keys/${key.id}`,
      headers: acme.headers,
    });
    assert.equal(revoke.statusCode, 204);
    assert.equal((await key.use()).statusCode, 401);
  });

  it('a key revoked elsewhere (another replica, SQL) is refused within the 2 s cache TTL', async () => {
    const key = await issue('elsewhere');
    assert.equal((await key.use()).statusCode, 200);
    await t.orm.em.fork().execute('update api_keys set revoked_at = now() where id = ?', [key.id]);
    const revokedAt = Date.now();
    await eventually(async () => (await key.use()).statusCode === 401, {
      what: 'the revoked key refused',
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    assert.ok(Date.now() - revokedAt < 2_500, `refused after ${Date.now() - revokedAt} ms`);
  });
});
