// Runtime benchmark on the test bed's Kafka (prints figures; not a test).
//   npm run bench -w runtime [-- --messages 20000 --paced 2000 --rate 500 --rounds 3 --warmup 10000]
//   [--cpu-prof DIR]   (a V8 CPU profile of each runtime process, to see where its time goes)
// 1. A bare kafkajs loop (eachBatch → one sendBatch → commit, no processing) and 2. one runtime
// process (`node runtime/src/main.ts`, fallback path, customer-service agent) each drain the same
// backlog of inbound messages (throughput), then handle a paced stream (latency from the producer's
// send to the result's arrival at a reader). Both run in this one session on the same broker.
//
// Each loop first drains `--warmup` messages that are not measured: a freshly started runtime
// spends its first thousands of messages compiling the pipeline's rules (about twice the CPU per
// message of the steady state), which a long-running pod does not; `--warmup 0` measures cold.
//
// The machine is shared (the broker, this process and whatever else runs), so one pair of runs can
// be off by a factor of two: the two are measured alternately `--rounds` times, each round's ratio
// pairs runs made close together, and the median round is the figure. The runtime's CPU time per
// drained message (from its own metrics; the kernel's share apart) shows how much of a slow round
// was the runtime's own work.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { topicNames } from '@agentplane/shared';
import { Kafka, logLevel } from 'kafkajs';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    paced: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '500' },
    partitions: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '10000' },
    // Writes a V8 CPU profile of each runtime process into this directory (node --cpu-prof).
    'cpu-prof': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const backlog = Number(values.messages);
const paced = Number(values.paced);
const rate = Number(values.rate);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set: source .testbed/env');
const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();

const texts = [
  'Hi, what does the Pro plan cost for 20 seats? anna@example.com',
  'I cannot log in since this morning, password reset does not work.',
  'This is unacceptable, I was charged twice. I want a refund.',
  'Thanks for the help yesterday!',
];

interface Topics {
  inbound: string;
  events: string;
  dlq: string;
}

async function createTopics(tenant: string): Promise<Topics> {
  const topics = {
    inbound: topicNames.inbound(tenant, 'bench'),
    events: topicNames.events(tenant),
    dlq: topicNames.deadLetter(tenant),
  };
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: Number(values.partitions) })),
  });
  return topics;
}

const message = (tenant: string, i: number, tag: string) => {
  const id = `${tag}-${i}`;
  return {
    key: `conv-${i % 97}`,
    value: JSON.stringify({
      id,
      tenant,
      conversationId: `conv-${i % 97}`,
      text: texts[i % texts.length],
      receivedAt: new Date().toISOString(),
    }),
    headers: { 'bench-id': id },
  };
};

async function produceBacklog(topic: string, tenant: string, tag: string, count: number) {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < count; i += 1000) {
    await producer.send({
      topic,
      messages: Array.from({ length: Math.min(1000, count - i) }, (_, j) => message(tenant, i + j, tag)),
    });
  }
  await producer.disconnect();
}

/** Reads `topic`, resolving when `count` ids with prefix `tag` arrived; records arrival times. */
async function reader(topic: string) {
  const arrivals = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `bench-reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const id = m.headers?.['bench-id']?.toString() ?? m.headers?.['agentplane-message-id']?.toString();
        if (id && !arrivals.has(id)) arrivals.set(id, now);
      }
    },
  });
  const waitFor = async (tag: string, count: number) => {
    const prefix = `${tag}-`;
    for (;;) {
      let seen = 0;
      for (const id of arrivals.keys()) if (id.startsWith(prefix)) seen++;
      if (seen >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { arrivals, waitFor, stop: () => consumer.disconnect() };
}

/** Seconds of CPU (all, and in the kernel) the measured loop has used so far (undefined when not measurable apart). */
type CpuClock = () => Promise<{ total: number; system: number } | undefined>;

async function measure(
  topics: Topics,
  tenant: string,
  read: Awaited<ReturnType<typeof reader>>,
  cpu: CpuClock = async () => undefined,
) {
  if (warmup > 0) {
    await produceBacklog(topics.inbound, tenant, 'warmup', warmup);
    await read.waitFor('warmup', warmup);
  }
  const cpuBefore = await cpu();
  const started = performance.now();
  await produceBacklog(topics.inbound, tenant, 'backlog', backlog);
  await read.waitFor('backlog', backlog);
  const throughput = backlog / ((performance.now() - started) / 1000);
  const cpuAfter = await cpu();
  const perMessage = (key: 'total' | 'system') =>
    cpuBefore === undefined || cpuAfter === undefined
      ? undefined
      : ((cpuAfter[key] - cpuBefore[key]) / backlog) * 1e6;
  const cpuUsPerMessage = perMessage('total');
  const systemUsPerMessage = perMessage('system');
  const producer = kafka.producer();
  await producer.connect();
  const sent = new Map<string, number>();
  const interval = 1000 / rate;
  const t0 = performance.now();
  for (let i = 0; i < paced; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const m = message(tenant, i, 'paced');
    sent.set(`paced-${i}`, performance.now());
    await producer.send({ topic: topics.inbound, messages: [m] });
  }
  await read.waitFor('paced', paced);
  await producer.disconnect();
  const latencies = [...sent].map(([id, at]) => (read.arrivals.get(id) ?? at) - at).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { throughput, p50: pct(50), p99: pct(99), cpuUsPerMessage, systemUsPerMessage };
}

async function bareLoop() {
  const tenant = `bench-bare-${randomBytes(3).toString('hex')}`;
  const topics = await createTopics(tenant);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `bench-bare-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.inbound, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      const out = batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic: topics.events, messages: out }] });
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary({
        topics: [
          {
            topic: batch.topic,
            partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }],
          },
        ],
      });
    },
  });
  const read = await reader(topics.events);
  const result = await measure(topics, tenant, read);
  await Promise.all([consumer.disconnect(), producer.disconnect(), read.stop()]);
  await admin.deleteTopics({ topics: Object.values(topics) });
  return { ...result, rssMb: process.memoryUsage().rss / 2 ** 20 };
}

