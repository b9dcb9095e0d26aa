import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('usage and the month’s invoice', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let acme: Awaited<ReturnType<typeof onboardTenant>>;

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    acme = await onboardTenant(t, 'acme', 'basic');
    await onboardTenant(t, 'globex');
    // Usage as the events consumer writes it; inserted as the superuser to set the months.
    const em = t.app.orm.em.fork();
    const record = (tenant: string, kind: string, quantity: number, source: string, at: string) =>
      em.execute(
        'insert into usage_records (id, tenant_id, kind, quantity, source_id, occurred_at) values (gen_random_uuid(), ?, ?, ?, ?, ?)',
        [tenant, kind, quantity, source, at],
      );
    for (let i = 0; i < 1003; i++) await record('acme', 'conversation', 1, `c${i}`, '2026-11-05T10:00:00Z');
    await record('acme', 'message', 1, 'm1', '2026-11-05T10:00:00Z');
    await record('acme', 'tokens', 420, 'm1', '2026-11-05T10:00:00Z');
    await record('acme', 'conversation', 1, 'c-october', '2026-10-31T23:59:59Z');
    await record('globex', 'conversation', 1, 'g1', '2026-11-05T10:00:00Z');
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it("counts the month's usage of the tenant only", async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/usage?month=2026-11',
      headers: acme.headers,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {
      tenant: 'acme',
      month: '2026-11',
      conversations: 1003,
      messages: 1,
      tokens: 420,
    });
  });

  it('bills the basic tier $99 plus $0.10 for each conversation above 1,000, in exact cents', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/invoice?month=2026-11',
      headers: acme.headers,
    });
    assert.equal(response.statusCode, 200, response.body);
    const invoice = response.json();
    assert.equal(invoice.tier, 'basic');
    assert.equal(invoice.conversations, 1003);
    assert.equal(invoice.totalCents, 9_930);
    assert.equal(invoice.currency, 'USD');
    const october = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/invoice?month=2026-10',
      headers: acme.headers,
    });
    assert.equal(october.json().totalCents, 9_900, 'one conversation in October: the price alone');
  });

  it('refuses a month that is not YYYY-MM, naming the field', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/invoice?month=2026-13',
      headers: acme.headers,
    });
    assert.equal(response.statusCode, 400);
    assert.match(JSON.stringify(response.json()), /month/);
  });
});
