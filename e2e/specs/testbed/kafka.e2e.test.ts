import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';

describe('test bed: Kafka in KRaft mode with kafkajs', () => {
  const kafka = new Kafka({
    clientId: 'testbed-proof',
    brokers: testbedEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.ERROR,
  });
  const admin = kafka.admin();
  const topic = uniqueName('tb-topic');

  before(() => admin.connect());
  after(() => admin.disconnect());

  it('creates a topic, produces and consumes through a consumer group, and deletes the topic', async () => {
    assert.equal(
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }),
      true,
    );
    const [described] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    assert.equal(described?.partitions.length, 2);

    const producer = kafka.producer();
    await producer.connect();
    const sent = ['m-1', 'm-2', 'm-3'].map((id) => ({
      key: `conversation-${id}`,
      value: JSON.stringify({ id }),
    }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const groupId = uniqueName('tb-group');
    const consumer = kafka.consumer({ groupId });
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(JSON.parse(String(message.value)).id);
      },
    });
    await eventually(() => received.length === 3, { what: 'three messages to arrive', timeoutMs: 30_000 });
    await consumer.disconnect();
    assert.deepEqual(received.sort(), ['m-1', 'm-2', 'm-3']);

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    // A partition that received nothing reports offset -1 (no commit).
    const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    assert.equal(committed, 3, 'the group committed its offsets on the broker');

    await admin.deleteTopics({ topics: [topic] });
    await eventually(async () => !(await admin.listTopics()).includes(topic), {
      what: `${topic} to be deleted`,
    });
  });

  it('reads topic configs through describeConfigs', async () => {
    const name = uniqueName('tb-config');
    await admin.createTopics({
      topics: [{ topic: name, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      waitForLeaders: true,
    });
    const described = await admin.describeConfigs({
      resources: [{ type: 2 /* TOPIC */, name, configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    assert.equal(described.resources[0]?.configEntries[0]?.configValue, '3600000');
    await admin.deleteTopics({ topics: [name] });
  });
});
