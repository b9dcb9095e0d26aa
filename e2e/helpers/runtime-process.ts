// agentplane's parts as local processes, and the runtime the way a pod of its Deployment would run
// it. There is no kubelet on the test bed: the local platform and the journey suite start the
// runtime from the Deployment the operator wrote — its container's args and env, its config map
// where it is mounted, its optional env secret — plus what a pod gets from the cluster (brokers and
// Vault on 127.0.0.1, a Vault token instead of a ServiceAccount login, probes on a free port). Suites
// about Kafka alone start it from a few settings instead (`startRuntimeFromSettings`).
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../testbed/ports.ts';
import { eventually } from './eventually.ts';
import { kubectl, kubectlOk } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface PartProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last ~1 MB it wrote to stdout and stderr. */
  output(): string;
  /** Resolves with the exit code once it ended. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code; resolves at once when it already ended. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();
let reaper = false;
/** Whatever ends this process, the parts it started end with it: none keeps a Lease or a consumer group. */
function reapOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (reaper) return;
  reaper = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

export interface PartOptions {
  env?: Record<string, string>;
  argv?: string[];
  logFile?: string;
  /** false: `env` and PATH only, nothing else of this process's environment (default true). */
  inheritEnv?: boolean;
}

/**
 * Starts `script` (a path from the repository root) with this Node, `env` over this process's
 * environment (or over PATH alone, see `inheritEnv`). Its output is kept (last ~1 MB) and appended
 * to `logFile` when given.
 */
