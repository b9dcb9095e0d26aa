import { spawn } from 'node:child_process';
import { stringify } from 'yaml';
import { testbedEnv } from './env.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  stdin?: string;
  /** Another cluster's kubeconfig (a member cluster); default the test bed's. */
  kubeconfig?: string;
}

/**
 * Runs the test bed's kubectl (first on PATH once `.testbed/env` is sourced) against its API server
 * (or `kubeconfig`'s), feeding `stdin` when given. Never throws for a non-zero exit: tests of rejected
 * manifests need the exit code and the API server's message. Use `kubectlOk` when failure is not expected.
 */
export function kubectl(args: string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, {
      env: { ...process.env, KUBECONFIG: options.kubeconfig ?? testbedEnv('KUBECONFIG') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      reject(new Error(`cannot run kubectl (${error.message}): source .testbed/env to put it on PATH`)),
    );
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Like `kubectl`, but throws with kubectl's stderr when it exits non-zero; returns stdout. */
export async function kubectlOk(args: string[], options: KubectlOptions = {}): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** `kubectl apply` of one object, written as YAML on stdin; throws when the API server refuses it. */
export function applyObject(object: Record<string, unknown>, options: KubectlOptions = {}): Promise<string> {
  return kubectlOk(['apply', '-f', '-'], { ...options, stdin: stringify(object) });
}

// biome-ignore lint/suspicious/noExplicitAny: tests walk wire-format JSON returned by kubectl
type Json = Record<string, any>;

/** `kubectl get <args> -o json`, parsed. */
export async function getJson(args: string[], options: KubectlOptions = {}): Promise<Json> {
  return JSON.parse(await kubectlOk(['get', ...args, '-o', 'json'], options)) as Json;
}
