// The inbound bus against the test bed's Kafka: a deleted topic (a deleted tenant's) must not stop
// the bus from producing to topics it has not sent to yet.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { createKafkaInboundBus, type InboundBus } from './inbound-bus.ts';

describe('inbound bus', { skip: withoutTestbed() }, () => {
  let admin: Admin;
  let bus: InboundBus;
  const doomed = uniqueName('bus-doomed');
  const later = uniqueName('bus-later');

  before(async () => {
    const brokers = testbedEnv('KAFKA_BROKERS').split(',');
    admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    bus = await createKafkaInboundBus({ brokers, log: silentLogger() });
  });
  after(async () => {
    await bus?.close();
    await admin.deleteTopics({ topics: [later] }).catch(() => {});
    await admin.disconnect();
  });

  it('produces to a new topic after a topic it sent to was deleted', async () => {
    await admin.createTopics({ topics: [{ topic: doomed }], waitForLeaders: true });
    await bus.publish({ topic: doomed, key: 'k', value: { n: 1 } });
    await admin.deleteTopics({ topics: [doomed] });
    await admin.createTopics({ topics: [{ topic: later }], waitForLeaders: true });
    await bus.publish({ topic: later, key: 'k', value: { n: 2 } });
    const offsets = await admin.fetchTopicOffsets(later);
    assert.equal(
      offsets.reduce((sum, p) => sum + Number(p.high), 0),
      1,
      'the record is on the topic',
    );
  });

  it('still refuses a topic that does not exist, with 409 and Retry-After', async () => {
    await assert.rejects(bus.publish({ topic: uniqueName('bus-missing'), key: 'k', value: {} }), (error) => {
      const domain = error as { code?: string; retryAfterSeconds?: number };
      return domain.code === 'conflict' && domain.retryAfterSeconds === 10;
    });
  });
});
