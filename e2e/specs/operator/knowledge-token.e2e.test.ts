// Runtime pods' own Qdrant credential, with the operator on the test bed and the Qdrant stand-in
// (no Qdrant server runs here) started with an API key and jwt_rbac, as a production Qdrant is: each
// tenant gets the Secret tenant-<t>-qdrant holding a read-only token for its own collection, which
// the stand-in accepts there and refuses elsewhere; its Deployment reads it; a resync rewrites
// nothing; the Secret goes with the tenant.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHashedEmbedder, createQdrantStore, tenantKnowledge } from '@agentplane/runtime/vectors';
import { uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { applyObject as apply, getJson, kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { operatorCounters } from '../../helpers/operator-metrics.ts';
import { operatorWithQdrantSuite } from '../../helpers/operator-qdrant.ts';

const dimensions = 16;
const apiKey = `platform-${uniqueName('key')}`;

describe('operator: a read-only Qdrant token per tenant', () => {
  const shared = `kt_${uniqueName('kb').replace('-', '_')}`;
  const pro = uniqueName('kt-pro');
  const enterprise = uniqueName('kt-ent');
  const homes = { [pro]: 'agentplane-pool-pro', [enterprise]: `tenant-${enterprise}` };
  const { suite, qdrant } = operatorWithQdrantSuite({
    collection: shared,
    dimensions,
    apiKey,
    afterStop: async () => {
      await kubectl(['delete', 'tenant', pro, enterprise, '--ignore-not-found', '--wait=false']);
    },
  });
  const store = (collection: string, key: string) =>
    createQdrantStore({ url: qdrant().url, collection, apiKey: key, timeoutMs: 5_000 });
  const embedder = createHashedEmbedder(dimensions);
  const secretOf = (tenant: string) =>
    getJson(['secret', `tenant-${tenant}-qdrant`, '-n', homes[tenant] ?? '']);
  const tokenOf = async (tenant: string) =>
    Buffer.from((await secretOf(tenant)).data.QDRANT_API_KEY, 'base64').toString();

  it("writes each tenant a token the stand-in accepts for its own collection and refuses for another's", async () => {
    for (const [name, tier] of [
      [pro, 'pro'],
      [enterprise, 'enterprise'],
    ]) {
      await apply({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name },
        spec: { tier },
      });
    }
    await kubectlOk([
      'wait',
      '--for=condition=Ready',
      '--timeout=60s',
      `tenant/${pro}`,
      `tenant/${enterprise}`,
    ]);
    const own = `${shared}-${enterprise}`;
    // The platform's key indexes knowledge (as the control plane does); pods only read it.
    await tenantKnowledge(store(shared, apiKey), embedder, pro).add([{ id: 'a', text: `${pro} refunds` }]);
    await tenantKnowledge(store(own, apiKey), embedder, enterprise).add([{ id: 'b', text: 'ent refunds' }]);

    const secret = await secretOf(pro);
    assert.equal(secret.metadata.labels['agentplane.io/tenant'], pro);
    assert.equal(secret.metadata.ownerReferences[0].kind, 'Tenant');
    assert.equal(secret.metadata.ownerReferences[0].name, pro);
    const proToken = await tokenOf(pro);
    const entToken = await tokenOf(enterprise);
    assert.notEqual(proToken, apiKey);
    assert.ok(!JSON.stringify(secret).includes(apiKey), 'the platform key is not in the Secret');

    const proStore = store(shared, proToken);
    await proStore.ensureReady(dimensions);
    assert.deepEqual(
      (await tenantKnowledge(proStore, embedder, pro).search('refunds', 3)).map((hit) => hit.text),
      [`${pro} refunds`],
    );
    const entStore = store(own, entToken);
    await entStore.ensureReady(dimensions);
    assert.equal(await entStore.count(enterprise), 1);

    await assert.rejects(store(own, proToken).count(enterprise), { message: /Forbidden/ });
    await assert.rejects(store(shared, entToken).count(pro), { message: /Forbidden/ });
    await assert.rejects(tenantKnowledge(proStore, embedder, pro).add([{ id: 'x', text: 'injected' }]), {
      message: /Forbidden/,
    });
    assert.equal(await store(shared, apiKey).count(pro), 1, 'the refused write wrote nothing');
  });

  it("gives the tenant's runtime Deployment the token, not the key", async () => {
    await apply({
      apiVersion: 'agentplane.io/v1alpha1',
      kind: 'AgentInstance',
      metadata: { name: pro, namespace: homes[pro] },
      spec: { tenantRef: pro, agent: 'customer-service', version: '2.1.0', knowledge: { enabled: true } },
    });
    const deployment = await eventually(
      () => getJson(['deployment', `agent-${pro}`, '-n', homes[pro] ?? '']),
      {
        what: `the runtime Deployment of ${pro}`,
        timeoutMs: 60_000,
      },
    );
    const container = deployment.spec.template.spec.containers[0];
    assert.deepEqual(container.envFrom, [{ secretRef: { name: `tenant-${pro}-qdrant` } }]);
    assert.ok(!JSON.stringify(deployment).includes(apiKey));
    // Pods read envFrom at start: the template names the token's expiry, so a renewal rolls them.
    const secret = await getJson(['secret', `tenant-${pro}-qdrant`, '-n', homes[pro] ?? '']);
    const expires = secret.metadata.annotations['agentplane.io/qdrant-token-expires'];
    assert.ok(expires);
    await eventually(
      async () => {
        const current = await getJson(['deployment', `agent-${pro}`, '-n', homes[pro] ?? '']);
        return current.spec.template.metadata.annotations?.['agentplane.io/qdrant-token-expires'] === expires;
      },
      { what: "the pod template to name the token's expiry", timeoutMs: 30_000 },
    );
    const tenant = await getJson(['tenant', pro]);
    assert.equal(tenant.status.knowledge.tokenExpiresAt, expires);
  });

  it('rewrites no Secret on a resync', async () => {
    const versions = async () =>
      Promise.all([pro, enterprise].map(async (t) => (await secretOf(t)).metadata.resourceVersion));
    const before = await versions();
    const tokens = await Promise.all([pro, enterprise].map(tokenOf));
    const start = await operatorCounters(suite.metricsUrl);
    const tenants = (await kubectlOk(['get', 'tenants', '-o', 'name'])).trim().split('\n').length;
    // OPERATOR_RESYNC is 5s in the suites: wait for every tenant to be reconciled again.
    await eventually(
      async () => (await operatorCounters(suite.metricsUrl)).reconciles >= start.reconciles + 2 * tenants,
      { what: 'two full resyncs', timeoutMs: 40_000, intervalMs: 500 },
    );
    assert.deepEqual(await versions(), before);
    assert.deepEqual(await Promise.all([pro, enterprise].map(tokenOf)), tokens);
  });

  it('removes the Secret with its tenant', async () => {
    await kubectlOk(['delete', 'tenant', pro, '--wait=false']);
    await eventually(
      async () =>
        (await kubectl(['get', 'secret', `tenant-${pro}-qdrant`, '-n', homes[pro] ?? ''])).code !== 0,
      { what: `Secret tenant-${pro}-qdrant to be gone`, timeoutMs: 90_000 },
    );
    assert.equal(
      (await secretOf(enterprise)).metadata.name,
      `tenant-${enterprise}-qdrant`,
      'the other stays',
    );
  });
});
