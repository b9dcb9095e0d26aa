// Multi-cluster placement: three member clusters with their own operators, registered with the hub
// (credentials to Vault only); tenants land by region, tier and headroom; nothing fitting is a 409
// with every cluster's reasons; an administrator pins and unpins.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import vault from 'node-vault';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { type MulticlusterBed, registration, startBed } from './fixture.ts';

const dedicated = { 'agentplane.io/dedicated-tenants': 'true' };

describe('multi-cluster: registry and placement', { timeout: 600_000 }, () => {
  let bed: MulticlusterBed;
  // eu-small takes enterprise tenants; eu-large has the most room; us is alone in its region.
  let euSmall: MulticlusterBed['members'][number];
  let euLarge: MulticlusterBed['members'][number];
  let us: MulticlusterBed['members'][number];
  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    bed.hub.app.inject({ method, url, headers: bed.hub.admin, ...(payload ? { payload } : {}) });
  const tenantPhase = async (tenant: string) =>
    (await inject('GET', `/v1/tenants/${tenant}`)).json().status?.phase;
  const onMember = async (member: MulticlusterBed['members'][number], tenant: string) =>
    (await member.kubectl(['get', 'tenants', '-o', 'name'])).includes(`tenant.agentplane.io/${tenant}`);

  before(async () => {
    bed = await startBed([{ prefix: 'eu-small' }, { prefix: 'eu-large' }, { prefix: 'us' }]);
    [euSmall, euLarge, us] = bed.members as [typeof euSmall, typeof euLarge, typeof us];
  });
  after(async () => {
    await bed?.close();
  });

  it('registers members with their credentials in Vault, never in PostgreSQL, and finds them Ready', async () => {
    const bodies = [
      registration(euSmall, 'eu', {
        labels: dedicated,
        capacity: { maxTenants: 10, cpu: '100', memory: '200Gi' },
      }),
      registration(euLarge, 'eu', {
        kubeconfig: true,
        capacity: { maxTenants: 50, cpu: '400', memory: '800Gi' },
      }),
      registration(us, 'us'),
    ];
    for (const body of bodies) {
      const res = await inject('POST', '/v1/clusters', body);
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().credentials.vaultPath, `secret/data/platform/clusters/${body.name}`);
      assert.ok(!res.body.includes(euSmall.hubToken), 'the answer carries no credentials');
    }
    await eventually(
      async () => {
        const { items } = (await inject('GET', '/v1/clusters')).json() as {
          items: Array<{ health: { state: string } }>;
        };
        return items.length === 3 && items.every((c) => c.health.state === 'Ready');
      },
      { what: 'every member to be Ready (API, CRDs, operator Lease)', timeoutMs: 60_000 },
    );
    const one = (await inject('GET', `/v1/clusters/${euLarge.name}`)).json();
    assert.deepEqual(one.credentials, {
      kind: 'kubeconfig',
      vaultPath: `secret/data/platform/clusters/${euLarge.name}`,
    });
    assert.ok(one.health.lastSuccessAt, 'the time of the last success is recorded');

    const stored = await vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') }).read(
      `secret/data/platform/clusters/${us.name}`,
    );
    assert.equal(stored.data.data.token, us.hubToken);
    const rows = await bed.hub.app.orm.em.fork().execute('select * from member_clusters');
    const dump = JSON.stringify(rows);
    for (const member of bed.members) assert.ok(!dump.includes(member.hubToken), 'no token in PostgreSQL');
    assert.ok(!dump.includes('current-context'), 'no kubeconfig in PostgreSQL');
    assert.ok(
      bed.logs().includes('member health changed'),
      'the hub logged (at debug level) while registering',
    );
    for (const member of bed.members)
      assert.ok(!bed.logs().includes(member.hubToken), 'no token in a log line');

    const again = await inject('POST', '/v1/clusters', bodies[0]);
    assert.equal(again.statusCode, 409);
    const both = await inject('POST', '/v1/clusters', {
      ...registration(us, 'us'),
      name: uniqueName('x'),
      credentials: { token: 't', kubeconfig: 'k' },
    });
    assert.equal(both.statusCode, 400);
    assert.equal(both.json().code, 'invalid_request');
  });

  it('places tenants by region, tier and headroom, and shows the decision with its reasons', async () => {
    const create = async (tier: string, region?: string) => {
      const name = uniqueName(tier);
      const res = await inject('POST', '/v1/tenants', { name, tier, ...(region ? { region } : {}) });
      assert.equal(res.statusCode, 201, res.body);
      return { name, cluster: res.json().placement.cluster as string };
    };
    const proEu = await create('pro', 'eu');
    const enterprise = await create('enterprise');
    const proUs = await create('pro', 'us');
    assert.equal(proEu.cluster, euLarge.name, 'the eu cluster with the most headroom');
    assert.equal(enterprise.cluster, euSmall.name, 'the only cluster labelled for dedicated tenants');
    assert.equal(proUs.cluster, us.name);

    const placement = (await inject('GET', `/v1/tenants/${proEu.name}/placement`)).json();
    assert.equal(placement.cluster, euLarge.name);
    const reasons = Object.fromEntries(
      placement.decision.candidates.map((c: { cluster: string; reasons: string[] }) => [
        c.cluster,
        c.reasons.join('; '),
      ]),
    );
    assert.match(reasons[euLarge.name], /chosen: most headroom/);
    assert.match(reasons[euSmall.name], /has more headroom/);
    assert.match(reasons[us.name], /region us is not the tenant's region eu/);

    // Written to its member only, and its status comes back from there.
    for (const { name, cluster } of [proEu, enterprise, proUs]) {
      for (const member of bed.members)
        assert.equal(await onMember(member, name), member.name === cluster, `${name} on ${member.name}`);
      await eventually(async () => (await tenantPhase(name)) === 'Ready', {
        what: `tenant ${name} Ready on ${cluster}, as the hub's cache shows`,
        timeoutMs: 90_000,
        intervalMs: 500,
      });
    }
    const view = (await inject('GET', `/v1/tenants/${enterprise.name}`)).json();
    assert.equal(view.status.namespace, `tenant-${enterprise.name}`);
    assert.ok(
      view.status.conditions.some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      ),
    );
    const live = JSON.parse(
      await euSmall.kubectl(['get', 'tenant', enterprise.name, '-o', 'json', '--show-managed-fields']),
    );
    assert.ok(
      live.metadata.managedFields.some(
        (f: { manager: string; operation: string }) =>
          f.manager === 'agentplane-hub' && f.operation === 'Apply',
      ),
      'written with server-side apply under the hub’s field manager',
    );
  });

  it('refuses a tenant nothing fits with 409 and every cluster’s reasons, and keeps no trace of it', async () => {
    const name = uniqueName('nowhere');
    const res = await inject('POST', '/v1/tenants', { name, tier: 'pro', region: 'ap' });
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().code, 'conflict');
    const candidates = res.json().details.candidates as Array<{
      cluster: string;
      fits: boolean;
      reasons: string[];
    }>;
    assert.deepEqual(candidates.map((c) => c.cluster).sort(), bed.members.map((m) => m.name).sort());
    for (const candidate of candidates) {
      assert.equal(candidate.fits, false);
      assert.match(candidate.reasons.join(), /is not the tenant's region ap/);
    }
    assert.equal((await inject('GET', `/v1/tenants/${name}`)).statusCode, 404);
  });

  it('pins a tenant where an administrator says, refuses to move it elsewhere, and unpins it', async () => {
    const name = uniqueName('pinned');
    // A pin waives the region rule: an eu tenant pinned to the us cluster.
    const res = await inject('POST', '/v1/tenants', { name, tier: 'basic', region: 'eu', cluster: us.name });
    assert.equal(res.statusCode, 201, res.body);
    const placement = (await inject('GET', `/v1/tenants/${name}/placement`)).json();
    assert.equal(placement.cluster, us.name);
    assert.equal(placement.pinned, true);
    assert.equal(await onMember(us, name), true);

    const move = await inject('POST', `/v1/tenants/${name}/migrate`, { cluster: euLarge.name });
    assert.equal(move.statusCode, 409);
    assert.match(move.json().message, /pinned to/);

    const unpinned = await inject('DELETE', `/v1/tenants/${name}/placement/pin`);
    assert.equal(unpinned.statusCode, 200);
    assert.equal(unpinned.json().pinned, false);
    const pinnedAgain = await inject('PUT', `/v1/tenants/${name}/placement/pin`, { cluster: us.name });
    assert.equal(pinnedAgain.json().pinned, true);
    assert.equal(pinnedAgain.json().migration, null, 'pinned where it runs: nothing moves');

    const unknown = await inject('POST', '/v1/tenants', {
      name: uniqueName('x'),
      tier: 'pro',
      cluster: 'no-such-cluster',
    });
    assert.equal(unknown.statusCode, 404);
  });

  it('is for platform administrators only', async () => {
    const res = await bed.hub.app.inject({ method: 'GET', url: '/v1/clusters' });
    assert.equal(res.statusCode, 401);
  });
});
