import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ensureHelm } from '../testbed/build.ts';
import { testbedEnv } from './env.ts';

export const chartDir = fileURLToPath(new URL('../../charts/agentplane', import.meta.url));

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A Kubernetes object as rendered: enough structure for tests to look inside. */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

// Helm keeps repositories, plugins and its cache in these; the tests use their own, never the user's.
const helmHome = mkdtempSync(join(tmpdir(), 'agentplane-helm-'));

/**
 * Runs the pinned helm (built from the Go module proxy on first use, see ensureHelm) against the test
 * bed. Never throws for a non-zero exit: tests of refused values need the message.
 */
export async function helm(args: string[]): Promise<HelmResult> {
  const binary = await ensureHelm();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      env: {
        ...process.env,
        KUBECONFIG: testbedEnv('KUBECONFIG'),
        HELM_CACHE_HOME: join(helmHome, 'cache'),
        HELM_CONFIG_HOME: join(helmHome, 'config'),
        HELM_DATA_HOME: join(helmHome, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Like `helm`, but throws with helm's stderr when it exits non-zero; returns stdout. */
export async function helmOk(args: string[]): Promise<string> {
  const result = await helm(args);
  if (result.code !== 0) {
    throw new Error(`helm ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** `helm template` of the chart (hooks included) as objects; `args` adds -f, --set, --api-versions… */
export async function renderChart(
  release: string,
  namespace: string,
  args: string[] = [],
): Promise<{ yaml: string; objects: RenderedObject[] }> {
  const yaml = await helmOk(['template', release, chartDir, '--namespace', namespace, ...args]);
  const objects = parseAllDocuments(yaml)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as RenderedObject | null;
    })
    .filter((object): object is RenderedObject => object !== null);
  return { yaml, objects };
}