async function runtimeProcess() {
  const tenant = `bench-rt-${randomBytes(3).toString('hex')}`;
  const topics = await createTopics(tenant);
  const profile = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
  const main = new URL('../../runtime/src/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [...profile, main], {
    env: {
      PATH: process.env.PATH,
      AGENTPLANE_TENANT: tenant,
      AGENTPLANE_AGENT_INSTANCE: 'bench',
      AGENTPLANE_AGENT: 'customer-service',
      KAFKA_BROKERS: brokers.join(','),
      AGENTPLANE_HTTP_PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"runtime started"')) resolve((JSON.parse(line) as { httpPort: number }).httpPort);
    });
  });
  const read = await reader(topics.events);
  const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const cpu = async () => {
    const metrics = await scrape();
    const seconds = (name: string) =>
      Number(new RegExp(`${name}\\{[^}]*\\} ([\\d.e+-]+)`).exec(metrics)?.[1]);
    return {
      total: seconds('process_cpu_seconds_total'),
      system: seconds('process_cpu_system_seconds_total'),
    };
  };
  const result = await measure(topics, tenant, read, cpu);
  const metrics = await scrape();
  const rss = Number(/process_resident_memory_bytes\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await read.stop();
  await admin.deleteTopics({ topics: Object.values(topics) });
  return { ...result, rssMb: rss / 2 ** 20 };
}

type Result = Awaited<ReturnType<typeof bareLoop>>;
const row = (name: string, r: Result) =>
  `${name.padEnd(22)} ${r.throughput.toFixed(0).padStart(8)} msg/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   RSS ${r.rssMb.toFixed(0).padStart(4)} MiB` +
  (r.cpuUsPerMessage === undefined
    ? ''
    : `   CPU ${r.cpuUsPerMessage.toFixed(0).padStart(4)} µs/msg (kernel ${r.systemUsPerMessage?.toFixed(0)})`);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

console.log(
  `backlog ${backlog} messages after ${warmup} unmeasured, then ${paced} paced at ${rate}/s; ${values.partitions} partitions; one broker (test bed); ${rounds} rounds`,
);
const results: { bare: Result; runtime: Result; ratio: number }[] = [];
for (let round = 1; round <= rounds; round++) {
  const loadBefore = load();
  const bare = await bareLoop();
  const runtime = await runtimeProcess();
  const ratio = runtime.throughput / bare.throughput;
  results.push({ bare, runtime, ratio });
  console.log(`round ${round} (load average ${loadBefore} → ${load()}): ratio ${ratio.toFixed(2)}`);
  console.log(`  ${row('bare kafkajs loop', bare)}`);
  console.log(`  ${row('runtime (fallback)', runtime)}`);
}
await admin.disconnect();
const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor((results.length - 1) / 2)];
if (median) {
  console.log(`median round (by ratio):`);
  console.log(row('bare kafkajs loop', median.bare));
  console.log(row('runtime (fallback)', median.runtime));
  console.log(
    `ratio runtime / bare: ${median.ratio.toFixed(2)} (target ≥ 0.7); all rounds: ${results.map((r) => r.ratio.toFixed(2)).join(', ')}`,
  );
}
console.log('bare RSS is the bench process itself (loop + reader); runtime RSS is the runtime process alone');
console.log('runtime CPU: CPU time of the runtime process while it drained the backlog, per message');
