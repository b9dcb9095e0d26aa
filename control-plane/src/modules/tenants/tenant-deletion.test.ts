// Tenant deletion against the test bed: PostgreSQL (every tenant table read back as superuser),
// Vault transit (the PII key), the Qdrant stand-in and the Kubernetes API server (the Tenant
// resource, with the CRDs installed). No operator runs here, so a Tenant without finalizers goes at
// once; one test holds it with a finalizer of its own to see the 202 and the operator's progress.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiVersion, type Tenant } from '@agentplane/crds';
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import { createHashedEmbedder, createQdrantStore, type VectorStore } from '@agentplane/runtime/vectors';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { MikroORM } from '@mikro-orm/postgresql';
import { installCrds } from '../../../../e2e/helpers/crds.ts';
import { exclusive } from '../../../../e2e/helpers/exclusive.ts';
import { kubectlOk } from '../../../../e2e/helpers/kubectl.ts';
import type { Pii } from '../../crypto/pii.ts';
import { bedPii, bedTransit } from '../../crypto/testing.ts';
import { createOrm } from '../../db/orm.ts';
import { dependencyUnavailable } from '../../errors.ts';
import { knowledgeIndex } from '../../knowledge/knowledge-index.ts';
import { createKubeResourceWriter, type ResourceWriter } from '../../kube/resource-writer.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';
import { createAuditLog } from '../audit/audit.service.ts';
import { tenantDataTables } from './tenant-deletion.ts';

type Onboarded = Awaited<ReturnType<typeof onboardTenant>>;

