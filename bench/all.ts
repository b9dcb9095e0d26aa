// Every benchmark in one run, one table (prints figures; not a test).
//   npm run bench [-- --only operator,runtime] [--full]
// Runs each bench as a child process one after the other (modest sizes by default, about ten
// minutes in all; `--full` for the sizes the README publishes), reads the JSON line each prints
// (the runtime bench's printed summary when it has no JSON), and prints a Markdown table with the
// machine it ran on; writes bench/results/latest.json and latest.md. A bench that fails is a row
// saying so; the exit code is then 1. The operator bench runs holding the machine-wide operator lock;
// the multi-cluster and hibernation benches take it themselves.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release as osRelease, platform, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// biome-ignore lint/suspicious/noExplicitAny: the benches' JSON, read defensively
type Json = Record<string, any>;

interface Bench {
  name: string;
  script: string;
  nodeArgs?: string[];
  /** Arguments for the default run and for `--full`; flags the script does not declare are dropped. */
  modest: string[];
  full: string[];
  /** Run while holding the operator lock (benches that take it themselves must not). */
  operatorLock?: boolean;
  /** Table rows from what the bench printed: its JSON line, or its stdout when it has none. */
  rows(result: Json | undefined, stdout: string): Row[];
}

/** One line of the table. Every figure is a ratio or a distribution measured in the same run. */
export interface Row {
  bench: string;
  size: string;
  throughput: string;
  latency: string;
  relative: string;
  memory: string;
}

const mib = (bytes: unknown) =>
  typeof bytes === 'number' && Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : 'n/a';
const fixed = (value: unknown, digits = 1) =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
const ms = (value: unknown) =>
  typeof value !== 'number' || !Number.isFinite(value)
    ? 'n/a'
    : value < 1000
      ? `${value.toFixed(value < 10 ? 1 : 0)} ms`
      : `${(value / 1000).toFixed(1)} s`;

/** The first of `paths` (dotted) that leads to a number in `value`. */
export function pick(value: Json | undefined, ...paths: string[]): number | undefined {
  for (const path of paths) {
    const found = path.split('.').reduce<unknown>((at, key) => (at as Json | undefined)?.[key], value);
    if (typeof found === 'number' && Number.isFinite(found)) return found;
  }
  return undefined;
}

/** The last line of `stdout` that is a JSON object naming `bench`. */
export function lastJsonLine(stdout: string, bench: string): Json | undefined {
  const lines = stdout.split('\n').reverse();
  for (const line of lines) {
    if (!line.trimStart().startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Json;
      if (parsed.bench === bench) return parsed;
    } catch {
      // Not JSON after all: a log line.
    }
  }
  return undefined;
}

/** The runtime bench's median round from its printed summary (it has no JSON output yet). */
export function parseRuntimeSummary(stdout: string): Json | undefined {
  const from = stdout.lastIndexOf('median round');
  const text = from >= 0 ? stdout.slice(from) : stdout;
  const line = (label: string) => text.split('\n').findLast((l) => l.includes(label));
  const figures = (l: string | undefined) =>
    l && {
      throughput: Number(/([\d.]+) msg\/s/.exec(l)?.[1]),
      p50: Number(/p50\s+([\d.]+) ms/.exec(l)?.[1]),
      p99: Number(/p99\s+([\d.]+) ms/.exec(l)?.[1]),
      rssMb: Number(/RSS\s+([\d.]+) MiB/.exec(l)?.[1]),
    };
  const bare = figures(line('bare kafkajs loop'));
  const runtime = figures(line('runtime ('));
  const ratio = Number(/ratio runtime \/ bare: ([\d.]+)/.exec(text)?.[1]);
  if (!bare || !runtime) return undefined;
  const backlog = Number(/backlog (\d+) messages/.exec(stdout)?.[1]);
  return {
    bench: 'runtime',
    ...(Number.isFinite(backlog) ? { backlog } : {}),
    bare,
    runtime,
    ...(Number.isFinite(ratio) ? { ratio } : {}),
  };
}

