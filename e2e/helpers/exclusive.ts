import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Holds a machine-wide lock named `name` until the returned release is called: test files that
 * each run an operator (one Lease, one set of cluster objects) take turns, while other files keep
 * running in parallel. A lock whose holder process died is taken over.
 */
export async function exclusive(name: string, timeoutMs = 600_000): Promise<() => void> {
  const dir = join(tmpdir(), `agentplane-lock-${name}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!holderAlive(dir)) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for the ${name} lock (${dir})`);
      else await sleep(200);
    }
  }
}

function holderAlive(dir: string): boolean {
  try {
    process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8')), 0);
    return true;
  } catch (error) {
    // No pid file yet: the holder is between mkdir and write; treat it as alive.
    return (
      (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EPERM'
    );
  }
}
