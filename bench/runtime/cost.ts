// Where the runtime's CPU per message goes (prints figures; not a test). On the test bed's Kafka:
//   node bench/runtime/cost.ts [--messages 40000] [--reps 2] [--only runtime]
// Pre-produces a backlog, then drains it in this process through each of:
//   bare      a kafkajs loop (eachBatch → one sendBatch → commit), as in bench.ts
//   consumer  the runtime's consumer, flusher and publisher, each record passed through unchanged
//   output    the same, each record replaced by a result-sized value with the event's three headers
//   handle    the runtime's processor on each record (parse, pipeline, tracing, ledger), the record
//             itself published, so only the output's size differs from the runtime
//   runtime   the runtime's consumer and processor, publishing the result events
// and reports CPU µs per message (this process: user + kernel) and messages/s. The differences
// between rows are the costs of the Kafka port, of the result's size and of the processing.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { silentLogger } from '@agentplane/shared';
import { Kafka, logLevel } from 'kafkajs';
import { defaultAgentSettings } from '../../runtime/src/config.ts';
import { createLedger } from '../../runtime/src/idempotency/ledger.ts';
import { startTelemetry } from '../../runtime/src/instrumentation.ts';
import { startConsumer } from '../../runtime/src/kafka/consumer.ts';
import { createPublisher } from '../../runtime/src/kafka/producer.ts';
import type { InboundRecord } from '../../runtime/src/kafka/records.ts';
import { createMetrics } from '../../runtime/src/metrics.ts';
import { createProcessor } from '../../runtime/src/processor.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '40000' },
    reps: { type: 'string', default: '2' },
    only: { type: 'string' }, // one variant (e.g. to profile it with node --cpu-prof)
  },
});
const count = Number(values.messages);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set: source .testbed/env');
const kafka = new Kafka({ clientId: 'bench-cost', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const telemetry = startTelemetry({ serviceName: 'bench-cost', version: 'dev', export: false });
const logger = silentLogger();
const texts = [
  'Hi, what does the Pro plan cost for 20 seats? anna@example.com',
  'I cannot log in since this morning, password reset does not work.',
  'This is unacceptable, I was charged twice. I want a refund.',
  'Thanks for the help yesterday!',
];
const resultSized = 'x'.repeat(667);
const eventHeaders = {
  'agentplane-instance': 'bench',
  'agentplane-message-id': 'backlog-1234',
  traceparent: '00-c42823832a6b31034521995626a29693-6a6ad61f6fd8f991-00',
};

async function backlog(topic: string) {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < count; i += 1000) {
    const messages = Array.from({ length: Math.min(1000, count - i) }, (_, j) => {
      const n = i + j;
      const value = { id: `m-${n}`, tenant: 't', conversationId: `conv-${n % 97}`, text: texts[n % 4] };
      return {
        key: `conv-${n % 97}`,
        value: JSON.stringify({ ...value, receivedAt: new Date().toISOString() }),
        headers: { 'bench-id': `m-${n}` },
      };
    });
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

type Variant = 'bare' | 'consumer' | 'output' | 'handle' | 'runtime';

async function drain(variant: Variant) {
  const tag = randomBytes(4).toString('hex');
  const [inbound, events] = [`bench-cost-${tag}.in`, `bench-cost-${tag}.events`];
  await admin.createTopics({
    waitForLeaders: true,
    topics: [inbound, events].map((topic) => ({ topic, numPartitions: 3 })),
  });
  await backlog(inbound);
  let published = 0;
  let started: { at: number; cpu: NodeJS.CpuUsage } | undefined;
  let finish = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const start = () => {
    started ??= { at: performance.now(), cpu: process.cpuUsage() };
  };
  const onPublished = (n: number) => {
    published += n;
    if (published >= count) finish();
  };
  let stop: () => Promise<unknown>;
  if (variant === 'bare') {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `bench-cost-${tag}` });
    await consumer.connect();
    await consumer.subscribe({ topic: inbound, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, commitOffsetsIfNecessary }) => {
        start();
        const out = batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic: events, messages: out }] });
        const offset = String(Number(batch.lastOffset()) + 1);
        await commitOffsetsIfNecessary({
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
        });
        onPublished(out.length);
      },
    });
    stop = () => Promise.all([consumer.disconnect(), producer.disconnect()]);
  } else {
    const publisher = createPublisher(kafka);
    await publisher.connect();
    const metrics = createMetrics({ tenant: 't', instance: 'bench' });
    const processor = createProcessor({
      tenant: 't',
      instance: 'bench',
      topics: { events, deadLetter: events },
      pipeline: {
        agent: 'customer-service',
        settings: defaultAgentSettings,
        tracer: telemetry.tracer,
        logger,
      },
      ledger: createLedger(100_000),
      tracer: telemetry.tracer,
      logger,
      modelAccess: () => undefined,
      onResult: metrics.result,
    });
    const same = (record: InboundRecord) => ({
      topic: events,
      key: record.key?.toString() ?? null,
      value: record.value ?? '',
      headers: record.headers,
    });
    const handlers = {
      consumer: async (record: InboundRecord) => ({ records: [same(record)] }),
      output: async (record: InboundRecord) => ({
        records: [{ ...same(record), value: resultSized, headers: { ...eventHeaders } }],
      }),
      handle: async (record: InboundRecord) => {
        const handled = await processor.handle(record);
        return { records: [same(record)], ...(handled.settle ? { settle: handled.settle } : {}) };
      },
      runtime: processor.handle,
    };
    const handle = handlers[variant];
    const consumer = await startConsumer({
      kafka,
      topic: inbound,
      groupId: `bench-cost-${tag}`,
      publisher: {
        ...publisher,
        publish: async (records) => {
          await publisher.publish(records);
          onPublished(records.length);
        },
      },
      handle: (record) => {
        start();
        return handle(record);
      },
      deadLetter: processor.deadLetter,
      retry: { attempts: 3, baseMs: 100, maxDelayMs: 1000, budgetMs: 5000 },
      concurrency: 3,
      logger,
      hooks: { onHandled: (_record, outcome, ms) => metrics.handled(outcome, ms) },
    });
    stop = async () => {
      await consumer.stop();
      await publisher.disconnect();
    };
  }
  await finished;
  const cpu = process.cpuUsage(started?.cpu);
  const seconds = (performance.now() - (started?.at ?? 0)) / 1000;
  await stop();
  await admin.deleteTopics({ topics: [inbound, events] });
  return { rate: count / seconds, cpuUs: (cpu.user + cpu.system) / count, systemUs: cpu.system / count };
}

console.log(`${count} messages per drain, 3 partitions, in this process; CPU is user + kernel`);
const variants = values.only
  ? [values.only as Variant]
  : (['bare', 'consumer', 'output', 'handle', 'runtime'] as const);
for (let rep = 1; rep <= Number(values.reps); rep++) {
  for (const variant of variants) {
    const r = await drain(variant);
    console.log(
      `${variant.padEnd(9)} ${r.rate.toFixed(0).padStart(7)} msg/s   CPU ${r.cpuUs.toFixed(1).padStart(5)} µs/msg (kernel ${r.systemUs.toFixed(1)})`,
    );
  }
}
await admin.disconnect();
await telemetry.shutdown();
