// The operator killed with SIGKILL again and again while tenants are created, changed and deleted.
// Afterwards every tenant that should exist converges, every deleted one is gone everywhere
// (Kubernetes, Kafka, Vault), and a full resync of the settled world makes no write. Bounded for CI;
// CHAOS_TENANTS and CHAOS_SECONDS make it bigger (the long form is 200 tenants).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import vault from 'node-vault';
import { stringify } from 'yaml';
import { installCrds } from '../helpers/crds.ts';
import { testbedEnv, uniqueName } from '../helpers/env.ts';
import { eventually } from '../helpers/eventually.ts';
import { exclusive } from '../helpers/exclusive.ts';
import { kubectl, kubectlOk } from '../helpers/kubectl.ts';
import { type OperatorProcess, operatorKubeconfig, startOperator } from '../helpers/operator.ts';
import { describeWrites, eventSeriesIntervalMs, measureResync } from '../helpers/operator-metrics.ts';
import type { PrimaryObject } from '../helpers/primary-changes.ts';
import { freePort } from '../testbed/ports.ts';

const tenantCount = Number(process.env.CHAOS_TENANTS ?? 30);
const stormSeconds = Number(process.env.CHAOS_SECONDS ?? 30);

// biome-ignore lint/suspicious/noExplicitAny: tests walk wire-format JSON returned by kubectl
type Json = Record<string, any>;

