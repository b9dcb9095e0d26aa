// AgentInstances against the real API server: admitted ones become Deployments that kwok makes
// available, `kubectl wait --for=condition=Ready` works, pausing and suspension scale to zero, and
// instances that break their tenant's rules are refused with a reason and an Event.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { applyObject as apply, getJson, kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { operatorSuite } from '../../helpers/operator.ts';

const tenant = (name: string, spec: Record<string, unknown>) =>
  apply({ apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant', metadata: { name }, spec });
const agent = (name: string, namespace: string, spec: Record<string, unknown>) =>
  apply({
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'AgentInstance',
    metadata: { name, namespace },
    spec: { agent: 'customer-service', version: '2.1.0', ...spec },
  });

const condition = async (resource: string, namespace: string, type: string) =>
  (await getJson([resource, '-n', namespace])).status?.conditions?.find(
    (c: { type: string }) => c.type === type,
  );

describe('operator: agent instances', () => {
  operatorSuite();
  const globex = uniqueName('globex');
  const ns = `tenant-${globex}`;
  const tiny = uniqueName('tiny');

  before(async () => {
    await tenant(globex, { tier: 'enterprise' });
    await tenant(tiny, { tier: 'basic' });
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', `tenant/${globex}`, `tenant/${tiny}`]);
  });
  after(async () => {
    await kubectl(['delete', 'tenant', globex, tiny, '--ignore-not-found', '--wait=false']);
  });

  it('runs an admitted instance as a Deployment and reports Ready once a replica is available', async () => {
    await agent('support', ns, { tenantRef: globex, prompt: { system: 'You are ACME support.' } });
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', 'agentinstance/support', '-n', ns]);

    const deployment = await getJson(['deployment', 'agent-support', '-n', ns]);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, `tenant-${globex}-runtime`);
    assert.equal(
      pod.containers[0].env.find((e: { name: string }) => e.name === 'AGENTPLANE_TENANT').value,
      globex,
    );
    const config = JSON.parse(
      (await getJson(['configmap', 'agent-support-config', '-n', ns])).data['agent.json'],
    );
    assert.equal(config.prompt.system, 'You are ACME support.');
    assert.equal(config.topics.inbound, `agentplane.${globex}.agent.support.inbound`);
    const admin = new Kafka({
      brokers: testbedEnv('KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const topics = await admin.listTopics().finally(() => admin.disconnect());
    assert.ok(topics.includes(config.topics.inbound), 'the inbound topic exists before the runtime starts');

    const instance = await getJson(['agentinstance', 'support', '-n', ns]);
    assert.equal(instance.status.phase, 'Ready');
    assert.equal(instance.status.readyReplicas, 1);
    assert.equal(instance.metadata.ownerReferences[0].name, globex, 'owned by its Tenant');
  });

  it('adds a PodDisruptionBudget for several replicas and an HPA for autoscaling, and removes them again', async () => {
    await agent('sales', ns, {
      tenantRef: globex,
      agent: 'sales',
      replicas: 2,
      autoscaling: { minReplicas: 2, maxReplicas: 4 },
    });
    await eventually(async () => (await kubectl(['get', 'pdb,hpa', 'agent-sales', '-n', ns])).code === 0, {
      what: 'the PDB and HPA of agent-sales',
    });
    await kubectlOk([
      'patch',
      'agentinstance',
      'sales',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/autoscaling"},{"op":"replace","path":"/spec/replicas","value":1}]',
    ]);
    await eventually(async () => (await kubectl(['get', 'hpa', 'agent-sales', '-n', ns])).code !== 0, {
      what: 'the HPA to go',
    });
    await eventually(async () => (await kubectl(['get', 'pdb', 'agent-sales', '-n', ns])).code !== 0, {
      what: 'the PDB to go',
    });
  });

  it("caps autoscaling at the tier's replicas per agent and says so on the Scaling condition", async () => {
    await agent('burst', ns, { tenantRef: globex, autoscaling: { minReplicas: 1, maxReplicas: 30 } });
    const hpa = await eventually(
      async () => {
        const result = await kubectl(['get', 'hpa', 'agent-burst', '-n', ns, '-o', 'json']);
        return result.code === 0 && JSON.parse(result.stdout);
      },
      { what: 'the HPA of agent-burst' },
    );
    assert.equal(hpa.spec.maxReplicas, 20, 'the enterprise tier allows 20 replicas per agent');
    const scaling = await eventually(
      async () => {
        const c = await condition(`agentinstance/burst`, ns, 'Scaling');
        return c?.reason === 'Capped' && c;
      },
      { what: 'the Scaling condition' },
    );
    assert.match(
      scaling.message,
      /asked for up to 30 replicas, capped at 20: the enterprise tier allows 20 replicas per agent/,
    );
    await kubectlOk(['delete', 'agentinstance', 'burst', '-n', ns]);
  });

  it('scales a paused instance to zero and back', async () => {
    await kubectlOk([
      'patch',
      'agentinstance',
      'support',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"paused":true}}',
    ]);
    await eventually(
      async () => (await getJson(['agentinstance', 'support', '-n', ns])).status?.phase === 'Paused',
      {
        what: 'support to be Paused',
      },
    );
    assert.equal((await getJson(['deployment', 'agent-support', '-n', ns])).spec.replicas, 0);
    await kubectlOk([
      'patch',
      'agentinstance',
      'support',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"paused":false}}',
    ]);
    await kubectlOk([
      'wait',
      '--for=jsonpath={.status.phase}=Ready',
      '--timeout=60s',
      'agentinstance/support',
      '-n',
      ns,
    ]);
  });

  it('suspends every agent of a suspended tenant and restores them', async () => {
    await kubectlOk(['patch', 'tenant', globex, '--type=merge', '-p', '{"spec":{"suspended":true}}']);
    await kubectlOk([
      'wait',
      '--for=jsonpath={.status.phase}=Suspended',
      '--timeout=60s',
      `tenant/${globex}`,
    ]);
    await kubectlOk([
      'wait',
      '--for=jsonpath={.spec.replicas}=0',
      '--timeout=60s',
      'deployment/agent-support',
      '-n',
      ns,
    ]);
    await kubectlOk(['patch', 'tenant', globex, '--type=merge', '-p', '{"spec":{"suspended":false}}']);
    await kubectlOk([
      'wait',
      '--for=jsonpath={.spec.replicas}=1',
      '--timeout=60s',
      'deployment/agent-support',
      '-n',
      ns,
    ]);
  });

  it("refuses an instance outside its tenant's namespace, with an Event", async () => {
    await agent('stray', 'default', { tenantRef: globex });
    const ready = await eventually(() => condition('agentinstance/stray', 'default', 'Ready'), {
      what: 'a Ready condition on stray',
    });
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'WrongNamespace');
    assert.match(ready.message, new RegExp(`lives in namespace ${ns}`));
    assert.match(
      await kubectlOk(['describe', 'agentinstance', 'stray', '-n', 'default']),
      /Warning\s+WrongNamespace/,
    );
    assert.equal(
      (await kubectl(['get', 'deployment', 'agent-stray', '-n', 'default'])).code,
      1,
      'nothing deployed',
    );
    await kubectlOk(['delete', 'agentinstance', 'stray', '-n', 'default']);
  });

  it('refuses what the tier does not include: a third basic agent, a marketing agent, an unknown tenant', async () => {
    const pool = 'agentplane-pool-basic';
    const names = ['tiny-a', 'tiny-b', 'tiny-c'].map((n) => `${tiny}-${n}`.slice(0, 40));
    for (const name of names) await agent(name, pool, { tenantRef: tiny });
    const third = await eventually(() => condition(`agentinstance/${names[2]}`, pool, 'TenantValid'), {
      what: 'TenantValid on the third',
    });
    assert.equal(third.reason, 'TierLimitExceeded');
    for (const name of names.slice(0, 2)) {
      assert.equal(
        (await eventually(() => condition(`agentinstance/${name}`, pool, 'TenantValid'), { what: name }))
          .status,
        'True',
      );
    }
    await agent(`${tiny}-mkt`, pool, { tenantRef: tiny, agent: 'marketing' });
    const marketing = await eventually(() => condition(`agentinstance/${tiny}-mkt`, pool, 'TenantValid'), {
      what: 'marketing',
    });
    assert.equal(marketing.reason, 'AgentNotAllowed');

    await agent(`${tiny}-ghost`, pool, { tenantRef: uniqueName('nobody') });
    const ghost = await eventually(() => condition(`agentinstance/${tiny}-ghost`, pool, 'Ready'), {
      what: 'ghost',
    });
    assert.equal(ghost.reason, 'TenantNotFound');
    await kubectlOk(['delete', 'agentinstance', `${tiny}-ghost`, '-n', pool]);
  });

  it('removes the instances of a deleted tenant from the shared pool', async () => {
    const pool = 'agentplane-pool-basic';
    await kubectlOk(['delete', 'tenant', tiny, '--wait=true', '--timeout=60s']);
    await eventually(
      async () =>
        (await getJson(['agentinstances', '-n', pool])).items.every(
          (i: { spec: { tenantRef: string } }) => i.spec.tenantRef !== tiny,
        ),
      { what: `the AgentInstances of ${tiny} to be garbage-collected`, timeoutMs: 60_000 },
    );
  });
});