describe('tenant deletion', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let keysOrm: MikroORM;
  let pii: Pii;
  let qdrant: Awaited<ReturnType<typeof startQdrantStandIn>>;
  let store: VectorStore;
  let kube: KubernetesObjectApi;
  const faults = { deleteTenant: 0, deletePoints: 0 };
  const doomedName = uniqueName('doomed');
  const keptName = uniqueName('kept');
  const heldName = uniqueName('held');
  let doomed: Onboarded;
  let kept: Onboarded;
  const wrapped: Record<string, string> = {};
  const sql = <T>(query: string, params: unknown[] = []) => t.orm.em.fork().execute<T[]>(query, params);

  const readTenant = (name: string): Promise<Tenant | undefined> =>
    kube.read({ apiVersion, kind: 'Tenant', metadata: { name } }).then(
      (object) => object as unknown as Tenant,
      (error: { code?: number }) => {
        if (error.code === 404) return undefined;
        throw error;
      },
    );

  /** Every table with a tenant column, from the catalog, and the tenant's rows in each. */
  async function rowsOf(tenant: string): Promise<Record<string, number>> {
    const tables = await sql<{ table_name: string; column_name: string }>(
      `select table_name, column_name from information_schema.columns
       where table_schema = 'public' and (column_name = 'tenant_id' or (table_name = 'tenants' and column_name = 'id'))
       order by table_name`,
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table, column_name: column } of tables) {
      const [row] = await sql<{ n: number }>(`select count(*)::int as n from ${table} where ${column} = ?`, [
        tenant,
      ]);
      counts[table] = row?.n ?? 0;
    }
    return counts;
  }

  /** Something of `tenant` in every tenant table: through the API where it has a route, else as the services store it. */
  async function populate(tenant: Onboarded) {
    const name = tenant.name;
    const keys = await pii.keysFor(name);
    const [stored] = await sql<{ wrapped_key: string }>(
      'select wrapped_key from tenant_keys where tenant_id = ?',
      [name],
    );
    wrapped[name] = stored?.wrapped_key ?? '';
    const [user] = await sql<{ id: string }>(
      'insert into users (tenant_id, email) values (?, ?) returning id',
      [name, `owner@${name}.example`],
    );
    await sql("insert into memberships (tenant_id, user_id, role) values (?, ?, 'owner')", [name, user?.id]);
    const [instance] = await sql<{ id: string }>(
      "insert into agent_instances (tenant_id, name, agent, version) values (?, 'support', 'sales', '1.0.0') returning id",
      [name],
    );
    const [conversation] = await sql<{ id: string }>(
      'insert into conversations (tenant_id, agent_instance_id) values (?, ?) returning id',
      [name, instance?.id],
    );
    const [message] = await sql<{ id: string }>(
      "insert into messages (tenant_id, conversation_id, author, body) values (?, ?, 'end-user', 'hello') returning id",
      [name, conversation?.id],
    );
    await sql("insert into results (tenant_id, message_id, conversation_id, reply) values (?, ?, ?, 'hi')", [
      name,
      message?.id,
      conversation?.id,
    ]);
    await sql(
      `insert into leads (tenant_id, conversation_id, message_id, score, temperature, email)
       values (?, ?, ?, 80, 'hot', ?)`,
      [name, conversation?.id, message?.id, keys.seal(`bob@${name}.example`)],
    );
    await sql(
      "insert into usage_records (tenant_id, kind, quantity, source_id) values (?, 'message', 1, ?)",
      [name, message?.id],
    );
    await sql(
      "insert into outbound_webhooks (tenant_id, url, events) values (?, 'https://hooks.example/in', '{lead.created}')",
      [name],
    );
    await sql(
      "insert into webhook_deliveries (id, tenant_id, event, body) values (gen_random_uuid(), ?, 'lead.created', '{}')",
      [name],
    );
    await sql(
      `insert into member_clusters (name, region, max_tenants, cpu_millis, memory_bytes, api_server_url, credentials_kind)
       values ('member-a', 'eu', 10, 1000, 1000, 'https://127.0.0.1:1', 'kubeconfig') on conflict do nothing`,
    );
    await sql(
      `insert into tenant_placements (tenant_id, cluster, tier, cpu_millis, memory_bytes, decision)
       values (?, 'member-a', 'pro', 0, 0, '{}')`,
      [name],
    );
    const call = async (method: 'POST' | 'PUT', url: string, payload: object, status: number) => {
      const res = await t.app.inject({ method, url, headers: t.admin, payload });
      assert.equal(res.statusCode, status, res.body);
      return res.json();
    };
    await call('PUT', `/v1/tenants/${name}/flags/max-agent-instances`, { value: 4 }, 200);
    const doc = await call(
      'POST',
      `/v1/tenants/${name}/knowledge`,
      {
        title: 'Prices',
        content: `# Prices of ${name}\n\nPro costs 499 a month.\n\n## Refunds\n\nWithin 30 days.`,
      },
      202,
    );
    await eventually(
      async () =>
        (await sql<{ status: string }>('select status from knowledge_documents where id = ?', [doc.id]))[0]
          ?.status === 'ready',
      { what: `document of ${name} indexed`, timeoutMs: 15_000, intervalMs: 50 },
    );
    const exported = await call('POST', `/v1/tenants/${name}/exports`, {}, 202);
    await eventually(
      async () =>
        (await sql<{ status: string }>('select status from data_exports where id = ?', [exported.id]))[0]
          ?.status === 'ready',
      { what: `export of ${name} ready`, timeoutMs: 15_000, intervalMs: 50 },
    );
  }

  // No operator may run meanwhile: its finalizer would hold the Tenants this suite expects gone.
  let release: (() => void) | undefined;
  before(async () => {
    release = await exclusive('operator');
    db = await createTestDatabase();
    await installCrds();
    const config = new KubeConfig();
    config.loadFromFile(testbedEnv('KUBECONFIG'));
    kube = KubernetesObjectApi.makeApiClient(config);
    qdrant = await startQdrantStandIn();
    store = createQdrantStore({ url: qdrant.url, collection: 'agentplane_knowledge' });
    // Faults on demand: the cluster refusing the delete, the vector store failing mid-way.
    const flakyStore: VectorStore = {
      ...store,
      delete: async (tenant, ids) => {
        if (faults.deletePoints > 0 && faults.deletePoints--)
          throw new Error('qdrant stand-in: connection reset');
        return store.delete(tenant, ids);
      },
    };
    const kubeWriter = createKubeResourceWriter(testbedEnv('KUBECONFIG'));
    const writer: ResourceWriter = {
      ...kubeWriter,
      deleteTenant: async (name) => {
        if (faults.deleteTenant > 0 && faults.deleteTenant--) throw dependencyUnavailable('Kubernetes API');
        return kubeWriter.deleteTenant(name);
      },
    };
    keysOrm = await createOrm({ clientUrl: db.clientUrl, dbName: db.dbName });
    pii = await bedPii(keysOrm.em);
    t = await buildTestApp(db, {
      writer,
      pii,
      knowledge: knowledgeIndex(flakyStore, createHashedEmbedder()),
    });
    doomed = await onboardTenant(t, doomedName, 'pro');
    kept = await onboardTenant(t, keptName, 'pro');
    await populate(doomed);
    await populate(kept);
  });
  after(async () => {
    await t?.app.close();
    await keysOrm?.close(true);
    await qdrant?.close();
    for (const name of [doomedName, keptName, heldName]) {
      await kube
        ?.patch(
          { apiVersion, kind: 'Tenant', metadata: { name, finalizers: null } } as never,
          undefined,
          undefined,
          undefined,
          undefined,
          'application/merge-patch+json',
        )
        .catch(() => {});
      await kube?.delete({ apiVersion, kind: 'Tenant', metadata: { name } }).catch(() => {});
    }
    await db?.drop();
    release?.();
  });

  it('the fixtures reach every tenant table, and the cluster holds both Tenants', async () => {
    const rows = await rowsOf(doomedName);
    const empty = Object.entries(rows).filter(([, n]) => n === 0);
    assert.deepEqual(empty, [], 'a tenant table the fixture does not fill cannot prove the deletion');
    // The deletion's list is the catalog's, minus the audit trail that stays: a new table fails here.
    assert.deepEqual(
      Object.keys(rows).sort(),
      [...tenantDataTables, 'tenants', 'audit_events'].sort(),
      'tenantDataTables must name every table with a tenant_id',
    );
    assert.ok(await readTenant(doomedName), 'Tenant written to the cluster on creation');
    assert.ok((await store.count(doomedName)) > 0);
  });

  it('resumes after a failure at any step: rows stay until the cluster accepts, keys until the points are gone', async () => {
    const before = await rowsOf(doomedName);
    // Used just now, so the key is in this process's cache: the fence must drop it from there too.
    const used = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${doomedName}`,
      headers: doomed.headers,
    });
    assert.equal(used.statusCode, 200, used.body);
    faults.deleteTenant = 1;
    const refused = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${doomedName}`,
      headers: t.admin,
    });
    assert.equal(refused.statusCode, 503, refused.body);
    // The fence held: keys revoked, the tenant suspended (no new message), every row still there.
    const withKey = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${doomedName}`,
      headers: doomed.headers,
    });
    assert.equal(withKey.statusCode, 401);
    const conversation = (
      await sql<{ id: string }>('select id from conversations where tenant_id = ?', [doomedName])
    )[0]?.id;
    const message = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${doomedName}/conversations/${conversation}/messages`,
      headers: t.admin,
      payload: { body: 'still there?' },
    });
    assert.equal(message.statusCode, 409, message.body);
    assert.equal(message.json().code, 'tenant_suspended');
    const unchanged = await rowsOf(doomedName);
    assert.deepEqual({ ...unchanged, audit_events: 0 }, { ...before, audit_events: 0 });
    assert.ok(await readTenant(doomedName), 'the Tenant is still on the cluster');
    const progress = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${doomedName}/deletion`,
      headers: t.admin,
    });
    assert.equal(progress.statusCode, 200, progress.body);
    assert.equal(progress.json().state, 'incomplete');
    assert.equal(progress.json().apiKeysRevoked, 1);

    faults.deletePoints = 1;
    const halfway = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${doomedName}`,
      headers: t.admin,
    });
    assert.equal(halfway.statusCode, 503, halfway.body);
    assert.equal((await rowsOf(doomedName)).tenants, 0, 'PostgreSQL is done');
    assert.equal(await readTenant(doomedName), undefined, 'the Tenant is gone from the cluster');
    assert.ok((await store.count(doomedName)) > 0, 'points left');
    // Not destroyed while something of the tenant is left: the key still opens its data key.
    const transit = await bedTransit();
    await transit.unwrap(doomedName, wrapped[doomedName] ?? '');
    const messageNow = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${doomedName}/conversations/${conversation}/messages`,
      headers: t.admin,
      payload: { body: 'still there?' },
    });
    assert.equal(messageNow.statusCode, 404, 'a deleted tenant accepts nothing');

    const pointsBefore = await store.count(doomedName);
    const done = await t.app.inject({ method: 'DELETE', url: `/v1/tenants/${doomedName}`, headers: t.admin });
    assert.equal(done.statusCode, 200, done.body);
    const report = done.json();
    assert.equal(report.tenant, doomedName);
    assert.equal(report.state, 'completed');
    assert.equal(report.apiKeysRevoked, 1);
    // Summed over the passes: exactly what the tenant had in each table.
    const { audit_events: _kept, ...expected } = before;
    assert.deepEqual(report.postgres, expected);
    assert.deepEqual(report.vectorStore, { pointsBefore, pointsAfter: 0 });
    assert.deepEqual(report.vault, {
      configured: true,
      transitKey: `agentplane-tenant-${doomedName}`,
      keysDestroyed: true,
    });
    assert.equal(report.kubernetes.present, false);
    assert.equal(report.kubernetes.deleteRequested, true);
    console.log(`tenant deletion report: ${JSON.stringify(report)}`);
  });

  it('leaves nothing of the tenant but its audit trail, and nothing of the other tenant is touched', async () => {
    const left = await rowsOf(doomedName);
    const { audit_events: trail, ...rest } = left;
    assert.deepEqual(
      Object.entries(rest).filter(([, n]) => n > 0),
      [],
    );
    const actions = await sql<{ action: string }>(
      'select action from audit_events where tenant_id = ? order by seq',
      [doomedName],
    );
    assert.equal(trail, actions.length);
    assert.deepEqual(
      actions.map((a) => a.action).filter((a) => a.startsWith('tenant.')),
      ['tenant.created', 'tenant.deletion-started', 'tenant.data-deleted', 'tenant.deleted'],
    );
    const verification = await keysOrm.em
      .fork()
      .transactional((em) => createAuditLog().verify(em, doomedName));
    assert.equal(verification.valid, true, 'the kept trail still verifies');
    assert.equal(await store.count(doomedName), 0);
    const transit = await bedTransit();
    await assert.rejects(transit.unwrap(doomedName, wrapped[doomedName] ?? ''), /does not exist/);

    const other = await rowsOf(keptName);
    assert.ok(
      Object.values(other).every((n) => n > 0),
      JSON.stringify(other),
    );
    assert.ok((await store.count(keptName)) > 0);
    await transit.unwrap(keptName, wrapped[keptName] ?? '');
    assert.ok(await readTenant(keptName));
    const own = await t.app.inject({ method: 'GET', url: `/v1/tenants/${keptName}`, headers: kept.headers });
    assert.equal(own.statusCode, 200);
  });

  it('is idempotent: a repeated DELETE reports the same deletion and is audited', async () => {
    const first = (
      await t.app.inject({ method: 'GET', url: `/v1/tenants/${doomedName}/deletion`, headers: t.admin })
    ).json();
    assert.equal(first.state, 'completed');
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${doomedName}`,
      headers: t.admin,
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json().postgres, first.postgres);
    assert.equal(again.json().vectorStore.pointsBefore, first.vectorStore.pointsBefore);
    assert.equal(again.json().auditEventsKept, first.auditEventsKept + 1);
    const gone = await t.app.inject({ method: 'GET', url: `/v1/tenants/${doomedName}`, headers: t.admin });
    assert.equal(gone.statusCode, 404);
  });

  it('answers 202 while the operator cleans up, shows its progress, and completed once the Tenant is gone', async () => {
    const held = await onboardTenant(t, heldName, 'basic');
    // What the operator does: a finalizer on the Tenant, and status.deletion.remaining while it works.
    await kube.patch(
      { apiVersion, kind: 'Tenant', metadata: { name: heldName, finalizers: ['agentplane.io/test-hold'] } },
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );
    const hadStatus = Boolean((await readTenant(heldName))?.status);
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/tenants/${heldName}`, headers: t.admin });
    assert.equal(res.statusCode, 202, res.body);
    const report = res.json();
    assert.equal(report.state, 'deleting');
    assert.equal(report.kubernetes.present, true);
    assert.ok(report.kubernetes.finalizers.includes('agentplane.io/test-hold'));
    const live = await readTenant(heldName);
    assert.ok(live?.metadata.deletionTimestamp, 'terminating');
    assert.equal(
      live?.spec.secrets?.deleteOnTenantDeletion,
      true,
      'the operator is asked to destroy the KV data',
    );
    assert.equal((await rowsOf(heldName)).tenants, 0);
    const withKey = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${heldName}`,
      headers: held.headers,
    });
    assert.equal(withKey.statusCode, 401, 'its keys went with it');

    await kubectlOk([
      'patch',
      'tenant',
      heldName,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: { phase: 'Terminating', deletion: { remaining: ['Kafka topics and consumer groups'] } },
      }),
    ]);
    const progress = (
      await t.app.inject({ method: 'GET', url: `/v1/tenants/${heldName}/deletion`, headers: t.admin })
    ).json();
    assert.equal(progress.state, 'deleting');
    // An operator of another suite may own this status meanwhile; only ours is asserted exactly.
    if (!existsSync(join(tmpdir(), 'agentplane-lock-operator')))
      assert.deepEqual(progress.kubernetes.remaining, ['Kafka topics and consumer groups']);
    console.log(`tenant deletion: the Tenant had status before deletion: ${hadStatus}`);

    await kube.patch(
      { apiVersion, kind: 'Tenant', metadata: { name: heldName, finalizers: null } } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );
    const completed = await eventually(
      async () => {
        const view = (
          await t.app.inject({ method: 'GET', url: `/v1/tenants/${heldName}/deletion`, headers: t.admin })
        ).json();
        return view.state === 'completed' ? view : undefined;
      },
      { what: 'the held Tenant gone', timeoutMs: 20_000, intervalMs: 100 },
    );
    assert.equal(completed.kubernetes.present, false);
  });

  it('is for platform administrators; a tenant that neither exists nor is being deleted is a 404', async () => {
    const own = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${keptName}`,
      headers: kept.headers,
    });
    assert.equal(own.statusCode, 403);
    assert.equal(own.json().code, 'forbidden');
    const ownProgress = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${keptName}/deletion`,
      headers: kept.headers,
    });
    assert.equal(ownProgress.statusCode, 403);
    const nobody = await t.app.inject({ method: 'DELETE', url: '/v1/tenants/nobody', headers: t.admin });
    assert.equal(nobody.statusCode, 404);
    assert.equal(nobody.json().code, 'not_found');
    const notDeleting = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${keptName}/deletion`,
      headers: t.admin,
    });
    assert.equal(notDeleting.statusCode, 404);
    assert.ok(await readTenant(keptName), 'refusals delete nothing');
  });
});
