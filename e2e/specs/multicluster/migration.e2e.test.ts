// Moving a tenant between members: built on the target (agents paused), Ready there, agents paused
// on the source, placement switched, source emptied; afterwards it exists only on the target. A hub
// that restarts in the middle resumes from the step stored in PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { type MulticlusterBed, type RunningMember, registration, startBed } from './fixture.ts';

async function topicsOf(tenant: string): Promise<string[]> {
  const admin = new Kafka({
    brokers: testbedEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((topic) => topic.startsWith(`agentplane.${tenant}.`));
  } finally {
    await admin.disconnect();
  }
}

describe('multi-cluster: migration', { timeout: 600_000 }, () => {
  let bed: MulticlusterBed;
  let source: RunningMember;
  let target: RunningMember;
  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    bed.hub.app.inject({ method, url, headers: bed.hub.admin, ...(payload ? { payload } : {}) });
  const placement = async (tenant: string) => (await inject('GET', `/v1/tenants/${tenant}/placement`)).json();
  const names = async (member: RunningMember, kind: string) =>
    (await member.kubectl(['get', kind, '-A', '-o', 'name'])).split('\n').filter(Boolean);

  /** A Ready tenant on the source with one agent instance. */
  async function readyTenant(): Promise<string> {
    const name = uniqueName('mover');
    const created = await inject('POST', '/v1/tenants', { name, tier: 'enterprise', cluster: source.name });
    assert.equal(created.statusCode, 201, created.body);
    await inject('DELETE', `/v1/tenants/${name}/placement/pin`);
    await eventually(
      async () => (await inject('GET', `/v1/tenants/${name}`)).json().status?.phase === 'Ready',
      {
        what: `${name} Ready on ${source.name}`,
        timeoutMs: 90_000,
      },
    );
    const agent = await inject('POST', `/v1/tenants/${name}/agent-instances`, {
      name: 'support',
      agent: 'customer-service',
      version: '1.0.0',
    });
    assert.equal(agent.statusCode, 201, agent.body);
    await eventually(async () => (await names(source, 'agentinstances')).length > 0, {
      what: 'the agent instance on the source',
    });
    return name;
  }

  before(async () => {
    bed = await startBed([{ prefix: 'src' }, { prefix: 'dst' }]);
    [source, target] = bed.members as [RunningMember, RunningMember];
    const labels = { 'agentplane.io/dedicated-tenants': 'true' };
    for (const member of [source, target]) {
      assert.equal(
        (await inject('POST', '/v1/clusters', registration(member, 'eu', { labels }))).statusCode,
        201,
      );
    }
    await eventually(
      async () =>
        ((await inject('GET', '/v1/clusters')).json().items as Array<{ health: { state: string } }>).every(
          (c) => c.health.state === 'Ready',
        ),
      { what: 'both members Ready', timeoutMs: 60_000 },
    );
  });
  after(async () => {
    await bed?.close();
  });

  it('moves a tenant and its agents, and afterwards it exists only on the target', async () => {
    const name = await readyTenant();
    const started = await inject('POST', `/v1/tenants/${name}/migrate`, { cluster: target.name });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(started.json().migration.step, 'BuildingTarget');
    assert.equal(
      (await inject('POST', `/v1/tenants/${name}/migrate`, { cluster: target.name })).statusCode,
      409,
    );

    const steps = new Set<string>();
    await eventually(
      async () => {
        const step = (await placement(name)).migration?.step;
        steps.add(step);
        return step === 'Completed';
      },
      { what: `${name} moved to ${target.name}`, timeoutMs: 180_000, intervalMs: 250 },
    );
    assert.ok(steps.has('PausingSource') || steps.has('RemovingSource'), `progress was shown: ${[...steps]}`);
    const done = await placement(name);
    assert.equal(done.cluster, target.name);

    assert.ok(
      !(await names(source, 'tenants')).includes(`tenant.agentplane.io/${name}`),
      'gone from the source',
    );
    assert.deepEqual(await names(source, 'agentinstances'), []);
    assert.ok((await names(target, 'tenants')).includes(`tenant.agentplane.io/${name}`));
    const agent = JSON.parse(
      await target.kubectl(['get', 'agentinstance', 'support', '-n', `tenant-${name}`, '-o', 'json']),
    );
    assert.equal(agent.spec.paused, false, 'the agents run again on the target');
    await eventually(
      async () => (await inject('GET', `/v1/tenants/${name}`)).json().status?.phase === 'Ready',
      {
        what: `${name} Ready on ${target.name}`,
        timeoutMs: 60_000,
      },
    );
    const arrived = JSON.parse(await target.kubectl(['get', 'tenant', name, '-o', 'json']));
    assert.equal(arrived.metadata.annotations['agentplane.io/migrated-from'], source.name);
    // The bed's members share one Kafka: the source's clean-up removed the tenant's topics, and the
    // target's operator, woken by the annotation, creates them again.
    await eventually(async () => (await topicsOf(name)).includes(`agentplane.${name}.events`), {
      what: `the events topic of ${name} back after the source's clean-up`,
      timeoutMs: 30_000,
    });
    const audit = (await inject('GET', `/v1/tenants/${name}/audit`))
      .json()
      .items.map((e: { action: string }) => e.action);
    assert.ok(audit.includes('tenant.migration-started') && audit.includes('tenant.migrated'), audit.join());
  });

  it('resumes an interrupted migration after a hub restart', async () => {
    const name = await readyTenant();
    assert.equal(
      (await inject('POST', `/v1/tenants/${name}/migrate`, { cluster: target.name })).statusCode,
      202,
    );
    // The hub goes away right after accepting: the state is only in PostgreSQL now.
    await bed.restartHub();
    assert.notEqual((await placement(name)).migration.step, 'Completed');
    await eventually(async () => (await placement(name)).migration?.step === 'Completed', {
      what: `the restarted hub to finish moving ${name}`,
      timeoutMs: 180_000,
    });
    assert.equal((await placement(name)).cluster, target.name);
    assert.ok(!(await names(source, 'tenants')).includes(`tenant.agentplane.io/${name}`));
  });
});
