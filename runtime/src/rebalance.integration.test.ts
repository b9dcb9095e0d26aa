// Two runtime processes (`node runtime/src/main.ts`, as the Deployment runs it) in one consumer
// group on the test bed's Kafka: the partitions are split between them, a rebalance in the middle
// of the stream loses nothing and repeats nothing, and SIGTERM exits cleanly.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { eventually } from '@agentplane/shared/testing';
import { brokers, inbound, withoutKafka } from '../test-support/kafka.ts';
import { kafkaSuite } from '../test-support/kafka-suite.ts';
import type { ResultEvent } from './messages.ts';

const main = new URL('./main.ts', import.meta.url).pathname;

function startProcess(tenant: string) {
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      AGENTPLANE_TENANT: tenant,
      AGENTPLANE_AGENT_INSTANCE: 'support',
      AGENTPLANE_AGENT: 'customer-service',
      KAFKA_BROKERS: brokers().join(','),
      AGENTPLANE_HTTP_PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let port: number | undefined;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; httpPort?: number };
      if (entry.msg === 'runtime started') port = entry.httpPort;
    } catch {}
  });
  const get = async (path: string) => {
    if (!port) return undefined;
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  };
  return { child, get };
}

const processed = (metrics: string) =>
  [...metrics.matchAll(/agentplane_runtime_messages_total\{[^}]*outcome="processed"[^}]*\} (\d+)/g)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );

async function terminate(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('two runtime processes in one group', { skip: withoutKafka(), timeout: 180_000 }, () => {
  const suite = kafkaSuite();
  it('split the partitions and, across a rebalance, publish every result exactly once', async (t) => {
    const { tenant, send, collect } = await suite.tenant(t, { partitions: 4 });
    const wave = (from: number) =>
      Array.from({ length: 300 }, (_, i) =>
        inbound(tenant, `c${(from + i) % 17}`, `Where is my invoice? #${from + i}`, `m${from + i}`),
      );
    await send(wave(0));
    const events = await collect();

    const a = startProcess(tenant);
    t.after(() => terminate(a.child));
    await eventually(async () => (await a.get('/readyz'))?.status === 200, {
      what: 'first runtime ready',
      timeoutMs: 60_000,
    });
    const b = startProcess(tenant);
    t.after(() => terminate(b.child));
    await eventually(async () => (await b.get('/readyz'))?.status === 200, {
      what: 'second runtime ready',
      timeoutMs: 60_000,
    });
    await send(wave(300));
    await send(wave(600));

    await eventually(
      () => new Set(events.records.map((r) => r.headers['agentplane-message-id'])).size >= 900,
      {
        what: '900 distinct results',
        timeoutMs: 90_000,
      },
    );
    const countA = processed((await a.get('/metrics'))?.body ?? '');
    const countB = processed((await b.get('/metrics'))?.body ?? '');
    assert.ok(countA > 0 && countB > 0, `both processes worked (a=${countA}, b=${countB})`);
    assert.equal(await terminate(a.child), 0);
    assert.equal(await terminate(b.child), 0);
    const ids = events.json<ResultEvent>().map((event) => event.messageId);
    assert.equal(ids.length, 900, `no result twice (${ids.length - new Set(ids).size} duplicates)`);
  });
});
