import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, testbedEnv, uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { startTcpRelay, type TcpRelay } from '../../../e2e/helpers/tcp-relay.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { backfillPii } from './backfill.ts';
import { createPii } from './pii.ts';
import { bedPii, bedTransit } from './testing.ts';

describe('PII keys in Vault transit, wrapped data keys in PostgreSQL', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let relay: TcpRelay;
  let conversation: string;
  const tenant = uniqueName('pii');
  const wrappedOf = async () =>
    (
      await t.orm.em
        .fork()
        .execute<{ wrapped_key: string; transit_key: string }[]>(
          'select wrapped_key, transit_key from tenant_keys where tenant_id = ?',
          [tenant],
        )
    )[0];

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    const { headers } = await onboardTenant(t, tenant);
    const post = (url: string, payload: object) =>
      t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}${url}`, headers, payload });
    await post('/agent-instances', { name: 'support', agent: 'sales', version: '1.0.0' });
    conversation = (await post('/conversations', { agentInstance: 'support' })).json().id;
    relay = await startTcpRelay(testbedEnv('VAULT_ADDR'));
  });
  after(async () => {
    await relay?.close();
    await t?.app.close();
    await db?.drop();
  });

  it('creates one data key per tenant, stored only wrapped, and unwraps it in another process', async () => {
    const pii = await bedPii(t.orm.em);
    const keys = await pii.keysFor(tenant);
    const sealed = keys.seal('ana@example.com');
    const row = await wrappedOf();
    assert.match(row?.wrapped_key ?? '', /^vault:v1:/);
    assert.equal(row?.transit_key, `agentplane-tenant-${tenant}`);
    // Another replica (its own cache) gets the same key from the wrapped one.
    const other = await (await bedPii(t.orm.em)).keysFor(tenant);
    assert.equal(other.open(sealed), 'ana@example.com');
    assert.equal(other.index('email', 'ANA@example.com'), keys.index('email', 'ana@example.com'));
    const lookup = await pii.endUserLookup(tenant, { email: ' Ana@Example.com', phone: '+1 555 0100' });
    assert.equal(lookup.emailIndex, keys.index('email', 'ana@example.com'));
    assert.equal(lookup.phoneIndex, keys.index('phone', '+15550100'));
  });

  it('keeps an unwrapped key for its TTL only: one Vault call for a burst', async () => {
    let now = 0;
    const transit = await bedTransit();
    let unwraps = 0;
    const counting = {
      ...transit,
      unwrap: (...args: Parameters<typeof transit.unwrap>) => {
        unwraps++;
        return transit.unwrap(...args);
      },
    };
    const pii = createPii({ root: t.orm.em, transit: counting, ttlMs: 1000, now: () => now });
    await Promise.all(Array.from({ length: 50 }, () => pii.keysFor(tenant)));
    assert.equal(unwraps, 1);
    now = 1001;
    await pii.keysFor(tenant);
    assert.equal(unwraps, 2);
  });

  it('fails cleanly and retriably when Vault is unreachable, and recovers', async () => {
    const pii = await bedPii(t.orm.em, { addr: relay.url });
    await relay.cut();
    try {
      await assert.rejects(pii.keysFor(tenant), (error: { code?: string; retriable?: boolean }) => {
        assert.equal(error.code, 'dependency_unavailable');
        assert.equal(error.retriable, true);
        return true;
      });
    } finally {
      await relay.restore();
    }
    await eventually(() => pii.keysFor(tenant).then(() => true), { what: 'the key once Vault is back' });
  });

  it('backfills plaintext stored before encryption, once', async () => {
    const em = t.orm.em.fork();
    await em.execute(
      `insert into leads (id, tenant_id, conversation_id, score, temperature, email, phone)
       values (gen_random_uuid(), ?, ?, 50, 'warm', 'old@example.com', '+44 20 7946 0000')`,
      [tenant, conversation],
    );
    const pii = await bedPii(t.orm.em);
    const first = await backfillPii(t.orm.em, pii);
    assert.ok(first.leads >= 1);
    assert.deepEqual(await backfillPii(t.orm.em, pii), { leads: 0, results: 0 });
    const [row] = await em.execute<{ email: string; phone: string; email_index: string }[]>(
      'select email, phone, email_index from leads where tenant_id = ? and score = 50',
      [tenant],
    );
    assert.ok(row && !row.email.includes('old@') && !row.phone.includes('7946'));
    const keys = await pii.keysFor(tenant);
    assert.equal(keys.open(row.email), 'old@example.com');
    assert.equal(row.email_index, (await pii.endUserLookup(tenant, { email: 'OLD@example.com' })).emailIndex);
  });

  it('destroyTenantKeys deletes the transit key: the wrapped key and what it sealed are lost', async () => {
    const pii = await bedPii(t.orm.em);
    const sealed = (await pii.keysFor(tenant)).seal('+351 912 345 678');
    const wrapped = (await wrappedOf())?.wrapped_key ?? '';
    await pii.destroyTenantKeys(tenant);
    await pii.destroyTenantKeys(tenant); // idempotent
    assert.equal(await wrappedOf(), undefined, 'the wrapped key is gone from PostgreSQL');
    const transit = await bedTransit();
    await assert.rejects(transit.unwrap(tenant, wrapped), /does not exist/);
    // A fresh key (a tenant re-created with the same name) cannot open the old values either.
    const fresh = await (await bedPii(t.orm.em)).keysFor(tenant);
    assert.throws(() => fresh.open(sealed));
    await pii.destroyTenantKeys(tenant);
  });
});
