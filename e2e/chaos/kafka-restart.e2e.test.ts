// Chaos: the Kafka broker restarts while messages flow at a steady rate through the real path (the
// control plane's API produces them, a runtime process answers them, the control plane's events
// consumer writes the results into PostgreSQL). Every message the API accepted (202) must end with
// exactly one result and one message charge, and every consumer group must catch up. The broker is
// the suite's own (other suites keep using the bed's); CHAOS_KAFKA_LONG=1 runs longer with a crash.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, silentLogger, topicNames } from '@agentplane/shared';
import { uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { bedPii } from '../../control-plane/src/crypto/testing.ts';
import {
  type EventsConsumer,
  startEventsConsumer,
} from '../../control-plane/src/messaging/events-consumer.ts';
import { createKafkaInboundBus } from '../../control-plane/src/messaging/inbound-bus.ts';
import { createConversationHub } from '../../control-plane/src/modules/conversations/conversation-hub.ts';
import { createEventsIngest } from '../../control-plane/src/modules/events-in/events-in.service.ts';
import type { TestApp } from '../../control-plane/src/testing/app.ts';
import {
  buildTestApp,
  createAgentInstance,
  onboardTenant,
  openConversation,
} from '../../control-plane/src/testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../control-plane/src/testing/database.ts';
import { eventually } from '../helpers/eventually.ts';
import { type RuntimeProcess, startRuntimeFromSettings } from '../helpers/runtime-process.ts';
import { type ExtraKafka, startExtraKafka } from '../testbed/extra-kafka.ts';
import { stateDir } from '../testbed/paths.ts';

const long = process.env.CHAOS_KAFKA_LONG === '1';
const ratePerSecond = 10;
const flowSeconds = long ? 90 : 24;
const outages = long
  ? [
      { at: 10, downFor: 10, how: 'SIGTERM' as const },
      { at: 45, downFor: 20, how: 'SIGKILL' as const },
    ]
  : [{ at: 6, downFor: 8, how: 'SIGTERM' as const }];

describe('chaos: the Kafka broker restarts under a steady flow of messages', {
  skip: withoutTestbed(),
  timeout: 600_000,
}, () => {
  const tenant = uniqueName('kr');
  const instance = 'support';
  let broker: ExtraKafka;
  let db: TestDatabase;
  let t: TestApp;
  let consumer: EventsConsumer;
  let runtime: RuntimeProcess;
  let admin: Admin;
  let headers: Record<string, string>;
  const conversations: string[] = [];
  const deadLettered: unknown[] = [];

  before(async () => {
    broker = await startExtraKafka(tenant);
    const kafka = new Kafka({ clientId: 'chaos', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    // The operator's work, done by hand: this suite is about the broker, not the cluster.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topicNames.inbound(tenant, instance), numPartitions: 3 },
        { topic: topicNames.events(tenant), numPartitions: 3 },
        { topic: topicNames.deadLetter(tenant), numPartitions: 1 },
      ],
    });
    db = await createTestDatabase();
    const bus = await createKafkaInboundBus({ brokers: [broker.brokers], log: silentLogger() });
    t = await buildTestApp(db, { bus });
    const owner = await onboardTenant(t, tenant, 'pro');
    headers = owner.headers;
    await createAgentInstance(t, owner, { name: instance, agent: 'sales', version: '1.0.0' });
    for (let i = 0; i < 6; i++) conversations.push(await openConversation(t, owner, instance));
    const ingest = createEventsIngest({
      root: t.orm.em,
      hub: createConversationHub(),
      pii: await bedPii(t.orm.em),
    });
    consumer = await startEventsConsumer({
      brokers: [broker.brokers],
      groupId: `cp-events-${tenant}`,
      topics: new RegExp(`^agentplane\\.${tenant}\\.events$`),
      handle: async (record) => void (await ingest.ingest(record)),
      deadLetter: ingest.deadLetter,
      publish: async (record) => void deadLettered.push(record),
      refreshMs: 1000,
      log: createLogger({
        name: 'cp-events',
        destination: createWriteStream(join(stateDir, 'logs', `cp-events-${tenant}.log`)),
      }),
    });
    runtime = await startRuntimeFromSettings({
      tenant,
      agentInstance: instance,
      agent: 'sales',
      brokers: [broker.brokers],
      logFile: join(stateDir, 'logs', `runtime-${tenant}.log`),
    });
  });

  after(async () => {
    await runtime?.stop();
    await consumer?.stop();
    await admin?.disconnect();
    await t?.app.close();
    await db?.drop();
    await broker?.remove();
  });

  /** Records each consumer group has yet to commit, summed over its topic's partitions. */
  const lag = async () => {
    const groups = [
      { groupId: topicNames.consumerGroup(tenant, instance), topic: topicNames.inbound(tenant, instance) },
      { groupId: `cp-events-${tenant}`, topic: topicNames.events(tenant) },
    ];
    const lags: Record<string, number> = {};
    for (const { groupId, topic } of groups) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      lags[groupId] = ends.reduce((sum, end) => {
        const at = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        return sum + Number(end.offset) - Math.max(0, at);
      }, 0);
    }
    return lags;
  };

  it('answers every accepted message exactly once and every consumer catches up', async () => {
    const accepted: string[] = [];
    const refused: Record<string, number> = {};
    let unanswered = 0;
    const started = Date.now();
    const outagesDone = (async () => {
      for (const outage of outages) {
        await sleep(Math.max(0, started + outage.at * 1000 - Date.now()));
        await broker.stop(outage.how);
        await sleep(outage.downFor * 1000);
        await broker.start();
      }
    })();
    // A steady rate: each send starts on its tick whether the previous one has finished or not.
    const sends: Promise<void>[] = [];
    for (let i = 0; i < flowSeconds * ratePerSecond; i++) {
      await sleep(Math.max(0, started + (i * 1000) / ratePerSecond - Date.now()));
      const conversation = conversations[i % conversations.length];
      sends.push(
        t.app
          .inject({
            method: 'POST',
            url: `/v1/tenants/${tenant}/conversations/${conversation}/messages`,
            headers,
            payload: { body: `Message ${i}: could you send me a quote for ${i + 2} seats?` },
          })
          .then((res) => {
            if (res.statusCode === 202) accepted.push(res.json().id);
            else {
              // While the broker is away the API must say so (503 with Retry-After), not fail otherwise.
              assert.equal(res.statusCode, 503, res.body);
              assert.ok(res.headers['retry-after'], 'a 503 carries Retry-After');
              refused[res.json().code] = (refused[res.json().code] ?? 0) + 1;
            }
          })
          .catch(() => void unanswered++),
      );
    }
    await Promise.all(sends);
    await outagesDone;
    assert.equal(unanswered, 0, 'every request got an answer');
    console.log(
      `sent ${flowSeconds * ratePerSecond}: accepted ${accepted.length}, refused ${JSON.stringify(refused)}`,
    );
    assert.ok(accepted.length >= flowSeconds * ratePerSecond * 0.4, 'the flow went on around the outage');

    const em = t.orm.em.fork();
    const perMessage = async (sql: string) =>
      new Map(
        (await em.execute<{ id: string; n: number }[]>(sql, [tenant])).map((row) => [String(row.id), row.n]),
      );
    const results = await eventually(
      async () => {
        const rows = await perMessage(
          'select message_id as id, count(*)::int as n from results where tenant_id = ? group by message_id',
        );
        return accepted.every((id) => rows.has(id)) && rows;
      },
      { what: 'a result for every accepted message', timeoutMs: 180_000, intervalMs: 1000 },
    ).catch(async (error) => {
      const [row] = await em.execute<{ n: number }[]>(
        'select count(distinct message_id)::int as n from results where tenant_id = ?',
        [tenant],
      );
      throw new Error(
        `${error.message}: ${row?.n} of ${accepted.length} answered; lag ${JSON.stringify(await lag())}`,
      );
    });
    const charges = await perMessage(
      "select source_id as id, count(*)::int as n from usage_records where tenant_id = ? and kind = 'message' group by source_id",
    );
    const twice = [...results].filter(([, n]) => n !== 1).map(([id]) => id);
    assert.deepEqual(twice, [], 'no message has two results');
    assert.deepEqual(
      [...results.keys()].filter((id) => !accepted.includes(id)),
      [],
      'no result for a message that was not accepted',
    );
    assert.deepEqual(
      accepted.filter((id) => charges.get(id) !== 1),
      [],
      'every accepted message is charged exactly once',
    );
    assert.deepEqual(deadLettered, [], 'no result event was dead-lettered');
    // Lag back to zero: each group has committed up to the end of each partition it reads.
    await eventually(async () => Object.values(await lag()).every((n) => n === 0), {
      what: 'every consumer group to catch up',
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
  });
});
