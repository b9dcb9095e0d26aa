// Bad input on Kafka: a runtime process gets malformed, binary, oversized, hostile, other-tenant and
// replayed records mixed with good ones. Each bad record must land on the tenant's dead-letter topic
// (or, for a replay, produce nothing more), the good ones must be answered once each, the process
// must stay up and ready, and nothing may reach another tenant's topics.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { topicNames } from '@agentplane/shared';
import { testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually.ts';
import { type RuntimeProcess, startRuntimeFromSettings } from '../helpers/runtime-process.ts';
import { stateDir } from '../testbed/paths.ts';

interface Record_ {
  key: string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

const message = (tenant: string, id: string, text: string, fields: object = {}) => ({
  key: 'c1',
  value: JSON.stringify({
    id,
    tenant,
    conversationId: 'c1',
    text,
    channel: 'chat',
    receivedAt: new Date().toISOString(),
    ...fields,
  }),
});

/** Reads a topic from the start into an array, in the background. */
async function reader(kafka: Kafka, topic: string) {
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(5).toString('hex')}`, maxBytes: 8 << 20 });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message: m }) => void values.push(m.value?.toString() ?? '') });
  return { values, stop: () => consumer.disconnect() };
}

describe('bad records on Kafka: dead-lettered or ignored, never a crash or a cross-tenant effect', {
  skip: withoutTestbed(),
  timeout: 300_000,
}, () => {
  const brokers = testbedEnv('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({ clientId: 'bad-records', brokers, logLevel: logLevel.NOTHING });
  const tenant = uniqueName('bad');
  const neighbour = `${tenant}-n`;
  const instance = 'support';
  const topics = [tenant, neighbour].flatMap((t) => [
    topicNames.inbound(t, instance),
    topicNames.events(t),
    topicNames.deadLetter(t),
  ]);
  let admin: Admin;
  let runtime: RuntimeProcess;
  let stopping = false;
  let crashed = '';

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
    });
    const log = join(stateDir, 'logs', `runtime-${tenant}.log`);
    runtime = await startRuntimeFromSettings({
      tenant,
      agentInstance: instance,
      agent: 'sales',
      brokers,
      logFile: log,
    });
    runtime.exited.then((code) => {
      if (!stopping) crashed = `runtime exited (${code ?? runtime.child.signalCode}); see ${log}`;
    });
  });

  after(async () => {
    stopping = true;
    await runtime?.stop();
    await admin?.deleteTopics({ topics }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('dead-letters every bad record with its reason, answers the good ones once, and stays ready', async () => {
    const bad: Array<{ what: string; record: Record_; code: string }> = [
      { what: 'not JSON', record: { key: 'c1', value: 'not json {' }, code: 'malformed_message' },
      { what: 'no value', record: { key: 'c1', value: null }, code: 'malformed_message' },
      {
        what: 'binary garbage',
        record: { key: 'c1', value: randomBytes(2048) },
        code: 'malformed_message',
      },
      { what: 'a JSON array', record: { key: 'c1', value: '[1,2,3]' }, code: 'malformed_message' },
      {
        what: 'deeply nested JSON',
        record: { key: 'c1', value: `${'['.repeat(5000)}${']'.repeat(5000)}` },
        code: 'malformed_message',
      },
      {
        what: 'an oversized text (800 KB: under the broker limit, over it once base64-encoded in a dead letter)',
        record: message(tenant, 'big-1', 'x'.repeat(800_000)),
        code: 'malformed_message',
      },
      {
        what: 'fields of the wrong type',
        record: message(tenant, 'typed-1', 'hello', { conversationId: 42, receivedAt: 'yesterday' }),
        code: 'malformed_message',
      },
      {
        what: "another tenant's message",
        record: message(neighbour, 'foreign-1', 'I want to buy 20 licenses for the neighbour'),
        code: 'tenant_mismatch',
      },
      {
        what: 'a tenant name with a topic separator',
        record: message(`${neighbour}.agent.${instance}`, 'foreign-2', 'hi'),
        code: 'tenant_mismatch',
      },
      {
        what: 'hostile headers and key',
        record: {
          key: '\u0000../../etc/passwd',
          value: 'also not json',
          headers: { traceparent: 'garbage', 'x-tenant': neighbour },
        },
        code: 'malformed_message',
      },
    ];
    const good = ['good-1', 'good-2', 'good-3'];
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const inbound = topicNames.inbound(tenant, instance);
    // Interleaved, so a bad record in front of a good one must not hold it up.
    const records: Record_[] = [];
    for (const [i, { record }] of bad.entries()) {
      records.push(record);
      if (i % 4 === 0) records.push(message(tenant, good[i / 4] ?? 'x', 'Can I get a quote for 30 seats?'));
    }
    // Replays: the same message id again, as a producer retry or an attacker would send it.
    records.push(message(tenant, 'good-1', 'Can I get a quote for 30 seats?'));
    records.push(message(tenant, 'good-1', 'a replay with other text'));
    for (const record of records) await producer.send({ topic: inbound, messages: [record] });
    await producer.disconnect();

    const events = await reader(kafka, topicNames.events(tenant));
    const letters = await reader(kafka, topicNames.deadLetter(tenant));
    const neighbourTopics = await Promise.all(
      [topicNames.events(neighbour), topicNames.deadLetter(neighbour)].map((topic) => reader(kafka, topic)),
    );
    try {
      await eventually(() => letters.values.length >= bad.length && events.values.length >= good.length, {
        what: `${bad.length} dead letters and ${good.length} results`,
        timeoutMs: 90_000,
      });
      // Nothing more arrives for the replays (give them time to be processed, after the last good one).
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(crashed, '', crashed);
      const answered = events.values.map((v) => JSON.parse(v).messageId as string);
      assert.deepEqual(answered.sort(), [...good].sort(), 'each good message answered once, replays not');
      const codes = letters.values.map((v) => JSON.parse(v).error.code as string);
      assert.deepEqual(
        codes,
        bad.map((b) => b.code),
        'each bad record dead-lettered, in order, with its reason',
      );
      for (const letter of letters.values) {
        const parsed = JSON.parse(letter);
        assert.ok(parsed.error.message, 'the dead letter says what was wrong');
        assert.equal(parsed.original.topic, inbound);
        // The 800 KB record's letter carries its head and points at the whole record by offset.
        assert.equal(parsed.original.truncated, parsed.original.valueBytes > 256 * 1024);
      }
      assert.ok(letters.values.some((letter) => JSON.parse(letter).original.truncated));
      assert.deepEqual(
        neighbourTopics.map((r) => r.values.length),
        [0, 0],
        "nothing reached the neighbour's topics",
      );
      const ready = await fetch(`http://127.0.0.1:${runtime.launch.port}/readyz`);
      assert.equal(ready.status, 200, 'still ready');
    } finally {
      await Promise.all([events, letters, ...neighbourTopics].map((r) => r.stop()));
    }
  });
});
