// The publisher against a scripted kafkajs producer: publishes made while a request is in flight
// leave together, in order, in the next one; a failed request fails exactly its publishes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Kafka, ProducerBatch } from 'kafkajs';
import { createPublisher } from './producer.ts';

function scriptedKafka(failRequest?: number) {
  const requests: string[][] = [];
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      async sendBatch(batch: ProducerBatch) {
        requests.push(
          (batch.topicMessages ?? []).flatMap(({ topic, messages }) =>
            messages.map((message) => `${topic}:${String(message.value)}`),
          ),
        );
        const n = requests.length;
        await new Promise((resolve) => setImmediate(resolve));
        if (n === failRequest) throw new Error('request timed out');
        return [];
      },
    }),
  } as unknown as Kafka;
  return { kafka, requests };
}

const records = (topic: string, ...values: string[]) => values.map((value) => ({ topic, key: null, value }));

it('sends at once when idle, and joins what arrives meanwhile into the next request, in order', async () => {
  const { kafka, requests } = scriptedKafka();
  const publisher = createPublisher(kafka);
  const first = publisher.publish(records('events', 'a1'));
  const second = publisher.publish(records('events', 'b1', 'b2'));
  const third = publisher.publish(records('dlq', 'c1'));
  await Promise.all([first, second, third]);
  assert.deepEqual(requests, [['events:a1'], ['events:b1', 'events:b2', 'dlq:c1']]);
});

it('fails the publishes of a failed request and only those', async () => {
  const { kafka, requests } = scriptedKafka(2);
  const publisher = createPublisher(kafka);
  const outcomes = await Promise.allSettled([
    publisher.publish(records('events', 'a')),
    publisher.publish(records('events', 'b')),
    publisher.publish(records('events', 'c')),
  ]);
  assert.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ['fulfilled', 'rejected', 'rejected'],
  );
  const later = publisher.publish(records('events', 'd'));
  await later;
  assert.deepEqual(requests, [['events:a'], ['events:b', 'events:c'], ['events:d']]);
});

it('keeps a request below the size bound by leaving the rest for the next', async () => {
  const { kafka, requests } = scriptedKafka();
  const publisher = createPublisher(kafka);
  const big = 'x'.repeat(200 * 1024);
  await Promise.all([
    publisher.publish(records('events', 'first')),
    publisher.publish(records('events', `${big}1`)),
    publisher.publish(records('events', `${big}2`)),
    publisher.publish(records('events', `${big}3`)),
  ]);
  assert.deepEqual(
    requests.map((request) => request.length),
    [1, 2, 1],
  );
});
