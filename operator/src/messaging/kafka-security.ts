// A narrow port over a SASL-secured Kafka's security admin: SCRAM users, ACLs and client quotas.
// ACLs go through kafkajs's admin; SCRAM credentials and quotas, which kafkajs 2.2.4 cannot send,
// are encoded by kafka-wire.ts and sent over a connection of kafkajs's own cluster (an internal of
// kafkajs: `createCluster` and `broker.connectionPool.send`, pinned to 2.2.x by the integration test).
// Every failure is a TopicAdminError that says whether retrying can help.
import { createRequire } from 'node:module';
import type { AclEntry, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import { adminSession, isRetriableKafkaError, TopicAdminError } from './admin-session.ts';
import {
  apiKeys,
  decodeAlterClientQuotas,
  decodeAlterScramCredentials,
  decodeDescribeClientQuotas,
  decodeDescribeScramCredentials,
  encodeAlterClientQuotas,
  encodeAlterScramCredentials,
  encodeDescribeClientQuotas,
  encodeDescribeScramCredentials,
  type PerItemResult,
  type QuotaAlteration,
  type QuotaEntity,
  type ScramMechanism,
  type ScramUpsertion,
  scramUpsertion,
} from './kafka-wire.ts';
import { kafkajsClusterFactory } from './kafkajs-internals.ts';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } =
  kafkajs;

const require = createRequire(import.meta.url);
const KafkaEncoder = require('kafkajs/src/protocol/encoder.js') as new () => {
  writeBuffer(b: Buffer): unknown;
};
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error;
};

const RESOURCE_NOT_FOUND = 91;

