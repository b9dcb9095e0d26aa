import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { silentLogger, topicNames } from '@agentplane/shared';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { Kafka, logLevel } from 'kafkajs';
import vault from 'node-vault';
import { createKafkaInboundBus } from '../../messaging/inbound-bus.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';
import { channelSecretPath, createVaultChannelSecrets } from '../../vault/channel-secrets.ts';

const hex = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');
const unixNow = () => String(Math.floor(Date.now() / 1000));

const secrets = {
  web: { kind: 'hmac', secret: 'web-shared-secret-0123456789', agentInstance: 'support' },
  whatsapp: {
    kind: 'meta',
    secret: 'meta-app-secret-0123456789',
    agentInstance: 'support',
    verifyToken: 'verify-me-please',
  },
  slack: { kind: 'slack', secret: 'slack-signing-secret-0123456789', agentInstance: 'support' },
  orphan: { kind: 'hmac', secret: 'orphan-secret-0123456789', agentInstance: 'nobody' },
};

/** Headers that sign `body` as each scheme does, with the channel's secret unless told otherwise. */
const sign = {
  web: (body: string, { ts = unixNow(), key = secrets.web.secret } = {}) => ({
    'content-type': 'application/json',
    'x-agentplane-timestamp': ts,
    'x-agentplane-signature': `sha256=${hex(key, `${ts}.${body}`)}`,
  }),
  whatsapp: (body: string, { key = secrets.whatsapp.secret } = {}) => ({
    'content-type': 'application/json',
    'x-hub-signature-256': `sha256=${hex(key, body)}`,
  }),
  slack: (body: string, { ts = unixNow(), key = secrets.slack.secret } = {}) => ({
    'content-type': 'application/json',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': `v0=${hex(key, `v0:${ts}:${body}`)}`,
  }),
};

