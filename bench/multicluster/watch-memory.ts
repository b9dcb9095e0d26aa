// What watching one member costs the hub: the two informers the hub runs per member (Tenants and
// AgentInstances it placed), started alone in a quiet process between two forced collections.
// Prints one JSON line: { objects, heapBytes, jsonBytes }.
//
//   node --expose-gc bench/multicluster/watch-memory.ts <kubeconfig>
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { hubSelector } from '../../control-plane/src/multicluster/desired.ts';
import { createKubeClient } from '../../operator/src/kube/client.ts';
import { createInformer } from '../../operator/src/kube/informer.ts';
import { silentLogger } from '../../shared/src/logger.ts';

const gc = globalThis.gc;
if (!gc) throw new Error('run with node --expose-gc');
const heapUsed = async () => {
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
};

const kc = new KubeConfig();
kc.loadFromFile(process.argv[2] ?? '');
const client = createKubeClient(kc);
// Discovery and the connection pool exist before the baseline, as they do in the hub.
await client.discover('agentplane.io/v1alpha1', 'Tenant');
const base = await heapUsed();
const informers = (['Tenant', 'AgentInstance'] as const).map((kind) =>
  createInformer(client, {
    resource: { apiVersion: 'agentplane.io/v1alpha1', kind },
    labelSelector: hubSelector,
    log: silentLogger(),
  }),
);
for (const informer of informers) informer.start();
await Promise.all(informers.map((informer) => informer.waitForSync()));
const heapBytes = (await heapUsed()) - base;
const objects = informers.reduce((sum, informer) => sum + informer.list().length, 0);
const jsonBytes = informers.reduce((sum, informer) => sum + JSON.stringify(informer.list()).length, 0);
console.log(JSON.stringify({ objects, heapBytes, jsonBytes }));
await Promise.all(informers.map((informer) => informer.stop()));
process.exit(0);
