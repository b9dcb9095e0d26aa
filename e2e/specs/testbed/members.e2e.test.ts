// Member clusters for the multi-cluster tests: separate control planes on the bed's etcd, each with
// its own objects, that can lose their API server and get it back with their state.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { testbedKubeConfig } from '../../helpers/kube.ts';
import { type MemberCluster, startMemberCluster } from '../../testbed/members.ts';

const clientsOf = (kubeconfig: string) => {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
};

describe('test bed: member clusters', () => {
  const name = uniqueName('m');
  let member: MemberCluster;

  before(async () => {
    member = await startMemberCluster(name);
  });
  after(async () => {
    await member?.stop();
  });

  it('is a cluster of its own: its objects are not the main cluster’s', async () => {
    const namespace = uniqueName('only-here');
    const { core, apps } = clientsOf(member.kubeconfig);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const main = testbedKubeConfig().makeApiClient(CoreV1Api);
    await assert.rejects(main.readNamespace({ name: namespace }), /404|not found/i);
    assert.notEqual(member.server, testbedKubeConfig().getCurrentCluster()?.server);

    // Its own controllers and kwok node run Deployments to availability.
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
          },
        },
      },
    });
    await eventually(
      async () =>
        ((await apps.readNamespacedDeployment({ name: 'web', namespace })).status?.availableReplicas ?? 0) >=
        1,
      { what: 'the member to run the Deployment', timeoutMs: 60_000 },
    );
  });

  it('loses its API server and gets it back with its objects', async () => {
    const { core } = clientsOf(member.kubeconfig);
    const namespace = uniqueName('kept');
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await member.apiServer.stop();
    await assert.rejects(core.readNamespace({ name: namespace }), /fetch failed|ECONNREFUSED/);
    await member.apiServer.start();
    assert.equal((await core.readNamespace({ name: namespace })).metadata?.name, namespace);
  });
});
