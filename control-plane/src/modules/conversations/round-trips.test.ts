// Statements a request sends to PostgreSQL, counted where `pg` sends them: each one is a round trip,
// and round trips are most of what the API costs over a bare route (bench/control-plane). The
// counts are pinned so that a change adding one to every request is a decision, not an accident.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

interface Client {
  query: (...args: unknown[]) => unknown;
}
interface Pool {
  on(event: 'acquire', listener: (client: Client) => void): unknown;
}

/** Records the text of every statement sent on a connection checked out of `pool` from now on. */
function recordStatements(pool: Pool): string[] {
  const statements: string[] = [];
  const recording = new WeakSet<Client>();
  pool.on('acquire', (client) => {
    if (recording.has(client)) return;
    recording.add(client);
    const query = client.query;
    client.query = (...args: unknown[]) => {
      const [text] = args;
      statements.push(typeof text === 'string' ? text : String((text as { text?: string } | null)?.text));
      return query.apply(client, args);
    };
  });
  return statements;
}

describe('PostgreSQL statements per request', { skip: withoutTestbed() }, () => {
  const tenant = uniqueName('cp-rt');
  let statements: string[];
  let db: TestDatabase;
  let t: TestApp;
  let owner: Awaited<ReturnType<typeof onboardTenant>>;
  let path: string;

  const count = async (
    method: 'GET' | 'POST',
    url: string,
    payload?: object,
    headers: Record<string, string> = owner.headers,
  ) => {
    const start = statements.length;
    const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return statements.slice(start);
  };

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    statements = recordStatements((await t.orm.em.getConnection().getNativeClient()) as Pool);
    owner = await onboardTenant(t, tenant, 'pro');
    const headers = owner.headers;
    await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/agent-instances`,
      headers,
      payload: { name: 'support', agent: 'customer-service', version: '2.1.0' },
    });
    const created = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/conversations`,
      headers,
      payload: { agentInstance: 'support' },
    });
    assert.equal(created.statusCode, 201, created.body);
    path = `/v1/tenants/${tenant}/conversations/${created.json().id}`;
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  const scope = (tenantId: string) =>
    `select set_config('role', 'agentplane_api', true), set_config('app.tenant_id', '${tenantId}', true)`;

  it('GET a conversation: the tenant scope in one statement, then one read (9 before)', async () => {
    const sent = await count('GET', path);
    assert.deepEqual(sent.slice(0, 2), ['begin', scope(tenant)]);
    for (const table of ['conversations conv', 'messages m', 'results r'])
      assert.ok(sent[2]?.includes(`from ${table}`), `${table} in the one read`);
    assert.deepEqual(sent.slice(3), ['commit']);
  });

  it('POST a message: one read with the suspension flag, the insert (9 before)', async () => {
    const sent = await count('POST', `${path}/messages`, { body: 'Do you ship to Lisbon?' });
    assert.deepEqual(sent.slice(0, 2), ['begin', scope(tenant)]);
    assert.match(sent[2] ?? '', /join tenants t/);
    assert.match(sent[3] ?? '', /^insert into "messages"/);
    assert.deepEqual(sent.slice(4), ['commit']);
  });

  it('the one read shows the messages as before: stored order, ISO timestamps', async () => {
    const ids: string[] = [];
    for (const body of ['first', 'second']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `${path}/messages`,
        headers: owner.headers,
        payload: { body },
      });
      ids.push(res.json().id);
    }
    const shown = (await t.app.inject({ method: 'GET', url: path, headers: owner.headers })).json();
    const [stored] = await t.orm.em
      .fork()
      .execute<{ at: Date | string }[]>('select created_at as at from messages where id = ?', [ids[1]]);
    const last = shown.messages.slice(-2);
    assert.deepEqual(
      last.map((m: { id: string; author: string; body: string }) => [m.id, m.author, m.body]),
      [
        [ids[0], 'end-user', 'first'],
        [ids[1], 'end-user', 'second'],
      ],
    );
    assert.equal(last[1].createdAt, new Date(stored?.at ?? '').toISOString());
    assert.deepEqual(shown.results, []);
  });

  it('a key is looked up on its first use only, outside the tenant scope', async () => {
    const issued = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/api-keys`,
      headers: owner.headers,
      payload: { name: 'reader', role: 'member' },
    });
    assert.equal(issued.statusCode, 201, issued.body);
    const headers = { authorization: `Bearer ${issued.json().key}` };
    const first = await count('GET', path, undefined, headers);
    assert.match(first[0] ?? '', /^select \* from api_key_principal\('[0-9a-f]{12}'\)$/);
    assert.deepEqual(first.slice(1, 3), ['begin', scope(tenant)]);
    assert.equal(first.length, 5);
    assert.equal((await count('GET', path, undefined, headers)).length, 4);
  });
});
