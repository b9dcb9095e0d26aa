// Knowledge documents against the test bed's PostgreSQL and the Qdrant stand-in, indexed with the
// runtime's own vector-store code: what the control plane uploads, the runtime's retrieval finds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import {
  createHashedEmbedder,
  createQdrantStore,
  type Embedder,
  tenantKnowledge,
} from '@agentplane/runtime/vectors';
import { silentLogger } from '@agentplane/shared';
import { eventually, withoutTestbed } from '@agentplane/shared/testing';
import { createOrm } from '../../db/orm.ts';
import { createBackground } from '../../knowledge/background.ts';
import { createKnowledgeIndexer } from '../../knowledge/indexer.ts';
import { knowledgeIndex } from '../../knowledge/knowledge-index.ts';
import { buildTestApp, onboardTenant, recordingWriter, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';
import { createExportBuilder } from '../data-rights/export-builder.ts';
import { resumeUnfinishedWork } from '../data-rights/resume.ts';

const handbook = `# ACME handbook

## Refunds

Refunds take five business days after we receive the parcel.

## Shipping

We ship worldwide with tracked parcels; Europe takes two days.
`;

describe('knowledge documents', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let standIn: Awaited<ReturnType<typeof startQdrantStandIn>>;
  let acme: Awaited<ReturnType<typeof onboardTenant>>;
  let globex: Awaited<ReturnType<typeof onboardTenant>>;
  // What the runtime builds without a model: the same collection name and hashed embedding.
  const embedder = createHashedEmbedder();
  let store: ReturnType<typeof createQdrantStore>;
  const writer = recordingWriter();

  before(async () => {
    standIn = await startQdrantStandIn();
    store = createQdrantStore({ url: standIn.url, collection: 'agentplane_knowledge' });
    db = await createTestDatabase();
    t = await buildTestApp(db, {
      writer,
      knowledge: knowledgeIndex(store, embedder),
      knowledgeMaxDocumentBytes: 4096,
    });
    acme = await onboardTenant(t, 'acme');
    globex = await onboardTenant(t, 'globex');
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
    await standIn?.close();
  });

  const upload = (headers: Record<string, string>, tenant: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/knowledge`, headers, payload });
  const get = (headers: Record<string, string>, tenant: string, id: string) =>
    t.app.inject({ method: 'GET', url: `/v1/tenants/${tenant}/knowledge/${id}`, headers });
  const ready = async (headers: Record<string, string>, tenant: string, id: string) =>
    eventually(
      async () => {
        const doc = (await get(headers, tenant, id)).json();
        assert.ok(['ready', 'failed'].includes(doc.status), `status ${doc.status}`);
        return doc;
      },
      { what: `document ${id} indexed`, timeoutMs: 15_000, intervalMs: 50 },
    );

  let acmeDoc: string;

  it('indexes an upload into the tenant’s points, where the runtime’s retrieval finds it', async () => {
    const response = await upload(acme.headers, 'acme', { title: 'Handbook', content: handbook });
    assert.equal(response.statusCode, 202, response.body);
    const accepted = response.json();
    assert.equal(accepted.status, 'pending');
    assert.equal(response.headers.location, `/v1/tenants/acme/knowledge/${accepted.id}`);
    acmeDoc = accepted.id;
    const doc = await ready(acme.headers, 'acme', acmeDoc);
    assert.equal(doc.status, 'ready', doc.error);
    assert.equal(doc.chunkCount, 2, 'one chunk per section (the title goes with the first)');
    assert.equal(doc.content, handbook);
    assert.equal(await store.count('acme'), 2);

    // Every write carried the tenant; every read and delete filtered on it.
    for (const call of standIn.requests.filter((r) => r.path.endsWith('/points'))) {
      for (const point of call.body.points as { payload: { tenant: string } }[])
        assert.equal(point.payload.tenant, 'acme');
    }
    for (const call of standIn.requests.filter((r) => /points\/(query|count|delete|scroll)$/.test(r.path)))
      assert.deepEqual((call.body.filter as { must: unknown[] }).must[0], {
        key: 'tenant',
        match: { value: 'acme' },
      });

    // The runtime's pipeline reads through tenantKnowledge with its own store and embedder.
    const runtimeView = tenantKnowledge(store, createHashedEmbedder(), 'acme');
    const hits = await runtimeView.search('how long do refunds take', 1);
    assert.match(hits[0]?.text ?? '', /five business days/);
    assert.equal(hits[0]?.title, 'Handbook › ACME handbook › Refunds');
    assert.deepEqual(await tenantKnowledge(store, embedder, 'globex').search('refunds', 3), []);
  });

  it('an agent deployed with knowledge gets it in its spec; a reply names the chunks it drew on', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/agent-instances',
      headers: acme.headers,
      payload: { name: 'helpdesk', agent: 'customer-service', version: '1.0.0', knowledge: { topK: 3 } },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(created.json().knowledge, { enabled: true, topK: 3 });
    const applied = writer.calls.filter((call) => call.op === 'applyAgentInstance').at(-1);
    assert.deepEqual((applied?.args[2] as { knowledge?: unknown } | undefined)?.knowledge, {
      enabled: true,
      topK: 3,
    });

    const conversation = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/tenants/acme/conversations',
        headers: acme.headers,
        payload: { agentInstance: 'helpdesk' },
      })
    ).json().id;
    const message = (
      await t.app.inject({
        method: 'POST',
        url: `/v1/tenants/acme/conversations/${conversation}/messages`,
        headers: acme.headers,
        payload: { body: 'how long do refunds take?' },
      })
    ).json().id;
    const em = t.orm.em.fork();
    const chunks = await em.execute<{ id: string; title: string }[]>(
      'select id, title from knowledge_chunks where document_id = ? order by seq',
      [acmeDoc],
    );
    const sources = [
      { id: chunks[1]?.id, score: 0.8 },
      { id: 'a-chunk-since-deleted', score: 0.2 },
    ];
    await em.execute(
      `insert into results (tenant_id, message_id, conversation_id, intent, sentiment, labels, entities, reply, tokens, sources)
       values ('acme', ?, ?, 'support', 'neutral', '[]', '{}', 'Five business days.', 0, ?::jsonb)`,
      [message, conversation, JSON.stringify(sources)],
    );
    const view = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/acme/conversations/${conversation}`,
      headers: acme.headers,
    });
    assert.deepEqual(view.json().results[0].sources, [
      { id: chunks[1]?.id, score: 0.8, documentId: acmeDoc, title: chunks[1]?.title },
      { id: 'a-chunk-since-deleted', score: 0.2, documentId: null, title: null },
    ]);
  });

  it('lists documents with their status and chunk count, filtered by status', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/knowledge',
      headers: acme.headers,
    });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list
        .json()
        .items.map((d: { id: string; status: string; chunkCount: number }) => [d.id, d.status, d.chunkCount]),
      [[acmeDoc, 'ready', 2]],
    );
    assert.equal(list.json().items[0].content, undefined, 'the list leaves the content out');
    const failed = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/knowledge?status=failed',
      headers: acme.headers,
    });
    assert.deepEqual(failed.json().items, []);
  });

  it('another tenant can neither see nor delete the document', async () => {
    const globexDoc = await upload(globex.headers, 'globex', {
      title: 'Globex FAQ',
      content: 'Globex refunds are instant.',
      contentType: 'text/plain',
    });
    assert.equal(globexDoc.statusCode, 202);
    await ready(globex.headers, 'globex', globexDoc.json().id);
    // Under its own tenant, with A's document id: not found, like any unknown id.
    assert.equal((await get(globex.headers, 'globex', acmeDoc)).statusCode, 404);
    const removal = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/globex/knowledge/${acmeDoc}`,
      headers: globex.headers,
    });
    assert.equal(removal.statusCode, 404);
    assert.equal((await get(globex.headers, 'acme', acmeDoc)).statusCode, 404);
    const list = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/globex/knowledge',
      headers: globex.headers,
    });
    assert.equal(list.json().items.length, 1);
    assert.doesNotMatch(list.body, /Handbook/);
    assert.equal(await store.count('acme'), 2, "A's points are all still there");
    assert.equal(await store.count('globex'), 1);
  });

  it('delete removes the points from the vector store and the rows from PostgreSQL', async () => {
    const before = await store.count('acme');
    const removal = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/acme/knowledge/${acmeDoc}`,
      headers: acme.headers,
    });
    assert.equal(removal.statusCode, 200, removal.body);
    assert.deepEqual(removal.json(), { id: acmeDoc, chunksRemoved: 2, pointsRemoved: 2 });
    assert.equal(before, 2);
    assert.equal(await store.count('acme'), 0);
    assert.equal(await store.count('globex'), 1, "the other tenant's points stay");
    const rows = await t.orm.em
      .fork()
      .execute<{ n: number }[]>(
        "select (select count(*) from knowledge_chunks where tenant_id = 'acme')::int + (select count(*) from knowledge_documents where tenant_id = 'acme')::int as n",
      );
    assert.equal(rows[0]?.n, 0);
    assert.equal((await get(acme.headers, 'acme', acmeDoc)).statusCode, 404);
  });

  it('refuses an oversized document (413), a bad one (400), and uploads by a member (403)', async () => {
    const big = await upload(acme.headers, 'acme', { title: 'Big', content: 'é'.repeat(2100) });
    assert.equal(big.statusCode, 413, big.body);
    assert.equal(big.json().code, 'payload_too_large');
    assert.equal(big.json().details.limitBytes, 4096);
    const untitled = await upload(acme.headers, 'acme', { content: 'text' });
    assert.equal(untitled.statusCode, 400);
    assert.equal(untitled.json().details.field, 'body/title');
    const blank = await upload(acme.headers, 'acme', { title: 'Blank', content: ' \n ' });
    assert.equal(blank.statusCode, 400);
    const key = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: acme.headers,
      payload: { name: 'reader', role: 'member' },
    });
    const member = { authorization: `Bearer ${key.json().key}` };
    assert.equal((await upload(member, 'acme', { title: 'x', content: 'y' })).statusCode, 403);
    const list = await t.app.inject({ method: 'GET', url: '/v1/tenants/acme/knowledge', headers: member });
    assert.equal(list.statusCode, 200);
  });

  it('marks a document failed, with the error, when embedding fails', async () => {
    const broken: Embedder = {
      dimensions: 256,
      embed: async () => {
        throw new Error('embedding model unavailable');
      },
    };
    const other = await buildTestApp(db, { knowledge: knowledgeIndex(store, broken) });
    try {
      const response = await other.app.inject({
        method: 'POST',
        url: '/v1/tenants/acme/knowledge',
        headers: acme.headers,
        payload: { title: 'Doomed', content: 'never indexed' },
      });
      assert.equal(response.statusCode, 202);
      const doc = await ready(acme.headers, 'acme', response.json().id);
      assert.equal(doc.status, 'failed');
      assert.match(doc.error, /embedding model unavailable/);
    } finally {
      await other.app.close();
    }
  });

  it('answers 503 knowledge_store_not_configured without a vector store', async () => {
    const bare = await buildTestApp(db);
    try {
      const response = await bare.app.inject({
        method: 'POST',
        url: '/v1/tenants/acme/knowledge',
        headers: acme.headers,
        payload: { title: 'x', content: 'y' },
      });
      assert.equal(response.statusCode, 503);
      assert.equal(response.json().code, 'knowledge_store_not_configured');
      assert.match(response.json().message, /QDRANT_URL/);
    } finally {
      await bare.app.close();
    }
  });

  it('a starting control plane indexes what a stopped one left pending, logged in as the API role', async () => {
    const content = 'Warranty claims are answered within a week.';
    const [row] = await t.orm.em.fork().execute<{ id: string }[]>(
      `insert into knowledge_documents (tenant_id, title, content_type, content, bytes, sha256, status)
       values ('acme', 'Left over', 'text/plain', ?, ?, repeat('0', 64), 'pending') returning id`,
      [content, content.length],
    );
    // The API role sees no tenant's rows by itself: the definer function finds the work.
    const apiOrm = await createOrm({ clientUrl: db.urlAs('agentplane_api') });
    try {
      const log = silentLogger();
      const background = createBackground(log);
      const index = knowledgeIndex(store, embedder);
      const indexer = createKnowledgeIndexer({ root: apiOrm.em, index, background, log });
      const builder = createExportBuilder({ root: apiOrm.em, index, log });
      assert.equal(await resumeUnfinishedWork({ root: apiOrm.em, indexer, builder, background, log }), 1);
      await background.idle();
    } finally {
      await apiOrm.close();
    }
    const doc = (await get(acme.headers, 'acme', row?.id as string)).json();
    assert.equal(doc.status, 'ready', doc.error);
    assert.equal(doc.chunkCount, 1);
    const hits = await tenantKnowledge(store, embedder, 'acme').search('warranty claims', 1);
    assert.equal(hits[0]?.text, content);
  });

  it('documents the knowledge and data-rights routes in OpenAPI', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const upload = spec.paths['/v1/tenants/{t}/knowledge'].post;
    assert.deepEqual(upload.requestBody.content['application/json'].schema.required, ['title', 'content']);
    assert.ok(upload.responses['413']);
    assert.ok(spec.paths['/v1/tenants/{t}/knowledge/{documentId}'].delete.responses['200']);
    const download = spec.paths['/v1/tenants/{t}/exports/{exportId}/download'].get;
    assert.ok(download.responses['200'].content['application/x-ndjson']);
    assert.ok(spec.paths['/v1/tenants/{t}/erasures'].post.requestBody);
  });
});
