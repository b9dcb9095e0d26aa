// The API server goes away under a running operator and comes back: the operator keeps running, its
// informers resume (or re-list), changes made after the restart are acted on, nothing it made is
// made twice, and the settled world costs no write. On a member cluster of the test bed, so the
// shared cluster of the other suites never loses its API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { installCrdsOn } from '../helpers/crds.ts';
import { uniqueName } from '../helpers/env.ts';
import { eventually } from '../helpers/eventually.ts';
import { kubectl, kubectlOk } from '../helpers/kubectl.ts';
import { type OperatorProcess, operatorKubeconfig, startOperator } from '../helpers/operator.ts';
import { eventSeriesIntervalMs, measureResync } from '../helpers/operator-metrics.ts';
import { type MemberCluster, startMemberCluster } from '../testbed/members.ts';
import { freePort } from '../testbed/ports.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests walk wire-format JSON returned by kubectl
type Json = Record<string, any>;

describe('chaos: the API server restarts under the operator', () => {
  const memberName = uniqueName('ar');
  const tenants = Array.from({ length: 4 }, (_, i) => `${memberName}-t${i}`);
  let member: MemberCluster;
  let operator: OperatorProcess;
  let metricsUrl: string;
  const on = () => ({ kubeconfig: member.kubeconfig });
  const get = async (args: string[]): Promise<Json> =>
    JSON.parse(await kubectlOk(['get', ...args, '-o', 'json'], on()));
  const apply = (object: Json) => kubectlOk(['apply', '-f', '-'], { ...on(), stdin: stringify(object) });

  before(async () => {
    member = await startMemberCluster(memberName);
    await installCrdsOn(member.kubeconfig);
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    operator = startOperator({
      KUBECONFIG: await operatorKubeconfig(member.kubeconfig),
      OPERATOR_HTTP_ADDRESS: `127.0.0.1:${port}`,
      OPERATOR_IDENTITY: uniqueName('op'),
      OPERATOR_RESYNC: '5s',
      // Its own Kubernetes-auth mount: Vault reviews this member's tokens, not the main cluster's.
      VAULT_AUTH_MOUNT: `kubernetes-${memberName}`,
    });
  });
  after(async () => {
    const code = await operator?.stop();
    await member?.stop();
    assert.equal(code, 0, `the operator exits cleanly\n${operator?.output().slice(-2000)}`);
  });

  it('resumes after the restart, acts on new changes, and duplicates nothing', async () => {
    for (const name of tenants) {
      await apply({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name },
        spec: { tier: 'enterprise' },
      });
    }
    await kubectlOk(
      ['wait', '--for=condition=Ready', '--timeout=120s', ...tenants.map((t) => `tenant/${t}`)],
      on(),
    );
    for (const name of tenants) {
      await apply({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'AgentInstance',
        metadata: { name: 'support', namespace: `tenant-${name}` },
        spec: { tenantRef: name, agent: 'customer-service', version: '2.1.0' },
      });
    }
    for (const name of tenants) {
      await kubectlOk(
        ['wait', '--for=condition=Ready', '--timeout=120s', 'agentinstance/support', '-n', `tenant-${name}`],
        on(),
      );
    }
    const managed = async () =>
      (
        await get([
          'namespaces,resourcequotas,limitranges,serviceaccounts,roles,rolebindings,networkpolicies,configmaps,deployments',
          '-A',
          '-l',
          'app.kubernetes.io/managed-by=agentplane-operator',
        ])
      ).items as Json[];
    const before = new Map(
      (await managed()).map((o) => [
        `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`,
        o.metadata.uid,
      ]),
    );

    await member.apiServer.stop();
    await sleep(8_000); // long enough for every watch to break and every retry to fail
    assert.equal(operator.child.exitCode, null, 'the operator keeps running without its API server');
    await member.apiServer.start();

    // Changes made after the restart are seen: a new tenant is built, an old one follows its spec.
    const late = `${memberName}-late`;
    await apply({
      apiVersion: 'agentplane.io/v1alpha1',
      kind: 'Tenant',
      metadata: { name: late },
      spec: { tier: 'enterprise' },
    });
    await kubectlOk(
      ['patch', 'tenant', tenants[0] as string, '--type=merge', '-p', '{"spec":{"quota":{"cpu":"7"}}}'],
      on(),
    );
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=120s', `tenant/${late}`], on());
    await eventually(
      async () =>
        (await get(['resourcequota', `tenant-${tenants[0]}`, '-n', `tenant-${tenants[0]}`])).spec.hard[
          'requests.cpu'
        ] === '7',
      { what: 'the quota to follow the spec changed after the restart', timeoutMs: 60_000 },
    );

    // Nothing made twice: every object from before is the same object, and there is one of each.
    const afterRestart = await managed();
    for (const [key, uid] of before) {
      const now = afterRestart.find(
        (o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}` === key,
      );
      assert.equal(now?.metadata.uid, uid, `${key} is the same object`);
    }
    const deployments = afterRestart.filter((o) => o.kind === 'Deployment');
    assert.equal(deployments.length, tenants.length, 'one Deployment per agent');
    const replicaSets = (await get(['replicasets', '-A', '-l', 'app.kubernetes.io/name=agentplane-runtime']))
      .items as Json[];
    assert.equal(replicaSets.length, tenants.length, 'one ReplicaSet per agent: no rollout was caused');
    assert.match(operator.output(), /watch|re-?list|ECONNREFUSED|fetch failed/i, 'it did notice the outage');

    // And the settled world costs no write.
    const { settled, resynced } = await measureResync(metricsUrl, 2 * (tenants.length + 1), {
      // Settled means the Events repeated during the storm were flushed as series updates too.
      quietMs: eventSeriesIntervalMs + 5_000,
      timeoutMs: 120_000,
    });
    assert.equal(resynced.writes - settled.writes, 0, 'writes in a full resync after the restart');
    await kubectl(['delete', 'tenant', '--all', '--timeout=120s'], on());
  });
});