export interface KafkaSecurityOptions {
  brokers: string[];
  clientId: string;
  /** The operator's own login: a super user, or one holding ALTER and ALTER_CONFIGS on the cluster. */
  sasl: { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retries?: number;
}

export interface KafkaSecurityAdmin {
  /** Sets the user's SCRAM password (creating the user); a fresh salt each time. */
  upsertScramUser(name: string, mechanism: ScramMechanism, password: string): Promise<void>;
  /** Removes the user's credential for `mechanism`; an unknown user is not an error. */
  deleteScramUser(name: string, mechanism: ScramMechanism): Promise<void>;
  /** The mechanisms the user has a credential for (empty: unknown user). */
  scramMechanisms(name: string): Promise<ScramMechanism[]>;
  /** Sets (number) or removes (null) quotas of one entity, e.g. `{ user: 'alice' }`. */
  alterQuotas(alterations: QuotaAlteration[]): Promise<void>;
  /** The quotas set on exactly this entity. */
  describeQuotas(entity: QuotaEntity): Promise<Record<string, number>>;
  /** Every ACL binding whose principal is `principal`, on any resource. */
  aclsOf(principal: string): Promise<AclEntry[]>;
  createAcls(acls: AclEntry[]): Promise<void>;
  deleteAcls(filters: AclEntry[]): Promise<void>;
  close(): Promise<void>;
}

interface Broker {
  connectionPool: {
    send(args: {
      request: { apiKey: number; apiVersion: number; apiName: string; encode: () => Promise<unknown> };
      response: { decode: (raw: Buffer) => Promise<unknown>; parse: (data: unknown) => Promise<unknown> };
    }): Promise<unknown>;
  };
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findControllerBroker(): Promise<Broker>;
}

/** kafkajs keeps its cluster factory behind a Symbol; found by its description. */
function clusterOf(kafka: object): Cluster {
  const create = kafkajsClusterFactory(kafka);
  if (!create) throw new Error('this kafkajs version has no createCluster (need 2.2.x)');
  return create({}) as Cluster;
}

function throwOnError(operation: string, results: (PerItemResult & { subject?: string })[], ignore = 0) {
  const failed = results.find((r) => r.errorCode !== 0 && r.errorCode !== ignore);
  if (!failed) return;
  const cause = createErrorFromCode(failed.errorCode);
  throw new TopicAdminError(
    operation,
    `${failed.subject ? `${failed.subject}: ` : ''}${failed.errorMessage ?? cause.message}`,
    isRetriableKafkaError(cause),
    cause,
  );
}

/** A KafkaSecurityAdmin; connects on first use and again after a failure. */
export function createKafkaSecurityAdmin(options: KafkaSecurityOptions): KafkaSecurityAdmin {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    sasl: options.sasl as SASLOptions,
    logLevel: logLevel.NOTHING,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 15_000,
    retry: { retries: options.retries ?? 3, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  let cluster: Cluster | undefined;
  const { run, close } = adminSession({
    connect: async () => {
      cluster ??= clusterOf(kafka);
      await cluster.connect();
      await admin.connect();
    },
    disconnect: async () => {
      await admin.disconnect().catch(() => undefined);
      await cluster?.disconnect();
    },
    reconnectAfterRetriable: true,
  });

  async function send<T>(
    apiName: string,
    apiKey: number,
    apiVersion: number,
    body: Buffer,
    decode: (b: Buffer) => T,
  ) {
    const c = cluster as Cluster;
    await c.refreshMetadataIfNecessary();
    const broker = await c.findControllerBroker();
    return (await broker.connectionPool.send({
      request: {
        apiKey,
        apiVersion,
        apiName,
        encode: async () => new KafkaEncoder().writeBuffer(body),
      },
      response: { decode: async (raw) => decode(raw), parse: async (data) => data },
    })) as T;
  }

  const alterScram = (
    operation: string,
    deletions: { name: string; mechanism: ScramMechanism }[],
    upsertions: ScramUpsertion[],
  ) =>
    run(operation, async () => {
      const { results } = await send(
        'AlterUserScramCredentials',
        apiKeys.alterUserScramCredentials,
        0,
        encodeAlterScramCredentials({ deletions, upsertions }),
        decodeAlterScramCredentials,
      );
      throwOnError(
        operation,
        results.map((r) => ({ ...r, subject: r.user })),
        operation === 'deleteScramUser' ? RESOURCE_NOT_FOUND : 0,
      );
    });

  return {
    upsertScramUser: (name, mechanism, password) =>
      alterScram('upsertScramUser', [], [scramUpsertion(name, mechanism, password)]),
    deleteScramUser: (name, mechanism) => alterScram('deleteScramUser', [{ name, mechanism }], []),
    scramMechanisms: (name) =>
      run('scramMechanisms', async () => {
        const answer = await send(
          'DescribeUserScramCredentials',
          apiKeys.describeUserScramCredentials,
          0,
          encodeDescribeScramCredentials([name]),
          decodeDescribeScramCredentials,
        );
        throwOnError('scramMechanisms', [answer]);
        const user = answer.results.find((r) => r.user === name);
        if (!user || user.errorCode === RESOURCE_NOT_FOUND) return [];
        throwOnError('scramMechanisms', [{ ...user, subject: name }]);
        return user.credentials.flatMap((c) => (c.mechanism === 'UNKNOWN' ? [] : [c.mechanism]));
      }),
    alterQuotas: (alterations) =>
      run('alterQuotas', async () => {
        if (alterations.length === 0) return;
        const { entries } = await send(
          'AlterClientQuotas',
          apiKeys.alterClientQuotas,
          0,
          encodeAlterClientQuotas(alterations),
          decodeAlterClientQuotas,
        );
        throwOnError(
          'alterQuotas',
          entries.map((e) => ({ ...e, subject: JSON.stringify(e.entity) })),
        );
      }),
    describeQuotas: (entity) =>
      run('describeQuotas', async () => {
        const answer = await send(
          'DescribeClientQuotas',
          apiKeys.describeClientQuotas,
          0,
          encodeDescribeClientQuotas(entity),
          decodeDescribeClientQuotas,
        );
        throwOnError('describeQuotas', [answer]);
        return answer.entries[0]?.values ?? {};
      }),
    aclsOf: (principal) =>
      run('describeAcls', async () => {
        const { resources } = await admin.describeAcls({
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.ANY,
          principal,
          host: '*',
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        });
        return resources.flatMap((r) =>
          r.acls.map((a) => ({
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            resourcePatternType: r.resourcePatternType,
            principal: a.principal,
            host: a.host,
            operation: a.operation,
            permissionType: a.permissionType,
          })),
        );
      }),
    createAcls: (acls) =>
      run('createAcls', async () => {
        if (acls.length > 0) await admin.createAcls({ acl: acls });
      }),
    deleteAcls: (filters) =>
      run('deleteAcls', async () => {
        if (filters.length > 0) await admin.deleteAcls({ filters });
      }),
    close,
  };
}
