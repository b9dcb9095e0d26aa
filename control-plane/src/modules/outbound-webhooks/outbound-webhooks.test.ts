import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { silentLogger, topicNames } from '@agentplane/shared';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import type { MikroORM } from '@mikro-orm/postgresql';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isSealed } from '../../crypto/envelope.ts';
import type { Pii } from '../../crypto/pii.ts';
import { bedPii } from '../../crypto/testing.ts';
import { createOrm } from '../../db/orm.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';
import {
  createVaultOutboundWebhookSecrets,
  type OutboundWebhookSecrets,
} from '../../vault/outbound-webhook-secrets.ts';
import { createAuditLog } from '../audit/audit.service.ts';
import { createConversationHub } from '../conversations/conversation-hub.ts';
import { createEventsIngest, type EventsIngest } from '../events-in/events-in.service.ts';
import { backoffDelayMs, type DeliveryWorker, startDeliveryWorker } from './delivery-worker.ts';
import { LeadCreatedPayload, ReplySentPayload } from './outbound-webhooks.schemas.ts';
import { verifyDelivery } from './signing.ts';

// The formats the payload schemas use (AJV knows them in the app; TypeBox's Value needs telling).
if (!FormatRegistry.Has('uuid'))
  FormatRegistry.Set('uuid', (v) =>
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  );
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A tenant's receiver on 127.0.0.1: records every POST and answers what `respond` says. */
async function startReceiver() {
  const received: Received[] = [];
  let respond: (request: Received) => number = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      res.statusCode = respond(request);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/agentplane`,
    received,
    answer(with_: (request: Received) => number) {
      respond = with_;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const resultEvent = (tenant: string, conversationId: string, messageId: string, fields: object = {}) => ({
  type: 'message.processed',
  messageId,
  conversationId,
  tenant,
  instance: 'support',
  reply: 'Yes, we deliver to Lisbon within two days.',
  intent: { label: 'sales', confidence: 0.9, urgency: 'high' },
  sentiment: 'positive',
  lead: { score: 82, temperature: 'hot', tags: ['logistics'] },
  entities: { name: 'Ana', email: 'ana@example.com', phone: '+351 912 345 678', company: 'Tinta Lda' },
  tokens: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  processedAt: new Date().toISOString(),
  ...fields,
});

describe('outbound tenant webhook: signed, retried, durable deliveries', { skip: withoutTestbed() }, () => {
  const tenant = uniqueName('owh');
  let db: TestDatabase;
  let t: TestApp;
  let workerOrm: MikroORM;
  let pii: Pii;
  let secrets: OutboundWebhookSecrets;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ingest: EventsIngest;
  let worker: DeliveryWorker | undefined;
  let owner: Awaited<ReturnType<typeof onboardTenant>>;
  let conversation: string;
  let secret: string;
  let offset = 0;

  const api = (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, payload?: object) =>
    t.app.inject({
      method,
      url: `/v1/tenants/${tenant}${url}`,
      headers: owner.headers,
      ...(payload ? { payload } : {}),
    });
  const startWorker = () =>
    startDeliveryWorker({
      root: workerOrm.em,
      pii,
      secrets,
      audit: createAuditLog(),
      log: silentLogger(),
      pollMs: 100,
      maxAttempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 300,
      timeoutMs: 2000,
      // The receiver of these tests listens on 127.0.0.1.
      allowPrivateReceivers: true,
    });
  /** A message posted through the API and the runtime's result for it, ingested as the consumer would. */
  const processed = async (fields: object = {}) => {
    const posted = await api('POST', `/conversations/${conversation}/messages`, { body: 'Hello' });
    const messageId = posted.json().id as string;
    const event = resultEvent(tenant, conversation, messageId, fields);
    const record = {
      topic: topicNames.events(tenant),
      partition: 0,
      offset: String(offset++),
      key: conversation,
      value: Buffer.from(JSON.stringify(event)),
      headers: {},
      timestamp: String(Date.now()),
    };
    await ingest.ingest(record);
    return { messageId, record };
  };
  const deliveries = async (where = 'true', params: unknown[] = []) =>
    workerOrm.em
      .fork()
      .execute<{ id: string; event: string; status: string; attempts: number; body: string }[]>(
        `select id, event, status, attempts, body from webhook_deliveries where tenant_id = ? and ${where} order by created_at`,
        [tenant, ...params],
      );

  before(async () => {
    db = await createTestDatabase();
    workerOrm = await createOrm({ clientUrl: db.clientUrl, dbName: db.dbName, poolMax: 4 });
    pii = await bedPii(workerOrm.em);
    secrets = createVaultOutboundWebhookSecrets({
      addr: testbedEnv('VAULT_ADDR'),
      token: testbedEnv('VAULT_TOKEN'),
    });
    t = await buildTestApp(db, { pii, outboundWebhookSecrets: secrets });
    owner = await onboardTenant(t, tenant);
    await api('POST', '/agent-instances', { name: 'support', agent: 'sales', version: '1.0.0' });
    conversation = (await api('POST', '/conversations', { agentInstance: 'support' })).json().id;
    receiver = await startReceiver();
    ingest = createEventsIngest({
      root: t.orm.em,
      hub: createConversationHub(),
      pii,
      onEnqueued: () => worker?.wake(),
    });
  });
  beforeEach(() => receiver.answer(() => 200));
  after(async () => {
    await worker?.stop();
    await receiver?.close();
    await secrets?.remove(tenant);
    await t?.app.close();
    await workerOrm?.close(true);
    await db?.drop();
  });

  it('PUT configures the webhook: the secret is shown once and kept in Vault, GET never shows it', async () => {
    const refused = await api('PUT', '/outbound-webhook', {
      url: 'http://169.254.169.254/latest',
      events: ['lead.created'],
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().details.field, 'body/url');
    const ftp = await api('PUT', '/outbound-webhook', { url: 'ftp://127.0.0.1/x', events: ['lead.created'] });
    assert.equal(ftp.statusCode, 400);

    const put = await api('PUT', '/outbound-webhook', {
      url: receiver.url,
      events: ['lead.created', 'reply.sent'],
    });
    assert.equal(put.statusCode, 200, put.body);
    secret = put.json().secret;
    assert.match(secret, /^whsec_[\w-]{43}$/);
    assert.equal(await secrets.read(tenant), secret, 'stored in Vault');
    const shown = await api('GET', '/outbound-webhook');
    assert.equal(shown.statusCode, 200);
    assert.deepEqual(shown.json().events, ['lead.created', 'reply.sent']);
    assert.ok(!shown.body.includes(secret));
    const again = await api('PUT', '/outbound-webhook', {
      url: receiver.url,
      events: ['lead.created', 'reply.sent'],
    });
    assert.equal(again.json().secret, undefined, 'an update keeps the secret and does not show it');
    const [stored] = await workerOrm.em
      .fork()
      .execute<{ n: number }[]>("select count(*)::int as n from outbound_webhooks where url like '%whsec%'");
    assert.equal(stored?.n, 0);
  });

  it('delivers lead.created and reply.sent once each, signed, matching their documented schemas', async () => {
    worker = startWorker();
    const { messageId, record } = await processed();
    await eventually(() => receiver.received.length >= 2, { what: 'two deliveries' });
    const byType = Object.fromEntries(
      receiver.received.map((r) => [r.headers['x-agentplane-event'], r]),
    ) as Record<string, Received>;
    for (const [type, schema] of [
      ['lead.created', LeadCreatedPayload],
      ['reply.sent', ReplySentPayload],
    ] as const) {
      const request = byType[type];
      assert.ok(request, `a ${type} delivery`);
      const signature = request.headers['x-agentplane-signature'] as string;
      assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.ok(verifyDelivery(secret, signature, request.body), `${type} is signed with the secret`);
      assert.ok(!verifyDelivery('whsec_other', signature, request.body));
      const payload = JSON.parse(request.body);
      assert.ok(
        Value.Check(schema, payload),
        `${type}: ${JSON.stringify([...Value.Errors(schema, payload)][0])}`,
      );
      assert.equal(request.headers['x-agentplane-delivery'], payload.id);
      assert.equal(payload.tenant, tenant);
    }
    const lead = JSON.parse(byType['lead.created']?.body ?? '{}');
    assert.equal(lead.data.email, 'ana@example.com');
    assert.equal(lead.data.messageId, messageId);
    assert.equal(
      JSON.parse(byType['reply.sent']?.body ?? '{}').data.text,
      'Yes, we deliver to Lisbon within two days.',
    );

    const rows = await eventually(
      async () => {
        const found = await deliveries();
        return found.every((d) => d.status === 'delivered') && found;
      },
      { what: 'both deliveries recorded as delivered' },
    );
    assert.equal(rows.length, 2);
    assert.ok(
      rows.every((d) => isSealed(d.body) && !d.body.includes('ana@')),
      'the outbox holds no plaintext',
    );
    // A redelivered event enqueues nothing, and a delivered delivery is never sent again.
    assert.equal(await ingest.ingest(record), 'duplicate');
    await worker.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 2);
    assert.equal((await deliveries()).length, 2);
  });

  it('retries a failing receiver with backoff until it answers 2xx', async () => {
    receiver.received.length = 0;
    let calls = 0;
    receiver.answer(() => (++calls <= 2 ? 500 : 204));
    const { messageId } = await processed({ reply: undefined });
    await eventually(async () => (await deliveries("status = 'delivered' and attempts = 3")).length === 1, {
      what: 'the delivery to succeed on its third attempt',
    });
    assert.equal(receiver.received.length, 3);
    assert.equal(new Set(receiver.received.map((r) => r.headers['x-agentplane-delivery'])).size, 1);
    assert.equal(JSON.parse(receiver.received[2]?.body ?? '{}').data.messageId, messageId);
  });

  it('after the last failure the delivery is dead, audited as webhook.dead_lettered, and listed', async () => {
    receiver.answer(() => 503);
    await processed({ lead: undefined });
    const [dead] = await eventually(
      async () => {
        const found = await deliveries("status = 'dead'");
        return found.length === 1 && found;
      },
      { what: 'a dead delivery' },
    );
    assert.equal(dead?.attempts, 3);
    assert.equal(dead?.event, 'reply.sent');
    const audit = (await api('GET', '/audit')).json();
    const event = (audit.items ?? audit).find(
      (e: { action: string }) => e.action === 'webhook.dead_lettered',
    );
    assert.ok(event, 'an audit event');
    assert.match(event.target, new RegExp(dead?.id ?? 'none'));
    const listed = await api('GET', '/outbound-webhook/deliveries?status=dead');
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(
      listed.json().items.map((d: { id: string; lastStatus: number }) => [d.id, d.lastStatus]),
      [[dead?.id, 503]],
    );
    const verified = (await api('GET', '/audit/verify')).json();
    assert.equal(verified.valid, true);
  });

  it('survives a restart: what was enqueued while no worker ran is delivered by the next one, once', async () => {
    await worker?.stop();
    worker = undefined;
    receiver.received.length = 0;
    await processed({ reply: undefined });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 0);
    assert.equal((await deliveries("status = 'pending'")).length, 1);
    // A new worker with its own connections and its own (empty) key cache, as after a restart.
    pii = await bedPii(workerOrm.em);
    worker = startWorker();
    await eventually(async () => (await deliveries("status = 'pending'")).length === 0, {
      what: 'the pending delivery to be sent',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 1);
  });

  it('documents both payloads in the OpenAPI document', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    assert.ok(spec.components.schemas.OutboundLeadCreated?.properties?.data);
    assert.ok(spec.components.schemas.OutboundReplySent?.properties?.data);
    assert.ok(spec.paths['/v1/tenants/{t}/outbound-webhook'].put);
  });

  it('DELETE removes the webhook and its secret', async () => {
    const removed = await api('DELETE', '/outbound-webhook');
    assert.equal(removed.statusCode, 204, removed.body);
    assert.equal((await api('GET', '/outbound-webhook')).statusCode, 404);
    assert.equal(await secrets.read(tenant), undefined);
    assert.equal((await api('DELETE', '/outbound-webhook')).statusCode, 404);
  });

  it('spreads retries: exponential, capped, jittered within [half, full]', () => {
    assert.equal(
      backoffDelayMs(1, 100, 10_000, () => 0),
      50,
    );
    assert.equal(
      backoffDelayMs(1, 100, 10_000, () => 1),
      100,
    );
    assert.equal(
      backoffDelayMs(4, 100, 10_000, () => 1),
      800,
    );
    assert.equal(
      backoffDelayMs(20, 100, 10_000, () => 1),
      10_000,
    );
    assert.equal(
      backoffDelayMs(20, 100, 10_000, () => 0),
      5000,
    );
  });
});
