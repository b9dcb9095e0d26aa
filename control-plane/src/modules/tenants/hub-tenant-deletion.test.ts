// The hub writer's tenant deletion, with the test bed's Kubernetes API server as the member cluster
// (CRDs installed, no operator: a finalizer of the test's own stands in for the operator's).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiVersion } from '@agentplane/crds';
import { silentLogger } from '@agentplane/shared';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { MikroORM } from '@mikro-orm/postgresql';
import { installCrds } from '../../../../e2e/helpers/crds.ts';
import { exclusive } from '../../../../e2e/helpers/exclusive.ts';
import { createOrm } from '../../db/orm.ts';
import type { ResourceWriter } from '../../kube/resource-writer.ts';
import { expectedCrds } from '../../multicluster/crd-version.ts';
import type { Hub } from '../../multicluster/hub.ts';
import { createHubWriter } from '../../multicluster/hub-writer.ts';
import { createMember, type Member } from '../../multicluster/member.ts';
import { fastHubSettings } from '../../multicluster/testing.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('tenant deletion on a multi-cluster hub', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let orm: MikroORM;
  let member: Member;
  let kube: KubernetesObjectApi;
  let writer: ResourceWriter;
  const cluster = uniqueName('member');
  const tenant = uniqueName('placed');
  const hold = 'agentplane.io/test-hold';
  const sql = (query: string, params: unknown[] = []) => orm.em.fork().execute(query, params);
  const mergePatch = (metadata: Record<string, unknown>) =>
    kube.patch(
      { apiVersion, kind: 'Tenant', metadata: { name: tenant, ...metadata } } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );

  // No operator may run meanwhile: its finalizer would hold the Tenants this suite expects gone.
  let release: (() => void) | undefined;
  before(async () => {
    release = await exclusive('operator');
    db = await createTestDatabase();
    orm = await createOrm({ clientUrl: db.clientUrl, dbName: db.dbName });
    await installCrds();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(testbedEnv('KUBECONFIG'));
    kube = KubernetesObjectApi.makeApiClient(kubeConfig);
    member = createMember({
      name: cluster,
      kubeConfig,
      expectedCrds: expectedCrds(),
      settings: fastHubSettings,
      log: silentLogger(),
      identity: 'tenant-deletion-test',
      onHealth: () => {},
      onTenantEvent: () => {},
    });
    await member.probe();
    member.start();
    // Only what the writer uses of a hub: the database and its connected members.
    writer = createHubWriter({
      root: orm.em,
      member: (name: string) => (name === cluster ? member : undefined),
      members: () => [member],
    } as unknown as Hub);
    await sql("insert into tenants (id, tier) values (?, 'pro')", [tenant]);
    await sql(
      `insert into member_clusters (name, region, max_tenants, cpu_millis, memory_bytes, api_server_url, credentials_kind)
       values (?, 'eu', 10, 1000, 1000, 'https://127.0.0.1:1', 'kubeconfig')`,
      [cluster],
    );
    await sql(
      `insert into tenant_placements (tenant_id, cluster, tier, cpu_millis, memory_bytes, decision)
       values (?, ?, 'pro', 0, 0, '{}')`,
      [tenant, cluster],
    );
  });
  after(async () => {
    await mergePatch({ finalizers: null }).catch(() => {});
    await kube?.delete({ apiVersion, kind: 'Tenant', metadata: { name: tenant } }).catch(() => {});
    await member?.stop();
    await orm?.close(true);
    await db?.drop();
    release?.();
  });

  it('deletes the Tenant on the member it is placed on, and finds it there once the placement is gone', async () => {
    await writer.applyTenant(tenant, { tier: 'pro' });
    await mergePatch({ finalizers: [hold] });
    await eventually(() => member.tenants.get(tenant)?.metadata.finalizers?.includes(hold), {
      what: 'the member cache holding the Tenant',
      timeoutMs: 10_000,
    });

    const removal = await writer.deleteTenant(tenant);
    assert.equal(removal.deleteRequested, true);
    assert.equal(removal.present, true, 'held by the finalizer');
    assert.deepEqual(removal.clusters, [cluster]);
    assert.ok(removal.finalizers.includes(hold));
    const live = (await kube.read({ apiVersion, kind: 'Tenant', metadata: { name: tenant } })) as unknown as {
      metadata: { deletionTimestamp?: string };
      spec: { secrets?: { deleteOnTenantDeletion?: boolean } };
    };
    assert.ok(live.metadata.deletionTimestamp);
    assert.equal(live.spec.secrets?.deleteOnTenantDeletion, true);

    // The tenant's rows (its placement with them) are deleted: the member's cache still knows where it is.
    await sql('delete from tenants where id = ?', [tenant]);
    await eventually(() => member.tenants.get(tenant)?.metadata.deletionTimestamp, {
      what: 'the cache seeing the deletion',
      timeoutMs: 10_000,
    });
    const again = await writer.deleteTenant(tenant);
    assert.deepEqual(
      { present: again.present, clusters: again.clusters, deleteRequested: again.deleteRequested },
      { present: true, clusters: [cluster], deleteRequested: true },
    );

    await mergePatch({ finalizers: null });
    const gone = await eventually(
      async () => {
        const state = await writer.tenantRemoval(tenant);
        return state.present ? undefined : state;
      },
      { what: 'the Tenant gone from the member', timeoutMs: 10_000 },
    );
    assert.equal(gone.present, false);
    await eventually(() => !member.tenants.get(tenant), {
      what: 'the cache forgetting it',
      timeoutMs: 10_000,
    });
    assert.deepEqual(await writer.deleteTenant(tenant), {
      deleteRequested: false,
      present: false,
      phase: null,
      finalizers: [],
      remaining: [],
      clusters: [],
    });
  });
});
