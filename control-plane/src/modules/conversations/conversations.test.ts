import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger, topicNames } from '@agentplane/shared';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaInboundBus } from '../../messaging/inbound-bus.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('conversations and messages, through the real Kafka', { skip: withoutTestbed() }, () => {
  const brokers = testbedEnv('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({ clientId: 'cp-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const tenant = uniqueName('cp');
  const topic = topicNames.inbound(tenant, 'support');
  let db: TestDatabase;
  let t: TestApp;
  let owner: Awaited<ReturnType<typeof onboardTenant>>;

  before(async () => {
    await admin.connect();
    // The broker does not auto-create topics: the operator would; here the test does.
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    db = await createTestDatabase();
    t = await buildTestApp(db, { bus: await createKafkaInboundBus({ brokers, log: silentLogger() }) });
    owner = await onboardTenant(t, tenant, 'pro');
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/agent-instances`,
      headers: owner.headers,
      payload: { name: 'support', agent: 'customer-service', version: '2.1.0' },
    });
    assert.equal(res.statusCode, 201, res.body);
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it("POST a message answers 202 with its id and the runtime's inbound record is on the topic keyed by conversation", async () => {
    const conversation = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/conversations`,
      headers: owner.headers,
      payload: { agentInstance: 'support', channel: 'web' },
    });
    assert.equal(conversation.statusCode, 201, conversation.body);
    const c = conversation.json().id as string;
    const posted = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/conversations/${c}/messages`,
      headers: owner.headers,
      payload: { body: 'Do you ship to Lisbon?', sender: { email: 'ana@example.com' } },
    });
    assert.equal(posted.statusCode, 202, posted.body);
    const { id } = posted.json();

    const consumer = kafka.consumer({ groupId: uniqueName('cp-group') });
    const received: { key: string; value: Record<string, unknown> }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: String(message.key), value: JSON.parse(String(message.value)) });
      },
    });
    try {
      await eventually(() => received.length > 0, {
        what: 'the message on the inbound topic',
        timeoutMs: 30_000,
      });
    } finally {
      await consumer.disconnect();
    }
    assert.equal(received[0]?.key, c);
    assert.deepEqual(
      { ...received[0]?.value, receivedAt: undefined },
      {
        id,
        tenant,
        conversationId: c,
        text: 'Do you ship to Lisbon?',
        channel: 'web',
        from: 'ana@example.com',
        receivedAt: undefined,
        metadata: { agentInstance: 'support', sender: { email: 'ana@example.com' } },
      },
    );

    const shown = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${tenant}/conversations/${c}`,
      headers: owner.headers,
    });
    assert.equal(shown.statusCode, 200);
    assert.deepEqual(
      shown.json().messages.map((m: { id: string; body: string }) => [m.id, m.body]),
      [[id, 'Do you ship to Lisbon?']],
    );
    assert.deepEqual(shown.json().results, []);
  });

  it('a message for an instance whose topic does not exist is refused and not stored', async () => {
    await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/agent-instances`,
      headers: owner.headers,
      payload: { name: 'unprovisioned', agent: 'customer-service', version: '2.1.0' },
    });
    const conversation = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/conversations`,
      headers: owner.headers,
      payload: { agentInstance: 'unprovisioned' },
    });
    const c = conversation.json().id as string;
    const posted = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/conversations/${c}/messages`,
      headers: owner.headers,
      payload: { body: 'hello?' },
    });
    assert.ok([409, 503].includes(posted.statusCode), posted.body);
    assert.ok(posted.headers['retry-after']);
    const shown = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${tenant}/conversations/${c}`,
      headers: owner.headers,
    });
    assert.deepEqual(shown.json().messages, [], 'the transaction rolled back');
  });
});
