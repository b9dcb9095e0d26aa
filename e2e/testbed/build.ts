import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cacheDir, goModulesDir, kafkaPomDir } from './paths.ts';

/** A Go wrapper module under `go/<name>` whose binaries the test bed runs. */
interface GoComponent {
  name: string;
  /** The upstream module whose version names the cache entry. */
  module: string;
  /** Packages to build; each becomes a binary named after its last path element. */
  packages: string[];
  ldflags?: (version: string, goMod: string) => string[];
  /** Extra files to copy into the cache entry once built, from the upstream module's folder. */
  afterBuild?: (moduleDir: string, outDir: string) => void;
  /** Source edits to a dependency, applied to a copy that a go.work file swaps in for the build. */
  patches?: SourcePatch[];
}

interface SourcePatch {
  module: string;
  file: string;
  /** Exact text to find (it must occur once) and what replaces it. */
  find: string;
  replace: string;
  why: string;
}

const kubeVersionStamp = (version: string): string[] => {
  const [major, minor] = version.replace(/^v/, '').split('.');
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
};

/** helm's Makefile stamps its version and the Kubernetes minor its client libraries speak. */
const helmVersionStamp = (version: string, goMod: string): string[] => {
  const clientGo = requiredVersion(goMod, 'k8s.io/client-go');
  const minor = clientGo.split('.')[1] ?? '0';
  return [
    `-X helm.sh/helm/v3/internal/version.version=${version}`,
    '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
    ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [
      `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`,
      `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${minor}`,
    ]),
  ];
};

/** Tools the tests run but the test bed does not start; built on first use, not by `up`. */
const helmComponent: GoComponent = {
  name: 'helm',
  module: 'helm.sh/helm/v3',
  packages: ['helm.sh/helm/v3/cmd/helm'],
  ldflags: helmVersionStamp,
};

const goComponents: GoComponent[] = [
  { name: 'etcd', module: 'go.etcd.io/etcd/server/v3', packages: ['.'] },
  {
    name: 'kwok',
    module: 'sigs.k8s.io/kwok',
    packages: ['sigs.k8s.io/kwok/cmd/kwok'],
    afterBuild: (moduleDir, outDir) => writeFileSync(join(outDir, 'stages.yaml'), kwokStages(moduleDir)),
  },
  {
    name: 'vault',
    module: 'github.com/hashicorp/vault',
    packages: ['github.com/hashicorp/vault'],
    patches: [
      {
        module: 'github.com/hashicorp/vault/sdk',
        file: 'framework/backend.go',
        find: '\t\tif p.ExistenceCheck == nil {\n\t\t\tif _, ok := p.Operations[logical.CreateOperation]; ok {',
        replace:
          '\t\tif false && p.ExistenceCheck == nil {\n\t\t\tif _, ok := p.Operations[logical.CreateOperation]; ok {',
        why:
          "sdk v0.9.2 asserts at start-up a rule that Vault 1.14.2's own (unpublished) sdk did not, " +
          'and panics on the sys/managed-keys path, an Enterprise-only path the dev server never serves',
      },
    ],
  },
  {
    name: 'kubernetes',
    module: 'k8s.io/kubernetes',
    packages: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].map(
      (cmd) => `k8s.io/kubernetes/cmd/${cmd}`,
    ),
    ldflags: kubeVersionStamp,
  },
];

export type ComponentDirs = Record<'etcd' | 'kwok' | 'vault' | 'kubernetes' | 'kafka', string>;

/**
 * Returns the cache folder of every test bed component, building what is missing first.
 * A cold build takes tens of minutes on two cores (Kubernetes dominates) and prints progress;
 * later calls return at once. Entries are keyed by version and a hash of the wrapper's
 * go.mod/go.sum (or pom.xml), so changing a pin builds anew instead of reusing a stale binary.
 */
export async function ensureComponents(log: (line: string) => void = console.error): Promise<ComponentDirs> {
  const dirs: Partial<ComponentDirs> = {};
  for (const component of goComponents) {
    dirs[component.name as keyof ComponentDirs] = await ensureGoComponent(component, log);
  }
  dirs.kafka = await ensureKafka(log);
  return dirs as ComponentDirs;
}

/**
 * Returns the path of the helm binary the chart tests use (version pinned in go/helm/go.mod),
 * building it from the Go module proxy first when the cache has none (a few minutes, with progress).
 */
export async function ensureHelm(log: (line: string) => void = console.error): Promise<string> {
  return join(await ensureGoComponent(helmComponent, log), 'helm');
}

