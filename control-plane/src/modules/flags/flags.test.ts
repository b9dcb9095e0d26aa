import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tiers } from '@agentplane/crds';
import { withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/database.ts';

describe('feature flags and OFREP per tier', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let t: TestApp;
  const keys: Record<string, { authorization: string }> = {};

  before(async () => {
    db = await createTestDatabase();
    t = await buildTestApp(db);
    for (const tier of ['basic', 'pro', 'enterprise'] as const)
      keys[tier] = (await onboardTenant(t, `t-${tier}`, tier)).headers;
  });
  after(async () => {
    await t?.app.close();
    await db?.drop();
  });

  it('GET /flags evaluates every flag from the tier table', async () => {
    const expected = {
      basic: {
        'custom-prompts': false,
        'dedicated-namespace': false,
        'premium-reply-model': false,
        'sentiment-analysis': false,
        'max-agent-instances': 2,
        'monthly-conversation-limit': 1000,
      },
      pro: {
        'custom-prompts': false,
        'dedicated-namespace': false,
        'premium-reply-model': false,
        'sentiment-analysis': true,
        'max-agent-instances': 10,
        'monthly-conversation-limit': 5000,
      },
      enterprise: {
        'custom-prompts': true,
        'dedicated-namespace': true,
        'premium-reply-model': true,
        'sentiment-analysis': true,
        'max-agent-instances': -1,
        'monthly-conversation-limit': -1,
      },
    };
    for (const tier of ['basic', 'pro', 'enterprise'] as const) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/v1/tenants/t-${tier}/flags`,
        headers: keys[tier],
      });
      assert.equal(res.statusCode, 200, res.body);
      const flags = res.json().flags as Record<string, { value: unknown; reason: string }>;
      for (const [key, value] of Object.entries(expected[tier]))
        assert.equal(flags[key]?.value, value, `${tier} ${key}`);
      assert.equal(flags['max-agent-instances']?.value, tiers[tier].maxAgentInstances ?? -1);
      assert.equal(flags['custom-prompts']?.reason, 'TARGETING_MATCH');
    }
  });

  it("OFREP evaluates one flag and all flags for the key's tenant", async () => {
    const one = await t.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/custom-prompts',
      headers: keys.enterprise,
      payload: { context: {} },
    });
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual(one.json(), {
      key: 'custom-prompts',
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      metadata: {},
    });

    // A key's tenant wins over whatever the context names.
    const spoof = await t.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/custom-prompts',
      headers: keys.basic,
      payload: { context: { tenantId: 't-enterprise' } },
    });
    assert.equal(spoof.json().value, false);

    const missing = await t.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/no-such-flag',
      headers: keys.pro,
      payload: {},
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().errorCode, 'FLAG_NOT_FOUND');

    const bulk = await t.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      headers: keys.pro,
      payload: { context: {} },
    });
    assert.equal(bulk.statusCode, 200);
    const byKey = Object.fromEntries(
      bulk.json().flags.map((f: { key: string; value: unknown }) => [f.key, f.value]),
    );
    assert.equal(byKey['max-agent-instances'], 10);
    assert.equal(byKey['advanced-workflows'], true);

    const asAdmin = await t.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/max-agent-instances',
      headers: t.admin,
      payload: { context: { tenantId: 't-basic' } },
    });
    assert.equal(asAdmin.json().value, 2);
  });

  it('the API enforces the flags: custom prompts and the instance limit', async () => {
    const create = (tier: string, name: string, extra: object = {}) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/tenants/t-${tier}/agent-instances`,
        headers: keys[tier],
        payload: { name, agent: 'customer-service', version: '1.0.0', ...extra },
      });
    const prompt = await create('basic', 'a', { prompt: { system: 'be brief' } });
    assert.equal(prompt.statusCode, 403);
    assert.equal(prompt.json().code, 'feature_not_in_tier');
    assert.equal((await create('enterprise', 'a', { prompt: { system: 'be brief' } })).statusCode, 201);
    assert.equal((await create('basic', 'a')).statusCode, 201);
    assert.equal((await create('basic', 'b')).statusCode, 201);
    const third = await create('basic', 'c');
    assert.equal(third.statusCode, 422);
    assert.equal(third.json().code, 'tier_limit_exceeded');
    const sales = await t.app.inject({
      method: 'POST',
      url: '/v1/tenants/t-pro/agent-instances',
      headers: keys.pro,
      payload: { name: 'm', agent: 'marketing', version: '1.0.0' },
    });
    assert.equal(sales.json().code, 'feature_not_in_tier');
  });

  it('a platform administrator overrides a flag for one tenant, audited, and removes it again', async () => {
    const put = (key: string, value: unknown, headers: Record<string, string> = t.admin) =>
      t.app.inject({
        method: 'PUT',
        url: `/v1/tenants/t-pro/flags/${key}`,
        headers,
        payload: { value },
      });
    const flagOf = async (key: string) =>
      (await t.app.inject({ method: 'GET', url: '/v1/tenants/t-pro/flags', headers: keys.pro })).json().flags[
        key
      ];
    const ofrep = async (key: string) =>
      (
        await t.app.inject({
          method: 'POST',
          url: `/ofrep/v1/evaluate/flags/${key}`,
          headers: keys.pro,
          payload: {},
        })
      ).json().value;

    const set = await put('custom-prompts', true);
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(set.json(), { tenant: 't-pro', key: 'custom-prompts', value: true, tierValue: false });
    assert.equal((await flagOf('custom-prompts')).value, true);
    assert.equal(await ofrep('custom-prompts'), true, 'OFREP clients see the override');
    assert.equal((await put('max-agent-instances', 25)).statusCode, 200);
    assert.equal((await flagOf('max-agent-instances')).value, 25);
    // The other tenants of the tier keep the tier's value.
    const basic = await t.app.inject({
      method: 'GET',
      url: '/v1/tenants/t-basic/flags',
      headers: keys.basic,
    });
    assert.equal(basic.json().flags['custom-prompts'].value, false);

    const wrongType = await put('custom-prompts', 3);
    assert.equal(wrongType.statusCode, 400, wrongType.body);
    assert.equal(wrongType.json().details.field, 'value');
    assert.equal((await put('no-such-flag', true)).statusCode, 404);
    const byTenant = await put('custom-prompts', true, keys.pro);
    assert.equal(byTenant.statusCode, 403, 'a tenant cannot raise its own flags');

    const removed = await t.app.inject({
      method: 'DELETE',
      url: '/v1/tenants/t-pro/flags/custom-prompts',
      headers: t.admin,
    });
    assert.equal(removed.statusCode, 204, removed.body);
    assert.equal((await flagOf('custom-prompts')).value, false, 'the tier decides again');
    const again = await t.app.inject({
      method: 'DELETE',
      url: '/v1/tenants/t-pro/flags/custom-prompts',
      headers: t.admin,
    });
    assert.equal(again.statusCode, 404);

    const audit = await t.app.inject({ method: 'GET', url: '/v1/tenants/t-pro/audit', headers: t.admin });
    const actions = (audit.json().items as Array<{ action: string; target: string }>)
      .filter((event) => event.target === 'flag/custom-prompts')
      .map((event) => event.action);
    assert.deepEqual(actions.sort(), ['flag.overridden', 'flag.override-removed']);
  });
});
