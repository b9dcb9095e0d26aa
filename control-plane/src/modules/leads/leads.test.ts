import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('leads', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let acme: Awaited<ReturnType<typeof onboardTenant>>;

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    acme = await onboardTenant(t, 'acme');
    const globex = await onboardTenant(t, 'globex');
    // A conversation per tenant through the API, then leads as the events consumer stores them
    // (inserted as the superuser, below RLS).
    const conversationOf = async (tenant: string, headers: Record<string, string>) => {
      const agent = await t.app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/agent-instances`,
        headers,
        payload: { name: 'support', agent: 'customer-service', version: '2.1.0' },
      });
      assert.equal(agent.statusCode, 201, agent.body);
      const created = await t.app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/conversations`,
        headers,
        payload: { agentInstance: 'support' },
      });
      assert.equal(created.statusCode, 201, created.body);
      return created.json().id as string;
    };
    const acmeConversation = await conversationOf('acme', acme.headers);
    const globexConversation = await conversationOf('globex', globex.headers);
    const em = t.app.orm.em.fork();
    const lead = (
      tenant: string,
      conversation: string,
      score: number,
      temperature: string,
      email: string,
      at: string,
    ) =>
      em.execute(
        `insert into leads (id, tenant_id, conversation_id, score, temperature, email, created_at)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, ?)`,
        [tenant, conversation, score, temperature, email, at],
      );
    await lead('acme', acmeConversation, 91, 'hot', 'anna@example.com', '2026-11-29T10:00:00Z');
    await lead('acme', acmeConversation, 55, 'warm', 'bo@example.com', '2026-11-29T11:00:00Z');
    await lead('acme', acmeConversation, 12, 'cold', 'cy@example.com', '2026-11-29T09:00:00Z');
    await lead('globex', globexConversation, 99, 'hot', 'secret@globex.example', '2026-11-29T12:00:00Z');
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  const list = (query = '') =>
    t.app.inject({ method: 'GET', url: `/v1/tenants/acme/leads${query}`, headers: acme.headers });

  it("lists the tenant's leads newest first, and only its own", async () => {
    const response = await list();
    assert.equal(response.statusCode, 200, response.body);
    const emails = response.json().items.map((l: { email: string }) => l.email);
    assert.deepEqual(emails, ['bo@example.com', 'anna@example.com', 'cy@example.com']);
    assert.doesNotMatch(response.body, /globex/);
  });

  it('filters by temperature and by score', async () => {
    assert.deepEqual(
      (await list('?temperature=hot')).json().items.map((l: { score: number }) => l.score),
      [91],
    );
    assert.deepEqual(
      (await list('?minScore=50')).json().items.map((l: { score: number }) => l.score),
      [55, 91],
    );
    const bad = await list('?temperature=lukewarm');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /temperature/);
  });
});
