// KafkaPrincipalReady against a real SASL/SCRAM broker of the test's own (authorizer on) and the test
// bed's Vault: each tenant's principal can use its own topics, is denied another tenant's, and is
// gone after the tenant's deletion.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { topicNames } from '@agentplane/shared';
import { eventually, uniqueName } from '@agentplane/shared/testing';
import kafkajs from 'kafkajs';
import { type ExtraKafka, startExtraKafka } from '../../../../e2e/testbed/extra-kafka.ts';
import { createKafkaSecurityAdmin, type KafkaSecurityAdmin } from '../../messaging/kafka-security.ts';
import {
  type AppliedCredentials,
  ensureKafkaPrincipal,
  type KafkaPrincipalSettings,
  kafkaCredentialPath,
  removeKafkaPrincipal,
} from './kafka-principal.ts';
import { createKafkaCredentialStore } from './kafka-principal-vault.ts';
import type { TenantPlan } from './plan.ts';

const { Kafka, logLevel } = kafkajs;
const withoutBed =
  process.env.KUBECONFIG && process.env.VAULT_ADDR ? false : 'needs the test bed: source .testbed/env';

const plan = (name: string): TenantPlan => ({
  name,
  uid: 'uid',
  tier: 'basic',
  isolation: 'shared',
  namespace: 'agentplane-pool-basic',
  owners: [],
  quota: { cpu: '1', memory: '1Gi', pods: 1 },
  limits: { defaultCpu: '1', defaultMemory: '1Gi', maxCpu: '1', maxMemory: '1Gi' },
  suspended: false,
});
const owner = { apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant', name: 'x', uid: 'uid' };
const decode = (secret: object | undefined, key: string) =>
  Buffer.from(
    (secret as { data?: Record<string, string> } | undefined)?.data?.[key] ?? '',
    'base64',
  ).toString();

describe('KafkaPrincipalReady on a SASL broker', { skip: withoutBed, timeout: 120_000 }, () => {
  let broker: ExtraKafka;
  let security: KafkaSecurityAdmin;
  let settings: KafkaPrincipalSettings;
  const applied: AppliedCredentials = new Map();
  const [a, b] = [uniqueName('ka'), uniqueName('kb')];
  const calls: string[] = [];

  const loginAs = (secret: object | undefined, retries = 0) =>
    new Kafka({
      clientId: 'tenant-test',
      brokers: [(broker.sasl as NonNullable<ExtraKafka['sasl']>).brokers],
      sasl: {
        mechanism: 'scram-sha-512',
        username: decode(secret, 'KAFKA_SASL_USERNAME'),
        password: decode(secret, 'KAFKA_SASL_PASSWORD'),
      },
      logLevel: logLevel.NOTHING,
      retry: { retries },
    });

  before(async () => {
    broker = await startExtraKafka(uniqueName('kp'), { sasl: true });
    const sasl = broker.sasl as NonNullable<ExtraKafka['sasl']>;
    security = createKafkaSecurityAdmin({
      brokers: [sasl.brokers],
      clientId: 'operator-test',
      sasl: { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password },
    });
    // Counts what changes the broker, to prove a second pass changes nothing.
    const counted = { ...security };
    for (const key of ['upsertScramUser', 'createAcls', 'alterQuotas'] as const) {
      const original = security[key] as (...args: unknown[]) => Promise<void>;
      (counted as Record<string, unknown>)[key] = (...args: unknown[]) => {
        if (key !== 'createAcls' || (args[0] as unknown[]).length > 0) calls.push(key);
        return original(...args);
      };
    }
    settings = {
      security: counted,
      credentials: createKafkaCredentialStore({
        addr: process.env.VAULT_ADDR as string,
        token: process.env.VAULT_TOKEN as string,
        kvMount: 'secret',
      }),
      mechanism: 'SCRAM-SHA-512',
    };
    const admin = new Kafka({
      clientId: 'setup',
      brokers: [broker.brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [a, b].map((t) => ({ topic: topicNames.events(t), numPartitions: 1 })),
    });
    await admin.disconnect();
  });
  after(async () => {
    for (const t of [a, b]) await settings?.credentials.destroy(kafkaCredentialPath(`tenants/${t}`));
    await security?.close();
    await broker?.remove();
  });

  it('gives each tenant a principal limited to its own topics, idempotently', async () => {
    const first = await ensureKafkaPrincipal(plan(a), `tenants/${a}`, owner, settings, applied);
    assert.equal(first.outcome.status, 'True', first.outcome.message);
    assert.deepEqual(calls.sort(), ['alterQuotas', 'createAcls', 'upsertScramUser']);
    assert.equal(decode(first.secret, 'KAFKA_SASL_USERNAME'), `agentplane-tenant-${a}`);
    assert.equal(decode(first.secret, 'KAFKA_SASL_MECHANISM'), 'scram-sha-512');
    const stored = await settings.credentials.read(kafkaCredentialPath(`tenants/${a}`));
    assert.equal(stored?.data.password, decode(first.secret, 'KAFKA_SASL_PASSWORD'));

    // A quota change reaches the describing broker a moment after the controller commits it.
    await eventually(
      async () =>
        (await security.describeQuotas({ user: `agentplane-tenant-${a}` })).producer_byte_rate === 1_048_576,
      {
        what: "the basic tier's quota",
        timeoutMs: 10_000,
      },
    );
    calls.length = 0;
    const again = await ensureKafkaPrincipal(plan(a), `tenants/${a}`, owner, settings, applied);
    assert.equal(again.outcome.status, 'True');
    assert.deepEqual(calls, [], 'an unchanged tenant changes nothing on the broker');
    assert.deepEqual(again.secret, first.secret);
    assert.equal(
      (await ensureKafkaPrincipal(plan(b), `tenants/${b}`, owner, settings, applied)).outcome.status,
      'True',
    );

    const kafka = loginAs(first.secret);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topicNames.events(a), messages: [{ value: 'own' }] });
    const denied = await producer
      .send({ topic: topicNames.events(b), messages: [{ value: 'cross-tenant' }] })
      .catch((e: unknown) => e);
    assert.ok(denied instanceof Error, "producing to another tenant's topic must fail");
    // kafkajs wraps the broker's TOPIC_AUTHORIZATION_FAILED (code 29) in a non-retriable error.
    const types: unknown[] = [];
    for (let e: unknown = denied; e; e = (e as { cause?: unknown }).cause)
      types.push((e as { type?: unknown }).type);
    assert.ok(
      types.includes('TOPIC_AUTHORIZATION_FAILED') || /Topic authorization failed/.test(denied.message),
      String(denied),
    );
    await producer.disconnect();

    // The first group of a fresh broker waits for __consumer_offsets: the consumer retries.
    const consumer = loginAs(first.secret, 10).consumer({ groupId: `agentplane.${a}.agent.test` });
    await consumer.connect();
    await consumer.subscribe({ topic: topicNames.events(a), fromBeginning: true });
    const read = new Promise<string>((done, fail) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
      setTimeout(() => fail(new Error('no message within 30 s')), 30_000).unref();
      void consumer.run({ eachMessage: async ({ message }) => done(String(message.value)) });
    });
    assert.equal(await read, 'own');
    await consumer.disconnect();
  });

  it('removes the principal on deletion: its login then fails', async () => {
    const step = await ensureKafkaPrincipal(plan(b), `tenants/${b}`, owner, settings, applied);
    await removeKafkaPrincipal(b, `tenants/${b}`, settings, applied);
    await removeKafkaPrincipal(b, `tenants/${b}`, settings, applied); // idempotent
    await assert.rejects(loginAs(step.secret).admin().connect(), /SASL|authenticat/i);
    assert.deepEqual(await security.aclsOf(`User:agentplane-tenant-${b}`), []);
    assert.equal(await settings.credentials.read(kafkaCredentialPath(`tenants/${b}`)), undefined);
  });
});