describe('chaos: the operator killed while tenants come and go', () => {
  const run = uniqueName('ck');
  const names = Array.from({ length: tenantCount }, (_, i) => `${run}-${i}`);
  const deleted = new Set(names.filter((_, i) => i % 3 === 2));
  let operator: OperatorProcess | undefined;
  let metricsUrl = '';
  let release: () => void;
  let kubeconfig: string;
  let kills = 0;

  const start = async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    operator = startOperator({
      KUBECONFIG: kubeconfig,
      OPERATOR_HTTP_ADDRESS: `127.0.0.1:${port}`,
      OPERATOR_IDENTITY: uniqueName('op'),
      OPERATOR_RESYNC: '10s',
      OPERATOR_LEASE_DURATION: '3s',
      OPERATOR_RENEW_DEADLINE: '2s',
      OPERATOR_RETRY_PERIOD: '500ms',
    });
  };

  before(async () => {
    release = await exclusive('operator');
    await installCrds();
    kubeconfig = await operatorKubeconfig();
    await start();
  });
  after(async () => {
    // Waited for while this suite's operator still runs, so no half-deleted tenant is left to the next suite.
    await kubectl(['delete', 'tenant', '-l', `chaos=${run}`, '--timeout=120s']);
    const code = await operator?.stop();
    release();
    assert.equal(code, 0, `the last operator exits cleanly\n${operator?.output().slice(-2000)}`);
  });

  it(`converges with nothing orphaned after ${stormSeconds} s of SIGKILLs among ${tenantCount} tenants`, async () => {
    const manifest = (name: string, spec: Json) =>
      stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name, labels: { chaos: run } },
        spec,
      });
    const agent = (name: string, namespace: string) =>
      stringify({
        apiVersion: 'agentplane.io/v1alpha1',
        kind: 'AgentInstance',
        // Pro tenants share the pool namespace: the agent carries its tenant's name.
        metadata: { name, namespace },
        spec: { tenantRef: name, agent: 'customer-service', version: '2.1.0' },
      });
    const spec = (i: number): Json =>
      i % 4 === 0 ? { tier: 'enterprise' } : { tier: 'pro', messaging: { partitions: 1 } };
    const home = (name: string, i: number) => (i % 4 === 0 ? `tenant-${name}` : 'agentplane-pool-pro');

    const stormEnds = Date.now() + stormSeconds * 1000;
    let storming = true;
    const killer = (async () => {
      while (storming && Date.now() < stormEnds) {
        await sleep(1500 + Math.random() * 2500);
        await operator?.kill();
        kills += 1;
        await start();
      }
    })();

    // Create, then change, then delete, all while the killer runs.
    try {
      for (const [i, name] of names.entries()) {
        await kubectlOk(['apply', '-f', '-'], { stdin: manifest(name, spec(i)) });
      }
      for (const [i, name] of names.entries()) {
        // The namespace of a dedicated tenant appears only once the operator made it.
        const namespace = home(name, i);
        await eventually(async () => (await kubectl(['get', 'namespace', namespace])).code === 0, {
          what: `namespace ${namespace}`,
          timeoutMs: 120_000,
        });
        await kubectlOk(['apply', '-f', '-'], { stdin: agent(name, namespace) });
      }
      for (const [i, name] of names.entries()) {
        if (deleted.has(name)) continue;
        const changed = {
          ...spec(i),
          quota: { cpu: String(3 + (i % 3)) },
          ...(i % 4 === 1 ? { messaging: { partitions: 2 } } : {}),
        };
        await kubectlOk(['apply', '-f', '-'], { stdin: manifest(name, changed) });
      }
      for (const name of deleted) await kubectlOk(['delete', 'tenant', name, '--wait=false']);
    } catch (error) {
      // A failure above must not leave the killer running into the after hook.
      storming = false;
      await killer;
      throw error;
    }
    await killer;
    assert.ok(kills >= 3, `the operator was killed ${kills} times`);

    // Convergence: the survivors Ready at their latest generation, the deleted ones gone.
    const survivors = names.filter((n) => !deleted.has(n));
    await eventually(
      async () => {
        const list = JSON.parse(await kubectlOk(['get', 'tenants', '-l', `chaos=${run}`, '-o', 'json']))
          .items as Json[];
        const byName = new Map(list.map((t) => [t.metadata.name, t]));
        const settled = survivors.every((n) => {
          const t = byName.get(n);
          const ready = t?.status?.conditions?.find((c: Json) => c.type === 'Ready');
          return ready?.status === 'True' && t?.status?.observedGeneration === t?.metadata.generation;
        });
        return settled && [...deleted].every((n) => !byName.has(n));
      },
      {
        what: 'every survivor Ready at its generation and every deleted tenant gone',
        timeoutMs: 180_000,
        intervalMs: 1000,
      },
    );
    // Their agents follow: a tenant's change can roll its agent's Deployment after the tenant is Ready.
    let notReady: string[] = [];
    await eventually(
      async () => {
        notReady = [];
        for (const [i, name] of names.entries()) {
          if (deleted.has(name)) continue;
          const ai = JSON.parse(
            await kubectlOk(['get', 'agentinstance', name, '-n', home(name, i), '-o', 'json']),
          );
          const ready = ai.status?.conditions?.find((c: Json) => c.type === 'Ready');
          if (ready?.status !== 'True') notReady.push(`${name}: ${ready?.reason} ${ready?.message}`);
        }
        return notReady.length === 0;
      },
      { what: "every survivor's agent Ready", timeoutMs: 60_000, intervalMs: 1000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; not Ready: ${notReady.join('; ')}`);
    });

    // Nothing orphaned: no namespace, object, topic or Vault policy of a deleted tenant.
    await eventually(
      async () => {
        for (const name of deleted) {
          const objects = await kubectlOk([
            'get',
            'namespaces,serviceaccounts,roles,networkpolicies,deployments,configmaps',
            '-A',
            '-l',
            `agentplane.io/tenant=${name}`,
            '-o',
            'name',
          ]);
          if (objects.trim() !== '') return false;
        }
        return true;
      },
      { what: "the deleted tenants' objects to be garbage-collected", timeoutMs: 120_000 },
    );
    const admin = new Kafka({
      brokers: testbedEnv('KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const topics = await admin.listTopics();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    await admin.disconnect();
    const policies = (
      (await vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') }).policies()) as {
        policies: string[];
      }
    ).policies;
    for (const name of deleted) {
      assert.deepEqual(
        topics.filter((t) => t.startsWith(`agentplane.${name}.`)),
        [],
        `${name}'s topics`,
      );
      assert.deepEqual(
        groups.filter((g) => g.startsWith(`agentplane.${name}.`)),
        [],
        `${name}'s groups`,
      );
      assert.ok(!policies.includes(`agentplane-tenant-${name}`), `${name}'s Vault policy`);
    }
    for (const name of survivors) {
      assert.ok(topics.includes(`agentplane.${name}.events`), `${name} keeps its events topic`);
      assert.ok(policies.includes(`agentplane-tenant-${name}`), `${name} keeps its Vault policy`);
    }

    // No write it did not need: a full resync of the settled world writes nothing. Suites beside this
    // one create Tenants on the same cluster, and this operator provisions them: a window in which one
    // changed is measured again. (Their provisioning, counted as resync writes, is the likely source of
    // the 24-40 writes 2 of 6 CI runs measured here; a suspension suite beside this one reproduced it.)
    const resync = await measureResync(metricsUrl, 2 * survivors.length, {
      // Settled means the Events repeated during the storm were flushed as series updates too.
      quietMs: eventSeriesIntervalMs + 5_000,
      timeoutMs: 120_000,
      ours: (o: PrimaryObject) =>
        o.kind === 'Tenant' ? o.labels.chaos === run : o.tenantRef.startsWith(`${run}-`),
    });
    const resyncWrites = resync.resynced.writes - resync.settled.writes;
    for (const [i, changes] of resync.voided.entries())
      console.log(`resync window ${i + 1} void: others changed ${[...new Set(changes)].join(', ')}`);
    console.log(
      `writes during a full resync after the storm: ${resyncWrites} (${describeWrites(resync.writes)})`,
    );
    assert.equal(
      resyncWrites,
      0,
      `writes during a full resync of the settled world: ${describeWrites(resync.writes)}`,
    );
    console.log(`operator kills: ${kills}; tenants: ${tenantCount} (${deleted.size} deleted)`);
  });
});
