// Against the test bed's Kafka: an idle kafkajs client spins a 1 ms timer per connection until the
// fix is applied, and with it requests that must wait in the queue are still all sent.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { stopKafkajsIdleTimers } from './kafkajs-idle-timers.ts';
import { testbedEnv, uniqueName, withoutTestbed } from './testing/index.ts';

/** How many timers kafkajs (or anything) starts in `ms` of an otherwise idle process. */
async function timersStartedIn(ms: number): Promise<number> {
  const original = globalThis.setTimeout;
  let started = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    started++;
    return original(...args);
  }) as typeof setTimeout;
  try {
    await new Promise((resolve) => original(resolve, ms));
  } finally {
    globalThis.setTimeout = original;
  }
  return started;
}

describe('kafkajs idle timers', { skip: withoutTestbed() }, () => {
  const kafka = new Kafka({
    clientId: 'idle-timers-test',
    brokers: testbedEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const topic = uniqueName('idle-timers');
  after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('spins a timer every millisecond on an idle connection without the fix, none with it', async () => {
    await admin.connect();
    await admin.listTopics(); // a connection that has answered once starts the loop
    const before = await timersStartedIn(500);
    assert.ok(before > 100, `without the fix kafkajs starts ~1 timer per ms per connection (saw ${before})`);

    assert.equal(stopKafkajsIdleTimers(), true);
    assert.equal(stopKafkajsIdleTimers(), true, 'idempotent');
    await admin.listTopics(); // the pending check runs out, and none is scheduled again
    const afterFix = await timersStartedIn(500);
    assert.ok(afterFix < 10, `an idle client starts no timers with the fix (saw ${afterFix})`);
  });

  it('still sends every request that had to wait in the queue', async () => {
    stopKafkajsIdleTimers();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    // One request in flight at a time: 50 concurrent sends wait in the queue and leave one by one.
    const producer = kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => producer.send({ topic, messages: [{ value: `m-${i}` }] })),
    );
    await producer.disconnect();
    const [offsets] = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets?.high, '50');
  });
});
