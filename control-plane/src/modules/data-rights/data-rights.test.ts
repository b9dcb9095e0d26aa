// Exports and erasure against the test bed's PostgreSQL and the Qdrant stand-in: the export holds
// the tenant's data and nobody else's; an erasure leaves no trace of the end user in any table or
// in the vector store, and its report counts what was removed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import {
  createHashedEmbedder,
  createQdrantStore,
  hashedEmbedding,
  type VectorStore,
} from '@agentplane/runtime/vectors';
import { eventually, withoutTestbed } from '@agentplane/shared/testing';
import { knowledgeIndex } from '../../knowledge/knowledge-index.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';
import { digestOf } from '../audit/audit.service.ts';

const bob = 'bob@example.com';
const bobPhone = '+1 (555) 010-0200';

describe('data rights: export and erasure', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let standIn: Awaited<ReturnType<typeof startQdrantStandIn>>;
  let store: ReturnType<typeof createQdrantStore>;
  let acme: Awaited<ReturnType<typeof onboardTenant>>;
  let globex: Awaited<ReturnType<typeof onboardTenant>>;
  let contactsDoc: string;
  const sql = <T>(query: string, params: unknown[] = []) => t.orm.em.fork().execute<T[]>(query, params);

  const inject = async (
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    payload?: object,
    status?: number,
  ) => {
    const response = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    if (status !== undefined) assert.equal(response.statusCode, status, response.body);
    return response;
  };

  /** A conversation through the API, then messages, a result and a lead as the events consumer stores them. */
  async function conversation(
    tenant: string,
    headers: Record<string, string>,
    externalId: string | undefined,
    messages: { body: string; sender?: object; entities?: object; reply?: string; lead?: object }[],
  ) {
    const created = await inject(
      'POST',
      `/v1/tenants/${tenant}/conversations`,
      headers,
      { agentInstance: 'support', ...(externalId ? { externalId } : {}) },
      201,
    );
    const id = created.json().id as string;
    for (const message of messages) {
      const [row] = await sql<{ id: string }>(
        `insert into messages (tenant_id, conversation_id, author, body, sender)
         values (?, ?, 'end-user', ?, ?::jsonb) returning id`,
        [tenant, id, message.body, message.sender ? JSON.stringify(message.sender) : null],
      );
      if (message.entities || message.reply)
        await sql(
          `insert into results (tenant_id, message_id, conversation_id, entities, reply)
           values (?, ?, ?, ?::jsonb, ?)`,
          [tenant, row?.id, id, JSON.stringify(message.entities ?? {}), message.reply ?? null],
        );
      if (message.lead)
        await sql(
          `insert into leads (tenant_id, conversation_id, message_id, score, temperature, email, phone, name)
           values (?, ?, ?, 80, 'hot', ?, ?, ?)`,
          [
            tenant,
            id,
            row?.id,
            (message.lead as { email?: string }).email ?? null,
            (message.lead as { phone?: string }).phone ?? null,
            (message.lead as { name?: string }).name ?? null,
          ],
        );
    }
    return id;
  }

  const documentReady = (id: string) =>
    eventually(
      async () => {
        const doc = (
          await inject('GET', `/v1/tenants/acme/knowledge/${id}`, acme.headers, undefined, 200)
        ).json();
        return doc.status === 'ready' ? doc : undefined;
      },
      { what: `document ${id} ready`, timeoutMs: 15_000, intervalMs: 50 },
    );

  const exportReady = (id: string) =>
    eventually(
      async () => {
        const view = (
          await inject('GET', `/v1/tenants/acme/exports/${id}`, acme.headers, undefined, 200)
        ).json();
        assert.notEqual(view.status, 'failed', view.error);
        return view.status === 'ready' ? view : undefined;
      },
      { what: `export ${id} ready`, timeoutMs: 30_000, intervalMs: 50 },
    );

  /** Rows of the tenant, in every table that has one, whose text mentions `needle`. */
  async function mentionsIn(tenant: string, needle: string) {
    const tables = await sql<{ table_name: string }>(
      `select distinct table_name from information_schema.columns
       where table_schema = 'public' and column_name = 'tenant_id'`,
    );
    const found: Record<string, number> = {};
    for (const { table_name: table } of tables) {
      const [row] = await sql<{ n: number }>(
        `select count(*)::int as n from ${table} t where tenant_id = ? and strpos(lower(t::text), ?) > 0`,
        [tenant, needle.toLowerCase()],
      );
      if (row?.n) found[table] = row.n;
    }
    assert.ok(tables.length >= 15, `only ${tables.length} tenant tables found`);
    return found;
  }

  async function allPoints(tenant: string) {
    const texts: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list(tenant, { limit: 2, ...(cursor ? { cursor } : {}) });
      texts.push(...page.points.map((point) => point.text));
      cursor = page.next;
    } while (cursor);
    return texts;
  }

  before(async () => {
    standIn = await startQdrantStandIn();
    store = createQdrantStore({ url: standIn.url, collection: 'agentplane_knowledge' });
    db = await createTestDatabase();
    t = await buildTestApp(db, { knowledge: knowledgeIndex(store, createHashedEmbedder()) });
    acme = await onboardTenant(t, 'acme');
    globex = await onboardTenant(t, 'globex');
    for (const [tenant, headers] of [
      ['acme', acme.headers],
      ['globex', globex.headers],
    ] as const)
      await inject(
        'POST',
        `/v1/tenants/${tenant}/agent-instances`,
        headers,
        { name: 'support', agent: 'customer-service', version: '2.1.0' },
        201,
      );
    await conversation('acme', acme.headers, 'psid-bob', [
      {
        body: 'Hi, I want a refund',
        sender: { email: bob, name: 'Bob' },
        entities: { email: bob, name: 'Bob' },
        reply: 'Sure, Bob.',
        lead: { email: bob, name: 'Bob' },
      },
      { body: 'Order 1234', sender: { email: bob } },
    ]);
    await conversation('acme', acme.headers, 'psid-alice', [
      {
        body: `My colleague ${bob} will call you`,
        sender: { email: 'alice@example.com' },
        entities: { email: 'alice@example.com' },
        reply: 'Thanks, we will contact BOB@example.com today.',
        lead: { email: 'alice@example.com', name: 'Alice' },
      },
    ]);
    await conversation('acme', acme.headers, 'psid-carol', [
      { body: `call me at ${bobPhone}`, sender: { phone: '+15550100200', name: 'Carol' } },
    ]);
    await conversation('acme', acme.headers, 'psid-dan', [
      { body: 'Carol asked us to call +1 555 010 0200 back; order 5550100200999 is unrelated' },
    ]);
    await conversation('acme', acme.headers, 'psid-dave', [{ body: 'hello from dave' }]);
    // The same person at another tenant: an erasure at acme must not touch it.
    await conversation('globex', globex.headers, 'psid-bob', [
      { body: 'globex-secret-marker from bob', sender: { email: bob }, lead: { email: bob } },
    ]);
    const uploaded = await inject(
      'POST',
      '/v1/tenants/acme/knowledge',
      acme.headers,
      {
        title: 'Contacts',
        content: `# Contacts\n\n## Escalations\n\nEscalate refunds to ${bob}.\n\n## Hours\n\nWe open at nine.\n`,
      },
      202,
    );
    contactsDoc = uploaded.json().id;
    await documentReady(contactsDoc);
    // A point the runtime (or an older control plane) wrote with no row in PostgreSQL.
    await store.upsert('acme', [
      {
        id: 'legacy-note',
        vector: hashedEmbedding(`legacy note about ${bob}`),
        text: `legacy note about ${bob}`,
      },
    ]);
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
    await standIn?.close();
  });

  let exportId: string;

  it("exports the tenant's records from PostgreSQL and the vector store, and nothing of another tenant", async () => {
    const started = await inject('POST', '/v1/tenants/acme/exports', acme.headers, undefined, 202);
    exportId = started.json().id;
    assert.equal(started.json().status, 'pending');
    const view = await exportReady(exportId);
    assert.equal(view.progress.percent, 100);
    assert.equal(view.progress.recordsDone, view.progress.recordsTotal);
    assert.equal(view.downloadUrl, `/v1/tenants/acme/exports/${exportId}/download`);

    const download = await inject('GET', view.downloadUrl, acme.headers, undefined, 200);
    assert.match(String(download.headers['content-type']), /application\/x-ndjson/);
    const lines = download.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; data: Record<string, unknown> });
    const [header, ...records] = lines;
    assert.equal(header?.kind, 'export');
    const counts = header?.data.counts as Record<string, number>;
    const seen: Record<string, number> = {};
    for (const record of records) seen[record.kind] = (seen[record.kind] ?? 0) + 1;
    assert.deepEqual(
      Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)),
      seen,
      'one line per record counted',
    );
    assert.equal(records.length, view.progress.recordsTotal);
    assert.equal(seen.conversation, 5);
    assert.equal(seen.message, 6);
    assert.equal(seen['vector-point'], 3, 'two chunks and the legacy point');
    assert.equal(seen['knowledge-document'], 1);
    assert.equal(seen.tenant, 1);
    for (const record of records) {
      const owner = record.kind === 'tenant' ? record.data.id : (record.data.tenant_id ?? 'acme');
      assert.equal(owner, 'acme', `${record.kind} of ${String(owner)}`);
    }
    assert.ok(records.some((r) => r.kind === 'message' && r.data.body === 'Hi, I want a refund'));
    assert.ok(records.some((r) => r.kind === 'vector-point' && String(r.data.text).includes('legacy note')));
    const keys = records.filter((r) => r.kind === 'api-key');
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.data.key_hash, undefined, 'key hashes are never exported');
    assert.ok(!download.body.includes(acme.key), 'nor the key itself');
    assert.doesNotMatch(download.body, /globex/);
    const audit = await inject('GET', '/v1/tenants/acme/audit', acme.headers, undefined, 200);
    assert.ok(audit.json().items.some((e: { action: string }) => e.action === 'data.export-requested'));
  });

  it('answers 409 for the download of an export that is not ready, 404 for an unknown one', async () => {
    const [row] = await sql<{ id: string }>(
      "insert into data_exports (tenant_id, status, requested_by) values ('acme', 'failed', 'test') returning id",
    );
    const failed = await inject(
      'GET',
      `/v1/tenants/acme/exports/${row?.id}/download`,
      acme.headers,
      undefined,
      409,
    );
    assert.equal(failed.json().code, 'conflict');
    await inject(
      'GET',
      '/v1/tenants/acme/exports/00000000-0000-4000-8000-000000000000',
      acme.headers,
      undefined,
      404,
    );
    const list = await inject('GET', '/v1/tenants/acme/exports', acme.headers, undefined, 200);
    assert.equal(list.json().items.length, 2);
  });

  it('lets only the owner erase, and wants exactly one identifier', async () => {
    const key = await inject(
      'POST',
      '/v1/tenants/acme/api-keys',
      acme.headers,
      { name: 'admin', role: 'admin' },
      201,
    );
    const admin = { authorization: `Bearer ${key.json().key}` };
    await inject('POST', '/v1/tenants/acme/erasures', admin, { email: bob }, 403);
    const two = await inject(
      'POST',
      '/v1/tenants/acme/erasures',
      acme.headers,
      { email: bob, externalId: 'x' },
      400,
    );
    assert.equal(two.json().code, 'invalid_request');
    await inject('POST', '/v1/tenants/acme/erasures', acme.headers, {}, 400);
    assert.deepEqual(Object.keys(await mentionsIn('acme', bob)).length > 0, true, 'nothing erased yet');
  });

  it('erases an end user by email from every store and reports the counts', async () => {
    assert.equal(await store.count('acme'), 3);
    const erased = await inject(
      'POST',
      '/v1/tenants/acme/erasures',
      acme.headers,
      { email: 'Bob@Example.com' },
      200,
    );
    const report = erased.json();
    assert.deepEqual(report.subject, 'email');
    assert.deepEqual(report.postgres, {
      conversations: 1,
      messages: 2,
      results: 1,
      leads: 1,
      messagesRedacted: 1,
      resultsRedacted: 1,
      knowledgeChunks: 1,
      knowledgeDocumentsRedacted: 1,
      exportsPurged: 1,
    });
    assert.deepEqual(report.vectorStore, { configured: true, points: 2 });

    // The redacted document is indexed again from its new text.
    await eventually(
      async () => {
        const doc = (await inject('GET', `/v1/tenants/acme/knowledge/${contactsDoc}`, acme.headers)).json();
        return doc.status === 'ready' && doc.indexedAt ? doc : undefined;
      },
      { what: 'the redacted document re-indexed', timeoutMs: 15_000, intervalMs: 50 },
    );
    await eventually(async () => (await store.count('acme')) === 2, {
      what: 'two chunks again',
      timeoutMs: 5000,
    });

    assert.deepEqual(await mentionsIn('acme', bob), {}, 'no acme row mentions the end user');
    const points = await allPoints('acme');
    assert.equal(points.length, 2);
    for (const text of points) assert.ok(!text.toLowerCase().includes(bob), text);
    assert.ok(points.some((text) => text.includes('Escalate refunds to [erased].')));
    const [alice] = await sql<{ body: string }>(
      "select body from messages where tenant_id = 'acme' and body like 'My colleague%'",
    );
    assert.equal(alice?.body, 'My colleague [erased] will call you');

    // The export that held the end user is gone.
    const purged = await inject('GET', `/v1/tenants/acme/exports/${exportId}`, acme.headers, undefined, 200);
    assert.equal(purged.json().status, 'purged');
    await inject('GET', `/v1/tenants/acme/exports/${exportId}/download`, acme.headers, undefined, 409);

    // The audit trail records the erasure, with counts and without the identifier.
    const audit = await inject('GET', '/v1/tenants/acme/audit', acme.headers, undefined, 200);
    const event = audit.json().items.find((e: { action: string }) => e.action === 'data.erased');
    assert.equal(event.seq, report.auditSeq);
    assert.equal(event.target, 'end-user/email');
    const { auditSeq, ...counts } = report;
    assert.equal(event.afterDigest, digestOf(counts), 'the event names the report');
    const [stored] = await sql<{ details: { postgres: unknown } }>(
      "select details from audit_events where tenant_id = 'acme' and seq = ?",
      [auditSeq],
    );
    assert.deepEqual(stored?.details.postgres, report.postgres);
    const verify = await inject('GET', '/v1/tenants/acme/audit/verify', acme.headers, undefined, 200);
    assert.equal(verify.json().valid, true);

    // Another tenant's data about the same person is not touched.
    assert.deepEqual(await mentionsIn('globex', bob), { leads: 1, messages: 1 });
    assert.equal(
      (
        await sql<{ n: number }>(
          "select count(*)::int as n from messages where body like 'globex-secret-marker%'",
        )
      )[0]?.n,
      1,
    );

    const again = await inject('POST', '/v1/tenants/acme/erasures', acme.headers, { email: bob }, 200);
    assert.equal(again.json().postgres.conversations, 0);
    assert.equal(again.json().vectorStore.points, 0);
  });

  it('erases by phone (compared by its digits) and by external id', async () => {
    const byPhone = await inject(
      'POST',
      '/v1/tenants/acme/erasures',
      acme.headers,
      { phone: '+1 555-010-0200' },
      200,
    );
    assert.equal(byPhone.json().postgres.conversations, 1, "carol's conversation");
    assert.equal(byPhone.json().postgres.messagesRedacted, 1, "the mention in dan's");
    const [dan] = await sql<{ body: string }>(
      "select body from messages where tenant_id = 'acme' and body like 'Carol%'",
    );
    assert.equal(dan?.body, 'Carol asked us to call [erased] back; order 5550100200999 is unrelated');
    assert.deepEqual(await mentionsIn('acme', '15550100200'), {});

    const byId = await inject(
      'POST',
      '/v1/tenants/acme/erasures',
      acme.headers,
      { externalId: 'psid-dave' },
      200,
    );
    assert.equal(byId.json().postgres.conversations, 1);
    assert.equal(byId.json().postgres.messages, 1);
    assert.deepEqual(await mentionsIn('acme', 'psid-dave'), {});
    assert.deepEqual(await mentionsIn('acme', 'hello from dave'), {});
  });

  it('shows the progress of a running export, stage by stage', async () => {
    // A store whose listing waits: the build stops at the vector store, after PostgreSQL.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gated: VectorStore = {
      ...store,
      list: async (tenant, page) => gate.then(() => store.list(tenant, page)),
    };
    const slow = await buildTestApp(db, { knowledge: knowledgeIndex(gated, createHashedEmbedder()) });
    try {
      const started = await slow.app.inject({
        method: 'POST',
        url: '/v1/tenants/acme/exports',
        headers: acme.headers,
      });
      assert.equal(started.statusCode, 202);
      const id = started.json().id;
      const running = await eventually(
        async () => {
          const view = (
            await inject('GET', `/v1/tenants/acme/exports/${id}`, acme.headers, undefined, 200)
          ).json();
          return view.stage === 'vector-point' ? view : undefined;
        },
        { what: 'the export at the vector store', timeoutMs: 15_000, intervalMs: 20 },
      );
      const points = await store.count('acme');
      assert.equal(running.status, 'running');
      assert.equal(running.downloadUrl, null);
      assert.equal(
        running.progress.recordsTotal - running.progress.recordsDone,
        points,
        'all but the points',
      );
      assert.ok(
        running.progress.percent > 0 && running.progress.percent < 100,
        String(running.progress.percent),
      );
      await inject('GET', `/v1/tenants/acme/exports/${id}/download`, acme.headers, undefined, 409);
      release();
      const done = await exportReady(id);
      assert.equal(done.progress.recordsDone, running.progress.recordsTotal);
    } finally {
      release();
      await slow.app.close();
    }
  });

  it('refuses an erasure it could not finish without the vector store, and reports one it could', async () => {
    const bare = await buildTestApp(db);
    try {
      const erase = (tenant: string, headers: Record<string, string>) =>
        bare.app.inject({
          method: 'POST',
          url: `/v1/tenants/${tenant}/erasures`,
          headers,
          payload: { email: 'nobody@example.com' },
        });
      const refused = await erase('acme', acme.headers);
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json().code, 'knowledge_store_not_configured');
      const done = await erase('globex', globex.headers);
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(done.json().vectorStore, { configured: false, points: 0 });
    } finally {
      await bare.app.close();
    }
  });
});
