import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benches, describeMachine, lastJsonLine, markdown, parseRuntimeSummary, supported } from './all.ts';

const runtimeSummary = `backlog 5000 messages after 3000 unmeasured, then 1000 paced at 500/s; 3 partitions; one broker (test bed); 1 rounds
round 1 (load average 3.1 3.0 2.9 → 3.4 3.1 2.9): ratio 0.41
  bare kafkajs loop          9000 msg/s   p50     4.0 ms   p99    12.0 ms   RSS  150 MiB
  runtime (fallback)         3690 msg/s   p50    15.2 ms   p99   103.4 ms   RSS  412 MiB   CPU  240 µs/msg (kernel 40)
median round (by ratio):
bare kafkajs loop          9000 msg/s   p50     4.0 ms   p99    12.0 ms   RSS  150 MiB
runtime (fallback)         3690 msg/s   p50    15.2 ms   p99   103.4 ms   RSS  412 MiB   CPU  240 µs/msg (kernel 40)
ratio runtime / bare: 0.41 (target ≥ 0.7); all rounds: 0.41
`;

test('the runtime row comes from its printed summary when it prints no JSON', () => {
  const parsed = parseRuntimeSummary(runtimeSummary);
  assert.deepEqual(parsed, {
    bench: 'runtime',
    backlog: 5000,
    bare: { throughput: 9000, p50: 4, p99: 12, rssMb: 150 },
    runtime: { throughput: 3690, p50: 15.2, p99: 103.4, rssMb: 412 },
    ratio: 0.41,
  });
  const runtime = benches.find((b) => b.name === 'runtime');
  const [row] = runtime?.rows(undefined, runtimeSummary) ?? [];
  assert.equal(row?.throughput, '3690 messages/s');
  assert.equal(row?.latency, 'p50 15 ms, p99 103 ms');
  assert.equal(row?.relative, '0.41 × a bare kafkajs loop (9000 messages/s)');
  assert.equal(row?.memory, 'runtime 412 MiB');
  assert.equal(parseRuntimeSummary('the broker went away'), undefined);
});

test('the figures are the last JSON line naming the bench, among log lines', () => {
  const stdout = [
    '{"bench":"operator","tenants":1}',
    '  … 3 of 10 Ready',
    '{"level":30,"msg":"a log line"}',
    '{"bench":"operator","tenants":2}',
    'bed: clean-up 3.0 s',
  ].join('\n');
  assert.deepEqual(lastJsonLine(stdout, 'operator'), { bench: 'operator', tenants: 2 });
  assert.equal(lastJsonLine(stdout, 'runtime'), undefined);
});

test('flags a bench does not declare are dropped with their values', () => {
  const declared = new Set(['messages', 'rounds']);
  assert.deepEqual(supported(['--messages', '5000', '--json', '--rounds', '1', '--warmup', '3'], declared), [
    '--messages',
    '5000',
    '--rounds',
    '1',
  ]);
});

test('the operator and control-plane rows read their JSON', () => {
  const operator = benches.find((b) => b.name === 'operator');
  const [row] =
    operator?.rows(
      {
        bench: 'operator',
        tenants: 500,
        readySeconds: 133.7,
        tenantsPerSecond: 3.74,
        latencySeconds: { p50: 113, p99: 131 },
        requestsPerReconcile: 2.67,
        resync: { objects: 1000, reconciles: 1000, writes: 0 },
        rssBytes: 490 * 2 ** 20,
      },
      '',
    ) ?? [];
  assert.equal(row?.throughput, '3.7 tenants/s to Ready (all in 133.7 s)');
  assert.equal(row?.relative, '0 writes per no-op resync of 1000 objects; 2.67 API requests per reconcile');
  assert.equal(row?.memory, 'operator 490 MiB');

  const controlPlane = benches.find((b) => b.name === 'control-plane');
  const rows =
    controlPlane?.rows(
      {
        bench: 'control-plane',
        duration: 5,
        connections: 16,
        results: [
          { name: 'bare Fastify GET', rps: 6085, p50Ms: 2, p99Ms: 5 },
          { name: 'API GET conversation', rps: 154, p50Ms: 90, p99Ms: 300 },
          { name: 'bare Fastify POST', rps: 16107, p50Ms: 1, p99Ms: 3 },
          { name: 'API POST message', rps: 482, p50Ms: 30, p99Ms: 120 },
        ],
        ratios: { get: 0.0253, post: 0.0299 },
        rssBytes: 300 * 2 ** 20,
      },
      '',
    ) ?? [];
  assert.deepEqual(
    rows.map((r) => r.relative),
    ['0.025 × a bare Fastify route (6085 requests/s)', '0.030 × a bare Fastify route (16107 requests/s)'],
  );
});

test('the table names the machine and escapes pipes', () => {
  const text = markdown(
    [{ bench: 'a|b', size: 's', throughput: 't', latency: 'l', relative: 'r', memory: 'm' }],
    describeMachine(),
    'npm run bench',
  );
  assert.match(text, /cores, [\d.]+ GiB, Node v24/);
  assert.match(text, /\| a\\\|b \| s \| t \| l \| r \| m \|/);
});
