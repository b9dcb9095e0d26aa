import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { silentLogger, topicNames } from '@agentplane/shared';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Kafka, logLevel } from 'kafkajs';
import { startTcpRelay, type TcpRelay } from '../../../../e2e/helpers/tcp-relay.ts';
import { isSealed } from '../../crypto/envelope.ts';
import type { Pii } from '../../crypto/pii.ts';
import { bedPii } from '../../crypto/testing.ts';
import { createOrm } from '../../db/orm.ts';
import { type EventsConsumer, startEventsConsumer } from '../../messaging/events-consumer.ts';
import { buildTestApp, onboardTenant, recordingBus, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';
import { openSse, type SseClient } from '../../testing/sse-client.ts';
import { type ConversationHub, createConversationHub } from '../conversations/conversation-hub.ts';
import { createEventsIngest } from './events-in.service.ts';

/** A result event as the runtime publishes it (runtime/src/messages.ts), with modifiers. */
function resultEvent(tenant: string, conversationId: string, messageId: string, fields: object = {}) {
  return {
    type: 'message.processed',
    messageId,
    conversationId,
    tenant,
    instance: 'support',
    agent: 'sales',
    reply: 'Yes, we deliver to Lisbon within two days.',
    intent: { label: 'sales', confidence: 0.92, urgency: 'high' },
    sentiment: 'positive',
    lead: { score: 82, temperature: 'hot', tags: ['logistics'] },
    entities: { name: 'Ana', email: 'ana@example.com', company: 'Tinta Lda' },
    sources: [],
    model: null,
    path: 'fallback',
    tokens: { promptTokens: 120, completionTokens: 30, totalTokens: 150 },
    costUsd: 0,
    timings: {},
    traceId: '0'.repeat(32),
    processedAt: new Date().toISOString(),
    ...fields,
  };
}

describe('events in: result events through Kafka into PostgreSQL, GET and SSE', {
  skip: withoutTestbed(),
}, () => {
  const brokers = testbedEnv('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({ clientId: 'cp-events-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const acme = uniqueName('ev');
  const later = `${acme}-later`;
  const topics = [acme, later].flatMap((tenant) => [
    topicNames.events(tenant),
    topicNames.deadLetter(tenant),
  ]);
  const shared = createConversationHub();
  let listeners = 0;
  const hub: ConversationHub = {
    publish: shared.publish,
    subscribe(...args) {
      listeners++;
      const off = shared.subscribe(...args);
      return () => {
        listeners--;
        off();
      };
    },
  };
  const bus = recordingBus();
  let db: TestDatabase;
  let t: TestApp;
  let replica: TestApp;
  let relay: TcpRelay;
  let pii: Pii;
  let keysOrm: MikroORM;
  let consumer: EventsConsumer;
  let owner: Awaited<ReturnType<typeof onboardTenant>>;
  let base: string;
  let conversation: string;
  const streams: SseClient[] = [];

  const publish = (tenant: string, event: object) =>
    producer.send({
      topic: topicNames.events(tenant),
      messages: [{ key: (event as { conversationId: string }).conversationId, value: JSON.stringify(event) }],
    });
  const inject = (method: 'GET' | 'POST', url: string, payload?: object, headers = owner.headers) =>
    t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const postMessage = async (tenant: string, c: string, body: string, headers = owner.headers) => {
    const res = await inject('POST', `/v1/tenants/${tenant}/conversations/${c}/messages`, { body }, headers);
    assert.equal(res.statusCode, 202, res.body);
    return res.json().id as string;
  };
  const count = async (table: string, where = 'tenant_id = ?', params: unknown[] = [acme]) => {
    const [row] = await t.orm.em
      .fork()
      .execute<{ n: number }[]>(`select count(*)::int as n from ${table} where ${where}`, params);
    return row?.n ?? 0;
  };
  const stream = async (app: TestApp, c: string, headers: Record<string, string> = {}) => {
    const { port } = app.app.server.address() as AddressInfo;
    const client = await openSse(`http://127.0.0.1:${port}/v1/tenants/${acme}/conversations/${c}/events`, {
      ...owner.headers,
      ...headers,
    });
    streams.push(client);
    return client;
  };

  before(async () => {
    await admin.connect();
    await producer.connect();
    await admin.createTopics({
      topics: [acme].flatMap((tenant) => [
        { topic: topicNames.events(tenant), numPartitions: 2 },
        { topic: topicNames.deadLetter(tenant), numPartitions: 1 },
      ]),
      waitForLeaders: true,
    });
    db = await createTestDatabase();
    const eventStreams = { heartbeatMs: 300, catchUpMs: 500 };
    // The ingest reaches Vault through a relay the Vault test cuts; keys are kept briefly.
    relay = await startTcpRelay(testbedEnv('VAULT_ADDR'));
    keysOrm = await createOrm({ clientUrl: db.clientUrl, dbName: db.dbName, poolMax: 2 });
    pii = await bedPii(keysOrm.em, { addr: relay.url, ttlMs: 300 });
    t = await buildTestApp(db, { bus, hub, eventStreams, pii: await bedPii(keysOrm.em) });
    // Another replica: its own hub, so it sees results only by catching up from PostgreSQL.
    replica = await buildTestApp(db, { eventStreams, pii: await bedPii(keysOrm.em) });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    await replica.app.listen({ host: '127.0.0.1', port: 0 });
    owner = await onboardTenant(t, acme, 'pro');
    await inject('POST', `/v1/tenants/${acme}/agent-instances`, {
      name: 'support',
      agent: 'sales',
      version: '1.0.0',
    });
    conversation = (
      await inject('POST', `/v1/tenants/${acme}/conversations`, { agentInstance: 'support' })
    ).json().id;
    base = `/v1/tenants/${acme}/conversations/${conversation}`;
    const ingest = createEventsIngest({ root: t.orm.em, hub, pii });
    consumer = await startEventsConsumer({
      brokers,
      groupId: uniqueName('cp-events'),
      // This suite's tenants only: the shared broker holds other suites' events topics.
      topics: new RegExp(`^agentplane\\.${acme}(-later)?\\.events$`),
      handle: async (record) => void (await ingest.ingest(record)),
      deadLetter: ingest.deadLetter,
      publish: bus.publish,
      refreshMs: 1000,
      maxAttempts: 2,
      log: silentLogger(),
    });
    await eventually(() => consumer.isReady(), { what: 'the events consumer to join its group' });
  });
  after(async () => {
    for (const client of streams) client.close();
    await consumer?.stop();
    await replica?.app.close();
    await t?.app.close();
    await keysOrm?.close(true);
    await relay?.close();
    await db?.drop();
    await producer.disconnect();
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
  });

  it('a result event shows up in GET and on the SSE streams of this replica and another', async () => {
    const live = await stream(t, conversation);
    const elsewhere = await stream(replica, conversation);
    assert.equal(live.status, 200);
    assert.match(String(live.headers['content-type']), /^text\/event-stream/);
    const messageId = await postMessage(acme, conversation, 'Do you ship to Lisbon?');
    // A chunk id with no row (deleted since, or never indexed here): shown, without a title.
    const sources = [{ id: 'chunk-gone', score: 0.42 }];
    await publish(acme, resultEvent(acme, conversation, messageId, { sources }));

    const [event] = await eventually(() => live.events().length === 1 && live.events(), {
      what: 'the event on the SSE stream',
    });
    await eventually(() => elsewhere.events().length === 1, {
      what: "the event on the other replica's stream",
    });
    assert.deepEqual(elsewhere.events(), live.events());
    assert.equal(event?.data.id, event?.id);
    assert.deepEqual(
      { ...event?.data, id: undefined, createdAt: undefined },
      {
        id: undefined,
        messageId,
        intent: 'sales',
        sentiment: 'positive',
        labels: ['logistics', 'urgency:high'],
        entities: { name: 'Ana', email: 'ana@example.com', company: 'Tinta Lda' },
        reply: 'Yes, we deliver to Lisbon within two days.',
        sources: [{ id: 'chunk-gone', score: 0.42, documentId: null, title: null }],
        lead: { score: 82, temperature: 'hot' },
        createdAt: undefined,
      },
    );

    const shown = (await inject('GET', base)).json();
    assert.deepEqual(shown.results, [event?.data]);
    assert.deepEqual(
      shown.messages.map((m: { author: string; body: string }) => [m.author, m.body]),
      [
        ['end-user', 'Do you ship to Lisbon?'],
        ['agent', 'Yes, we deliver to Lisbon within two days.'],
      ],
    );
    assert.ok(
      live.frames.some((frame) => frame.comment === 'heartbeat'),
      'heartbeats keep the stream open',
    );
  });

  it('a redelivered event writes one result, one lead, one set of usage records, and is pushed once', async () => {
    const live = await stream(t, conversation);
    await eventually(() => live.events().length === 1, { what: 'the replay of the first event' });
    const messageId = await postMessage(acme, conversation, 'What does it cost?');
    const event = resultEvent(acme, conversation, messageId, { reply: 'From 20 EUR.' });
    await publish(acme, event);
    await publish(acme, event);
    // Same key, same partition: once the next event is in, both copies were handled.
    const marker = await postMessage(acme, conversation, 'Thanks');
    await publish(acme, resultEvent(acme, conversation, marker, { reply: undefined, lead: undefined }));
    await eventually(() => live.events().length === 3, { what: 'the marker event' });

    assert.equal(await count('results', 'tenant_id = ? and message_id = ?', [acme, messageId]), 1);
    assert.equal(await count('leads', 'tenant_id = ? and message_id = ?', [acme, messageId]), 1);
    assert.equal(await count('usage_records', 'tenant_id = ? and source_id = ?', [acme, messageId]), 2);
    assert.equal(await count('messages', "tenant_id = ? and author = 'agent'"), 2);
    assert.deepEqual(
      live.events().map((e) => e.data.messageId),
      [live.events()[0]?.data.messageId, messageId, marker],
      'each result pushed once',
    );
    const [usage] = await t.orm.em
      .fork()
      .execute<{ kind: string; quantity: string }[]>(
        "select kind, quantity from usage_records where tenant_id = ? and source_id = ? and kind = 'tokens'",
        [acme, messageId],
      );
    assert.equal(Number(usage?.quantity), 150);
    assert.equal(await count('usage_records', "tenant_id = ? and kind = 'conversation'"), 1);
  });

  it('Last-Event-ID replays only what was stored after that event', async () => {
    const all = await stream(t, conversation);
    await eventually(() => all.events().length === 3, { what: 'the full replay' });
    const [first, second, third] = all.events();
    const resumed = await stream(t, conversation, { 'last-event-id': String(first?.id) });
    await eventually(() => resumed.events().length === 2, { what: 'the replay after the first event' });
    assert.deepEqual(
      resumed.events().map((e) => e.id),
      [second?.id, third?.id],
    );
  });

  it('a client that goes away stops its stream: no listener, no timers left behind', async () => {
    const before = listeners;
    const client = await stream(t, conversation);
    await eventually(() => client.events().length === 3, { what: 'the replay' });
    assert.equal(listeners, before + 1);
    client.close();
    await eventually(() => listeners === before, { what: 'the stream to unsubscribe' });
  });

  it('OpenAPI documents the stream as text/event-stream with its Last-Event-ID header', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const route = spec.paths['/v1/tenants/{t}/conversations/{c}/events'].get;
    assert.ok(route.responses['200'].content['text/event-stream']);
    assert.ok(
      route.parameters.some(
        (p: { in: string; name: string }) => p.in === 'header' && p.name === 'last-event-id',
      ),
    );
  });

  it("another tenant's key gets 404 and no stream", async () => {
    const globex = await onboardTenant(t, `${acme}-globex`, 'pro');
    const res = await t.app.inject({ method: 'GET', url: `${base}/events`, headers: globex.headers });
    assert.equal(res.statusCode, 404);
    assert.ok(!res.body.includes(conversation));
    const own = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${globex.name}/conversations/${conversation}/events`,
      headers: globex.headers,
    });
    assert.equal(own.statusCode, 404);
  });

  it('an event of an unknown message or claiming another tenant is dead-lettered and writes nothing', async () => {
    const results = await count('results');
    const stranger = resultEvent(acme, conversation, '00000000-0000-4000-8000-000000000000');
    await publish(acme, stranger);
    const messageId = await postMessage(acme, conversation, 'Is this mine?');
    await publish(acme, resultEvent('globex', conversation, messageId));
    await publish(acme, { not: 'an event' });
    const letters = await eventually(
      () => {
        const found = bus.records.filter((r) => r.topic === topicNames.deadLetter(acme));
        return found.length >= 3 && found;
      },
      { what: 'three dead letters' },
    );
    const errors = letters.map((r) => (r.value as { error: { code: string; message: string } }).error);
    assert.deepEqual(errors.map((error) => error.code).sort(), [
      'unknown_message',
      'unprocessable',
      'unprocessable',
    ]);
    assert.ok(errors.some((error) => /no message "00000000-/.test(error.message)));
    assert.ok(errors.some((error) => error.message.includes(`of tenant "globex" on the topic of "${acme}"`)));
    assert.ok(errors.some((error) => error.message.startsWith('the event is not a result event')));
    assert.equal(await count('results'), results);
  });

  it("a tenant's events topic created after the consumer started is read from its beginning", async () => {
    const tenantOwner = await onboardTenant(t, later, 'pro');
    const headers = tenantOwner.headers;
    const instance = await inject(
      'POST',
      `/v1/tenants/${later}/agent-instances`,
      { name: 'support', agent: 'sales', version: '1.0.0' },
      headers,
    );
    assert.equal(instance.statusCode, 201, instance.body);
    const c = (
      await inject('POST', `/v1/tenants/${later}/conversations`, { agentInstance: 'support' }, headers)
    ).json().id as string;
    const messageId = await postMessage(later, c, 'Hello from a new tenant', headers);
    await admin.createTopics({
      topics: [
        { topic: topicNames.events(later), numPartitions: 1 },
        { topic: topicNames.deadLetter(later), numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await publish(later, resultEvent(later, c, messageId, { reply: 'Welcome!' }));
    const results = await eventually(
      async () => {
        const res = await inject('GET', `/v1/tenants/${later}/conversations/${c}`, undefined, headers);
        const found: { reply: string }[] = res.json().results;
        return found.length === 1 && found;
      },
      { what: "the new tenant's result", timeoutMs: 60_000 },
    );
    assert.equal(results[0]?.reply, 'Welcome!');
  });
  it('stores email and phone sealed, shows them in plaintext, and finds a lead by blind index', async () => {
    const messageId = await postMessage(acme, conversation, 'Call me');
    const entities = { name: 'Rui', email: 'Rui.Costa@Example.com', phone: '+351 912 345 678' };
    await publish(acme, resultEvent(acme, conversation, messageId, { entities, reply: 'Will do.' }));
    const shown = await eventually(
      async () => {
        const res = await inject('GET', `/v1/tenants/${acme}/leads?email=rui.costa@example.com`);
        const items: { email: string; phone: string; messageId: string }[] = res.json().items;
        return items.length === 1 && items[0];
      },
      { what: 'the lead, found by its email in another case' },
    );
    assert.equal(shown.messageId, messageId);
    assert.equal(shown.email, 'Rui.Costa@Example.com');
    assert.equal(shown.phone, '+351 912 345 678');
    const byPhone = (await inject('GET', `/v1/tenants/${acme}/leads?phone=00351912345678`)).json().items;
    assert.deepEqual(
      byPhone.map((l: { messageId: string }) => l.messageId),
      [messageId],
    );
    const result = (await inject('GET', base))
      .json()
      .results.find((r: { messageId: string }) => r.messageId === messageId);
    assert.deepEqual(result.entities, entities);

    // The rows as PostgreSQL holds them: no address, no number, only sealed values and indexes.
    const em = t.orm.em.fork();
    const [lead] = await em.execute<Record<string, string>[]>(
      'select email, phone, email_index, phone_index from leads where tenant_id = ? and message_id = ?',
      [acme, messageId],
    );
    const [stored] = await em.execute<{ entities: Record<string, string>; email_index: string }[]>(
      'select entities, email_index from results where tenant_id = ? and message_id = ?',
      [acme, messageId],
    );
    const raw = JSON.stringify([lead, stored]);
    for (const plain of ['Rui.Costa', 'rui.costa', 'Example.com', '912 345', '912345678']) {
      assert.ok(!raw.includes(plain), `the raw rows hold ${plain}`);
    }
    assert.ok(isSealed(lead?.email) && isSealed(lead?.phone) && isSealed(stored?.entities.email));
    assert.equal(stored?.entities.name, 'Rui', 'other entities stay readable');
    assert.deepEqual(await pii.endUserLookup(acme, { email: 'RUI.COSTA@example.com' }), {
      emailIndex: lead?.email_index,
    });
    assert.equal(stored?.email_index, lead?.email_index);
  });

  it('an event that arrives while Vault is unreachable waits, uncommitted, and is stored once it is back', async () => {
    const results = await count('results');
    const deadLetters = () => bus.records.filter((r) => r.topic === topicNames.deadLetter(acme)).length;
    const letters = deadLetters();
    const messageId = await postMessage(acme, conversation, 'Anyone there?');
    await relay.cut();
    try {
      await new Promise((resolve) => setTimeout(resolve, 400)); // the cached key expires (ttl 300 ms)
      await publish(acme, resultEvent(acme, conversation, messageId, { reply: 'Here!' }));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(await count('results'), results, 'nothing stored without the key');
      assert.equal(deadLetters(), letters, 'not dead-lettered');
    } finally {
      await relay.restore();
    }
    await eventually(
      async () => (await count('results', 'tenant_id = ? and message_id = ?', [acme, messageId])) === 1,
      { what: 'the event stored after Vault came back', timeoutMs: 30_000 },
    );
    assert.equal(deadLetters(), letters);
  });
});
