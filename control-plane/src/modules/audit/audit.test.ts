import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('audit chain', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let acme: Awaited<ReturnType<typeof onboardTenant>>;

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    acme = await onboardTenant(t, 'acme');
    await onboardTenant(t, 'globex');
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('verifies an intact chain and finds the first tampered event', async () => {
    const verify = () =>
      t.app.inject({ method: 'GET', url: '/v1/tenants/acme/audit/verify', headers: acme.headers });
    const intact = await verify();
    assert.deepEqual(intact.json(), { valid: true, events: 2 }, 'tenant.created, api-key.created');

    // Tampering needs the superuser: the API role has no UPDATE on audit_events.
    await t.app.orm.em
      .fork()
      .execute("update audit_events set actor = 'someone-else' where tenant_id = 'acme' and seq = 2");
    assert.deepEqual((await verify()).json(), { valid: false, events: 2, brokenAtSeq: 2 });

    const other = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/globex/audit/verify',
      headers: t.admin,
    });
    assert.equal(other.json().valid, true, "another tenant's chain is independent");
  });
});
