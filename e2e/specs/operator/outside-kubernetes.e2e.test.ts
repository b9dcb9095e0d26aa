// What the operator keeps outside Kubernetes, against the test bed's real Vault and Kafka: declared
// keys and their projection, an outage of Vault (through a relay this test cuts, so the shared Vault
// keeps its state), an agent's topic outliving its consumers but not them, and a tenant deletion
// that survives a killed operator and leaves nothing behind anywhere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import vault from 'node-vault';
import { stringify } from 'yaml';
import { installCrds } from '../../helpers/crds.ts';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { eventually } from '../../helpers/eventually.ts';
import { exclusive } from '../../helpers/exclusive.ts';
import { getJson, kubectl, kubectlOk } from '../../helpers/kubectl.ts';
import { type OperatorProcess, operatorKubeconfig, startOperator } from '../../helpers/operator.ts';
import { startTcpRelay, type TcpRelay } from '../../helpers/tcp-relay.ts';
import { freePort } from '../../testbed/ports.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests walk wire-format JSON returned by kubectl
type Json = Record<string, any>;

const condition = (object: Json, type: string): Json | undefined =>
  object.status?.conditions?.find((c: Json) => c.type === type);

async function waitCondition(resource: string[], type: string, reason: string, what: string): Promise<Json> {
  return eventually(
    async () => {
      const object = await getJson(resource);
      return condition(object, type)?.reason === reason && object;
    },
    { what, timeoutMs: 60_000 },
  );
}

const root = () => vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') });
const statusOf = (error: unknown) => (error as { response?: { statusCode?: number } }).response?.statusCode;

