// The operator against the real API server: tenants get isolated homes, drift is corrected, the
// tenant's runtime identity cannot read another tenant's secrets, and deletion removes everything.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import vault from 'node-vault';
import { stringify } from 'yaml';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { getJson, kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { operatorSuite } from '../../helpers/operator.ts';
import { describeWrites, eventSeriesIntervalMs, measureResync } from '../../helpers/operator-metrics.ts';
import type { PrimaryObject } from '../../helpers/primary-changes.ts';

const tenantManifest = (name: string, spec: Record<string, unknown>) =>
  stringify({ apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant', metadata: { name }, spec });

async function apply(manifest: string): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { stdin: manifest });
}

async function waitReady(resource: string, timeout = '60s', namespace?: string): Promise<void> {
  const where = namespace ? ['-n', namespace] : [];
  await kubectlOk(['wait', '--for=condition=Ready', `--timeout=${timeout}`, resource, ...where]);
}

/** Topics on the test bed's broker whose names start with `prefix`, sorted. */
async function kafkaTopics(prefix: string): Promise<string[]> {
  const admin = new Kafka({
    brokers: testbedEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  } finally {
    await admin.disconnect();
  }
}

describe('operator: tenants', () => {
  const suite = operatorSuite();
  const acme = uniqueName('acme');
  const globex = uniqueName('globex');

  after(async () => {
    await kubectl(['delete', 'tenant', acme, globex, '--ignore-not-found', '--wait=false']);
  });

  it('gives an enterprise tenant its own namespace with quota, limits, isolation and identity', async () => {
    await apply(
      tenantManifest(globex, { tier: 'enterprise', owners: ['cio@globex.example'], quota: { cpu: '6' } }),
    );
    await waitReady(`tenant/${globex}`);

    const ns = await getJson(['namespace', `tenant-${globex}`]);
    assert.equal(ns.metadata.labels['agentplane.io/tenant'], globex);
    assert.equal(ns.metadata.labels['agentplane.io/tier'], 'enterprise');
    assert.equal(ns.metadata.ownerReferences[0].kind, 'Tenant');

    const quota = await getJson(['resourcequota', `tenant-${globex}`, '-n', `tenant-${globex}`]);
    assert.equal(quota.spec.hard['requests.cpu'], '6', 'spec.quota overrides the tier default');
    assert.equal(quota.spec.hard['requests.memory'], '64Gi', 'the enterprise default');
    await kubectlOk(['get', 'limitrange', `tenant-${globex}`, '-n', `tenant-${globex}`]);
    const policy = await getJson(['networkpolicy', `tenant-${globex}-isolation`, '-n', `tenant-${globex}`]);
    assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
    const owners = await getJson(['rolebinding', `tenant-${globex}-owners`, '-n', `tenant-${globex}`]);
    assert.equal(owners.subjects[0].name, 'cio@globex.example');

    const tenant = await getJson(['tenant', globex]);
    assert.equal(tenant.status.phase, 'Ready');
    assert.equal(tenant.status.observedGeneration, tenant.metadata.generation);
    assert.deepEqual(tenant.status.home, {
      namespace: `tenant-${globex}`,
      isolation: 'dedicated',
      tier: 'enterprise',
    });
  });

  it('places a pro tenant in the shared pool with an identity of its own', async () => {
    await apply(tenantManifest(acme, { tier: 'pro' }));
    await waitReady(`tenant/${acme}`);
    const tenant = await getJson(['tenant', acme]);
    assert.equal(tenant.status.namespace, 'agentplane-pool-pro');
    await kubectlOk(['get', 'serviceaccount', `tenant-${acme}-runtime`, '-n', 'agentplane-pool-pro']);
    const policy = await getJson(['networkpolicy', `tenant-${acme}-isolation`, '-n', 'agentplane-pool-pro']);
    assert.deepEqual(policy.spec.podSelector, { matchLabels: { 'agentplane.io/tenant': acme } });
  });

  it('moves a shared tenant and its agent into a namespace of its own when its isolation changes', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      stdin: stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'AgentInstance',
        metadata: { name: 'mover', namespace: 'agentplane-pool-pro' },
        spec: { tenantRef: acme, agent: 'customer-service', version: '2.1.0' },
      }),
    });
    await waitReady('agentinstance/mover', '60s', 'agentplane-pool-pro');
    await kubectlOk(['patch', 'tenant', acme, '--type=merge', '-p', '{"spec":{"isolation":"dedicated"}}']);
    await eventually(
      async () => (await getJson(['tenant', acme])).status?.home?.namespace === `tenant-${acme}`,
      {
        what: `${acme} to finish moving`,
        timeoutMs: 60_000,
      },
    );
    const tenant = await getJson(['tenant', acme]);
    assert.equal(tenant.status.moving, undefined);
    assert.equal(tenant.status.phase, 'Ready');
    await waitReady('agentinstance/mover', '60s', `tenant-${acme}`);
    assert.notEqual(
      (await kubectl(['get', 'agentinstance', 'mover', '-n', 'agentplane-pool-pro'])).code,
      0,
      'the old copy is gone',
    );
    assert.notEqual(
      (await kubectl(['get', 'serviceaccount', `tenant-${acme}-runtime`, '-n', 'agentplane-pool-pro'])).code,
      0,
      'nothing of the tenant is left in the pool',
    );
    assert.match(await kubectlOk(['describe', 'tenant', acme]), /Normal\s+Moved\s/);
  });

  it("lets a tenant's runtime log in to Vault and read its own secrets, and only those", async () => {
    const root = vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') });
    await root.write(`secret/data/tenants/${globex}/llm`, { data: { apiKey: 'sk-globex' } });
    await root.write(`secret/data/tenants/${acme}/llm`, { data: { apiKey: 'sk-acme' } });
    const secrets = (await getJson(['tenant', globex])).status.conditions.find(
      (c: { type: string }) => c.type === 'SecretsReady',
    );
    assert.equal(secrets?.status, 'True');
    assert.equal(secrets?.reason, 'PolicyWritten');

    const sa = `tenant-${globex}-runtime`;
    const jwt = JSON.parse(
      await kubectlOk(['create', 'token', sa, '-n', `tenant-${globex}`, '--duration=10m', '-o', 'json']),
    ).status.token;
    const login = await vault({ endpoint: testbedEnv('VAULT_ADDR') }).kubernetesLogin({
      mount_point: 'kubernetes',
      role: `agentplane-tenant-${globex}`,
      jwt,
    });
    const asGlobex = vault({ endpoint: testbedEnv('VAULT_ADDR'), token: login.auth.client_token });
    assert.equal((await asGlobex.read(`secret/data/tenants/${globex}/llm`)).data.data.apiKey, 'sk-globex');
    await assert.rejects(
      asGlobex.read(`secret/data/tenants/${acme}/llm`),
      (error: { response?: { statusCode?: number } }) => {
        assert.equal(error.response?.statusCode, 403, "another tenant's path is forbidden");
        return true;
      },
    );
  });

  it("keeps a tenant's runtime away from another tenant's secrets", async () => {
    const asAcme = `--as=system:serviceaccount:agentplane-pool-pro:tenant-${acme}-runtime`;
    const canRead = await kubectl(['auth', 'can-i', 'get', 'secrets', '-n', `tenant-${globex}`, asAcme]);
    assert.equal(canRead.stdout.trim(), 'no');
    const canList = await kubectl(['auth', 'can-i', 'list', 'secrets', '-n', 'agentplane-pool-pro', asAcme]);
    assert.equal(canList.stdout.trim(), 'no', 'not even in its own shared pool');
  });

  it('puts back a ResourceQuota deleted by hand', async () => {
    const ns = `tenant-${globex}`;
    const before = await getJson(['resourcequota', `tenant-${globex}`, '-n', ns]);
    await kubectlOk(['delete', 'resourcequota', `tenant-${globex}`, '-n', ns]);
    const restored = await eventually(
      async () => {
        const result = await kubectl(['get', 'resourcequota', `tenant-${globex}`, '-n', ns, '-o', 'json']);
        return result.code === 0 && JSON.parse(result.stdout);
      },
      { what: 'the operator to recreate the quota', timeoutMs: 30_000 },
    );
    assert.notEqual(restored.metadata.uid, before.metadata.uid, 'a new object');
    assert.deepEqual(restored.spec.hard, before.spec.hard);
  });

  it('records Events an SRE sees with kubectl describe, once each', async () => {
    const described = await kubectlOk(['describe', 'tenant', globex]);
    const provisioned = described.split('\n').filter((line) => /Normal\s+Provisioned\s/.test(line));
    assert.equal(provisioned.length, 1, described);
    assert.match(described, /Normal\s+TenantQuota\s.*cpu 6, memory 64Gi/);
  });

  it('makes no write when a resync finds nothing changed', async () => {
    // Settled first: Events repeated by the tests above are patched as series up to 30 s later. Suites
    // beside this one may create Tenants this operator then provisions: such a window is measured again.
    const mine = [acme, globex];
    const resync = await measureResync(suite.metricsUrl, mine.length, {
      quietMs: eventSeriesIntervalMs + 5_000,
      timeoutMs: 60_000,
      ours: (o: PrimaryObject) => (o.kind === 'Tenant' ? mine.includes(o.key) : mine.includes(o.tenantRef)),
    });
    assert.equal(
      resync.resynced.writes - resync.settled.writes,
      0,
      `no PATCH, POST or DELETE for an unchanged world: ${describeWrites(resync.writes)}`,
    );
  });

  it('deletes the namespace and everything in it with the tenant', async () => {
    await kubectlOk(['delete', 'tenant', globex, '--wait=true', '--timeout=60s']);
    await eventually(async () => (await kubectl(['get', 'namespace', `tenant-${globex}`])).code !== 0, {
      what: `namespace tenant-${globex} to be deleted`,
      timeoutMs: 60_000,
    });
    assert.deepEqual(
      await kafkaTopics(`agentplane.${globex}.`),
      [],
      'the finalizer removed its Kafka topics',
    );
  });
});
