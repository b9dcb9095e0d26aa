// What the multi-cluster suites share: member clusters on the test bed, each with agentplane's CRDs,
// the real operator under its least-privilege identity, and the hub's own ServiceAccount there
// (control-plane/src/multicluster/member-rbac.yaml); the hub in-process on a fresh database; and a
// clean-up that leaves no topic, Vault mount or process behind.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@agentplane/shared';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import vault from 'node-vault';
import type { HubSettings } from '../../../control-plane/src/multicluster/hub.ts';
import { buildHubTestApp, type HubTestApp } from '../../../control-plane/src/multicluster/testing.ts';
import { createTestDatabase, type TestDatabase } from '../../../control-plane/src/testing/database.ts';
import { installCrdsOn } from '../../helpers/crds.ts';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { exclusive } from '../../helpers/exclusive.ts';
import { kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { type OperatorProcess, operatorKubeconfig, startOperator } from '../../helpers/operator.ts';
import { type MemberCluster, startMemberCluster } from '../../testbed/members.ts';
import { freePort } from '../../testbed/ports.ts';

const memberRbac = fileURLToPath(
  new URL('../../../control-plane/src/multicluster/member-rbac.yaml', import.meta.url),
);

export interface RunningMember {
  name: string;
  cluster: MemberCluster;
  /** cluster-admin on the member, for the test's own checks. */
  kubectl(args: string[], stdin?: string): Promise<string>;
  /** The hub's token on the member (ServiceAccount agentplane-system/agentplane-hub). */
  hubToken: string;
  caData: string;
  operator: OperatorProcess | undefined;
  startOperator(): Promise<void>;
  stopOperator(): Promise<void>;
}

function adminConfig(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

async function hubToken(kubeconfig: string): Promise<string> {
  await kubectlOk(['apply', '--server-side', '--field-manager=agentplane-e2e', '-f', memberRbac], {
    kubeconfig,
  });
  const core = adminConfig(kubeconfig).makeApiClient(CoreV1Api);
  const answer = await core.createNamespacedServiceAccountToken({
    name: 'agentplane-hub',
    namespace: 'agentplane-system',
    body: { spec: { audiences: [], expirationSeconds: 7200 } },
  });
  if (!answer.status?.token) throw new Error('TokenRequest for agentplane-hub returned no token');
  return answer.status.token;
}

/**
 * Starts member `name` (a unique DNS label): its control plane, and unless told otherwise our CRDs
 * and the operator (with its own Vault auth mount, so members do not overwrite each other's).
 */
export async function startMember(
  name: string,
  {
    crds = true,
    operator = true,
    env = {},
  }: { crds?: boolean; operator?: boolean; env?: Record<string, string> } = {},
): Promise<RunningMember> {
  const cluster = await startMemberCluster(name);
  const kubeconfig = cluster.kubeconfig;
  if (crds) await installCrdsOn(kubeconfig);
  const token = await hubToken(kubeconfig);
  const member: RunningMember = {
    name,
    cluster,
    kubectl: (args, stdin) => kubectlOk(args, { kubeconfig, ...(stdin ? { stdin } : {}) }),
    hubToken: token,
    caData: adminConfig(kubeconfig).getCurrentCluster()?.caData ?? '',
    operator: undefined,
    async startOperator() {
      const port = await freePort();
      member.operator = startOperator({
        KUBECONFIG: await operatorKubeconfig(kubeconfig),
        OPERATOR_HTTP_ADDRESS: `127.0.0.1:${port}`,
        OPERATOR_IDENTITY: uniqueName(`op-${name}`),
        OPERATOR_RESYNC: '5s',
        VAULT_AUTH_MOUNT: `kubernetes-${name}`,
        LOG_LEVEL: 'warn',
        ...env,
      });
    },
    async stopOperator() {
      await member.operator?.stop();
      member.operator = undefined;
    },
  };
  if (operator) await member.startOperator();
  return member;
}

/** A registration body for `member` with token credentials (or its admin kubeconfig). */
export function registration(
  member: RunningMember,
  region: string,
  options: {
    labels?: Record<string, string>;
    capacity?: { maxTenants: number; cpu: string; memory: string };
    kubeconfig?: boolean;
  } = {},
) {
  const credentials = options.kubeconfig
    ? { kubeconfig: tokenKubeconfig(member) }
    : { token: member.hubToken, caData: member.caData };
  return {
    name: member.name,
    region,
    labels: options.labels ?? {},
    capacity: options.capacity ?? { maxTenants: 50, cpu: '400', memory: '800Gi' },
    apiServer: { url: member.cluster.server },
    credentials,
    runtime: { kafkaBrokers: testbedEnv('KAFKA_BROKERS').split(','), vaultAddr: testbedEnv('VAULT_ADDR') },
  };
}

/** A kubeconfig document with the hub's token: what an SRE would hand over instead of a token. */
function tokenKubeconfig(member: RunningMember): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'm', cluster: { server: member.cluster.server, 'certificate-authority-data': member.caData } },
    ],
    users: [{ name: 'hub', user: { token: member.hubToken } }],
    contexts: [{ name: 'm', context: { cluster: 'm', user: 'hub' } }],
    'current-context': 'm',
  });
}

