import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { freePort } from '../testbed/ports.ts';
import { installCrds } from './crds.ts';
import { testbedEnv, uniqueName } from './env.ts';
import { exclusive } from './exclusive.ts';
import { kubectlOk } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const operatorNamespace = 'agentplane-system';

/**
 * Gives the operator the identity the chart gives it: the ServiceAccount agentplane-operator bound
 * to operator/deploy/rbac.yaml's ClusterRole, and returns a kubeconfig with a token of that account.
 * Tests run the operator with this, never as cluster-admin. On the test bed's cluster, or on the one
 * `adminKubeconfig` (cluster-admin, e.g. a member cluster's) reaches. Idempotent.
 */
export async function operatorKubeconfig(adminKubeconfig = testbedEnv('KUBECONFIG')): Promise<string> {
  const options = { kubeconfig: adminKubeconfig };
  await kubectlOk(
    [
      'apply',
      '--server-side',
      '--field-manager=agentplane-e2e',
      '-f',
      join(repoRoot, 'operator/deploy/rbac.yaml'),
    ],
    options,
  );
  const manifests = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: operatorNamespace } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'agentplane-operator', namespace: operatorNamespace },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'agentplane-operator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'agentplane-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'agentplane-operator', namespace: operatorNamespace }],
    },
    // Vault reviews tenant runtimes' logins with the operator's tokens.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'agentplane-operator-token-review' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'agentplane-operator', namespace: operatorNamespace }],
    },
  ];
  await kubectlOk(['apply', '--server-side', '--field-manager=agentplane-e2e', '-f', '-'], {
    ...options,
    stdin: manifests.map((m) => stringify(m)).join('---\n'),
  });
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const token = await serviceAccountToken(admin, 'agentplane-operator');
  const cluster = admin.getCurrentCluster();
  if (!cluster?.caData) throw new Error('the test bed kubeconfig has no embedded CA');
  const path = join(mkdtempSync(join(tmpdir(), 'agentplane-operator-')), 'kubeconfig');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'testbed',
          cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData },
        },
      ],
      users: [{ name: 'agentplane-operator', user: { token } }],
      contexts: [{ name: 'operator', context: { cluster: 'testbed', user: 'agentplane-operator' } }],
      'current-context': 'operator',
    }),
    { mode: 0o600 },
  );
  return path;
}

/** The test bed's Vault token in a file, the way the chart mounts the operator's token. */
export function vaultTokenFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'agentplane-vault-')), 'token');
  writeFileSync(path, testbedEnv('VAULT_TOKEN'), { mode: 0o600 });
  return path;
}

async function serviceAccountToken(kc: KubeConfig, name: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace: operatorNamespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  if (!request.status?.token) throw new Error(`TokenRequest for ${name} returned no token`);
  return request.status.token;
}

export interface OperatorProcess {
  child: ChildProcess;
  /** Everything it logged so far (JSON lines). */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no clean-up. */
  kill(): Promise<void>;
}

/** Operators this process started and that still run: they end with it, whatever ends it. */
const running = new Set<ChildProcess>();
let reaperInstalled = false;
/**
 * A test file that crashes (or is killed by the runner's timeout) must not leave its operator
 * behind: an orphan keeps the Lease, so every later suite's operator would only stand by.
 */
function reapOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

/** Starts `operator/src/main.ts` as its own process, as the chart would run it, with the bed's Kafka and Vault. */
export function startOperator(env: Record<string, string>): OperatorProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'operator/src/main.ts')], {
    // Every operator in the tests runs as in production: Kafka and Vault (token from a file) set.
    env: {
      ...process.env,
      KAFKA_BROKERS: testbedEnv('KAFKA_BROKERS'),
      VAULT_ADDR: testbedEnv('VAULT_ADDR'),
      VAULT_TOKEN_FILE: vaultTokenFile(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface OperatorSuite {
  readonly operator: OperatorProcess;
  readonly metricsUrl: string;
}

/**
 * Registers before/after hooks on the current suite: take the operator lock (one operator suite at a
 * time: they share the Lease and the cluster), install the CRDs, start the operator with its
 * least-privilege identity; afterwards stop it and assert it exited cleanly.
 */
export function operatorSuite(
  env: Record<string, string> = {},
  hooks: {
    /** Runs holding the lock, before the operator starts (e.g. install what it detects at start). */
    beforeStart?: () => Promise<void>;
    /** Runs after the operator stopped, still holding the lock (undo beforeStart). */
    afterStop?: () => Promise<void>;
  } = {},
): OperatorSuite {
  const state: { operator?: OperatorProcess; metricsUrl?: string; release?: () => void } = {};
  before(async () => {
    state.release = await exclusive('operator');
    await installCrds();
    await hooks.beforeStart?.();
    const port = await freePort();
    state.metricsUrl = `http://127.0.0.1:${port}/metrics`;
    state.operator = startOperator({
      KUBECONFIG: await operatorKubeconfig(),
      OPERATOR_HTTP_ADDRESS: `127.0.0.1:${port}`,
      OPERATOR_IDENTITY: uniqueName('op'),
      OPERATOR_RESYNC: '5s',
      ...env,
    });
  });
  after(async () => {
    const code = await state.operator?.stop();
    try {
      await hooks.afterStop?.();
    } finally {
      state.release?.();
    }
    assert.equal(code, 0, `the operator exits cleanly on SIGTERM\n${state.operator?.output().slice(-2000)}`);
  });
  return {
    get operator() {
      if (!state.operator) throw new Error('the operator starts in the suite’s before hook');
      return state.operator;
    },
    get metricsUrl() {
      return state.metricsUrl ?? '';
    },
  };
}