describe('channel webhooks, with secrets from Vault and messages through Kafka', {
  skip: withoutTestbed(),
}, () => {
  const brokers = testbedEnv('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({ clientId: 'cp-webhooks-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const root = vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') });
  const tenant = uniqueName('wh');
  const topic = topicNames.inbound(tenant, 'support');
  let db: TestDatabase;
  let t: TestApp;
  const received: { key: string; value: Record<string, unknown> }[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('cp-webhooks') });

  /** Records on the inbound topic: the broker acknowledged every produce before the answer. */
  const enqueued = async () =>
    (await admin.fetchTopicOffsets(topic)).reduce((sum, { high }) => sum + Number(high), 0);
  const stored = async () => {
    const [row] = await t.orm.em
      .fork()
      .execute<{ n: number }[]>('select count(*)::int as n from messages where tenant_id = ?', [tenant]);
    return row?.n ?? 0;
  };
  const post = (channel: string, body: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: `/v1/webhooks/${tenant}/${channel}`, headers, payload: body });

  /** Asserts that `attempt` is refused with 401 and leaves no trace in PostgreSQL or Kafka. */
  async function refusedWithoutTrace(attempt: () => Promise<{ statusCode: number; body: string }>) {
    const [messagesBefore, recordsBefore] = [await stored(), await enqueued()];
    const res = await attempt();
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(JSON.parse(res.body).code, 'unauthenticated');
    assert.equal(await stored(), messagesBefore, 'nothing stored');
    assert.equal(await enqueued(), recordsBefore, 'nothing enqueued');
  }

  before(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    for (const [channel, data] of Object.entries(secrets)) {
      await root.write(`secret/data/${channelSecretPath(tenant, channel)}`, { data });
    }
    db = await createTestDatabase();
    t = await buildTestApp(db, {
      bus: await createKafkaInboundBus({ brokers, log: silentLogger() }),
      channelSecrets: createVaultChannelSecrets({
        addr: testbedEnv('VAULT_ADDR'),
        token: testbedEnv('VAULT_TOKEN'),
      }),
    });
    const owner = await onboardTenant(t, tenant, 'pro');
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/agent-instances`,
      headers: owner.headers,
      payload: { name: 'support', agent: 'customer-service', version: '2.1.0' },
    });
    assert.equal(res.statusCode, 201, res.body);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: String(message.key), value: JSON.parse(String(message.value)) });
      },
    });
  });
  after(async () => {
    await consumer.disconnect();
    await t?.app.close();
    await db?.drop();
    for (const channel of Object.keys(secrets)) {
      await root.delete(`secret/metadata/${channelSecretPath(tenant, channel)}`).catch(() => {});
    }
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  describe('hmac', () => {
    const delivery = JSON.stringify({
      id: 'ticket-1001',
      conversation: 'thread-7',
      body: 'Do you deliver on Sundays?',
      sender: { email: 'ana@example.com' },
    });

    it('a signed delivery is stored and enqueued to the agent instance, answered 202 with its id', async () => {
      const res = await post('web', delivery, sign.web(delivery));
      assert.equal(res.statusCode, 202, res.body);
      const [accepted] = res.json().accepted;
      assert.equal(accepted.duplicate, false);
      const record = await eventually(() => received.find((r) => r.value.id === accepted.id), {
        what: 'the message on the inbound topic',
      });
      assert.equal(record.key, accepted.conversationId);
      assert.deepEqual(
        { ...record.value, receivedAt: undefined },
        {
          id: accepted.id,
          tenant,
          conversationId: accepted.conversationId,
          text: 'Do you deliver on Sundays?',
          channel: 'web',
          from: 'ana@example.com',
          receivedAt: undefined,
          metadata: { agentInstance: 'support', sender: { email: 'ana@example.com' } },
        },
      );
    });

    it('a redelivery answers the same message id and enqueues nothing again', async () => {
      const first = await post('web', delivery, sign.web(delivery));
      const [messages, records] = [await stored(), await enqueued()];
      const again = await post('web', delivery, sign.web(delivery));
      assert.equal(again.statusCode, 202, again.body);
      assert.deepEqual(again.json().accepted, first.json().accepted);
      assert.equal(again.json().accepted[0].duplicate, true);
      assert.equal(await stored(), messages);
      assert.equal(await enqueued(), records);
    });

    it('the same new delivery arriving five times at once is stored and enqueued once', async () => {
      const body = JSON.stringify({ id: 'ticket-race', conversation: 'thread-race', body: 'Anyone there?' });
      const [messages, records] = [await stored(), await enqueued()];
      const answers = await Promise.all(Array.from({ length: 5 }, () => post('web', body, sign.web(body))));
      const accepted = answers.map((res) => res.json().accepted[0]);
      assert.equal(
        new Set(accepted.map((a) => `${a.id}/${a.conversationId}`)).size,
        1,
        'one id, one conversation',
      );
      assert.equal(accepted.filter((a) => !a.duplicate).length, 1);
      assert.equal(await stored(), messages + 1);
      assert.equal(await enqueued(), records + 1);
    });

    it("the thread's next message joins the same conversation", async () => {
      const first = await post('web', delivery, sign.web(delivery));
      const next = JSON.stringify({ id: 'ticket-1002', conversation: 'thread-7', body: 'And on holidays?' });
      const res = await post('web', next, sign.web(next));
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().accepted[0].conversationId, first.json().accepted[0].conversationId);
      assert.notEqual(res.json().accepted[0].id, first.json().accepted[0].id);
    });

    it('a wrong secret, a changed body, a stale or missing timestamp: 401, nothing stored or enqueued', async () => {
      const fresh = JSON.stringify({ id: 'ticket-2001', conversation: 'thread-8', body: 'Hello' });
      await refusedWithoutTrace(() => post('web', fresh, sign.web(fresh, { key: 'not-the-secret-at-all' })));
      await refusedWithoutTrace(() => post('web', fresh.replace('Hello', 'Hallo'), sign.web(fresh)));
      const stale = String(Math.floor(Date.now() / 1000) - 301);
      await refusedWithoutTrace(() => post('web', fresh, sign.web(fresh, { ts: stale })));
      const { 'x-agentplane-timestamp': _ts, ...noTimestamp } = sign.web(fresh);
      await refusedWithoutTrace(() => post('web', fresh, noTimestamp));
      await refusedWithoutTrace(() => post('web', fresh, { 'content-type': 'application/json' }));
    });

    it('a channel that is not configured answers exactly like a bad signature', async () => {
      const fresh = JSON.stringify({ id: 'x', conversation: 'y', body: 'z' });
      const unknown = await post('nowhere', fresh, sign.web(fresh));
      const forged = await post('web', fresh, sign.web(fresh, { key: 'forged-secret-0000' }));
      assert.equal(unknown.statusCode, 401);
      assert.equal(unknown.body, forged.body);
    });

    it('a verified but malformed delivery is 400 naming the field', async () => {
      const bad = JSON.stringify({ id: 'ticket-3001', body: 'no conversation' });
      const res = await post('web', bad, sign.web(bad));
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().details.field, 'body/conversation');
    });

    it('a channel routed to an agent instance that does not exist is 409 and stores nothing', async () => {
      const body = JSON.stringify({ id: 'o-1', conversation: 'o', body: 'anyone?' });
      const [messages, records] = [await stored(), await enqueued()];
      const ts = unixNow();
      const res = await post('orphan', body, {
        'content-type': 'application/json',
        'x-agentplane-timestamp': ts,
        'x-agentplane-signature': `sha256=${hex(secrets.orphan.secret, `${ts}.${body}`)}`,
      });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(await stored(), messages);
      assert.equal(await enqueued(), records);
    });
  });

  describe('meta', () => {
    const whatsapp = (id: string, text: string) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'waba-1',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  contacts: [{ wa_id: '351910000001', profile: { name: 'Rui' } }],
                  messages: [
                    { from: '351910000001', id, timestamp: unixNow(), type: 'text', text: { body: text } },
                  ],
                },
              },
            ],
          },
        ],
      });

    it('the verify-token handshake echoes hub.challenge, and refuses a wrong token with 403', async () => {
      const query = (token: string) =>
        `hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
      const ok = await t.app.inject({
        method: 'GET',
        url: `/v1/webhooks/${tenant}/whatsapp?${query('verify-me-please')}`,
      });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.body, '1158201444');
      assert.match(String(ok.headers['content-type']), /^text\/plain/);
      const wrong = await t.app.inject({
        method: 'GET',
        url: `/v1/webhooks/${tenant}/whatsapp?${query('guess')}`,
      });
      assert.equal(wrong.statusCode, 403);
      assert.equal(wrong.json().code, 'forbidden');
      const notMeta = await t.app.inject({ method: 'GET', url: `/v1/webhooks/${tenant}/web?${query('x')}` });
      assert.equal(notMeta.statusCode, 403);
    });

    it('a delivery signed with the app secret is stored once and answered 200', async () => {
      const body = whatsapp('wamid.HBgM1', 'Quero saber o preço');
      const res = await post('whatsapp', body, sign.whatsapp(body));
      assert.equal(res.statusCode, 200, res.body);
      const [accepted] = res.json().accepted;
      const record = await eventually(() => received.find((r) => r.value.id === accepted.id), {
        what: 'the WhatsApp message on the inbound topic',
      });
      assert.equal(record.value.text, 'Quero saber o preço');
      assert.equal(record.value.from, '+351910000001');
      const again = await post('whatsapp', body, sign.whatsapp(body));
      assert.equal(again.json().accepted[0].id, accepted.id);
      assert.equal(again.json().accepted[0].duplicate, true);
    });

    it('a delivery signed with another secret is 401 with nothing stored or enqueued', async () => {
      const body = whatsapp('wamid.HBgM2', 'forged');
      await refusedWithoutTrace(() =>
        post('whatsapp', body, sign.whatsapp(body, { key: 'not-the-app-secret' })),
      );
    });
  });

  describe('slack', () => {
    const event = (ts: string, text: string) =>
      JSON.stringify({
        type: 'event_callback',
        event_id: `Ev${ts}`,
        event: { type: 'message', channel: 'D0123', user: 'U0456', text, ts },
      });

    it('answers the url_verification challenge', async () => {
      const body = JSON.stringify({ type: 'url_verification', token: 'x', challenge: 'slack-challenge-1' });
      const res = await post('slack', body, sign.slack(body));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { challenge: 'slack-challenge-1' });
    });

    it('a signed event is stored and enqueued once; a retry carries the same ts and is a duplicate', async () => {
      const body = event('1700000000.000100', 'Can I change my plan?');
      const res = await post('slack', body, sign.slack(body));
      assert.equal(res.statusCode, 200, res.body);
      const [accepted] = res.json().accepted;
      await eventually(() => received.find((r) => r.value.id === accepted.id), {
        what: 'the Slack message on the inbound topic',
      });
      const records = await enqueued();
      const retry = await post('slack', body, { ...sign.slack(body), 'x-slack-retry-num': '1' });
      assert.equal(retry.json().accepted[0].id, accepted.id);
      assert.equal(await enqueued(), records);
    });

    it('a wrong signing secret or a stale timestamp is 401 with nothing stored or enqueued', async () => {
      const body = event('1700000000.000200', 'forged');
      await refusedWithoutTrace(() => post('slack', body, sign.slack(body, { key: 'wrong-signing-secret' })));
      const stale = String(Math.floor(Date.now() / 1000) - 600);
      await refusedWithoutTrace(() => post('slack', body, sign.slack(body, { ts: stale })));
    });
  });

  it('documents the three signature schemes in OpenAPI, without bearer authentication', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const route = spec.paths['/v1/webhooks/{tenant}/{channel}'];
    for (const header of ['X-Agentplane-Signature', 'X-Hub-Signature-256', 'X-Slack-Signature']) {
      assert.ok(route.post.description.includes(header), header);
    }
    assert.deepEqual(route.post.security, []);
    assert.ok(route.post.requestBody);
    assert.ok(route.get.parameters.some((p: { name: string }) => p.name === 'hub.verify_token'));
  });
});
