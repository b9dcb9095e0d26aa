// The offsets port against the test bed's real Kafka: end offsets of many topics in one batch, and a
// consumer group's lag.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueName } from '@agentplane/shared/testing';
import kafkajs from 'kafkajs';
import { createOffsetReader, type OffsetReader } from './offsets.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const withoutKafka = brokers.length === 0 ? 'needs the test bed: source .testbed/env (KAFKA_BROKERS)' : false;

describe('offset reader against the test bed', { skip: withoutKafka }, () => {
  const kafka = new kafkajs.Kafka({ clientId: 'offsets-test', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  let reader: OffsetReader;
  const prefix = `agentplane.${uniqueName('off')}`;
  const topics = [1, 2, 3].map((i) => `${prefix}.agent.a${i}.inbound`);

  before(async () => {
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic, i) => ({ topic, numPartitions: i + 1 })),
    });
    reader = createOffsetReader({ brokers, clientId: 'offsets-test' });
  });
  after(async () => {
    await admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(prefix)) });
    await Promise.all([reader.close(), admin.disconnect(), producer.disconnect()]);
  });

  const produce = (topic: string, count: number) =>
    producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: 'x' })),
    });

  it('sums the end offsets of many topics in one batch; a missing topic is absent', async () => {
    assert.equal(reader.batched, true, 'the batched path of this kafkajs version is in use');
    const missing = `${prefix}.agent.gone.inbound`;
    assert.deepEqual(await reader.endOffsets([...topics, missing]), new Map(topics.map((t) => [t, 0])));
    await produce(topics[1] as string, 5);
    await produce(topics[2] as string, 7);
    const ends = await reader.endOffsets(topics);
    assert.deepEqual([...ends.values()], [0, 5, 7]);
  });

  it('keeps answering after a topic it read was deleted', async () => {
    const extra = `${prefix}.agent.extra.inbound`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: extra, numPartitions: 1 }] });
    await produce(extra, 2);
    assert.equal((await reader.endOffsets([...topics, extra])).get(extra), 2);
    await admin.deleteTopics({ topics: [extra] });
    const after = await reader.endOffsets([...topics, extra]);
    assert.equal(after.has(extra), false);
    assert.equal(after.get(topics[2] as string), 7);
  });

  it("counts a group's lag from its commits, or from the start where it committed nothing", async () => {
    const topic = topics[2] as string; // 3 partitions, 7 records
    const group = `${prefix}.agent.a3`;
    assert.equal(await reader.lag(group, [topic]), 7, 'no commit: everything is still to consume');
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    assert.equal(await reader.lag(group, [topic]), 0);
    await produce(topic, 4);
    assert.equal(await reader.lag(group, [topic]), 4);
    await admin.deleteGroups([group]);
  });
});