export const benches: Bench[] = [
  {
    name: 'operator',
    script: 'bench/operator/run.ts',
    modest: ['--tenants', '100', '--json'],
    full: ['--tenants', '500', '--json'],
    operatorLock: true,
    rows: (r) => [
      {
        bench: 'operator',
        size: `${r?.tenants} tenants + 1 agent each`,
        throughput: `${fixed(r?.tenantsPerSecond)} tenants/s to Ready (all in ${fixed(r?.readySeconds)} s)`,
        latency: `apply-to-Ready p50 ${fixed(pick(r, 'latencySeconds.p50'))} s, p99 ${fixed(pick(r, 'latencySeconds.p99'))} s`,
        relative:
          `${pick(r, 'resync.writes') ?? 'n/a'} writes per no-op resync of ${pick(r, 'resync.objects')} objects; ` +
          `${fixed(r?.requestsPerReconcile, 2)} API requests per reconcile`,
        memory: `operator ${mib(r?.rssBytes)}`,
      },
    ],
  },
  {
    name: 'runtime',
    script: 'bench/runtime/bench.ts',
    modest: ['--messages', '5000', '--warmup', '3000', '--paced', '1000', '--rounds', '1', '--json'],
    full: ['--json'],
    rows: (json, stdout) => {
      const r = json ?? parseRuntimeSummary(stdout);
      const runtime = pick(r, 'median.runtime.throughput', 'runtime.throughput', 'runtime.messagesPerSecond');
      const bare = pick(r, 'median.bare.throughput', 'bare.throughput', 'bare.messagesPerSecond');
      const ratio = pick(r, 'median.ratio', 'ratio') ?? (runtime && bare ? runtime / bare : undefined);
      return [
        {
          bench: 'runtime',
          size: r?.backlog ? `backlog ${r.backlog} messages` : 'one runtime process, fallback path',
          throughput: `${fixed(runtime, 0)} messages/s`,
          latency: `p50 ${ms(pick(r, 'median.runtime.p50', 'runtime.p50'))}, p99 ${ms(pick(r, 'median.runtime.p99', 'runtime.p99'))}`,
          relative: `${fixed(ratio, 2)} × a bare kafkajs loop (${fixed(bare, 0)} messages/s)`,
          memory: `runtime ${mib((pick(r, 'median.runtime.rssMb', 'runtime.rssMb') ?? Number.NaN) * 2 ** 20)}`,
        },
      ];
    },
  },
  {
    name: 'control-plane',
    script: 'bench/control-plane/bench.ts',
    modest: ['--duration', '5', '--warmup', '2', '--json'],
    full: ['--json'],
    rows: (r) => {
      const results = (r?.results ?? []) as Json[];
      const named = (name: string) => results.find((x) => x.name === name);
      return (['GET', 'POST'] as const).map((method) => {
        const api = named(method === 'GET' ? 'API GET conversation' : 'API POST message');
        const bare = named(`bare Fastify ${method}`);
        return {
          bench: `control plane ${method === 'GET' ? 'GET conversation' : 'POST message'}`,
          size: `${r?.connections} connections, ${r?.duration} s`,
          throughput: `${fixed(api?.rps, 0)} requests/s`,
          latency: `p50 ${ms(api?.p50Ms)}, p99 ${ms(api?.p99Ms)}`,
          relative: `${fixed(pick(r, `ratios.${method.toLowerCase()}`), 3)} × a bare Fastify route (${fixed(bare?.rps, 0)} requests/s)`,
          memory: `API process ${mib(r?.rssBytes)}`,
        };
      });
    },
  },
  {
    name: 'multicluster',
    script: 'bench/multicluster/run.ts',
    nodeArgs: ['--expose-gc'],
    modest: ['--tenants', '60', '--json'],
    full: ['--tenants', '300', '--json'],
    rows: (r) => {
      const watch = ((r?.watchMemoryPerMember ?? []) as Json[]).map((m) => m.heapBytes as number);
      const maxWatch = watch.length ? Math.max(...watch) : Number.NaN;
      return [
        {
          bench: 'multi-cluster placement',
          size: `${r?.tenants} tenants on ${r?.members} members`,
          throughput: `${fixed(r?.decisionsPerSecond)} placement decisions/s through the API (all Ready in ${fixed(r?.readySeconds)} s)`,
          latency: `POST /v1/tenants p50 ${ms(pick(r, 'postLatencyMs.p50'))}, p99 ${ms(pick(r, 'postLatencyMs.p99'))}`,
          relative: `the pure decision alone: ${fixed(r?.pureDecisionsPerSecond, 0)}/s`,
          memory: `watch heap per member ≤ ${fixed(maxWatch / 2 ** 20)} MiB; hub process ${mib(r?.hubRssBytes)}`,
        },
      ];
    },
  },
  {
    name: 'hibernation',
    script: 'bench/hibernation/bench.ts',
    modest: ['--rounds', '2', '--poll-topics', '50', '--json'],
    full: ['--rounds', '5', '--json'],
    rows: (r) => [
      {
        bench: 'hibernation wake',
        size: `${r?.rounds} rounds, poll ${r?.pollInterval}`,
        throughput: '—',
        latency: `wake-to-first-reply median ${ms(pick(r, 'wakeMs.firstReply'))} (decision ${ms(pick(r, 'wakeMs.decision'))}, runtime ready ${ms(pick(r, 'wakeMs.runtimeReady'))})`,
        relative: r?.poll
          ? `one poll of ${r.poll.topics} topics: ${ms(r.poll.batchedMs)} batched vs ${ms(r.poll.perTopicMs)} per topic`
          : '—',
        memory: `runtime ${mib(pick(r, 'rssBytes.runtime'))}, operator ${mib(pick(r, 'rssBytes.operator'))}`,
      },
    ],
  },
];

