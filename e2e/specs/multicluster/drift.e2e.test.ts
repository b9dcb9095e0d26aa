// Drift on a member: what an SRE deletes or edits by hand among the hub's fields is put back on the
// next sync, with an Event on the member and an audit event on the hub; their edits of other fields
// stay; another manager's server-side apply of a hub field is a conflict, reported and not overwritten.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { type MulticlusterBed, type RunningMember, registration, startBed } from './fixture.ts';

describe('multi-cluster: drift and conflicts', { timeout: 600_000 }, () => {
  let bed: MulticlusterBed;
  let member: RunningMember;
  const tenant = uniqueName('drift');
  const home = 'agentplane-pool-pro';
  const inject = (method: 'GET' | 'POST', url: string, payload?: object) =>
    bed.hub.app.inject({ method, url, headers: bed.hub.admin, ...(payload ? { payload } : {}) });
  const live = async (...args: string[]) => JSON.parse(await member.kubectl(['get', ...args, '-o', 'json']));
  const auditActions = async () =>
    (await inject('GET', `/v1/tenants/${tenant}/audit`))
      .json()
      .items.map((e: { action: string }) => e.action);
  const events = async (namespace: string, reason: string, name: string) =>
    (await live('events', '-n', namespace, '--field-selector', `reason=${reason}`)).items.filter(
      (e: { involvedObject: { name: string } }) => e.involvedObject.name === name,
    );
  const applyAs = (manager: string, spec: Record<string, unknown>, force = false) =>
    member.kubectl(
      [
        'apply',
        '--server-side',
        `--field-manager=${manager}`,
        ...(force ? ['--force-conflicts'] : []),
        '-f',
        '-',
      ],
      stringify({ apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant', metadata: { name: tenant }, spec }),
    );

  before(async () => {
    bed = await startBed([{ prefix: 'drift' }]);
    [member] = bed.members as [RunningMember];
    assert.equal((await inject('POST', '/v1/clusters', registration(member, 'eu'))).statusCode, 201);
    await eventually(
      async () => (await inject('GET', `/v1/clusters/${member.name}`)).json().health.state === 'Ready',
      {
        what: 'the member Ready',
        timeoutMs: 60_000,
      },
    );
    const created = await inject('POST', '/v1/tenants', { name: tenant, tier: 'pro', displayName: 'ACME' });
    assert.equal(created.statusCode, 201, created.body);
    await eventually(
      async () => (await inject('GET', `/v1/tenants/${tenant}`)).json().status?.phase === 'Ready',
      {
        what: 'the tenant Ready',
        timeoutMs: 90_000,
      },
    );
    const agent = { name: 'support', agent: 'customer-service', version: '1.0.0' };
    assert.equal((await inject('POST', `/v1/tenants/${tenant}/agent-instances`, agent)).statusCode, 201);
  });
  after(async () => {
    await bed?.close();
  });

  it('re-creates an AgentInstance deleted by hand, with an Event there and an audit event here', async () => {
    const before = await live('agentinstance', 'support', '-n', home);
    await member.kubectl(['delete', 'agentinstance', 'support', '-n', home, '--wait=true']);
    const restored = await eventually(
      async () => {
        const now = await live('agentinstance', 'support', '-n', home).catch(() => undefined);
        return now && now.metadata.uid !== before.metadata.uid ? now : undefined;
      },
      { what: 'the AgentInstance back on the member', timeoutMs: 60_000 },
    );
    assert.equal(restored.spec.agent, 'customer-service');
    await eventually(async () => (await events(home, 'DriftCorrected', 'support')).length > 0, {
      what: 'a DriftCorrected Event on the member',
    });
    await eventually(async () => (await auditActions()).includes('cluster.drift-corrected'), {
      what: 'the audit event on the hub',
    });
  });

  it('restores a hub field edited by hand and keeps the SRE’s edit of another field', async () => {
    await member.kubectl([
      'patch',
      'tenant',
      tenant,
      '--type=merge',
      '-p',
      '{"spec":{"displayName":"edited by hand"}}',
    ]);
    await member.kubectl([
      'patch',
      'tenant',
      tenant,
      '--type=merge',
      '-p',
      '{"spec":{"owners":["sre@acme.example"]}}',
    ]);
    await eventually(async () => (await live('tenant', tenant)).spec.displayName === 'ACME', {
      what: 'displayName restored',
      timeoutMs: 30_000,
    });
    await eventually(async () => (await events('default', 'DriftCorrected', tenant)).length > 0, {
      what: 'a DriftCorrected Event on the Tenant',
    });
    // A full re-sync later the SRE's field is still there.
    await sleep(bed.hub.hub.settings.resyncMs + 1000);
    assert.deepEqual((await live('tenant', tenant)).spec.owners, ['sre@acme.example']);
    const corrected = (await auditActions()).filter((a: string) => a === 'cluster.drift-corrected');
    assert.ok(corrected.length >= 2, `audited each correction: ${corrected.length}`);
  });

  it('reports another manager’s apply of a hub field as a conflict and does not overwrite it', async () => {
    await applyAs('gitops', { tier: 'pro', displayName: 'GitOps name' }, true);
    await eventually(
      async () => (await inject('GET', `/v1/tenants/${tenant}/placement`)).json().sync?.state === 'Conflict',
      {
        what: 'the conflict reported on the placement',
        timeoutMs: 30_000,
      },
    );
    const sync = (await inject('GET', `/v1/tenants/${tenant}/placement`)).json().sync;
    assert.match(sync.message, /gitops/);
    await eventually(async () => (await events('default', 'HubFieldConflict', tenant)).length > 0, {
      what: 'a HubFieldConflict Event on the Tenant',
    });
    assert.ok((await auditActions()).includes('cluster.sync-conflict'));
    await sleep(bed.hub.hub.settings.resyncMs + 1000);
    assert.equal((await live('tenant', tenant)).spec.displayName, 'GitOps name', 'not overwritten');

    // The other manager lets go of the field: the hub states it again.
    await applyAs('gitops', { tier: 'pro' });
    await eventually(async () => (await live('tenant', tenant)).spec.displayName === 'ACME', {
      what: 'the hub’s value back once the conflict is gone',
      timeoutMs: 30_000,
    });
    await eventually(
      async () => (await inject('GET', `/v1/tenants/${tenant}/placement`)).json().sync?.state === 'Synced',
      {
        what: 'the placement synced again',
        timeoutMs: 30_000,
      },
    );
  });
});
