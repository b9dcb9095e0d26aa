import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user (used for PostgreSQL, which refuses to run as root). */
  uid?: number;
  gid?: number;
}

export interface RunningService {
  name: string;
  pid: number;
  logFile: string;
  /** Started by a suite on top of the bed (a member cluster); its state says nothing of the bed's health. */
  extra?: boolean;
}

/**
 * Starts a long-running service in its own process group, detached from the caller so that
 * `testbed up` can exit while it runs; its output goes to `logFile`. The group id equals the pid,
 * which is what `stopService` signals, so helpers a service forks are stopped with it.
 */
export function startService(spec: ServiceSpec): RunningService {
  const log = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...spec.env },
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
    });
    if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
    child.on('error', () => {}); // reported through the readiness probe and the log instead
    child.unref();
    return { name: spec.name, pid: child.pid, logFile: spec.logFile };
  } finally {
    closeSync(log);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends SIGTERM to the service's process group, then SIGKILL after `graceMs`. Idempotent. */
export async function stopService(pid: number, graceMs = 10_000): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}

/** The last lines of a log, for error messages that must say why a service did not come up. */
export function tailOf(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Waits until `probe` answers true for a started service. Fails at once if the process exits
 * (instead of waiting out the timeout) and always puts the log's tail in the error.
 */
export async function waitUntilReady(
  service: RunningService,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (!isAlive(service.pid)) {
      throw new Error(
        `${service.name} exited during start-up; last lines of ${service.logFile}:\n${tailOf(service.logFile)}`,
      );
    }
    try {
      if (await probe()) return;
      lastError = '';
    } catch (error) {
      lastError = ` (last probe error: ${(error as Error).message})`;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${service.name} not ready after ${timeoutMs} ms${lastError}; last lines of ${service.logFile}:\n${tailOf(service.logFile)}`,
      );
    }
    await sleep(250);
  }
}
