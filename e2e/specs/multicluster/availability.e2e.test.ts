// Member health as the hub sees it: a member whose API server stops marks its tenants Degraded
// (ClusterUnreachable) within the bound while the others carry on, and recovers on its own; a
// member without our CRDs is CRDsOutdated, one whose operator does not renew its Lease OperatorMissing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { installCrdsOn } from '../../helpers/crds.ts';
import { uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { type MulticlusterBed, type RunningMember, registration, startBed } from './fixture.ts';

describe('multi-cluster: member health and availability', { timeout: 600_000 }, () => {
  let bed: MulticlusterBed;
  let a: RunningMember;
  let b: RunningMember;
  let bare: RunningMember;
  const tenantOnA = uniqueName('on-a');
  const tenantOnB = uniqueName('on-b');
  const inject = (method: 'GET' | 'POST', url: string, payload?: object) =>
    bed.hub.app.inject({ method, url, headers: bed.hub.admin, ...(payload ? { payload } : {}) });
  const status = async (tenant: string) => (await inject('GET', `/v1/tenants/${tenant}`)).json().status;
  const health = async (member: RunningMember) =>
    (await inject('GET', `/v1/clusters/${member.name}`)).json().health;
  const healthIs = (member: RunningMember, state: string, timeoutMs = 60_000) =>
    eventually(async () => (await health(member)).state === state, {
      what: `${member.name} ${state}`,
      timeoutMs,
    });

  before(async () => {
    bed = await startBed([
      { prefix: 'a' },
      { prefix: 'b' },
      { prefix: 'bare', crds: false, operator: false },
    ]);
    [a, b, bare] = bed.members as [RunningMember, RunningMember, RunningMember];
    for (const member of [a, b]) {
      assert.equal((await inject('POST', '/v1/clusters', registration(member, 'eu'))).statusCode, 201);
      await healthIs(member, 'Ready');
    }
    for (const [tenant, member] of [
      [tenantOnA, a],
      [tenantOnB, b],
    ] as const) {
      const res = await inject('POST', '/v1/tenants', { name: tenant, tier: 'pro', cluster: member.name });
      assert.equal(res.statusCode, 201, res.body);
      await eventually(async () => (await status(tenant)).phase === 'Ready', {
        what: `${tenant} Ready on ${member.name}`,
        timeoutMs: 90_000,
      });
    }
  });
  after(async () => {
    await bed?.close();
  });

  it('marks the tenants of a member that stops answering Degraded within the bound, and only those', async (t) => {
    // The bound runs from when the API server stops answering; it is signalled now and may take a
    // while to exit, so the clock starts at the signal (a conservative measure).
    const stoppedAt = Date.now();
    const stopping = a.cluster.apiServer.stop();
    // Bound: unreachableAfter (2) × probe interval (1 s) + probe timeout (2 s), plus scheduling slack.
    await eventually(async () => (await status(tenantOnA)).reason === 'ClusterUnreachable', {
      what: `${tenantOnA} Degraded`,
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    const degradedAfterMs = Date.now() - stoppedAt;
    await stopping;
    t.diagnostic(
      `${tenantOnA} Degraded ${degradedAfterMs} ms after its API server was signalled (it exited after ${Date.now() - stoppedAt} ms)`,
    );
    const degraded = await status(tenantOnA);
    assert.equal(degraded.phase, 'Degraded');
    assert.match(degraded.message, /has not answered since/);
    assert.ok(
      degraded.conditions.some((c: { type: string }) => c.type === 'Ready'),
      'the last known conditions stay visible',
    );
    assert.ok(degradedAfterMs < 20_000, `degraded after ${degradedAfterMs} ms`);
    const down = await health(a);
    assert.equal(down.state, 'Unreachable');
    assert.ok(down.lastSuccessAt && Date.parse(down.lastSuccessAt) <= stoppedAt + degradedAfterMs);

    assert.equal((await status(tenantOnB)).phase, 'Ready', 'the other member’s tenants are unaffected');
    assert.equal((await health(b)).state, 'Ready');
    const refused = await inject('POST', '/v1/tenants', {
      name: uniqueName('x'),
      tier: 'pro',
      cluster: a.name,
    });
    assert.equal(refused.statusCode, 409, 'nothing new goes to an unreachable member');
    assert.match(refused.json().message, /health is Unreachable/);
  });

  it('recovers without anyone doing anything when the member answers again', async () => {
    await a.cluster.apiServer.start();
    await healthIs(a, 'Ready');
    await eventually(async () => (await status(tenantOnA)).phase === 'Ready', {
      what: `${tenantOnA} Ready again from the re-listed cache`,
      timeoutMs: 30_000,
    });
    await eventually(
      async () => (await inject('GET', `/v1/tenants/${tenantOnA}/placement`)).json().sync?.state === 'Synced',
      { what: `the hub to sync ${tenantOnA} again`, timeoutMs: 30_000 },
    );
  });

  it('calls a member whose operator stopped renewing its Lease OperatorMissing and places nothing there', async () => {
    await b.stopOperator(); // a clean stop releases the Lease
    await healthIs(b, 'OperatorMissing', 20_000);
    assert.match((await health(b)).message, /no holder|renewed/);
    assert.equal((await status(tenantOnB)).clusterHealth, 'OperatorMissing');
    const refused = await inject('POST', '/v1/tenants', {
      name: uniqueName('x'),
      tier: 'pro',
      cluster: b.name,
    });
    assert.equal(refused.statusCode, 409);
    await b.startOperator();
    await healthIs(b, 'Ready', 60_000);
  });

  it('calls a member without our CRDs CRDsOutdated, then OperatorMissing once they are installed', async () => {
    assert.equal((await inject('POST', '/v1/clusters', registration(bare, 'eu'))).statusCode, 201);
    await healthIs(bare, 'CRDsOutdated', 20_000);
    assert.match((await health(bare)).message, /tenants.agentplane.io is not installed/);
    await installCrdsOn(bare.cluster.kubeconfig);
    await healthIs(bare, 'OperatorMissing', 20_000);
  });
});
