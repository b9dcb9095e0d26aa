// Two operator processes share one Lease: only the leader reconciles; when it is killed (SIGKILL,
// no release) the other takes over within the lease duration; a graceful stop releases the Lease.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { installCrds } from '../../helpers/crds.ts';
import { uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { exclusive } from '../../helpers/exclusive.ts';
import { kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { type OperatorProcess, operatorKubeconfig, startOperator } from '../../helpers/operator.ts';
import { freePort } from '../../testbed/ports.ts';

const leaseSeconds = 4;

async function lease(): Promise<{ holderIdentity?: string; leaseTransitions?: number }> {
  const result = await kubectl([
    'get',
    'lease',
    'agentplane-operator',
    '-n',
    'agentplane-system',
    '-o',
    'json',
  ]);
  return result.code === 0 ? JSON.parse(result.stdout).spec : {};
}

async function tenantReady(name: string, timeoutSeconds: number): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], {
    stdin: stringify({
      apiVersion: 'agentplane.io/v1alpha1',
      kind: 'Tenant',
      metadata: { name },
      spec: { tier: 'pro' },
    }),
  });
  await kubectlOk(['wait', '--for=condition=Ready', `--timeout=${timeoutSeconds}s`, `tenant/${name}`]);
}

describe('operator: leader election', () => {
  const operators = new Map<string, OperatorProcess>();
  const tenants: string[] = [];
  let release: () => void;

  before(async () => {
    release = await exclusive('operator');
    await installCrds();
    const kubeconfig = await operatorKubeconfig();
    for (const identity of [uniqueName('op-a'), uniqueName('op-b')]) {
      operators.set(
        identity,
        startOperator({
          KUBECONFIG: kubeconfig,
          OPERATOR_IDENTITY: identity,
          OPERATOR_HTTP_ADDRESS: `127.0.0.1:${await freePort()}`,
          OPERATOR_LEASE_DURATION: `${leaseSeconds}s`,
          OPERATOR_RENEW_DEADLINE: '3s',
          OPERATOR_RETRY_PERIOD: '500ms',
        }),
      );
    }
  });
  after(async () => {
    await kubectl(['delete', 'tenant', ...tenants, '--ignore-not-found', '--wait=false']);
    for (const operator of operators.values()) await operator.stop();
    release();
  });

  it('lets one of two operators lead, and the other take over when the leader is killed', async () => {
    const leader = await eventually(
      async () => {
        const holder = (await lease()).holderIdentity;
        return holder && operators.has(holder) ? holder : undefined;
      },
      { what: 'one of the two operators to hold the Lease', timeoutMs: 30_000 },
    );
    const first = uniqueName('lead');
    tenants.push(first);
    await tenantReady(first, 30);
    const standby = [...operators.keys()].find((identity) => identity !== leader) as string;
    assert.doesNotMatch(
      operators.get(standby)?.output() ?? '',
      /"controllers started"/,
      'the standby does not reconcile',
    );

    const killedAt = Date.now();
    await operators.get(leader)?.kill();
    operators.delete(leader);
    const second = uniqueName('failover');
    tenants.push(second);
    await tenantReady(second, leaseSeconds + 20);
    const holder = (await lease()).holderIdentity;
    assert.equal(
      holder,
      standby,
      `the standby holds the Lease now (leader was ${leader})\n${operators.get(standby)?.output().slice(-3000)}`,
    );
    assert.ok(
      Date.now() - killedAt < (leaseSeconds + 15) * 1000,
      'took over within the lease duration and a margin',
    );
  });

  it('releases the Lease on a graceful stop', async () => {
    const [identity, operator] = [...operators.entries()][0] ?? [];
    assert.equal(await operator?.stop(), 0);
    operators.delete(identity ?? '');
    const spec = await lease();
    assert.ok(!spec.holderIdentity, `the Lease is free, held by "${spec.holderIdentity}"`);
  });
});
