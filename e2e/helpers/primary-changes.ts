// Changes to the operator's primary objects (Tenants, AgentInstances) that are not a suite's own.
// The operator reconciles every Tenant on its cluster, and suites that create Tenants without an
// operator (the CRD, suspension and CLI suites) run beside operator suites in CI: a measure of the
// operator's writes must know whether someone else changed its world meanwhile.
import { type ChildProcess, spawn } from 'node:child_process';
import { testbedEnv } from './env.ts';
import { kubectlOk } from './kubectl.ts';

/** A Tenant or AgentInstance as the watch sees it. */
export interface PrimaryObject {
  kind: 'Tenant' | 'AgentInstance';
  /** `name` for a Tenant, `namespace/name` for an AgentInstance. */
  key: string;
  labels: Record<string, string>;
  /** An AgentInstance's spec.tenantRef; '' for a Tenant. */
  tenantRef: string;
}

export interface PrimaryChanges {
  /** Each change since `since` (ms epoch) to an object `ours` rejects, as `Tenant acme` or `AgentInstance ns/name`. */
  foreign(since?: number): string[];
  stop(): void;
}

// '|' separates the columns: kubectl's watch output turns tabs into spaces, and no name, namespace or
// label holds a '|'.
const columns = '{.kind}|{.metadata.namespace}|{.metadata.name}|{.metadata.labels}|{.spec.tenantRef}{"\\n"}';

/** Parses one line of the watch's jsonpath output; undefined for anything else (e.g. a warning). */
export function parsePrimaryLine(line: string): PrimaryObject | undefined {
  const [kind, namespace = '', name = '', labels = '', tenantRef = ''] = line.trim().split('|');
  if ((kind !== 'Tenant' && kind !== 'AgentInstance') || !name) return undefined;
  let parsed: Record<string, string> = {};
  try {
    parsed = labels ? JSON.parse(labels) : {};
  } catch {}
  return { kind, key: namespace ? `${namespace}/${name}` : name, labels: parsed, tenantRef };
}

/**
 * Watches every Tenant and AgentInstance of the cluster from now on (kubectl, one process per kind)
 * and keeps the changes to objects that `ours` rejects. Call stop() when done.
 */
export function watchPrimaryChanges(
  ours: (object: PrimaryObject) => boolean,
  kubeconfig = testbedEnv('KUBECONFIG'),
): PrimaryChanges {
  const seen: Array<{ at: number; what: string }> = [];
  let stopped = false;
  const children: ChildProcess[] = ['tenants', 'agentinstances'].map((resource) => {
    const child = spawn('kubectl', ['get', resource, '-A', '--watch-only', '-o', `jsonpath=${columns}`], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const object of lines.map(parsePrimaryLine))
        if (object && !ours(object)) seen.push({ at: Date.now(), what: `${object.kind} ${object.key}` });
    });
    // A watch that ended sees nothing more: from then on, any change is possible (so it is never "before").
    child.on('exit', () => {
      if (!stopped) seen.push({ at: Number.POSITIVE_INFINITY, what: `the watch of ${resource} ended` });
    });
    return child;
  });
  return {
    foreign: (since = 0) => seen.filter((change) => change.at >= since).map((change) => change.what),
    stop: () => {
      stopped = true;
      for (const child of children) child.kill();
    },
  };
}

/** How many Tenants and AgentInstances the cluster holds: one reconcile each makes a full resync. */
export async function countPrimaries(kubeconfig = testbedEnv('KUBECONFIG')): Promise<number> {
  let count = 0;
  for (const resource of ['tenants', 'agentinstances']) {
    const names = await kubectlOk(['get', resource, '-A', '-o', 'name'], { kubeconfig });
    count += names.split('\n').filter(Boolean).length;
  }
  return count;
}
