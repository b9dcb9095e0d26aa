// The runtime in-process against the test bed's Kafka, on the fallback path.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { eventually } from '@agentplane/shared/testing';
import type { Admin } from 'kafkajs';
import {
  collect,
  createTenantTopics,
  inbound,
  produce,
  testConfig,
  testKafka,
  uniqueTenant,
  withoutKafka,
} from '../test-support/kafka.ts';
import { startRuntime } from './app.ts';
import { startTelemetry } from './instrumentation.ts';
import type { DeadLetter, ResultEvent } from './messages.ts';

describe('runtime on Kafka (fallback path)', { skip: withoutKafka(), timeout: 120_000 }, () => {
  const kafka = testKafka();
  let admin: Admin;
  // As main.ts starts it without an OTLP endpoint.
  const telemetry = startTelemetry({ serviceName: 'runtime-test', version: 'test', export: false });
  before(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  after(async () => {
    await admin.disconnect();
    await telemetry.shutdown();
  });

  it('processes each conversation in order and publishes one result per message', async (t) => {
    const tenant = uniqueTenant();
    const config = testConfig(tenant);
    t.after(await createTenantTopics(admin, config, 3));
    const sent = new Map<string, string[]>();
    const messages = [];
    for (let i = 0; i < 60; i++) {
      const conversation = `c${i % 6}`;
      const message = inbound(tenant, conversation, `Hello, what does the pro plan cost? message ${i}`);
      messages.push(message);
      sent.set(conversation, [...(sent.get(conversation) ?? []), JSON.parse(message.value).id]);
    }
    await produce(kafka, config.topics.inbound, messages);
    const runtime = await startRuntime(config, silentLogger());
    t.after(() => runtime.stop());
    const events = await collect(kafka, config.topics.events);
    t.after(events.stop);
    await eventually(() => events.records.length >= 60, { what: '60 events', timeoutMs: 60_000 });
    const results = events.json<ResultEvent>();
    for (const [conversation, ids] of sent) {
      const got = results
        .filter((event) => event.conversationId === conversation)
        .map((event) => event.messageId);
      assert.deepEqual(got, ids, `order of ${conversation}`);
    }
    const first = results[0];
    assert.equal(first?.path, 'fallback');
    assert.equal(first?.intent.label, 'sales');
    assert.ok(first?.reply && first.reply.length <= 280);
    assert.equal(events.records[0]?.key, first?.conversationId);
  });

  it('dead-letters malformed and foreign-tenant records with the original, and goes on', async (t) => {
    const tenant = uniqueTenant();
    const config = testConfig(tenant);
    t.after(await createTenantTopics(admin, config, 1));
    await produce(kafka, config.topics.inbound, [
      { key: 'c1', value: 'not json {', headers: { origin: 'test' } },
      inbound('other-tenant', 'c1', 'I want to buy 20 licenses'),
      { key: 'c1', value: JSON.stringify({ id: 'x', tenant }) },
      inbound(tenant, 'c1', 'My invoice is wrong, how do I fix it?', 'good-1'),
    ]);
    const runtime = await startRuntime(config, silentLogger());
    t.after(() => runtime.stop());
    const events = await collect(kafka, config.topics.events);
    const dlq = await collect(kafka, config.topics.deadLetter);
    t.after(events.stop);
    t.after(dlq.stop);
    await eventually(() => events.records.length >= 1 && dlq.records.length >= 3, {
      what: 'event and dead letters',
    });
    const letters = dlq.json<DeadLetter>();
    assert.deepEqual(
      letters.map((letter) => letter.error.code),
      ['malformed_message', 'tenant_mismatch', 'malformed_message'],
    );
    assert.equal(Buffer.from(letters[0]?.original.valueBase64 ?? '', 'base64').toString(), 'not json {');
    assert.equal(letters[0]?.original.headers.origin, 'test');
    assert.equal(letters[0]?.original.offset, '0');
    assert.equal(letters[0]?.error.attempts, 1);
    assert.deepEqual(
      events.json<ResultEvent>().map((event) => event.messageId),
      ['good-1'],
    );
  });

  it('publishes no second result for a redelivered message, also after a restart', async (t) => {
    const tenant = uniqueTenant();
    const config = testConfig(tenant);
    t.after(await createTenantTopics(admin, config, 2));
    const dup = inbound(tenant, 'c1', 'Can I get a quote for 50 seats?', 'm-1');
    await produce(kafka, config.topics.inbound, [dup, dup, inbound(tenant, 'c2', 'hi there', 'm-2')]);
    const events = await collect(kafka, config.topics.events);
    t.after(events.stop);
    const first = await startRuntime(config, silentLogger());
    await eventually(() => events.records.length >= 2, { what: 'first two events' });
    await first.stop();
    // Rewind the group: every record is redelivered to a fresh process, as after a crash before commit.
    await admin.resetOffsets({
      groupId: config.topics.consumerGroup,
      topic: config.topics.inbound,
      earliest: true,
    });
    await produce(kafka, config.topics.inbound, [inbound(tenant, 'c1', 'and a demo please', 'm-3')]);
    const second = await startRuntime(config, silentLogger());
    t.after(() => second.stop());
    await eventually(() => events.records.some((record) => record.value.includes('"m-3"')), {
      what: 'm-3 event',
    });
    const ids = events.json<ResultEvent>().map((event) => event.messageId);
    assert.deepEqual(ids.sort(), ['m-1', 'm-2', 'm-3']);
  });

  it('carries the inbound trace to the events and dead-letter topics, and starts one otherwise', async (t) => {
    const tenant = uniqueTenant();
    const config = testConfig(tenant);
    t.after(await createTenantTopics(admin, config, 1));
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const traceparent = `00-${traceId}-b7ad6b7169203331-01`;
    await produce(kafka, config.topics.inbound, [
      { ...inbound(tenant, 'c1', 'How much is the pro plan?', 'traced'), headers: { traceparent } },
      inbound(tenant, 'c1', 'And is there a trial?', 'untraced'),
      { key: 'c1', value: 'not json {', headers: { traceparent } },
    ]);
    const runtime = await startRuntime(config, silentLogger());
    t.after(() => runtime.stop());
    const events = await collect(kafka, config.topics.events);
    const dlq = await collect(kafka, config.topics.deadLetter);
    t.after(events.stop);
    t.after(dlq.stop);
    await eventually(() => events.records.length >= 2 && dlq.records.length >= 1, {
      what: 'two events and a dead letter',
    });
    const [traced, untraced] = events.json<ResultEvent>();
    assert.equal(traced?.messageId, 'traced');
    assert.equal(traced?.traceId, traceId, 'the inbound trace id reaches the event');
    assert.match(events.records[0]?.headers.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.match(untraced?.traceId ?? '', /^(?!0{32})[0-9a-f]{32}$/, 'a fresh, non-zero trace id');
    assert.notEqual(untraced?.traceId, traceId);
    assert.match(events.records[1]?.headers.traceparent ?? '', new RegExp(`^00-${untraced?.traceId}-`));
    assert.match(dlq.records[0]?.headers.traceparent ?? '', new RegExp(`^00-${traceId}-`));
  });
});
