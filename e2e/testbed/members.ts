// Member clusters for multi-cluster tests: more Kubernetes control planes (kube-apiserver,
// controller-manager, scheduler, kwok) next to the test bed's own, started on demand by the suites
// that need them. They keep their objects in the bed's etcd under their own prefix, share its PKI
// (the serving certificate is for 127.0.0.1, whatever the port) and are recorded in the bed's state,
// so `testbed down` stops them even when the suite that started them crashed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureComponents } from './build.ts';
import { clusterCertPaths } from './certs.ts';
import { type KubernetesEndpoints, startKubernetes } from './components/kubernetes.ts';
import type { BedContext } from './context.ts';
import { stateDir } from './paths.ts';
import { type RunningService, stopService } from './processes.ts';
import { readState, trackInState, untrackInState } from './testbed.ts';

export interface MemberCluster extends KubernetesEndpoints {
  name: string;
  /** Stops every process of the member (the bed itself keeps running). */
  stop(): Promise<void>;
}

/** Starts member cluster `name` (a DNS label) on the running test bed; about 10 s. */
export async function startMemberCluster(name: string): Promise<MemberCluster> {
  const state = readState();
  const etcd = state?.env.TESTBED_ETCD_URL;
  if (!state?.ready || !etcd) throw new Error('no test bed is running: start it with npm run testbed -- up');
  const services: RunningService[] = [];
  const logsDir = join(stateDir, 'logs');
  const ctx: BedContext = {
    runDir: state.runDir,
    logsDir,
    components: await ensureComponents(() => {}),
    log: () => {},
    track: (service) => {
      services.push(service);
      trackInState(service);
    },
  };
  mkdirSync(join(stateDir, 'members'), { recursive: true });
  const kubeconfig = join(stateDir, 'members', `${name}.kubeconfig`);
  const certs = clusterCertPaths(join(state.runDir, 'pki'));
  try {
    const endpoints = await startKubernetes(ctx, etcd, certs, kubeconfig, {
      name: `member-${name}/`,
      etcdPrefix: `/members/${name}/registry`,
    });
    return {
      ...endpoints,
      name,
      async stop() {
        await endpoints.apiServer.stop();
        for (const service of [...services].reverse()) await stopService(service.pid);
        untrackInState(services.map((s) => s.pid));
      },
    };
  } catch (error) {
    for (const service of [...services].reverse()) await stopService(service.pid);
    throw error;
  }
}
