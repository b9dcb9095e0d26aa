import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { ClusterCerts } from '../certs.ts';
import type { BedContext } from '../context.ts';
import { freePort } from '../ports.ts';
import { isAlive, type RunningService, startService, stopService, waitUntilReady } from '../processes.ts';

export interface KubernetesEndpoints {
  server: string;
  kubeconfig: string;
  /** Stops the kube-apiserver alone (the cluster becomes unreachable) and starts it again. */
  apiServer: { stop(): Promise<void>; start(): Promise<void> };
}

export interface KubernetesOptions {
  /** Prefix of the service names and log files, e.g. `member-b/` (default: none). */
  name?: string;
  /** Where this control plane keeps its objects in etcd; several clusters can share one etcd. */
  etcdPrefix?: string;
}

/**
 * Starts kube-apiserver, kube-controller-manager, kube-scheduler and kwok with one fake node,
 * so that namespaces, garbage collection and Deployments with available replicas behave as in a
 * real cluster without kubelets. Returns once the controllers demonstrably run.
 */
export async function startKubernetes(
  ctx: BedContext,
  etcdUrl: string,
  certs: ClusterCerts,
  kubeconfig: string,
  options: KubernetesOptions = {},
): Promise<KubernetesEndpoints> {
  const bin = (name: string) => join(ctx.components.kubernetes, name);
  const prefix = options.name ?? '';
  const start = (name: string, command: string, args: string[]) =>
    startNamed(ctx, `${prefix}${name}`, command, args);
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    ...(options.etcdPrefix ? [`--etcd-prefix=${options.etcdPrefix}`] : []),
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${certs.servingCert}`,
    `--tls-private-key-file=${certs.servingKey}`,
    `--client-ca-file=${certs.caCert}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${certs.serviceAccountPub}`,
    `--service-account-signing-key-file=${certs.serviceAccountKey}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    '--profiling=false',
  ];
  let apiserver = start('kube-apiserver', bin('kube-apiserver'), apiserverArgs);
  const apiServerReady = () =>
    waitUntilReady(
      apiserver,
      async () => (await getWithClientCert(`${server}/readyz`, certs)) === 200,
      90_000,
    );
  await apiServerReady();
  writeKubeconfig(kubeconfig, server, certs);

  const common = [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1'];
  const controllerManager = start('kube-controller-manager', bin('kube-controller-manager'), [
    ...common,
    `--secure-port=${await freePort()}`,
    `--service-account-private-key-file=${certs.serviceAccountKey}`,
    `--root-ca-file=${certs.caCert}`,
    `--cluster-signing-cert-file=${certs.caCert}`,
    `--cluster-signing-key-file=${certs.caKey}`,
    '--use-service-account-credentials=true',
    // kwok heartbeats for the fake node; with hundreds of pods on two cores a heartbeat can be late,
    // and a node marked unreachable turns every pod NotReady for good (kwok does not re-ready them).
    '--node-monitor-grace-period=5m',
  ]);
  start('kube-scheduler', bin('kube-scheduler'), [...common, `--secure-port=${await freePort()}`]);
  start('kwok', join(ctx.components.kwok, 'kwok'), [
    `--kubeconfig=${kubeconfig}`,
    `--config=${join(ctx.components.kwok, 'stages.yaml')}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--node-ip=127.0.0.1',
    `--server-address=127.0.0.1:${await freePort()}`,
  ]);

  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  await core.createNode({ body: fakeNode('kwok-node-0') });
  // The token controller creating the default ServiceAccount proves the controller-manager runs.
  await waitUntilReady(controllerManager, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
    return true;
  });
  return {
    server,
    kubeconfig,
    apiServer: {
      stop: () => stopService(apiserver.pid),
      async start() {
        if (isAlive(apiserver.pid)) return;
        apiserver = start('kube-apiserver', bin('kube-apiserver'), apiserverArgs);
        await apiServerReady();
      },
    },
  };
}

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

function startNamed(ctx: BedContext, name: string, command: string, args: string[]): RunningService {
  const logFile = join(ctx.logsDir, `${name.replaceAll('/', '-')}.log`);
  const service = startService({ name, command, args, logFile });
  ctx.track(service);
  return service;
}

/** A node kwok manages: Ready, roomy, and without taints, so every test pod is scheduled. */
function fakeNode(name: string) {
  return {
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '64', memory: '256Gi', pods: '500' },
      capacity: { cpu: '64', memory: '256Gi', pods: '500' },
    },
  };
}

/** Writes a kubeconfig with the certificates embedded, so it works from any folder. */
function writeKubeconfig(path: string, server: string, certs: ClusterCerts): void {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testbed', cluster: { server, 'certificate-authority-data': b64(certs.caCert) } }],
    users: [
      {
        name: 'testbed-admin',
        user: { 'client-certificate-data': b64(certs.adminCert), 'client-key-data': b64(certs.adminKey) },
      },
    ],
    contexts: [{ name: 'testbed', context: { cluster: 'testbed', user: 'testbed-admin' } }],
    'current-context': 'testbed',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}

function getWithClientCert(url: string, certs: ClusterCerts): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        ca: readFileSync(certs.caCert),
        cert: readFileSync(certs.adminCert),
        key: readFileSync(certs.adminKey),
        timeout: 5_000,
      },
      (response) => {
        response.resume();
        done(response.statusCode ?? 0);
      },
    );
    req.on('error', fail);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}
