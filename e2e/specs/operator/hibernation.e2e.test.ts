// Hibernation on the test bed: a basic tenant with a 5-second idle window goes to sleep (Deployment at
// zero, no autoscaler), a message produced to its inbound topic on the real Kafka wakes it, and the
// status says how long the wake took. A tenant pinned with spec.hibernation.mode Never stays up. kwok
// marks the pods ready; no runtime consumes here, so the waking message is still waiting in the topic
// afterwards (bench/hibernation runs the runtime and times the reply).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { topicNames } from '@agentplane/shared';
import kafkajs from 'kafkajs';
import { stringify } from 'yaml';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { getJson, kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { operatorSuite } from '../../helpers/operator.ts';

const pool = 'agentplane-pool-basic';

const tenantManifest = (name: string, hibernation: Record<string, string>) =>
  stringify({
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name },
    spec: { tier: 'basic', hibernation },
  });

const agentManifest = (name: string, tenant: string) =>
  stringify({
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'AgentInstance',
    metadata: { name, namespace: pool },
    spec: {
      tenantRef: tenant,
      agent: 'customer-service',
      version: '2.1.0',
      autoscaling: { minReplicas: 1, maxReplicas: 2 },
    },
  });

describe('operator: hibernation of idle tenants', () => {
  // The default idle window is long: only the tenant that asks for 5 s hibernates in this suite.
  operatorSuite({ OPERATOR_HIBERNATION_POLL: '1s', OPERATOR_HIBERNATION_IDLE: '1h' });
  const sleepy = uniqueName('hib');
  const pinned = uniqueName('pin');
  const agentOf = (tenant: string) => `${tenant}-cs`;
  const kafka = new kafkajs.Kafka({
    clientId: 'hibernation-e2e',
    brokers: testbedEnv('KAFKA_BROKERS').split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer();
  const admin = kafka.admin();

  before(async () => {
    await Promise.all([producer.connect(), admin.connect()]);
    await kubectlOk(['apply', '-f', '-'], {
      stdin: tenantManifest(sleepy, { mode: 'Auto', idleAfter: '5s' }),
    });
    await kubectlOk(['apply', '-f', '-'], { stdin: tenantManifest(pinned, { mode: 'Never' }) });
    for (const t of [sleepy, pinned]) {
      await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', `tenant/${t}`]);
      await kubectlOk(['apply', '-f', '-'], { stdin: agentManifest(agentOf(t), t) });
    }
  });
  after(async () => {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
    // Only a safety net (this runs after the operator stopped): the last test deletes the tenants.
    for (const t of [sleepy, pinned])
      await kubectl(['delete', 'tenant', t, '--ignore-not-found', '--wait=false']);
  });

  it('rejects a malformed idle window with a message naming the field', async () => {
    const bad = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
      stdin: tenantManifest(uniqueName('bad'), { idleAfter: '30 minutes' }),
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.hibernation\.idleAfter must be a duration such as 90s, 30m or 12h/);
    const mode = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
      stdin: tenantManifest(uniqueName('bad'), { mode: 'Sometimes' }),
    });
    assert.match(mode.stderr, /spec\.hibernation\.mode: Unsupported value: "Sometimes"/);
  });

  it('scales an idle tenant to zero: phase Hibernating, no replicas, no autoscaler', async () => {
    const tenant = await eventually(
      async () => {
        const t = await getJson(['tenant', sleepy]);
        return t.status?.phase === 'Hibernating' && t;
      },
      { what: `tenant ${sleepy} to hibernate`, timeoutMs: 90_000, intervalMs: 500 },
    );
    const h = tenant.status.hibernation;
    assert.equal(h.mode, 'Auto');
    assert.equal(h.idleAfter, '5s');
    assert.equal(h.state, 'Hibernating');
    assert.equal(h.observedOffsets, 0);
    assert.ok(Date.parse(h.hibernatedAt) - Date.parse(h.idleSince) >= 5_000, 'asleep only after the window');
    assert.equal(
      tenant.status.conditions.find((c: { type: string }) => c.type === 'Ready').status,
      'True',
      'a sleeping tenant is still Ready: its home is all there',
    );
    const deployment = await eventually(
      async () => {
        const d = await getJson(['deployment', `agent-${agentOf(sleepy)}`, '-n', pool]);
        return d.spec.replicas === 0 && d;
      },
      { what: 'the Deployment at zero', timeoutMs: 30_000 },
    );
    assert.equal(deployment.spec.replicas, 0);
    assert.notEqual(
      (await kubectl(['get', 'hpa', `agent-${agentOf(sleepy)}`, '-n', pool])).code,
      0,
      'no autoscaler fights the zero',
    );
    const agent = await getJson(['agentinstance', agentOf(sleepy), '-n', pool]);
    assert.equal(agent.status.phase, 'Hibernating');
    assert.match(
      await kubectlOk(['describe', 'tenant', sleepy]),
      /Normal\s+Hibernated\s.*no inbound message since/,
    );
  });

  it('wakes on a message to its inbound topic and says how long the wake took', async () => {
    const topic = topicNames.inbound(sleepy, agentOf(sleepy));
    const sentAt = Date.now();
    await producer.send({
      topic,
      messages: [
        {
          key: 'conv-1',
          value: JSON.stringify({
            id: 'wake-1',
            tenant: sleepy,
            conversationId: 'conv-1',
            text: 'Hello, is anyone there?',
            receivedAt: new Date().toISOString(),
          }),
        },
      ],
    });
    const tenant = await eventually(
      async () => {
        const t = await getJson(['tenant', sleepy]);
        return t.status?.phase === 'Ready' && t.status.hibernation?.lastWakeSeconds !== undefined && t;
      },
      { what: `tenant ${sleepy} to wake`, timeoutMs: 60_000, intervalMs: 250 },
    );
    const h = tenant.status.hibernation;
    assert.equal(h.state, 'Awake');
    assert.equal(h.observedOffsets, 1);
    assert.ok(Date.parse(h.wakeRequestedAt) >= sentAt - 1_000, 'the wake began with the message');
    assert.ok(
      Date.parse(h.wakeRequestedAt) - sentAt < 10_000,
      `seen within a few polls: ${h.wakeRequestedAt}`,
    );
    assert.equal(typeof h.lastWakeSeconds, 'number');
    assert.ok(h.lastWakeSeconds >= 0 && h.lastWakeSeconds < 60, `lastWakeSeconds ${h.lastWakeSeconds}`);
    const deployment = await getJson(['deployment', `agent-${agentOf(sleepy)}`, '-n', pool]);
    assert.notEqual(deployment.spec.replicas, 0, 'the agents are back');
    assert.ok(deployment.status.readyReplicas >= 1);
    await kubectlOk(['get', 'hpa', `agent-${agentOf(sleepy)}`, '-n', pool]);
    const described = await kubectlOk(['describe', 'tenant', sleepy]);
    assert.match(described, /Normal\s+Waking\s.*1 new inbound message/);
    assert.match(described, /Normal\s+Woke\s.*1 agent\(s\) ready again after/);
    const wide = await kubectlOk(['get', 'tenant', sleepy, '-o', 'wide']);
    assert.match(wide.split('\n')[0] ?? '', /IDLE SINCE\s+LAST WAKE/);
    assert.match(wide.split('\n')[1] ?? '', new RegExp(`\\s${h.lastWakeSeconds}\\s*$`));
    // Not lost: the message waits beyond the agents' committed offsets for the runtime to answer it.
    const committed = await admin.fetchOffsets({
      groupId: topicNames.consumerGroup(sleepy, agentOf(sleepy)),
      topics: [topic],
    });
    const ends = await admin.fetchTopicOffsets(topic);
    const lag = ends.reduce((sum, p) => {
      const at = Number(committed[0]?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1);
      return sum + Number(p.high) - (at >= 0 ? at : Number(p.low));
    }, 0);
    assert.equal(lag, 1);
  });

  it('stays awake while the message is unconsumed, and never hibernates a pinned tenant', async () => {
    // Well past both idle windows: the sleepy tenant has lag, the pinned one is pinned.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const woken = await getJson(['tenant', sleepy]);
    assert.equal(woken.status.phase, 'Ready', 'unconsumed messages are not idleness');
    const tenant = await getJson(['tenant', pinned]);
    assert.equal(tenant.status.phase, 'Ready');
    assert.deepEqual(tenant.status.hibernation, { mode: 'Never', state: 'Awake' });
    const deployment = await getJson(['deployment', `agent-${agentOf(pinned)}`, '-n', pool]);
    assert.notEqual(deployment.spec.replicas, 0);
    assert.doesNotMatch(await kubectlOk(['describe', 'tenant', pinned]), /Hibernated/);
  });

  it('pinning a hibernating tenant wakes it', async () => {
    // Drain the waiting message as a runtime would, so the sleepy tenant can fall asleep again.
    const topic = topicNames.inbound(sleepy, agentOf(sleepy));
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: topicNames.consumerGroup(sleepy, agentOf(sleepy)),
      topic,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    await eventually(async () => (await getJson(['tenant', sleepy])).status?.phase === 'Hibernating', {
      what: `tenant ${sleepy} to hibernate again once its backlog is consumed`,
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    await kubectlOk([
      'patch',
      'tenant',
      sleepy,
      '--type=merge',
      '-p',
      '{"spec":{"hibernation":{"mode":"Never"}}}',
    ]);
    const tenant = await eventually(
      async () => {
        const t = await getJson(['tenant', sleepy]);
        return t.status?.phase === 'Ready' && t.status.hibernation?.mode === 'Never' && t;
      },
      { what: 'the pinned tenant to be awake', timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.equal(tenant.status.hibernation.state, 'Awake');
    assert.notEqual((await getJson(['deployment', `agent-${agentOf(sleepy)}`, '-n', pool])).spec.replicas, 0);
    for (const t of [sleepy, pinned])
      await kubectlOk(['delete', 'tenant', t, '--wait=true', '--timeout=60s']);
  });
});