export interface MulticlusterBed {
  db: TestDatabase;
  hub: HubTestApp;
  members: RunningMember[];
  /** Every line the hub and its API logged (debug level and up). */
  logs(): string;
  /** Builds the hub anew on the same database (a restart). */
  restartHub(): Promise<HubTestApp>;
  close(): Promise<void>;
}

const vaultClient = () => vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') });

/**
 * Takes the operator lock (CPU: one suite's operators at a time), starts the members in parallel
 * and the hub. `close` stops the hub first (it would re-create what the clean-up deletes), deletes
 * every Tenant on the members and waits for their operators' finalizers (topics and Vault objects
 * go with them), then stops operators and members and drops the database.
 */
export async function startBed(
  specs: Array<{ prefix: string; crds?: boolean; operator?: boolean; env?: Record<string, string> }>,
  options: { hubSettings?: Partial<HubSettings>; drainTimeoutMs?: number } = {},
): Promise<MulticlusterBed> {
  const hubOptions = options.hubSettings ? { settings: options.hubSettings } : {};
  const waiting = performance.now();
  const release = await exclusive('operator');
  const locked = performance.now();
  const members: RunningMember[] = [];
  const lines: string[] = [];
  const logger = createLogger({
    name: 'hub',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  let db: TestDatabase | undefined;
  let hub: HubTestApp | undefined;
  const close = async () => {
    const closing = performance.now();
    await hub?.close().catch(() => {});
    await Promise.all(members.map((member) => drain(member, options.drainTimeoutMs)));
    const drained = performance.now();
    await Promise.all(
      members.map(async (member) => {
        await member.stopOperator();
        await member.cluster.stop();
        await vaultClient()
          .delete(`sys/auth/kubernetes-${member.name}`)
          .catch(() => {});
        await vaultClient()
          .delete(`secret/metadata/platform/clusters/${member.name}`)
          .catch(() => {});
      }),
    );
    await db?.drop();
    release();
    const seconds = (from: number, to = performance.now()) => ((to - from) / 1000).toFixed(1);
    console.log(`bed: clean-up ${seconds(closing)} s (tenants deleted in ${seconds(closing, drained)} s)`);
  };
  try {
    db = await createTestDatabase();
    const started = await Promise.all(specs.map((spec) => startMember(uniqueName(spec.prefix), spec)));
    members.push(...started);
    hub = await buildHubTestApp(db, { ...hubOptions, logger });
    const seconds = (from: number) => ((performance.now() - from) / 1000).toFixed(1);
    console.log(
      `bed: waited ${((locked - waiting) / 1000).toFixed(1)} s for the operator lock, started in ${seconds(locked)} s`,
    );
  } catch (error) {
    await close();
    throw error;
  }
  const database = db;
  return {
    db: database,
    get hub() {
      if (!hub) throw new Error('the hub did not start');
      return hub;
    },
    members,
    logs: () => lines.join(''),
    async restartHub() {
      await hub?.close();
      hub = await buildHubTestApp(database, { ...hubOptions, logger });
      return hub;
    },
    close,
  };
}

async function drain(member: RunningMember, timeoutMs = 120_000): Promise<void> {
  if (!member.operator) return;
  const kubeconfig = member.cluster.kubeconfig;
  await kubectl(['delete', 'tenants', '--all', '--wait=false'], { kubeconfig });
  await eventually(
    async () => (await kubectlOk(['get', 'tenants', '-o', 'name'], { kubeconfig })).trim() === '',
    {
      what: `every Tenant on ${member.name} to be deleted by its operator`,
      timeoutMs,
      intervalMs: 1000,
    },
  ).catch((error: Error) =>
    console.warn(`clean-up incomplete: ${error.message}\n${member.operator?.output().slice(-2000)}`),
  );
}
