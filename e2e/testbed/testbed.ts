import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ensureComponents, formatDuration } from './build.ts';
import { writeClusterCerts } from './certs.ts';
import { startEtcd } from './components/etcd.ts';
import { startKafka } from './components/kafka.ts';
import { startKubernetes } from './components/kubernetes.ts';
import { startPostgres } from './components/postgres.ts';
import { startVault } from './components/vault.ts';
import type { BedContext } from './context.ts';
import { stateDir } from './paths.ts';
import { isAlive, type RunningService, stopService } from './processes.ts';

/** What `up` leaves behind for `down`, `status` and other processes. */
export interface TestbedState {
  runDir: string;
  startedAt: string;
  /** False while `up` is still starting services. */
  ready: boolean;
  services: RunningService[];
  env: Record<string, string>;
}

const statePath = join(stateDir, 'state.json');
export const envPath = join(stateDir, 'env');

/**
 * Starts the real dependencies on 127.0.0.1 and writes `.testbed/env` and `.testbed/state.json`.
 * Idempotent: a healthy running bed is reused; a half-dead one is stopped and started anew.
 * If any part fails to start, everything started so far is stopped before the error propagates.
 */
export async function up(log: (line: string) => void = console.error): Promise<TestbedState> {
  const existing = readState();
  if (isHealthy(existing)) {
    log(`test bed already running since ${existing.startedAt}`);
    return existing;
  }
  if (existing) await down(log);

  const components = await ensureComponents(log);
  const started = Date.now();
  const logsDir = join(stateDir, 'logs');
  rmSync(logsDir, { recursive: true, force: true });
  mkdirSync(logsDir, { recursive: true });
  const runDir = mkdtempSync(join(tmpdir(), 'agentplane-testbed-'));
  // PostgreSQL runs as its own user when we are root and must reach its folder inside.
  chmodSync(runDir, 0o755);
  const state: TestbedState = {
    runDir,
    startedAt: new Date().toISOString(),
    ready: false,
    services: [],
    env: {},
  };
  // Recorded as each service starts, so `down` can stop a bed whose `up` was killed half-way.
  const track = (service: RunningService) => {
    state.services.push(service);
    writeState(state);
  };
  const ctx: BedContext = { runDir, logsDir, components, log, track };
  const kubeconfig = join(stateDir, 'kubeconfig');

  try {
    const kubernetes = (async () => {
      const certs = writeClusterCerts(join(runDir, 'pki'));
      const etcd = await startEtcd(ctx);
      return { etcd, ...(await startKubernetes(ctx, etcd, certs, kubeconfig)) };
    })();
    const [kube, kafka, vault, databaseUrl] = await Promise.all([
      kubernetes,
      startKafka(ctx),
      startVault(ctx),
      startPostgres(ctx),
    ]);
    state.env = {
      KUBECONFIG: kube.kubeconfig,
      KUBE_API_SERVER: kube.server,
      KAFKA_BROKERS: kafka.brokers,
      // A SASL/SCRAM listener of the same broker, with the authorizer on, for the per-tenant principals.
      ...(kafka.sasl
        ? {
            TESTBED_KAFKA_SASL_BROKERS: kafka.sasl.brokers,
            TESTBED_KAFKA_SASL_USERNAME: kafka.sasl.username,
            TESTBED_KAFKA_SASL_PASSWORD: kafka.sasl.password,
          }
        : {}),
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.token,
      DATABASE_URL: databaseUrl,
      // Member clusters of multi-cluster tests keep their objects in this etcd too (members.ts).
      TESTBED_ETCD_URL: kube.etcd,
      // kubectl built with the same Kubernetes version as the API server, first on PATH.
      TESTBED_BIN: components.kubernetes,
      PATH: `${components.kubernetes}${delimiter}${process.env.PATH ?? ''}`,
    };
    state.ready = true;
    writeState(state);
    log(`test bed up in ${formatDuration(Date.now() - started)}; source ${envPath}`);
    return state;
  } catch (error) {
    await down(() => {});
    throw error;
  }
}

/** Stops every service of the running bed and removes its data. Idempotent. */
export async function down(log: (line: string) => void = console.error): Promise<void> {
  const state = readState();
  if (!state) return;
  // Reverse start order: clients (controllers) go before the API server and etcd.
  for (const service of [...state.services].reverse()) await stopService(service.pid);
  rmSync(state.runDir, { recursive: true, force: true });
  rmSync(statePath, { force: true });
  rmSync(envPath, { force: true });
  log('test bed down');
}

/**
 * A bed is healthy when `up` finished and each of its own services runs. Services suites added on
 * top (member clusters, whose API servers tests stop on purpose) do not count: a dead one must never
 * make `up`, `run` or the platform tear down a bed other processes are using.
 */
export function isHealthy(state: TestbedState | undefined): state is TestbedState {
  return state?.ready === true && state.services.filter((s) => !s.extra).every((s) => isAlive(s.pid));
}

export interface ServiceStatus {
  name: string;
  pid: number;
  alive: boolean;
}

/** Which services of the recorded bed still run; undefined when no bed was started. */
export function status(): { state: TestbedState; services: ServiceStatus[] } | undefined {
  const state = readState();
  if (!state) return undefined;
  return {
    state,
    services: state.services.map((s) => ({ name: s.name, pid: s.pid, alive: isAlive(s.pid) })),
  };
}

export function readState(): TestbedState | undefined {
  if (!existsSync(statePath)) return undefined;
  return JSON.parse(readFileSync(statePath, 'utf8')) as TestbedState;
}

/**
 * Records a service started outside `up` (a member cluster of a multi-cluster test) in the running
 * bed's state, so `down` stops it even when the test that started it crashed.
 */
export function trackInState(service: RunningService): void {
  const state = readState();
  if (!state) throw new Error('no test bed is running: start it with npm run testbed -- up');
  // Forget extras that died since (a member's API server stopped on purpose, a crashed suite).
  state.services = state.services.filter((s) => !s.extra || isAlive(s.pid));
  state.services.push({ ...service, extra: true });
  writeState(state);
}

/** Forgets services that were stopped on purpose (`trackInState`'s counterpart). */
export function untrackInState(pids: number[]): void {
  const state = readState();
  if (!state) return;
  state.services = state.services.filter((s) => !pids.includes(s.pid));
  writeState(state);
}

function writeState(state: TestbedState): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
  const lines = Object.entries(state.env).map(([key, value]) => `export ${key}=${shellQuote(value)}`);
  writeFileSync(
    envPath,
    `# written by \`npm run testbed -- up\`; source it to use the running test bed\n${lines.join('\n')}\n`,
    {
      mode: 0o600,
    },
  );
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
