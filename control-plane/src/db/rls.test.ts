import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { createOrm } from './orm.ts';
import { withTenantScope } from './tenant-scope.ts';

describe('row-level security', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let orm: MikroORM;

  before(async () => {
    db = await createTestDatabase();
    orm = await createOrm({ clientUrl: db.clientUrl, dbName: db.dbName });
    // Seeded as the superuser (bypasses RLS): two tenants, one conversation each.
    const em = orm.em.fork();
    for (const tenant of ['acme', 'globex']) {
      const [instance] = await em.execute<{ id: string }[]>(
        `with t as (insert into tenants (id, tier) values (?, 'pro'))
         insert into agent_instances (tenant_id, name, agent, version) values (?, 'support', 'sales', '1.0.0') returning id`,
        [tenant, tenant],
      );
      const [conversation] = await em.execute<{ id: string }[]>(
        'insert into conversations (tenant_id, agent_instance_id) values (?, ?) returning id',
        [tenant, instance?.id],
      );
      await em.execute(
        "insert into messages (tenant_id, conversation_id, author, body) values (?, ?, 'end-user', ?)",
        [tenant, conversation?.id, `hello from ${tenant}`],
      );
    }
  });
  after(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  it('an unscoped select as the API role returns only the current tenant rows', async () => {
    // Logged in as agentplane_api itself, not as the superuser that merely switches role.
    const api = await MikroORM.init({
      clientUrl: db.urlAs('agentplane_api'),
      entities: [],
      discovery: { warnWhenNoEntities: false },
    });
    try {
      const em = api.em.fork();
      await em.begin();
      await em.execute("select set_config('app.tenant_id', 'acme', true)");
      const rows = await em.execute<{ tenant_id: string; body: string }[]>('select * from messages');
      await em.rollback();
      assert.deepEqual(
        rows.map((row) => [row.tenant_id, row.body]),
        [['acme', 'hello from acme']],
      );
      const [none] = await api.em.fork().execute<{ n: string }[]>('select count(*) as n from messages');
      assert.equal(Number(none?.n), 0, 'without app.tenant_id the API role sees nothing');
      const [role] = await api.em
        .fork()
        .execute<{ rolbypassrls: boolean; rolsuper: boolean }[]>(
          'select rolbypassrls, rolsuper from pg_roles where rolname = current_user',
        );
      assert.deepEqual(role, { rolbypassrls: false, rolsuper: false });
    } finally {
      await api.close(true);
    }
  });

  it('a request scope switches a superuser connection to the API role and the tenant', async () => {
    const seen = await withTenantScope(orm.em, 'globex', (em) =>
      em.execute<{ tenant_id: string; who: string }[]>('select tenant_id, current_user as who from messages'),
    );
    assert.deepEqual(
      seen.map((row) => [row.tenant_id, row.who]),
      [['globex', 'agentplane_api']],
    );
    const [after] = await orm.em
      .fork()
      .execute<{ who: string; tenant: string | null }[]>(
        "select current_user as who, current_setting('app.tenant_id', true) as tenant",
      );
    assert.equal(after?.who, 'postgres', 'the role ends with the transaction');
    assert.ok(!after?.tenant, 'the tenant ends with the transaction');
  });

  it('refuses writes into another tenant and audit updates or deletes', async () => {
    await assert.rejects(
      withTenantScope(orm.em, 'acme', (em) =>
        em.execute("insert into tenants (id, tier) values ('initech', 'basic')"),
      ),
      /row-level security/,
    );
    await withTenantScope(orm.em, 'acme', (em) =>
      em.execute(
        "insert into audit_events (tenant_id, seq, actor, action, target, created_at, prev_hash, hash) values ('acme', 1, 'test', 'probe', 'x', now(), '', '')",
      ),
    );
    await assert.rejects(
      withTenantScope(orm.em, 'acme', (em) => em.execute("update audit_events set action = 'forged'")),
      /permission denied/,
    );
    await assert.rejects(
      withTenantScope(orm.em, 'acme', (em) => em.execute('delete from audit_events')),
      /permission denied/,
    );
  });
});