/** The machine the figures come from. */
export function describeMachine() {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    os: `${platform()} ${osRelease()}`,
    loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

const columns: Array<[keyof Row, string]> = [
  ['bench', 'bench'],
  ['size', 'run'],
  ['throughput', 'throughput'],
  ['latency', 'latency'],
  ['relative', 'ratio / cost'],
  ['memory', 'memory (RSS)'],
];

/** The Markdown table of `rows`, with the machine above it. */
export function markdown(rows: Row[], machine: ReturnType<typeof describeMachine>, command: string): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `${machine.os}, load average ${machine.loadAverage.join(' ')} at the start; the test bed on the same machine.`,
    `Command: \`${command}\``,
    '',
    `| ${columns.map(([, title]) => title).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map(([key]) => cell(row[key])).join(' | ')} |`),
    '',
  ].join('\n');
}

/** The flags a bench script declares to parseArgs (`name: { type: … }`), to drop the others. */
function declaredFlags(script: string): Set<string> {
  const source = readFileSync(script, 'utf8');
  return new Set(
    [...source.matchAll(/'?([a-z][\w-]*)'?\s*:\s*\{\s*type:\s*'(?:string|boolean)'/g)].map((m) => m[1] ?? ''),
  );
}

export function supported(args: string[], declared: Set<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const takesValue = i + 1 < args.length && !(args[i + 1] ?? '').startsWith('--');
    if (declared.has(arg.replace(/^--/, ''))) kept.push(arg, ...(takesValue ? [args[i + 1] ?? ''] : []));
    if (takesValue) i++;
  }
  return kept;
}

/** Runs one bench script; its stderr and non-JSON stdout lines go to our stderr, prefixed. */
function runScript(
  bench: Bench,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...(bench.nodeArgs ?? []), bench.script, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const echo = (line: string) => process.stderr.write(`[${bench.name}] ${line}\n`);
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    if (!line.startsWith('{')) echo(line);
  });
  createInterface({ input: child.stderr }).on('line', echo);
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, seconds: (performance.now() - started) / 1000 }));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      full: { type: 'boolean', default: false },
    },
  });
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  process.chdir(repoRoot);
  const wanted = values.only?.split(',').map((name) => name.trim()) ?? benches.map((b) => b.name);
  const unknown = wanted.filter((name) => !benches.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown bench ${unknown.join(', ')}; the benches: ${benches.map((b) => b.name).join(', ')}`,
    );
    return 2;
  }
  if (!process.env.KUBECONFIG || !process.env.KAFKA_BROKERS) {
    console.error('the test bed environment is not set: npm run bench (or source .testbed/env)');
    return 2;
  }
  const machine = describeMachine();
  const command = `npm run bench --${values.only ? ` --only ${values.only}` : ''}${values.full ? ' --full' : ''}`;
  const startedAt = new Date().toISOString();
  const rows: Row[] = [];
  const runs: Json[] = [];
  for (const bench of benches.filter((b) => wanted.includes(b.name))) {
    const args = supported(values.full ? bench.full : bench.modest, declaredFlags(bench.script));
    process.stderr.write(`\n== ${bench.name}: node ${bench.script} ${args.join(' ')}\n`);
    let release = () => {};
    const env = { ...process.env };
    if (bench.operatorLock) {
      const { exclusive } = await import('../e2e/helpers/exclusive.ts');
      release = await exclusive('operator', 30 * 60_000);
      env.AGENTPLANE_OPERATOR_LOCK_HELD = '1';
    }
    const run = await runScript(bench, args, env).finally(() => release());
    const json = lastJsonLine(run.stdout, bench.name);
    const parsed = json ?? (bench.name === 'runtime' ? parseRuntimeSummary(run.stdout) : undefined);
    const ok = run.code === 0 && parsed !== undefined;
    runs.push({ name: bench.name, args, exitCode: run.code, seconds: run.seconds, result: parsed ?? null });
    if (ok) rows.push(...bench.rows(json, run.stdout));
    else {
      const failed = `failed (exit ${run.code}${parsed ? '' : ', no figures'}); see the output above`;
      rows.push({
        bench: bench.name,
        size: args.join(' '),
        throughput: failed,
        latency: '',
        relative: '',
        memory: '',
      });
    }
  }
  const table = markdown(rows, machine, command);
  console.log(`\n${table}`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  })();
  const report = { startedAt, finishedAt: new Date().toISOString(), command, commit, machine, rows, runs };
  writeFileSync(`${dir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  // In the project's JSON style, so `npm run lint` passes on a committed result.
  try {
    execFileSync('node_modules/.bin/biome', ['format', '--write', `${dir}latest.json`], { stdio: 'ignore' });
  } catch {
    // Unformatted is still valid JSON.
  }
  writeFileSync(`${dir}latest.md`, `# Benchmarks (${startedAt}${commit ? `, ${commit}` : ''})\n\n${table}`);
  process.stderr.write(`written: bench/results/latest.json, bench/results/latest.md\n`);
  return runs.every((r) => r.exitCode === 0) && rows.every((r) => !r.throughput.startsWith('failed')) ? 0 : 1;
}

if (import.meta.main) process.exitCode = await main();
