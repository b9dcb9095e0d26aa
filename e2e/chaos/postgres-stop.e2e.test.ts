// Chaos: PostgreSQL stops under steady API load and comes back. While it is down every request is
// answered — 503 with Retry-After in the documented error shape, never a 500, never slower than a
// bound — liveness stays up and readiness goes down; every message answered 202 before or after is
// in the messages table and on its Kafka topic; the same app, never restarted, serves again, and no
// pooled connection is left behind by the outage.
// The PostgreSQL is the suite's own cluster (the bed's is shared), stopped the way an operator or a
// failover stops one: a fast shutdown that ends every session. CHAOS_POSTGRES_LONG=1: 30 s down
// and a crash (SIGKILL) on top; the default is the bounded form CI runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, topicNames } from '@agentplane/shared';
import { testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { migrate } from '../../control-plane/src/db/migrator.ts';
import { createKafkaInboundBus } from '../../control-plane/src/messaging/inbound-bus.ts';
import {
  buildTestApp,
  createAgentInstance,
  noRateLimits,
  onboardTenant,
  openConversation,
  type TestApp,
} from '../../control-plane/src/testing/app.ts';
import { eventually } from '../helpers/eventually.ts';
import type { ComponentDirs } from '../testbed/build.ts';
import { startPostgres } from '../testbed/components/postgres.ts';
import { isAlive, type RunningService, startService } from '../testbed/processes.ts';

const long = process.env.CHAOS_POSTGRES_LONG === '1';
const outages = long
  ? [
      { downSeconds: 30, how: 'SIGINT' as const },
      { downSeconds: 15, how: 'SIGKILL' as const },
    ]
  : [{ downSeconds: 10, how: 'SIGINT' as const }];
/** No answer may take longer: the pool's connect timeout (5 s) plus scheduling on a busy machine. */
const answerBoundMs = 8_000;
const workers = 3;

interface PrivatePostgres {
  url: string;
  /** SIGINT: fast shutdown (sessions ended with 57P01, port closed); SIGKILL: a crash. */
  stop(how: 'SIGINT' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers queries. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A PostgreSQL cluster of this suite's own, started by the test bed's own code, restartable. */
async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const runDir = mkdtempSync(join(tmpdir(), 'agentplane-pg-chaos-'));
  chmodSync(runDir, 0o755); // as root the cluster runs as `postgres`, which must reach its data dir
  let service: RunningService | undefined;
  const url = await startPostgres({
    runDir,
    logsDir: runDir,
    components: {} as ComponentDirs,
    log: () => {},
    track: (started) => {
      service = started;
    },
  });
  const dataDir = join(runDir, 'postgres');
  // The command line the postmaster was started with, as PostgreSQL recorded it: `bin "-D" "dir" …`.
  const opts = readFileSync(join(dataDir, 'postmaster.opts'), 'utf8').trim();
  const command = opts.split(' ')[0] ?? '';
  const args = [...opts.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
  const owner = process.getuid?.() === 0 ? statSync(dataDir) : undefined;
  const { port } = new URL(url);
  const answers = () => {
    try {
      const sql = ['-h', '127.0.0.1', '-p', port, '-U', 'postgres', '-d', 'postgres', '-qAtc', 'select 1'];
      return (
        execFileSync('psql', sql, { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim() === '1'
      );
    } catch {
      return false;
    }
  };
  const stop = async (how: 'SIGINT' | 'SIGKILL') => {
    const pid = service?.pid;
    if (!pid) return;
    service = undefined;
    process.kill(how === 'SIGKILL' ? -pid : pid, how); // a crash takes the backends with it
    await eventually(() => !isAlive(pid), { what: 'PostgreSQL to stop', timeoutMs: 30_000, intervalMs: 50 });
  };
  // If the suite dies half-way, the cluster must not outlive it.
  const orphanGuard = () => service && process.kill(-service.pid, 'SIGKILL');
  process.once('exit', orphanGuard);
  return {
    url,
    stop,
    async start() {
      service = startService({
        name: 'postgres-chaos',
        command,
        args,
        logFile: join(runDir, 'postgres.log'),
        ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      });
      await eventually(answers, { what: 'PostgreSQL to answer again', timeoutMs: 30_000, intervalMs: 100 });
    },
    async close() {
      await stop('SIGINT');
      process.off('exit', orphanGuard);
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

interface Outcome {
  kind: 'post' | 'get';
  startedAt: number;
  ms: number;
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

describe('chaos: PostgreSQL stops under API load', { skip: withoutTestbed(), timeout: 600_000 }, () => {
  const brokers = testbedEnv('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({ clientId: 'chaos-pg', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const tenant = uniqueName('pgs');
  const topic = topicNames.inbound(tenant, 'support');
  const onTopic = new Set<string>();
  let postgres: PrivatePostgres;
  let consumer: Consumer;
  let t: TestApp;
  let base: string;
  let headers: Record<string, string>;
  let conversation: string;

  before(async () => {
    postgres = await startPrivatePostgres();
    await migrate(postgres.url, silentLogger());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    consumer = kafka.consumer({ groupId: uniqueName('chaos-pg') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.headers?.['agentplane-message-id'];
        if (id) onTopic.add(String(id));
      },
    });
    const bus = await createKafkaInboundBus({ brokers, log: silentLogger() });
    const database = {
      clientUrl: postgres.url,
      dbName: 'agentplane',
      urlAs: () => postgres.url,
      drop: async () => {},
    };
    t = await buildTestApp(database, { bus, rateLimits: noRateLimits });
    const owner = await onboardTenant(t, tenant, 'pro');
    headers = { ...owner.headers, 'content-type': 'application/json' };
    await createAgentInstance(t, owner);
    conversation = await openConversation(t, owner);
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    // Bounded: a leaked pool connection would keep close() waiting, and the cluster must still stop.
    await Promise.race([t?.app.close(), sleep(15_000)]);
    await consumer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    await postgres?.close();
  });

  const call = async (kind: Outcome['kind'], n: number): Promise<Outcome> => {
    const startedAt = Date.now();
    const url = `${base}/v1/tenants/${tenant}/conversations/${conversation}`;
    const res = await fetch(kind === 'post' ? `${url}/messages` : url, {
      method: kind === 'post' ? 'POST' : 'GET',
      headers,
      ...(kind === 'post' ? { body: JSON.stringify({ body: `message ${n}` }) } : {}),
      // A hang shows up as a failed test, not a stuck one.
      signal: AbortSignal.timeout(answerBoundMs * 3),
    });
    const body = (await res.json()) as Record<string, unknown>;
    const ms = Date.now() - startedAt;
    return { kind, startedAt, ms, status: res.status, retryAfter: res.headers.get('retry-after'), body };
  };

  /** `workers` loops of POST message (and a GET every third turn), ~10 requests a second each. */
  const steadyLoad = () => {
    const outcomes: Outcome[] = [];
    let running = true;
    let n = 0;
    const loop = async () => {
      for (let turn = 0; running; turn++) {
        outcomes.push(await call('post', n++));
        if (turn % 3 === 0) outcomes.push(await call('get', n));
        await sleep(100);
      }
    };
    const done = Promise.all(Array.from({ length: workers }, loop));
    return {
      outcomes,
      stop: async () => {
        running = false;
        await done;
      },
    };
  };

  const probe = async (path: string) => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(answerBoundMs) });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
  };

  it('answers 503 with Retry-After while it is down, loses no accepted message, recovers without a restart', async () => {
    const load = steadyLoad();
    const accepted = () => load.outcomes.filter((o) => o.status === 202);
    const windows: { downFrom: number; downUntil: number; upAt: number }[] = [];
    try {
      await eventually(() => accepted().length >= 10, { what: '10 messages accepted before the outage' });
      for (const { downSeconds, how } of outages) {
        await postgres.stop(how);
        const downFrom = Date.now();
        await sleep(Math.min(3_000, (downSeconds * 1000) / 2));
        assert.equal((await probe('/healthz')).status, 200, 'liveness ignores the database');
        const ready = await probe('/readyz');
        assert.equal(ready.status, 503, 'readiness reports the database');
        assert.equal(ready.body.code, 'dependency_unavailable');
        await sleep(Math.max(0, downFrom + downSeconds * 1000 - Date.now()));
        const downUntil = Date.now();
        await postgres.start();
        const upAt = Date.now();
        windows.push({ downFrom, downUntil, upAt });
        await eventually(() => accepted().filter((o) => o.startedAt > upAt).length >= 10, {
          what: '10 messages accepted after PostgreSQL came back',
          timeoutMs: 60_000,
        });
        assert.equal((await probe('/readyz')).status, 200, 'ready again');
      }
    } finally {
      await load.stop();
    }

    // No pool slot may stay with a connection the outage broke: that would starve the API later.
    const pool = (await t.orm.em.getConnection().getNativeClient()) as {
      totalCount: number;
      idleCount: number;
    };
    await eventually(() => pool.totalCount === pool.idleCount, {
      what: `every pooled connection idle once the load stopped (${pool.idleCount} of ${pool.totalCount})`,
      timeoutMs: 10_000,
    });

    const { outcomes } = load;
    const unexpected = outcomes.filter((o) => ![200, 202, 503].includes(o.status));
    assert.deepEqual(unexpected, [], 'only 200, 202 and 503: no 500, no other error');
    const slow = outcomes.filter((o) => o.ms > answerBoundMs);
    assert.deepEqual(slow, [], `every answer within ${answerBoundMs} ms`);
    for (const o of outcomes.filter((o) => o.status === 503)) {
      assert.ok(Number(o.retryAfter) > 0, `Retry-After on every 503: ${o.retryAfter}`);
      assert.equal(o.body.code, 'dependency_unavailable');
      assert.equal(typeof o.body.message, 'string');
      assert.deepEqual(o.body.details, { dependency: 'PostgreSQL' });
    }
    for (const { downFrom, downUntil, upAt } of windows) {
      const during = outcomes.filter((o) => o.startedAt >= downFrom && o.startedAt + o.ms <= downUntil);
      assert.ok(during.length >= 10, `load went on during the outage (${during.length} requests)`);
      assert.deepEqual(
        during.filter((o) => o.status !== 503).map((o) => o.status),
        [],
        'every request answered while down is a 503',
      );
      const firstAfter = outcomes.find((o) => o.startedAt >= upAt && o.status === 202);
      console.log(
        `outage of ${((downUntil - downFrom) / 1000).toFixed(1)} s: ${during.length} answers, all 503, ` +
          `slowest ${Math.max(...during.map((o) => o.ms))} ms; first 202 ${(firstAfter?.startedAt ?? upAt) - upAt} ms after PostgreSQL answered`,
      );
    }

    const ids = accepted().map((o) => String(o.body.id));
    assert.equal(new Set(ids).size, ids.length);
    const stored = new Set(
      execFileSync('psql', [postgres.url, '-qAtc', `select id from messages where tenant_id = '${tenant}'`])
        .toString()
        .split('\n')
        .filter(Boolean),
    );
    assert.deepEqual(
      ids.filter((id) => !stored.has(id)),
      [],
      `every accepted message is stored (${ids.length} accepted)`,
    );
    await eventually(() => ids.every((id) => onTopic.has(id)), {
      what: 'every accepted message on the inbound topic',
      timeoutMs: 30_000,
    });
    console.log(
      `${outcomes.length} requests: ${ids.length} messages accepted, ${outcomes.filter((o) => o.status === 503).length} answered 503`,
    );
  });
});
