import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, recordingWriter, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('tenants', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  const writer = recordingWriter();

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db, { writer });
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('a platform admin creates a tenant, which is written to the cluster and audited', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: t.admin,
      payload: { name: 'acme', tier: 'enterprise', displayName: 'ACME Corp', unknown: 'dropped' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.id, 'acme');
    assert.equal(body.isolation, 'dedicated', 'enterprise defaults to dedicated');
    assert.equal(body.unknown, undefined);
    assert.deepEqual(writer.calls[0], {
      op: 'applyTenant',
      args: ['acme', { tier: 'enterprise', displayName: 'ACME Corp' }],
    });
    const audit = await t.app.inject({ method: 'GET', url: '/v1/tenants/acme/audit', headers: t.admin });
    assert.equal(audit.json().items[0].action, 'tenant.created');
  });

  it('answers 409 for an existing tenant and 422 for a basic dedicated one', async () => {
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: t.admin,
      payload: { name: 'acme', tier: 'pro' },
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'conflict');
    const basic = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: t.admin,
      payload: { name: 'tiny', tier: 'basic', isolation: 'dedicated' },
    });
    assert.equal(basic.statusCode, 422);
    assert.match(basic.json().message, /basic tier cannot be dedicated/);
  });

  it('a tenant key reads its own tenant; creating tenants is for platform admins', async () => {
    const globex = await onboardTenant(t, 'globex', 'basic');
    const own = await t.app.inject({ method: 'GET', url: '/v1/tenants/globex', headers: globex.headers });
    assert.equal(own.statusCode, 200);
    assert.equal(own.json().tier, 'basic');
    const create = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: globex.headers,
      payload: { name: 'x', tier: 'pro' },
    });
    assert.equal(create.statusCode, 403);
    assert.equal(create.json().code, 'forbidden');
  });

  it('a platform admin gets 404 for a tenant that does not exist', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/tenants/nobody', headers: t.admin });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), {
      code: 'not_found',
      message: 'tenant "nobody" was not found',
      details: { kind: 'tenant', id: 'nobody' },
    });
  });
});
