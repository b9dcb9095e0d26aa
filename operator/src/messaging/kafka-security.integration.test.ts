// The security port against a real broker of the test's own with a SASL/SCRAM listener and the
// StandardAuthorizer: SCRAM users, quotas and ACLs, and what a user can then do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, uniqueName } from '@agentplane/shared/testing';
import kafkajs from 'kafkajs';
import { type ExtraKafka, startExtraKafka } from '../../../e2e/testbed/extra-kafka.ts';
import { TopicAdminError } from './kafka-admin.ts';
import { createKafkaSecurityAdmin, type KafkaSecurityAdmin } from './kafka-security.ts';

const { Kafka, logLevel, AclResourceTypes, ResourcePatternTypes, AclOperationTypes, AclPermissionTypes } =
  kafkajs;
const withoutBed = process.env.KUBECONFIG ? false : 'needs the test bed: source .testbed/env';

const login = (brokers: string, username: string, password: string) =>
  new Kafka({
    clientId: 'sasl-test',
    brokers: [brokers],
    sasl: { mechanism: 'scram-sha-512', username, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });

describe('Kafka security admin on a SASL/SCRAM broker', { skip: withoutBed, timeout: 180_000 }, () => {
  let broker: ExtraKafka;
  let security: KafkaSecurityAdmin;
  let sasl: NonNullable<ExtraKafka['sasl']>;

  before(async () => {
    broker = await startExtraKafka(uniqueName('sasl'), { sasl: true });
    sasl = broker.sasl as NonNullable<ExtraKafka['sasl']>;
    security = createKafkaSecurityAdmin({
      brokers: [sasl.brokers],
      clientId: 'operator-test',
      sasl: { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password },
    });
  });
  after(async () => {
    await security?.close();
    await broker?.remove();
  });

  it('creates a SCRAM user who can then log in, and deletes it again', async () => {
    const user = uniqueName('u');
    assert.deepEqual(await security.scramMechanisms(user), []);
    await security.upsertScramUser(user, 'SCRAM-SHA-512', 'first-password');
    assert.deepEqual(await security.scramMechanisms(user), ['SCRAM-SHA-512']);
    const admin = login(sasl.brokers, user, 'first-password').admin();
    await admin.connect(); // authenticates
    await admin.disconnect();
    await assert.rejects(login(sasl.brokers, user, 'wrong').admin().connect(), /SASL|authenticat/i);

    await security.deleteScramUser(user, 'SCRAM-SHA-512');
    await security.deleteScramUser(user, 'SCRAM-SHA-512'); // idempotent
    assert.deepEqual(await security.scramMechanisms(user), []);
    await assert.rejects(login(sasl.brokers, user, 'first-password').admin().connect(), /SASL|authenticat/i);
  });

  it('sets, reads back and removes byte-rate quotas of a user', async () => {
    const entity = { user: uniqueName('q') };
    await security.alterQuotas([
      { entity, values: { producer_byte_rate: 1_048_576, consumer_byte_rate: 2_097_152 } },
    ]);
    // The controller commits the change; the broker answering the describe learns it a moment later.
    const set = await eventually(
      async () => {
        const quotas = await security.describeQuotas(entity);
        return Object.keys(quotas).length === 2 && quotas;
      },
      { what: 'the quotas to be readable', timeoutMs: 10_000 },
    );
    assert.deepEqual(set, { producer_byte_rate: 1_048_576, consumer_byte_rate: 2_097_152 });
    await security.alterQuotas([{ entity, values: { producer_byte_rate: null, consumer_byte_rate: null } }]);
    await eventually(async () => Object.keys(await security.describeQuotas(entity)).length === 0, {
      what: 'the quotas to be gone',
      timeoutMs: 10_000,
    });
  });

  it('reports a refused quota as a non-retriable error with the broker message', async () => {
    const error = await security
      .alterQuotas([{ entity: { user: uniqueName('q') }, values: { no_such_quota: 1 } }])
      .catch((e: unknown) => e);
    assert.ok(error instanceof TopicAdminError, String(error));
    assert.equal(error.retriable, false);
  });

  it('creates, lists and deletes ACLs of a principal', async () => {
    const principal = `User:${uniqueName('p')}`;
    const acl = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'agentplane.x.',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      principal,
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
    };
    await security.createAcls([acl]);
    assert.deepEqual(await security.aclsOf(principal), [acl]);
    await security.deleteAcls([acl]);
    assert.deepEqual(await security.aclsOf(principal), []);
  });
});
