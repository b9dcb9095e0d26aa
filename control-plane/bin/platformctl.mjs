#!/usr/bin/env node
// platformctl launcher. The CLI is TypeScript run by Node 24's type stripping; an older `node` on
// PATH (the machine's) re-runs this file with the project's Node 24 (node_modules/.bin/node).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function projectNode() {
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', 'node');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

if (Number(process.versions.node.split('.')[0]) >= 24) {
  await import('../src/cli/main.ts');
} else {
  const node = projectNode();
  if (!node) {
    console.error(
      `platformctl needs Node 24 (this is ${process.version}); run npm install at the repository root`,
    );
    process.exit(1);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
