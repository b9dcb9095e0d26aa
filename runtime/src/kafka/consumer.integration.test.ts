// The consumer port against the test bed's Kafka with scripted handlers: retry, dead letters for
// persistent failures, and a shutdown in the middle of a batch without loss.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { eventually } from '@agentplane/shared/testing';
import type { Admin } from 'kafkajs';
import { collect, produce, testKafka, uniqueTenant, withoutKafka } from '../../test-support/kafka.ts';
import { unavailable } from '../errors.ts';
import { type ConsumerOptions, startConsumer } from './consumer.ts';
import { createPublisher } from './producer.ts';
import type { InboundRecord } from './records.ts';

describe('consumer port on Kafka', { skip: withoutKafka(), timeout: 120_000 }, () => {
  const kafka = testKafka();
  let admin: Admin;
  before(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  after(() => admin.disconnect());

  async function setup(t: { after: (fn: () => Promise<unknown>) => void }, partitions = 2) {
    const base = uniqueTenant();
    const topics = { in: `${base}.in`, out: `${base}.out`, dlq: `${base}.dlq` };
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: partitions })),
    });
    t.after(() => admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined));
    const publisher = createPublisher(kafka);
    await publisher.connect();
    t.after(() => publisher.disconnect());
    const options = (handle: ConsumerOptions['handle']): ConsumerOptions => ({
      kafka,
      topic: topics.in,
      groupId: `${base}.group`,
      publisher,
      handle,
      deadLetter: (record, error, attempts) => ({
        topic: topics.dlq,
        key: record.key?.toString() ?? null,
        value: JSON.stringify({ offset: record.offset, error: (error as Error).message, attempts }),
      }),
      retry: { attempts: 4, baseMs: 10, maxDelayMs: 50, budgetMs: 5_000 },
      concurrency: 2,
      logger: silentLogger(),
    });
    const echo = (record: InboundRecord) => ({
      topic: topics.out,
      key: record.key?.toString() ?? null,
      value: record.value ?? '',
    });
    return { topics, options, echo };
  }

  it('retries transient failures, dead-letters a persistent one, and keeps the partition moving', async (t) => {
    const { topics, options, echo } = await setup(t, 1);
    const attempts = new Map<string, number>();
    const consumer = await startConsumer(
      options(async (record) => {
        const value = record.value?.toString() ?? '';
        const n = (attempts.get(value) ?? 0) + 1;
        attempts.set(value, n);
        if (value === 'poison') throw unavailable('always down');
        if (value === 'flaky' && n < 3) throw unavailable('down for a moment');
        return { records: [echo(record)] };
      }),
    );
    t.after(() => consumer.stop());
    const out = await collect(kafka, topics.out);
    const dlq = await collect(kafka, topics.dlq);
    t.after(out.stop);
    t.after(dlq.stop);
    await produce(
      kafka,
      topics.in,
      ['a', 'poison', 'flaky', 'b'].map((value) => ({ key: 'k', value })),
    );
    await eventually(() => out.records.length >= 3 && dlq.records.length >= 1, {
      what: 'outputs and dead letter',
    });
    assert.deepEqual(
      out.records.map((r) => r.value),
      ['a', 'flaky', 'b'],
    );
    assert.equal(attempts.get('flaky'), 3);
    assert.equal(attempts.get('poison'), 4);
    assert.deepEqual(JSON.parse(dlq.records[0]?.value ?? '{}'), {
      offset: '1',
      error: 'always down',
      attempts: 4,
    });
  });

  it('stops mid-batch without losing or repeating a record', async (t) => {
    const { topics, options, echo } = await setup(t, 2);
    const total = 300;
    await produce(
      kafka,
      topics.in,
      Array.from({ length: total }, (_, i) => ({ key: `k${i % 7}`, value: String(i) })),
    );
    let handled = 0;
    const slow = async (record: InboundRecord) => {
      handled++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { records: [echo(record)] };
    };
    const first = await startConsumer(options(slow));
    await eventually(() => handled >= 60, { what: '60 handled' });
    await first.stop(); // in the middle of a batch of up to 300 records
    const second = await startConsumer(options(slow));
    t.after(() => second.stop());
    const out = await collect(kafka, topics.out);
    t.after(out.stop);
    await eventually(() => out.records.length >= total, { what: `${total} outputs`, timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // let any duplicate arrive before counting
    const values = out.records.map((r) => Number(r.value));
    assert.equal(new Set(values).size, total, 'every record once');
    assert.equal(values.length, total, 'no record twice');
  });
});