describe('operator: Vault and Kafka', () => {
  const tenant = uniqueName('vk');
  const home = `tenant-${tenant}`;
  const kafka = new Kafka({ brokers: testbedEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let relay: TcpRelay;
  let operator: OperatorProcess;
  let release: () => void;
  let kubeconfig: string;

  const start = async () => {
    const port = await freePort();
    operator = startOperator({
      KUBECONFIG: kubeconfig,
      VAULT_ADDR: relay.url,
      OPERATOR_HTTP_ADDRESS: `127.0.0.1:${port}`,
      OPERATOR_IDENTITY: uniqueName('op'),
      OPERATOR_RESYNC: '5s',
      OPERATOR_SECRETS_REFRESH: '1s',
      OPERATOR_SECRETS_ROLLOUT_WINDOW: '10s',
      // Quick lease hand-over for the restarted operator after a kill.
      OPERATOR_LEASE_DURATION: '4s',
      OPERATOR_RENEW_DEADLINE: '3s',
      OPERATOR_RETRY_PERIOD: '500ms',
    });
  };

  before(async () => {
    release = await exclusive('operator');
    await installCrds();
    kubeconfig = await operatorKubeconfig();
    relay = await startTcpRelay(testbedEnv('VAULT_ADDR'));
    await admin.connect();
    await start();
  });

  after(async () => {
    await relay.restore();
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']);
    const code = await operator.stop();
    await admin.disconnect();
    await relay.close();
    release();
    assert.equal(code, 0, `the operator exits cleanly on SIGTERM\n${operator.output().slice(-2000)}`);
  });

  it('holds SecretsReady at SecretMissing until a declared key exists, naming key and path', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      stdin: stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: tenant },
        spec: {
          tier: 'enterprise',
          secrets: {
            required: [{ path: 'llm', key: 'apiKey' }],
            projected: [{ path: 'llm', key: 'apiKey', secretKey: 'OPENAI_API_KEY' }],
            deleteOnTenantDeletion: true,
          },
        },
      }),
    });
    const waiting = await waitCondition(['tenant', tenant], 'SecretsReady', 'SecretMissing', 'SecretMissing');
    assert.match(
      condition(waiting, 'SecretsReady')?.message,
      new RegExp(`key apiKey in secret/tenants/${tenant}/llm`),
    );
    assert.equal(condition(waiting, 'Ready')?.status, 'False');
    assert.equal(condition(waiting, 'NamespaceReady')?.status, 'True', 'the rest of the home is built');

    await root().write(`secret/data/tenants/${tenant}/llm`, { data: { apiKey: 'sk-1' } });
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', `tenant/${tenant}`]);
  });

  it("projects the key into a Secret only the tenant's runtime may read, and follows new Vault versions", async () => {
    const name = `tenant-${tenant}-secrets`;
    const read = async () => {
      const secret = await getJson(['secret', name, '-n', home]);
      return Buffer.from(secret.data.OPENAI_API_KEY, 'base64').toString();
    };
    assert.equal(await read(), 'sk-1');
    const runtime = `--as=system:serviceaccount:${home}:tenant-${tenant}-runtime`;
    assert.equal(
      (await kubectl(['auth', 'can-i', 'get', `secret/${name}`, '-n', home, runtime])).stdout.trim(),
      'yes',
    );
    const stranger = '--as=system:serviceaccount:agentplane-pool-pro:default';
    assert.equal(
      (await kubectl(['auth', 'can-i', 'get', `secret/${name}`, '-n', home, stranger])).stdout.trim(),
      'no',
    );

    await root().write(`secret/data/tenants/${tenant}/llm`, { data: { apiKey: 'sk-2' } });
    await eventually(async () => (await read()) === 'sk-2', {
      what: 'the Secret to follow version 2',
      timeoutMs: 30_000,
    });
    const secret = await getJson(['secret', name, '-n', home]);
    assert.equal(secret.metadata.annotations['agentplane.io/vault-versions'], 'llm=2');
    assert.equal((await getJson(['tenant', tenant])).status.secrets.versions, 'llm=2');
  });

  it('reports VaultUnavailable while Vault is gone, keeps the tenant and its agent up, and recovers alone', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      stdin: stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'AgentInstance',
        metadata: { name: 'support', namespace: home },
        spec: { tenantRef: tenant, agent: 'customer-service', version: '2.1.0' },
      }),
    });
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', 'agentinstance/support', '-n', home]);

    await relay.cut();
    const down = await waitCondition(
      ['tenant', tenant],
      'SecretsReady',
      'VaultUnavailable',
      'VaultUnavailable',
    );
    for (const type of ['NamespaceReady', 'QuotaApplied', 'NetworkIsolated', 'MessagingReady'])
      assert.equal(condition(down, type)?.status, 'True', `${type} stays true without Vault`);
    const agent = await getJson(['agentinstance', 'support', '-n', home]);
    assert.equal(condition(agent, 'Ready')?.status, 'True', 'the agent keeps running');
    await kubectlOk(['get', 'secret', `tenant-${tenant}-secrets`, '-n', home]);

    await relay.restore();
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', `tenant/${tenant}`]);
    assert.equal(condition(await getJson(['tenant', tenant]), 'SecretsReady')?.reason, 'PolicyWritten');
  });

  it('rolls the agent once for secrets rotated together, not once per rotation', async () => {
    const replicaSets = async () =>
      (await getJson(['replicasets', '-n', home, '-l', 'app.kubernetes.io/instance=support'])).items
        .length as number;
    const rolledTo = (versions: string) =>
      eventually(
        async () => (await getJson(['tenant', tenant])).status?.secrets?.rolledOut?.versions === versions,
        {
          what: `the agents to be rolled for ${versions}`,
          timeoutMs: 60_000,
        },
      );
    await root().write(`secret/data/tenants/${tenant}/llm`, { data: { apiKey: 'sk-3' } });
    await rolledTo('llm=3');
    await eventually(async () => (await replicaSets()) > 0, { what: 'a ReplicaSet for the rollout' });
    const before = await replicaSets();

    // Two rotations right after a rollout: both wait for the window, then roll as one.
    await root().write(`secret/data/tenants/${tenant}/llm`, { data: { apiKey: 'sk-4' } });
    await root().write(`secret/data/tenants/${tenant}/llm`, { data: { apiKey: 'sk-5' } });
    const pending = await eventually(
      async () => (await getJson(['tenant', tenant])).status?.secrets?.pendingRollout,
      { what: 'a pending rollout in status', timeoutMs: 30_000 },
    );
    assert.match(pending.versions, /^llm=[45]$/);
    assert.ok(
      new Date(pending.notBefore).getTime() > Date.now() - 1000,
      'it says when the rollout will happen',
    );
    await rolledTo('llm=5');
    await eventually(async () => (await replicaSets()) === before + 1, {
      what: 'exactly one new ReplicaSet',
      timeoutMs: 30_000,
    });
    await sleep(3000);
    assert.equal(await replicaSets(), before + 1, 'one rolling restart for two rotations');
  });

  it("deletes an agent's inbound topic only after its consumers have left the group", async () => {
    const topic = `agentplane.${tenant}.agent.support.inbound`;
    const consumer = kafka.consumer({ groupId: `agentplane.${tenant}.agent.support` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await eventually(
      async () => {
        const { groups } = await admin.describeGroups([`agentplane.${tenant}.agent.support`]);
        return (groups[0]?.members.length ?? 0) > 0;
      },
      { what: 'the consumer to join its group', timeoutMs: 30_000 },
    );

    await kubectlOk(['delete', 'agentinstance', 'support', '-n', home, '--wait=false']);
    const terminating = await eventually(
      async () => {
        const agent = await getJson(['agentinstance', 'support', '-n', home]);
        return agent.status?.phase === 'Terminating' && agent;
      },
      { what: 'the instance to wait for its consumer', timeoutMs: 30_000 },
    );
    assert.match(condition(terminating, 'Ready')?.message, /waiting for 1 consumer/);
    assert.ok((await admin.listTopics()).includes(topic), 'the topic stays while a consumer reads it');
    assert.notEqual(
      (await kubectl(['get', 'deployment', 'agent-support', '-n', home])).code,
      0,
      'the workload went first',
    );

    await consumer.disconnect();
    await eventually(
      async () => (await kubectl(['get', 'agentinstance', 'support', '-n', home])).code !== 0,
      {
        what: 'the instance to be deleted',
        timeoutMs: 30_000,
      },
    );
    assert.ok(!(await admin.listTopics()).includes(topic), 'its inbound topic is gone');
    const { groups } = await admin.listGroups();
    assert.ok(!groups.some((g) => g.groupId === `agentplane.${tenant}.agent.support`), 'and its group');
  });

  it("keeps a moving tenant's runtime able to log in to Vault from its new home, then only from there", async () => {
    const mover = uniqueName('mv');
    const login = async (namespace: string) => {
      const jwt = JSON.parse(
        await kubectlOk([
          'create',
          'token',
          `tenant-${mover}-runtime`,
          '-n',
          namespace,
          '--duration=10m',
          '-o',
          'json',
        ]),
      ).status.token;
      return vault({ endpoint: testbedEnv('VAULT_ADDR') }).kubernetesLogin({
        mount_point: 'kubernetes',
        role: `agentplane-tenant-${mover}`,
        jwt,
      });
    };
    const manifest = (isolation: string) =>
      stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: mover },
        spec: { tier: 'pro', isolation },
      });
    await kubectlOk(['apply', '-f', '-'], { stdin: manifest('shared') });
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', `tenant/${mover}`]);
    assert.ok((await login('agentplane-pool-pro')).auth.client_token);

    await kubectlOk(['apply', '-f', '-'], { stdin: manifest('dedicated') });
    await eventually(
      async () => (await getJson(['tenant', mover])).status?.home?.namespace === `tenant-${mover}`,
      {
        what: `${mover} to move`,
        timeoutMs: 60_000,
      },
    );
    assert.ok((await login(`tenant-${mover}`)).auth.client_token, 'the new home may log in');
    const role = `auth/kubernetes/role/agentplane-tenant-${mover}`;
    await eventually(
      async () => {
        const bound = (await root().read(role)).data.bound_service_account_namespaces as string[];
        return bound.length === 1 && bound[0] === `tenant-${mover}`;
      },
      { what: 'the role to be narrowed to the new home', timeoutMs: 30_000 },
    );
    await kubectlOk(['delete', 'tenant', mover, '--timeout=60s']);
  });

  it('finishes a deletion interrupted by a killed operator, leaving nothing in Kubernetes, Kafka or Vault', async () => {
    await relay.cut();
    await kubectlOk(['delete', 'tenant', tenant, '--wait=false']);
    const stuck = await eventually(
      async () => {
        const t = await getJson(['tenant', tenant]);
        return t.status?.phase === 'Terminating' && t;
      },
      { what: 'the deletion to stop at Vault', timeoutMs: 60_000 },
    );
    assert.deepEqual(
      stuck.status.deletion.remaining.map((r: string) => r.replace(/ \(.*$/, '')),
      ['Vault policy and role', 'Vault KV data'],
    );
    assert.deepEqual(
      (await admin.listTopics()).filter((t) => t.startsWith(`agentplane.${tenant}.`)),
      [],
      'Kafka was cleaned up before Vault',
    );

    await operator.kill();
    await relay.restore();
    await start();
    await eventually(async () => (await kubectl(['get', 'tenant', tenant])).code !== 0, {
      what: 'the restarted operator to finish the deletion',
      timeoutMs: 60_000,
    });
    await eventually(async () => (await kubectl(['get', 'namespace', home])).code !== 0, {
      what: `namespace ${home} to go`,
      timeoutMs: 60_000,
    });
    const policies = ((await root().policies()) as { policies: string[] }).policies;
    assert.ok(!policies.includes(`agentplane-tenant-${tenant}`), 'its Vault policy is gone');
    await assert.rejects(
      root().read(`auth/kubernetes/role/agentplane-tenant-${tenant}`),
      (e) => statusOf(e) === 404,
    );
    await assert.rejects(root().read(`secret/metadata/tenants/${tenant}/llm`), (e) => statusOf(e) === 404);
    assert.deepEqual(
      (await admin.listTopics()).filter((t) => t.startsWith(`agentplane.${tenant}.`)),
      [],
    );
  });
});
