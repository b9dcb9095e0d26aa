// Control-plane benchmark on the test bed's PostgreSQL and Kafka (prints figures; not a test).
//   npm run bench:control-plane [-- --duration 10 --connections 16 --warmup 3 --json]
// Requests/second and p50/p99 latency of an authenticated `GET /v1/tenants/{t}/conversations/{c}`
// and of `POST …/messages` (stored in PostgreSQL, produced to Kafka with acks=all, answered 202),
// each next to a bare Fastify route answering the same body, measured in the same run on the same
// machine; the ratio API / bare is the figure. The app is the real one (auth, rate limits, tenant
// scope with row-level security, spans and metrics as server.ts starts them) on a fresh database.
//
// The load comes from a worker thread (its own event loop, so the two cores are shared as a
// separate client would share them): `--connections` keep-alive connections, each sending its next
// request when the previous answer arrived, for `--duration` seconds after `--warmup` unmeasured ones.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

interface Target {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** The body of each request; `{n}` is replaced by a sequence number. */
  body?: string;
}

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/** Drives `target` from `connections` keep-alive connections for `seconds`; counts non-2xx as errors. */
async function drive(target: Target, connections: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latenciesMs: number[] = [];
  let errors = 0;
  let n = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const once = () =>
    new Promise<boolean>((resolve) => {
      const at = performance.now();
      const req = request(target.url, { method: target.method, headers: target.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          latenciesMs.push(performance.now() - at);
          resolve((res.statusCode ?? 0) < 300);
        });
      });
      req.on('error', () => resolve(false));
      req.end(target.body?.replace('{n}', String(n++)));
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) if (!(await once())) errors++;
    }),
  );
  agent.destroy();
  return { requests: latenciesMs.length, errors, seconds: (performance.now() - started) / 1000, latenciesMs };
}

if (!isMainThread) {
  const { target, connections, seconds, warmup } = workerData as {
    target: Target;
    connections: number;
    seconds: number;
    warmup: number;
  };
  if (warmup > 0) await drive(target, connections, warmup);
  parentPort?.postMessage(await drive(target, connections, seconds));
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '16' },
      warmup: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const warmup = Number(values.warmup);

  // Imported here: the worker thread needs none of it.
  const { silentLogger, topicNames } = await import('@agentplane/shared');
  const { default: Fastify } = await import('fastify');
  const { Kafka, logLevel } = await import('kafkajs');
  const { createKafkaInboundBus } = await import('../../control-plane/src/messaging/inbound-bus.ts');
  const { startTelemetry } = await import('../../control-plane/src/telemetry/instrumentation.ts');
  const { buildTestApp, noRateLimits, onboardTenant } = await import(
    '../../control-plane/src/testing/app.ts'
  );
  const { createTestDatabase } = await import('../../control-plane/src/testing/database.ts');

  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  if (brokers.length === 0 || !process.env.DATABASE_URL) {
    throw new Error('KAFKA_BROKERS and DATABASE_URL are not set: source .testbed/env');
  }
  // As server.ts does without an OTLP endpoint: real trace ids, nothing recorded.
  const telemetry = startTelemetry({ export: false });
  const tenant = `bench-cp-${randomBytes(3).toString('hex')}`;
  const topic = topicNames.inbound(tenant, 'bench');
  const admin = new Kafka({ clientId: 'bench-cp', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const db = await createTestDatabase();
  const t = await buildTestApp(db, {
    bus: await createKafkaInboundBus({ brokers, log: silentLogger() }),
    rateLimits: noRateLimits,
  });
  const bare = Fastify();
  try {
    const owner = await onboardTenant(t, tenant, 'pro');
    const inject = async (method: 'GET' | 'POST', url: string, payload?: object) => {
      const res = await t.app.inject({
        method,
        url,
        headers: owner.headers,
        ...(payload ? { payload } : {}),
      });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    await inject('POST', `/v1/tenants/${tenant}/agent-instances`, {
      name: 'bench',
      agent: 'customer-service',
      version: '2.1.0',
    });
    const { id: conversation } = await inject('POST', `/v1/tenants/${tenant}/conversations`, {
      agentInstance: 'bench',
    });
    const path = `/v1/tenants/${tenant}/conversations/${conversation}`;
    for (let i = 0; i < 5; i++) await inject('POST', `${path}/messages`, { body: `Hello, message ${i}` });
    // The bare routes answer what the API answers, so serialising the same bytes is not the difference.
    const shown = await inject('GET', path);
    const accepted = await inject('POST', `${path}/messages`, { body: 'one more' });
    bare.get('/conversation', async () => shown);
    bare.post('/messages', async (_request, reply) => reply.status(202).send(accepted));
    const api = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

    const json = { 'content-type': 'application/json' };
    const message = JSON.stringify({ body: 'Do you ship to Lisbon? (bench {n})' });
    const targets: Target[] = [
      { name: 'bare Fastify GET', method: 'GET', url: `${bareUrl}/conversation`, headers: {} },
      { name: 'API GET conversation', method: 'GET', url: `${api}${path}`, headers: owner.headers },
      { name: 'bare Fastify POST', method: 'POST', url: `${bareUrl}/messages`, headers: json, body: message },
      {
        name: 'API POST message',
        method: 'POST',
        url: `${api}${path}/messages`,
        headers: { ...owner.headers, ...json },
        body: message,
      },
    ];
    const results = [];
    for (const target of targets) {
      const worker = new Worker(new URL(import.meta.url), {
        workerData: { target, connections, seconds: duration, warmup },
      });
      const load = await new Promise<LoadResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      const sorted = load.latenciesMs.sort((a, b) => a - b);
      const pct = (p: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
      results.push({
        name: target.name,
        rps: load.requests / load.seconds,
        p50Ms: pct(50),
        p99Ms: pct(99),
        requests: load.requests,
        errors: load.errors,
      });
    }
    const [bareGet, apiGet, barePost, apiPost] = results;
    const ratios = {
      get: (apiGet?.rps ?? 0) / (bareGet?.rps ?? 1),
      post: (apiPost?.rps ?? 0) / (barePost?.rps ?? 1),
    };
    const machine = {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
      node: process.version,
    };
    // The API runs in this process (the load worker thread is inside it too, but ended by now).
    const rssBytes = process.memoryUsage().rss;
    if (values.json) {
      console.log(
        JSON.stringify({
          bench: 'control-plane',
          duration,
          connections,
          warmup,
          machine,
          results,
          ratios,
          rssBytes,
        }),
      );
    } else {
      console.log(
        `${duration} s per target after ${warmup} s warm-up, ${connections} keep-alive connections; ` +
          `${machine.cpus} × ${machine.cpu}, load average ${machine.loadAverage.join(' ')}; PostgreSQL and Kafka of the test bed`,
      );
      console.log(
        `${'target'.padEnd(22)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`,
      );
      for (const r of results) {
        console.log(
          `${r.name.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)} ${String(r.errors).padStart(7)}`,
        );
      }
      console.log(`ratio API / bare Fastify: GET ${ratios.get.toFixed(3)}, POST ${ratios.post.toFixed(3)}`);
      console.log(`RSS of this process (API and bare routes): ${(rssBytes / 2 ** 20).toFixed(0)} MiB`);
    }
  } finally {
    await bare.close();
    await t.app.close();
    await db.drop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    await telemetry.shutdown();
  }
}