async function ensureGoComponent(component: GoComponent, log: (line: string) => void): Promise<string> {
  const moduleDir = join(goModulesDir, component.name);
  const goMod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
  const version = requiredVersion(goMod, component.module);
  const key = contentKey([
    goMod,
    readFileSync(join(moduleDir, 'go.sum'), 'utf8'),
    JSON.stringify(component.patches ?? []),
  ]);
  const outDir = join(cacheDir, `${component.name}-${version}-${key}`);
  if (existsSync(outDir)) return outDir;

  log(`building ${component.name} ${version} from the Go module proxy (once; cached in ${outDir})`);
  const partial = `${outDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const ldflags = ['-s', '-w', ...(component.ldflags?.(version, goMod) ?? [])].join(' ');
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { CGO_ENABLED: '0' };
  if (component.patches)
    env.GOWORK = await patchedWorkspace(moduleDir, goMod, component.patches, `${partial}-src`);
  await runWithProgress(
    'go',
    ['build', '-v', '-trimpath', `-ldflags=${ldflags}`, '-o', `${partial}/`, ...component.packages],
    { cwd: moduleDir, env },
    component.name,
    log,
  );
  rmSync(`${partial}-src`, { recursive: true, force: true });
  const upstreamDir = (
    await capture('go', ['list', '-m', '-f', '{{.Dir}}', component.module], moduleDir)
  ).trim();
  component.afterBuild?.(upstreamDir, partial);
  renameSync(partial, outDir);
  log(`built ${component.name} ${version} in ${formatDuration(Date.now() - started)}`);
  return outDir;
}

async function ensureKafka(log: (line: string) => void): Promise<string> {
  const pom = readFileSync(join(kafkaPomDir, 'pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`${kafkaPomDir}/pom.xml has no <kafka.version> property`);
  const outDir = join(cacheDir, `kafka-${version}-${contentKey([pom])}`);
  if (existsSync(outDir)) return outDir;

  log(`fetching Kafka ${version} jars from Maven Central (once; cached in ${outDir})`);
  const partial = `${outDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  await runWithProgress(
    'mvn',
    ['-B', '--no-transfer-progress', 'dependency:copy-dependencies', `-DoutputDirectory=${partial}/libs`],
    { cwd: kafkaPomDir },
    'kafka',
    log,
  );
  renameSync(partial, outDir);
  return outDir;
}

/**
 * Copies each patched dependency out of the module cache, edits it, and writes a go.work that uses
 * the wrapper module with those copies swapped in; returns the go.work path. The wrapper's godebug
 * lines are repeated there because workspace builds read only go.work's.
 */
async function patchedWorkspace(
  moduleDir: string,
  goMod: string,
  patches: SourcePatch[],
  dir: string,
): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  const replaces: string[] = [];
  for (const [index, patch] of patches.entries()) {
    await capture('go', ['mod', 'download', patch.module], moduleDir);
    const source = (await capture('go', ['list', '-m', '-f', '{{.Dir}}', patch.module], moduleDir)).trim();
    const copy = join(dir, `patched-${index}`);
    cpSync(source, copy, { recursive: true });
    chmodRecursive(copy);
    const file = join(copy, patch.file);
    const text = readFileSync(file, 'utf8');
    if (text.split(patch.find).length !== 2) {
      throw new Error(`patch for ${patch.module}/${patch.file} no longer applies (${patch.why})`);
    }
    writeFileSync(file, text.replace(patch.find, patch.replace));
    replaces.push(`replace ${patch.module} => ${copy}`);
  }
  const goLine = /^go \S+$/m.exec(goMod)?.[0] ?? 'go 1.26.0';
  const godebug = goMod.split('\n').filter((line) => line.startsWith('godebug '));
  const workFile = join(dir, 'go.work');
  writeFileSync(workFile, [goLine, ...godebug, `use ${moduleDir}`, ...replaces, ''].join('\n'));
  return workFile;
}

function chmodRecursive(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chmodRecursive(path);
    else chmodSync(path, 0o644);
  }
}

/** kwok exits with "no stages found" unless given stages; these are the upstream "fast" ones. */
function kwokStages(moduleDir: string): string {
  const stageFiles = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ];
  return stageFiles
    .map((file) => readFileSync(join(moduleDir, 'kustomize', 'stage', file), 'utf8').trim())
    .join('\n---\n');
}

function requiredVersion(goMod: string, module: string): string {
  const escaped = module.replace(/[.]/g, '\\.');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`the wrapper go.mod does not require ${module}`);
  return match[1];
}

function contentKey(parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 8);
}

/**
 * Runs a build tool and turns its per-item output into a progress line every 15 s (and a final
 * count), so a long cold build visibly moves without flooding the terminal.
 */
function runWithProgress(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
  label: string,
  log: (line: string) => void,
): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = Date.now();
    const recent: string[] = [];
    let items = 0;
    const count = (line: string) => {
      items++;
      recent.push(line);
      if (recent.length > 40) recent.shift();
    };
    createInterface({ input: child.stdout }).on('line', count);
    createInterface({ input: child.stderr }).on('line', count);
    const ticker = setInterval(
      () => log(`  [${label}] ${items} steps done, ${formatDuration(Date.now() - started)} elapsed`),
      15_000,
    );
    child.on('error', (error) => {
      clearInterval(ticker);
      fail(new Error(`${label}: cannot run ${command} (${error.message}); is it installed and on PATH?`));
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) return done();
      fail(
        new Error(`${label}: ${command} ${args[0]} exited with ${code}; last output:\n${recent.join('\n')}`),
      );
    });
  });
}

function capture(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done(out) : fail(new Error(`${command} ${args.join(' ')}: ${code}`)),
    );
  });
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
