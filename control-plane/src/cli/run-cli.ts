// For tests: runs platformctl as its own process, the way a script would, and collects its output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const platformctlBin = fileURLToPath(new URL('../../bin/platformctl.mjs', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `platformctl args` with Node `node` (default: this process's) and only the environment
 * given (plus PATH and HOME), so nothing of the caller's AGENTPLANE_* or KUBECONFIG leaks in.
 */
export function platformctl(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  { node = process.execPath, stdin = '' }: { node?: string; stdin?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(
      Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, ...env }).filter(
        ([, v]) => v !== undefined,
      ),
    ) as Record<string, string>;
    const child = spawn(node, [platformctlBin, ...args], { env: clean, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
