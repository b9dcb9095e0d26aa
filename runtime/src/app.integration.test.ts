// The runtime in-process against the test bed's Kafka, on the fallback path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { eventually } from '@agentplane/shared/testing';
import { inbound, withoutKafka } from '../test-support/kafka.ts';
import { kafkaSuite } from '../test-support/kafka-suite.ts';
import { startRuntime } from './app.ts';
import type { DeadLetter, ResultEvent } from './messages.ts';

describe('runtime on Kafka (fallback path)', { skip: withoutKafka(), timeout: 120_000 }, () => {
  // As main.ts starts it without an OTLP endpoint.
  const suite = kafkaSuite({ telemetry: true });

  it('processes each conversation in order and publishes one result per message', async (t) => {
    const { tenant, send, collect, start } = await suite.tenant(t, { partitions: 3 });
    const sent = new Map<string, string[]>();
    const messages = [];
    for (let i = 0; i < 60; i++) {
      const conversation = `c${i % 6}`;
      const message = inbound(tenant, conversation, `Hello, what does the pro plan cost? message ${i}`);
      messages.push(message);
      sent.set(conversation, [...(sent.get(conversation) ?? []), JSON.parse(message.value).id]);
    }
    await send(messages);
    await start();
    const events = await collect();
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
    const { tenant, config, send, collect, start } = await suite.tenant(t, { partitions: 1 });
    await send([
      { key: 'c1', value: 'not json {', headers: { origin: 'test' } },
      inbound('other-tenant', 'c1', 'I want to buy 20 licenses'),
      { key: 'c1', value: JSON.stringify({ id: 'x', tenant }) },
      inbound(tenant, 'c1', 'My invoice is wrong, how do I fix it?', 'good-1'),
    ]);
    await start();
    const events = await collect();
    const dlq = await collect(config.topics.deadLetter);
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
    const { tenant, config, send, collect, start } = await suite.tenant(t, { partitions: 2 });
    const dup = inbound(tenant, 'c1', 'Can I get a quote for 50 seats?', 'm-1');
    await send([dup, dup, inbound(tenant, 'c2', 'hi there', 'm-2')]);
    const events = await collect();
    const first = await startRuntime(config, silentLogger());
    await eventually(() => events.records.length >= 2, { what: 'first two events' });
    await first.stop();
    // Rewind the group: every record is redelivered to a fresh process, as after a crash before commit.
    await suite.admin.resetOffsets({
      groupId: config.topics.consumerGroup,
      topic: config.topics.inbound,
      earliest: true,
    });
    await send([inbound(tenant, 'c1', 'and a demo please', 'm-3')]);
    await start();
    await eventually(() => events.records.some((record) => record.value.includes('"m-3"')), {
      what: 'm-3 event',
    });
    const ids = events.json<ResultEvent>().map((event) => event.messageId);
    assert.deepEqual(ids.sort(), ['m-1', 'm-2', 'm-3']);
  });

  it('carries the inbound trace to the events and dead-letter topics, and starts one otherwise', async (t) => {
    const { tenant, config, send, collect, start } = await suite.tenant(t, { partitions: 1 });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const traceparent = `00-${traceId}-b7ad6b7169203331-01`;
    await send([
      { ...inbound(tenant, 'c1', 'How much is the pro plan?', 'traced'), headers: { traceparent } },
      inbound(tenant, 'c1', 'And is there a trial?', 'untraced'),
      { key: 'c1', value: 'not json {', headers: { traceparent } },
    ]);
    await start();
    const events = await collect();
    const dlq = await collect(config.topics.deadLetter);
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