export function startPart(
  name: string,
  script: string,
  { env = {}, argv = [], logFile, inheritEnv = true }: PartOptions = {},
): PartProcess {
  const child = spawn(process.execPath, [join(repoRoot, script), ...argv], {
    env: { ...(inheritEnv ? process.env : { PATH: process.env.PATH }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(child);
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (chunk: Buffer) => {
      output = (output + chunk).slice(-1_000_000);
      if (logFile) appendFileSync(logFile, chunk);
    });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => output,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Resolves once `url` answers 2xx; throws with `what` after `timeoutMs`. */
export const answering = (url: string, what: string, timeoutMs = 60_000) =>
  eventually(
    () =>
      fetch(url).then(
        (r) => r.ok,
        () => false,
      ),
    { what, timeoutMs, intervalMs: 250 },
  );

/** Resolves once `part` answers at `url`; throws with its output when it exits before. */
export async function whenAnswering(part: PartProcess, url: string, what: string): Promise<void> {
  let ready = false;
  const died = part.exited.then((code) => {
    if (!ready)
      throw new Error(`${part.name} exited with ${code} before ${what}:\n${part.output().slice(-3000)}`);
  });
  died.catch(() => {}); // reported by the race below, or not at all once the part answered
  await Promise.race([
    answering(url, what).then(() => {
      ready = true;
    }),
    died,
  ]);
}

export interface RuntimeLaunch {
  argv: string[];
  env: Record<string, string>;
  /** The loopback port of its probes (/readyz, /metrics). */
  port: number;
}

/** A runtime process and how it was launched (`launch.port`: its probes). */
export type RuntimeProcess = PartProcess & { launch: RuntimeLaunch };

interface Container {
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ secretRef?: { name: string } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

// biome-ignore lint/suspicious/noExplicitAny: wire-format JSON from kubectl
const getJson = async (args: string[]): Promise<any> =>
  JSON.parse(await kubectlOk(['get', ...args, '-o', 'json']));

/** The data of the Secret `name` (decoded), or nothing when it does not exist (envFrom is optional). */
async function secretEnv(namespace: string, name: string): Promise<Record<string, string>> {
  const found = await kubectl(['get', 'secret', name, '-n', namespace, '-o', 'json']);
  if (found.code !== 0) return {};
  const data = (JSON.parse(found.stdout).data ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

/**
 * What a pod of Deployment `agent-<agentInstance>` in `namespace` would run: the container's args with
 * each config-map volume written to a temporary folder in place of its mount path, and its env:
 * `defaults` (what the Deployment does not set yet), then its env secrets, then the container's env
 * (which wins over env secrets, as in Kubernetes), then `cluster` (what the cluster gives a pod).
 * Reads the objects with the test bed's kubectl.
 */
export async function runtimeFromDeployment({
  namespace,
  agentInstance,
  cluster,
  defaults = {},
}: {
  namespace: string;
  agentInstance: string;
  cluster: Record<string, string>;
  defaults?: Record<string, string>;
}): Promise<RuntimeLaunch> {
  const deployment = await getJson(['deployment', `agent-${agentInstance}`, '-n', namespace]);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0] as Container;
  let argv = container.args ?? [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
    if (!volume?.configMap) continue;
    const configMap = await getJson(['configmap', volume.configMap.name, '-n', namespace]);
    const dir = mkdtempSync(join(tmpdir(), 'agentplane-runtime-'));
    for (const [file, content] of Object.entries(configMap.data ?? {}))
      writeFileSync(join(dir, file), String(content));
    argv = argv.map((a) => (a.startsWith(mount.mountPath) ? dir + a.slice(mount.mountPath.length) : a));
  }
  // As the kubelet: env secrets first, the container's own env over them.
  const podEnv: Record<string, string> = {};
  for (const from of container.envFrom ?? [])
    if (from.secretRef) Object.assign(podEnv, await secretEnv(namespace, from.secretRef.name));
  for (const e of container.env ?? []) if (e.value !== undefined) podEnv[e.name] = e.value;
  const port = await freePort();
  return {
    argv,
    port,
    env: {
      ...defaults,
      ...podEnv,
      ...cluster,
      AGENTPLANE_HTTP_HOST: '127.0.0.1',
      AGENTPLANE_HTTP_PORT: String(port),
    },
  };
}

/** The runtime of `launch`, started, once its /readyz answers. */
async function startRuntime(
  launch: RuntimeLaunch,
  options: Pick<PartOptions, 'logFile' | 'inheritEnv'>,
): Promise<RuntimeProcess> {
  const part = startPart('runtime', 'runtime/src/main.ts', {
    ...options,
    env: launch.env,
    argv: launch.argv,
  });
  const what = `the runtime to be ready${options.logFile ? ` (log: ${options.logFile})` : ''}`;
  await whenAnswering(part, `http://127.0.0.1:${launch.port}/readyz`, what);
  return { ...part, launch };
}

/** `runtimeFromDeployment`, started, once its /readyz answers. */
export async function startRuntimeFromDeployment(
  options: Parameters<typeof runtimeFromDeployment>[0] & { logFile?: string },
): Promise<RuntimeProcess> {
  return startRuntime(await runtimeFromDeployment(options), { logFile: options.logFile });
}

/**
 * A runtime with no Deployment behind it, started once its /readyz answers: agent instance
 * `agentInstance` (an `agent`) of `tenant` on `brokers`, probes on a free loopback port, `env` over
 * that, and nothing else of this process's environment (no Vault, model or vector store).
 */
export async function startRuntimeFromSettings({
  tenant,
  agentInstance,
  agent,
  brokers,
  env = {},
  logFile,
}: {
  tenant: string;
  agentInstance: string;
  agent: string;
  brokers: string[];
  env?: Record<string, string>;
  logFile?: string;
}): Promise<RuntimeProcess> {
  const port = await freePort();
  const settings = {
    AGENTPLANE_TENANT: tenant,
    AGENTPLANE_AGENT_INSTANCE: agentInstance,
    AGENTPLANE_AGENT: agent,
    KAFKA_BROKERS: brokers.join(','),
    AGENTPLANE_HTTP_HOST: '127.0.0.1',
    AGENTPLANE_HTTP_PORT: String(port),
    LOG_LEVEL: 'info',
  };
  return startRuntime({ argv: [], port, env: { ...settings, ...env } }, { logFile, inheritEnv: false });
}
