// One trace from the API to Kafka: the HTTP request's span, its PostgreSQL queries and the
// produce are one tree, and the record on the inbound topic carries a traceparent of that trace
// (what the runtime continues). Real PostgreSQL and Kafka; spans go to an in-memory exporter.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { silentLogger, topicNames } from '@agentplane/shared';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaInboundBus } from '../messaging/inbound-bus.ts';
import {
  buildTestApp,
  createAgentInstance,
  onboardTenant,
  openConversation,
  type TestApp,
} from '../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { startTelemetry } from './instrumentation.ts';
import { describeStatement } from './pg.ts';

const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry({ export: false, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
after(() => telemetry.shutdown());

it('names a statement by its operation and table, never its values', () => {
  assert.deepEqual(describeStatement(`select "m0".* from "message" as "m0" where "m0"."body" = 'secret'`), {
    operation: 'SELECT',
    table: 'message',
  });
  assert.deepEqual(describeStatement(`insert into "conversation" ("id") values ('x')`), {
    operation: 'INSERT',
    table: 'conversation',
  });
  assert.deepEqual(describeStatement('begin'), { operation: 'BEGIN', table: undefined });
});

describe('traces through the real PostgreSQL and Kafka', { skip: withoutTestbed() }, () => {
  const brokers = testbedEnv('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({ clientId: 'cp-telemetry-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const tenant = uniqueName('otel');
  const topic = topicNames.inbound(tenant, 'support');
  const consumer = kafka.consumer({ groupId: uniqueName('cp-otel') });
  const received: { id: string; headers: Record<string, string> }[] = [];
  let db: TestDatabase;
  let t: TestApp;
  let owner: Awaited<ReturnType<typeof onboardTenant>>;
  let conversation: string;
  let url: string;

  before(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    db = await createTestDatabase();
    t = await buildTestApp(db, { bus: await createKafkaInboundBus({ brokers, log: silentLogger() }) });
    owner = await onboardTenant(t, tenant, 'pro');
    await createAgentInstance(t, owner);
    conversation = await openConversation(t, owner);
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
        received.push({ id: JSON.parse(String(message.value)).id, headers });
      },
    });
  });
  after(async () => {
    await consumer.disconnect();
    await t?.app.close();
    await db?.drop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  // Over a real socket, the body's second half sent after a pause: it then arrives in a stream event
  // of the connection, outside the request's context unless the span is bound to the request.
  const postMessage = async (headers: Record<string, string> = {}) => {
    exporter.reset();
    const json = JSON.stringify({ body: 'Do you ship to Lisbon?' });
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/v1/tenants/${tenant}/conversations/${conversation}/messages`, {
        method: 'POST',
        headers: { ...owner.headers, ...headers, 'content-type': 'application/json' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.write(json.slice(0, 10));
      setTimeout(() => req.end(json.slice(10)), 50);
    });
    assert.equal(status, 202, body);
    const id = (JSON.parse(body) as { id: string }).id;
    const record = await eventually(() => received.find((r) => r.id === id), {
      what: 'the message on the inbound topic',
      timeoutMs: 30_000,
    });
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    assert.ok(server, 'the request has a server span');
    return { record, spans, server };
  };

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('the record carries the traceparent of the request span, whose children are the queries and the produce', async () => {
    const { record, spans, server } = await postMessage();
    assert.equal(server.name, 'POST /v1/tenants/:t/conversations/:c/messages');
    assert.equal(server.attributes['http.route'], '/v1/tenants/:t/conversations/:c/messages');
    assert.equal(server.attributes['http.response.status_code'], 202);
    assert.equal(server.attributes['agentplane.tenant'], tenant);
    const traceId = server.spanContext().traceId;

    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER);
    assert.equal(producer?.name, `send ${topic}`);
    assert.equal(producer?.spanContext().traceId, traceId);
    assert.equal(parentOf(producer), server.spanContext().spanId);
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(record.headers.traceparent ?? '');
    assert.ok(match, `traceparent header: ${record.headers.traceparent}`);
    assert.equal(match[1], traceId, 'the record continues the HTTP span trace');
    assert.equal(match[2], producer?.spanContext().spanId, 'its parent is the produce span');
    assert.equal(record.headers['agentplane-message-id'], record.id, 'the other headers are kept');

    const queries = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    const names = queries.map((s) => s.name);
    // (The key was used in the set-up: its lookup is served from the 2 s principal cache.)
    for (const expected of ['BEGIN', 'SELECT conversations', 'INSERT message', 'COMMIT']) {
      assert.ok(
        names.some((name) => name.toLowerCase().startsWith(expected.toLowerCase())),
        `${expected} in ${names}`,
      );
    }
    for (const query of queries) {
      assert.equal(query.spanContext().traceId, traceId, `${query.name} is in the request trace`);
      assert.equal(query.kind, SpanKind.CLIENT);
      assert.equal(query.attributes['db.namespace'], db.dbName);
    }
    // The body is parsed from stream events: the handler's queries must still be the span's children.
    assert.ok(queries.filter((q) => parentOf(q) === server.spanContext().spanId).length >= 3);
  });

  it("continues the caller's trace when the request carries a traceparent", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { record, server } = await postMessage({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    assert.equal(server.spanContext().traceId, traceId);
    assert.equal(server.parentSpanContext?.spanId, '00f067aa0ba902b7');
    assert.match(record.headers.traceparent ?? '', new RegExp(`^00-${traceId}-`));
  });
});
