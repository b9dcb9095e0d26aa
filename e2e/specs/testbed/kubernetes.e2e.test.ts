import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { testbedKubeConfig } from '../../helpers/kube.ts';

describe('test bed: Kubernetes control plane with kwok', () => {
  const kc = testbedKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = uniqueName('tb-kube');

  before(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  after(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  it('runs a Deployment to an available replica on the fake node, then garbage-collects its children', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('web') });

    const available = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
        return (d.status?.availableReplicas ?? 0) >= 1 && d;
      },
      { what: 'deployment web to have an available replica', timeoutMs: 60_000 },
    );
    assert.equal(available.status?.availableReplicas, 1);

    const replicaSets = await apps.listNamespacedReplicaSet({ namespace });
    assert.equal(replicaSets.items.length, 1, 'the deployment controller created one ReplicaSet');
    assert.equal(replicaSets.items[0]?.metadata?.ownerReferences?.[0]?.name, 'web');
    const pods = await core.listNamespacedPod({ namespace });
    assert.equal(
      pods.items[0]?.spec?.nodeName,
      'kwok-node-0',
      'the scheduler bound the pod to the fake node',
    );
    assert.equal(pods.items[0]?.status?.phase, 'Running', 'kwok reported the pod running');

    await apps.deleteNamespacedDeployment({ name: 'web', namespace, propagationPolicy: 'Background' });
    await eventually(
      async () => {
        const [rs, pod] = await Promise.all([
          apps.listNamespacedReplicaSet({ namespace }),
          core.listNamespacedPod({ namespace }),
        ]);
        return rs.items.length === 0 && pod.items.length === 0;
      },
      { what: 'the garbage collector to remove the ReplicaSet and its pods', timeoutMs: 60_000 },
    );
  });

  it('serves kubectl through the written kubeconfig', async () => {
    const { stdout } = await promisify(execFile)('kubectl', ['get', 'ns', namespace, '-o', 'name'], {
      env: { ...process.env, KUBECONFIG: testbedEnv('KUBECONFIG') },
    });
    assert.equal(stdout.trim(), `namespace/${namespace}`);
  });
});

function deployment(name: string): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, image: 'registry.invalid/web:1' }] },
      },
    },
  };
}
