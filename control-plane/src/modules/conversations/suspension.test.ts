// The cluster's word on suspension, against the test bed's API server (CRDs installed; no operator
// is needed: only the Tenant's spec is read).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@agentplane/shared';
import { testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { installCrds } from '../../../../e2e/helpers/crds.ts';
import { kubectl, kubectlOk } from '../../../../e2e/helpers/kubectl.ts';
import { createClusterSuspensionCheck } from './suspension.ts';

describe('suspension on the cluster', { skip: withoutTestbed() }, () => {
  const tenant = uniqueName('susp');
  const patch = (suspended: boolean) =>
    kubectlOk(['patch', 'tenant', tenant, '--type=merge', '-p', JSON.stringify({ spec: { suspended } })]);

  before(async () => {
    await installCrds();
    await kubectlOk(['apply', '-f', '-'], {
      stdin: JSON.stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: tenant },
        spec: { tier: 'basic', suspended: true },
      }),
    });
  });
  after(async () => {
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']);
  });

  it("follows the Tenant's spec.suspended, each answer kept for the TTL", async () => {
    let clock = 0;
    const check = createClusterSuspensionCheck(testbedEnv('KUBECONFIG'), {
      log: silentLogger(),
      ttlMs: 1000,
      now: () => clock,
    });
    assert.equal(await check.isSuspended(tenant), true);
    await patch(false);
    assert.equal(await check.isSuspended(tenant), true, 'kept within the TTL');
    clock += 1001;
    assert.equal(await check.isSuspended(tenant), false, 'read again after it');
  });

  it('answers false for a tenant the cluster does not have, and for a cluster it cannot reach', async () => {
    const check = createClusterSuspensionCheck(testbedEnv('KUBECONFIG'), { log: silentLogger() });
    assert.equal(await check.isSuspended(uniqueName('nobody')), false);
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'susp-')), 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'gone', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'c', context: { cluster: 'gone', user: 'u' } }],
        'current-context': 'c',
      }),
    );
    const warnings: unknown[] = [];
    const log = { ...silentLogger(), warn: (...args: unknown[]) => void warnings.push(args) };
    const unreachable = createClusterSuspensionCheck(kubeconfig, { log: log as never });
    assert.equal(await unreachable.isSuspended(tenant), false);
    assert.equal(warnings.length, 1, 'the failure is logged');
  });
});
