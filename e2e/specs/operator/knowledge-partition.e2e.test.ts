// A tenant's knowledge partition, with the operator on the test bed and the Qdrant stand-in (no
// Qdrant server runs here): a shared tenant gets the indexed tenant key in the shared collection, a
// dedicated one its own collection; runtime pods are told which; deleting a tenant erases exactly its
// points and the deletion report (status.deletion.knowledge and a KnowledgeErased Event) proves it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHashedEmbedder, createQdrantStore, tenantKnowledge } from '@agentplane/runtime/vectors';
import { uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { applyObject as apply, getJson, kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { operatorCounters } from '../../helpers/operator-metrics.ts';
import { operatorWithQdrantSuite } from '../../helpers/operator-qdrant.ts';

/** Holds a deleted Tenant after the operator let go of it, so its final status can be read. */
const hold = 'e2e.agentplane.io/hold';

/** Takes our hold off a Tenant, leaving any other finalizer. */
async function release(tenant: string): Promise<void> {
  const live = await kubectl(['get', 'tenant', tenant, '-o', 'json']);
  if (live.code !== 0) return;
  const finalizers = ((JSON.parse(live.stdout).metadata.finalizers ?? []) as string[]).filter(
    (f) => f !== hold,
  );
  await kubectlOk([
    'patch',
    'tenant',
    tenant,
    '--type=merge',
    '-p',
    JSON.stringify({ metadata: { finalizers } }),
  ]);
}
const dimensions = 16;

describe('operator: knowledge partitions', () => {
  const shared = `kp_${uniqueName('kb').replace('-', '_')}`;
  const pro = uniqueName('kp-pro');
  const enterprise = uniqueName('kp-ent');
  const bystander = uniqueName('kp-other');
  const { suite, qdrant } = operatorWithQdrantSuite({
    collection: shared,
    dimensions,
    // After a failure: what is left is deleted by the next operator suite (our hold is let go).
    afterStop: async () => {
      await kubectl(['delete', 'tenant', pro, enterprise, '--ignore-not-found', '--wait=false']);
      for (const name of [pro, enterprise]) await release(name);
    },
  });
  const collection = async (name: string) => {
    const response = await fetch(`${qdrant().url}/collections/${name}`);
    if (response.status === 404) return undefined;
    return ((await response.json()) as { result: Record<string, unknown> }).result as {
      points_count: number;
      config: { params: { vectors: { size: number } } };
      payload_schema: Record<string, { data_type: string; params?: unknown }>;
    };
  };
  const store = (name: string) => createQdrantStore({ url: qdrant().url, collection: name });
  const embedder = createHashedEmbedder(dimensions);
  const docs = (tenant: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `doc-${i}`, text: `${tenant} answer number ${i}` }));

  it('gives a shared tenant its indexed key in the shared collection and a dedicated one its own collection', async () => {
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

    const proStatus = (await getJson(['tenant', pro])).status;
    assert.deepEqual(proStatus.knowledge, { collection: shared, isolation: 'shared' });
    const proCondition = proStatus.conditions.find((c: { type: string }) => c.type === 'KnowledgeReady');
    assert.equal(proCondition.status, 'True');
    assert.equal(proCondition.reason, 'SharedCollection');
    const entStatus = (await getJson(['tenant', enterprise])).status;
    assert.deepEqual(entStatus.knowledge, { collection: `${shared}-${enterprise}`, isolation: 'dedicated' });

    for (const name of [shared, `${shared}-${enterprise}`]) {
      const info = await collection(name);
      assert.ok(info, `collection ${name} exists`);
      assert.equal(info.config.params.vectors.size, dimensions);
      assert.deepEqual(info.payload_schema.tenant?.params, { type: 'keyword', is_tenant: true });
    }
    assert.equal(
      await collection(`${shared}-${pro}`),
      undefined,
      'a shared tenant has no collection of its own',
    );
  });

  it("tells the tenant's runtime pods where its knowledge is", async () => {
    const homes = [
      [pro, 'agentplane-pool-pro', shared],
      [enterprise, `tenant-${enterprise}`, `${shared}-${enterprise}`],
    ] as const;
    for (const [tenant, namespace] of homes) {
      await apply({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'AgentInstance',
        metadata: { name: tenant, namespace },
        spec: {
          tenantRef: tenant,
          agent: 'customer-service',
          version: '2.1.0',
          knowledge: { enabled: true },
        },
      });
    }
    for (const [tenant, namespace, expected] of homes) {
      const env = await eventually(
        async () => {
          const deployment = await getJson(['deployment', `agent-${tenant}`, '-n', namespace]);
          const vars = deployment.spec.template.spec.containers[0].env as Array<{
            name: string;
            value: string;
          }>;
          return Object.fromEntries(vars.map((v) => [v.name, v.value]));
        },
        { what: `the runtime Deployment of ${tenant}`, timeoutMs: 60_000 },
      );
      assert.equal(env.QDRANT_URL, qdrant().url);
      assert.equal(env.QDRANT_COLLECTION, expected);
    }
  });

  it('costs Qdrant no write on a resync of unchanged tenants', async () => {
    const writes = () =>
      qdrant().requests.filter(
        (r) => r.method === 'PUT' || r.method === 'DELETE' || r.path.endsWith('/points/delete'),
      ).length;
    const before = writes();
    const start = await operatorCounters(suite.metricsUrl);
    const tenants = (await kubectlOk(['get', 'tenants', '-o', 'name'])).trim().split('\n').length;
    // OPERATOR_RESYNC is 5s in the suites: wait for every tenant to be reconciled again.
    await eventually(
      async () => (await operatorCounters(suite.metricsUrl)).reconciles >= start.reconciles + tenants,
      { what: 'a full resync', timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.equal(writes(), before);
  });

  it("erases exactly a shared tenant's points on deletion, and reports the counts before and after", async () => {
    await tenantKnowledge(store(shared), embedder, pro).add(docs(pro, 3));
    await tenantKnowledge(store(shared), embedder, bystander).add(docs(bystander, 2));
    await tenantKnowledge(store(`${shared}-${enterprise}`), embedder, enterprise).add(docs(enterprise, 4));

    const report = await deleteAndReport(pro);
    assert.equal(report.collection, shared);
    assert.equal(report.pointsBefore, 3);
    assert.equal(report.pointsAfter, 0);
    assert.equal(await store(shared).count(pro), 0);
    assert.equal(
      await store(shared).count(bystander),
      2,
      "another tenant's points in the shared collection stay",
    );
    assert.equal(
      await store(`${shared}-${enterprise}`).count(enterprise),
      4,
      'the dedicated tenant keeps its own',
    );
    await assertErasedEvent(pro, '3 point(s) before, 0 after');
  });

  it("deletes a dedicated tenant's collection on deletion, and reports the counts before and after", async () => {
    const report = await deleteAndReport(enterprise);
    assert.deepEqual(
      [report.collection, report.pointsBefore, report.pointsAfter],
      [`${shared}-${enterprise}`, 4, 0],
    );
    assert.equal(await collection(`${shared}-${enterprise}`), undefined, 'its collection is gone');
    assert.equal((await collection(shared))?.points_count, 2, "only the other tenant's points are left");
    await assertErasedEvent(enterprise, '4 point(s) before, 0 after');
  });

  /** Deletes the tenant with a finalizer of ours on it; returns status.deletion.knowledge once the operator let go. */
  async function deleteAndReport(tenant: string) {
    await kubectlOk([
      'patch',
      'tenant',
      tenant,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/metadata/finalizers/-', value: hold }]),
    ]);
    await kubectlOk(['delete', 'tenant', tenant, '--wait=false']);
    const released = await eventually(
      async () => {
        const live = await getJson(['tenant', tenant]);
        return live.metadata.finalizers?.join() === hold && live;
      },
      { what: `the operator to finish deleting ${tenant}`, timeoutMs: 90_000 },
    );
    await release(tenant);
    assert.deepEqual(released.status.deletion.remaining, []);
    return released.status.deletion.knowledge as {
      collection: string;
      pointsBefore: number;
      pointsAfter: number;
    };
  }

  async function assertErasedEvent(tenant: string, counts: string) {
    const events = await eventually(
      async () => {
        const list = await getJson([
          'events',
          '-n',
          'default',
          '--field-selector',
          `involvedObject.name=${tenant},reason=KnowledgeErased`,
        ]);
        return list.items.length > 0 && list.items;
      },
      { what: `the KnowledgeErased Event of ${tenant}` },
    );
    assert.match(events[0].message ?? events[0].note, new RegExp(counts.replace(/[()]/g, '\\$&')));
  }
});
