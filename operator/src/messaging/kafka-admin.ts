// A narrow port over kafkajs's admin client: the only operations the operator needs on topics, with
// every failure turned into a TopicAdminError that says whether retrying can help. Topic names are
// never spelled here; callers take them from `topicNames` in @agentplane/shared.
//
// Per-tenant ACLs. The test bed's broker is PLAINTEXT without an authorizer, so the operator writes
// no ACLs there. When the broker runs SASL (e.g. SASL_SSL with SCRAM) and an authorizer
// (`authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer`,
// `allow.everyone.if.no.acl.found=false`), each tenant's runtime authenticates as the principal
// `User:tenant-<tenant>` and the operator (a super user, or holding ALTER on the CLUSTER) writes
// the bindings returned by `tenantAcls(tenant)`:
//
//   await admin.createAcls({ acl: tenantAcls(tenant).map(toKafkajsAcl) });
//
// They are PREFIXED bindings on `topicNames.tenantPrefix(tenant)` = `agentplane.<tenant>.`: READ,
// WRITE and DESCRIBE on every topic of the tenant (events, dead letters, inbound of each instance)
// and READ/DESCRIBE on its consumer groups (`agentplane.<tenant>.agent.<instance>` starts with the
// same prefix). The trailing `.` of the prefix matters: tenant `acme` gets `agentplane.acme.`, which
// does not match `agentplane.acmex.…`, so no tenant can read another's topics. On tenant deletion
// the same bindings are removed with `admin.deleteAcls({ filters: tenantAcls(t).map(toKafkajsAcl) })`.
// The equivalent CLI, for one binding:
//   kafka-acls.sh --bootstrap-server … --add --allow-principal User:tenant-acme \
//     --operation Read --topic agentplane.acme. --resource-pattern-type prefixed
import { topicNames } from '@agentplane/shared';
import type { AclEntry, Admin, logLevel as KafkaLogLevel } from 'kafkajs';
import kafkajs from 'kafkajs';
import { adminSession, TopicAdminError } from './admin-session.ts';

export { isRetriableKafkaError, TopicAdminError } from './admin-session.ts';

// kafkajs is CommonJS and Node's named-export detection misses its enums: take them off the default.
const {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  Kafka,
  logLevel: kafkaLogLevel,
  ResourcePatternTypes,
} = kafkajs;

/** A topic as the operator wants it: configs are Kafka topic configs, e.g. `retention.ms`. */
export interface TopicSpec {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

/** A topic as the broker has it; `configs` holds every config the broker reports for the topic. */
export interface TopicState {
  partitions: number;
  configs: Record<string, string>;
}

export interface TopicAdmin {
  /** The topics among `topics` that exist; a missing topic is simply absent from the map. */
  describe(topics: string[]): Promise<Map<string, TopicState>>;
  /** Creates the topics (waiting for their leaders); an already existing one is left as it is. */
  create(specs: TopicSpec[]): Promise<void>;
  /** Raises the topic's partition count to `count` (Kafka can only grow it). */
  addPartitions(name: string, count: number): Promise<void>;
  /** Sets these topic configs, keeping the topic's other dynamic configs. */
  setConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /** Deletes the topics that exist among `names`; missing ones are ignored. */
  delete(names: string[]): Promise<void>;
  /** Names of the existing topics starting with `prefix`, sorted. */
  listByPrefix(prefix: string): Promise<string[]>;
  /** Members of the consumer group now (0 when the group is empty or unknown). */
  groupMembers(groupId: string): Promise<number>;
  /** Consumer groups whose id starts with `prefix`, sorted. */
  groupsByPrefix(prefix: string): Promise<string[]>;
  /** Deletes the consumer groups and their committed offsets; missing ones are ignored. */
  deleteGroups(groupIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export type AdminLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

const logLevels: Record<AdminLogLevel, KafkaLogLevel> = {
  nothing: kafkaLogLevel.NOTHING,
  error: kafkaLogLevel.ERROR,
  warn: kafkaLogLevel.WARN,
  info: kafkaLogLevel.INFO,
  debug: kafkaLogLevel.DEBUG,
};

export interface TopicAdminOptions {
  brokers: string[];
  clientId: string;
  logLevel?: AdminLogLevel;
  /** TCP connect timeout per broker (default 3000). */
  connectionTimeoutMs?: number;
  /** Per request (default 15000). */
  requestTimeoutMs?: number;
  /** Retries of kafkajs inside one call (default 3); the controller's requeue retries beyond that. */
  retries?: number;
  /** First retry delay (default 200), doubling up to maxRetryTimeMs (default 2000). */
  initialRetryTimeMs?: number;
  maxRetryTimeMs?: number;
}

/** A TopicAdmin over kafkajs. It connects on first use and again after a failed connect. */
export function createTopicAdmin(options: TopicAdminOptions): TopicAdmin {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevels[options.logLevel ?? 'warn'],
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 15_000,
    retry: {
      retries: options.retries ?? 3,
      initialRetryTime: options.initialRetryTimeMs ?? 200,
      maxRetryTime: options.maxRetryTimeMs ?? 2000,
    },
  });
  const admin = kafka.admin();
  const session = adminSession({ connect: () => admin.connect(), disconnect: () => admin.disconnect() });
  const run = <T>(operation: string, body: (a: Admin) => Promise<T>) =>
    session.run(operation, () => body(admin));

  async function existing(a: Admin, names: string[]): Promise<string[]> {
    const all = new Set(await a.listTopics());
    return names.filter((n) => all.has(n));
  }

  async function topicConfigs(a: Admin, names: string[]) {
    if (names.length === 0) return new Map<string, { name: string; value: string; source?: number }[]>();
    const described = await a.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    const byTopic = new Map<string, { name: string; value: string; source?: number }[]>();
    for (const resource of described.resources) {
      if (resource.errorCode !== 0) {
        throw new TopicAdminError(
          'describeConfigs',
          `${resource.resourceName}: ${resource.errorMessage ?? `error code ${resource.errorCode}`}`,
          false,
          resource,
        );
      }
      byTopic.set(
        resource.resourceName,
        resource.configEntries.map((c) => ({
          name: c.configName,
          value: c.configValue,
          source: (c as { configSource?: number }).configSource,
        })),
      );
    }
    return byTopic;
  }

  return {
    describe: (topics) =>
      run('describe', async (a) => {
        const result = new Map<string, TopicState>();
        const names = await existing(a, [...new Set(topics)]);
        if (names.length === 0) return result;
        const metadata = await a.fetchTopicMetadata({ topics: names });
        const configs = await topicConfigs(a, names);
        for (const topic of metadata.topics) {
          const entries = configs.get(topic.name) ?? [];
          result.set(topic.name, {
            partitions: topic.partitions.length,
            configs: Object.fromEntries(entries.map((e) => [e.name, e.value])),
          });
        }
        return result;
      }),

    create: (specs) =>
      run('create', async (a) => {
        if (specs.length === 0) return;
        await a.createTopics({
          waitForLeaders: true,
          topics: specs.map((s) => ({
            topic: s.name,
            numPartitions: s.partitions,
            configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
          })),
        });
      }),

    addPartitions: (name, count) =>
      run('addPartitions', async (a) => {
        await a.createPartitions({ topicPartitions: [{ topic: name, count }] });
      }),

    setConfigs: (name, configs) =>
      run('setConfigs', async (a) => {
        // AlterConfigs (non-incremental) replaces the topic's whole dynamic config set, so the
        // topic's other dynamic configs are read and sent again with the new values.
        const current = (await topicConfigs(a, [name])).get(name) ?? [];
        const merged: Record<string, string> = {};
        for (const c of current) if (c.source === ConfigSource.TOPIC_CONFIG) merged[c.name] = c.value;
        Object.assign(merged, configs);
        await a.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name,
              configEntries: Object.entries(merged).map(([n, value]) => ({ name: n, value })),
            },
          ],
        });
      }),

    delete: (names) =>
      run('delete', async (a) => {
        const topics = await existing(a, [...new Set(names)]);
        if (topics.length === 0) return;
        try {
          await a.deleteTopics({ topics });
        } catch (error) {
          // Deleted meanwhile by someone else: the goal is reached.
          if ((error as { type?: unknown }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
        }
      }),

    listByPrefix: (prefix) =>
      run('listByPrefix', async (a) => (await a.listTopics()).filter((t) => t.startsWith(prefix)).sort()),

    groupMembers: (groupId) =>
      run('groupMembers', async (a) => {
        const { groups } = await a.describeGroups([groupId]);
        return groups.find((g) => g.groupId === groupId)?.members.length ?? 0;
      }),

    groupsByPrefix: (prefix) =>
      run('groupsByPrefix', async (a) =>
        (await a.listGroups()).groups
          .map((g) => g.groupId)
          .filter((id) => id.startsWith(prefix))
          .sort(),
      ),

    deleteGroups: (groupIds) =>
      run('deleteGroups', async (a) => {
        const known = new Set((await a.listGroups()).groups.map((g) => g.groupId));
        const ids = [...new Set(groupIds)].filter((id) => known.has(id));
        if (ids.length > 0) await a.deleteGroups(ids);
      }),

    close: session.close,
  };
}

/** One ACL binding, readable; `toKafkajsAcl` turns it into kafkajs's numeric enums. */
export interface AclBinding {
  resourceType: 'TOPIC' | 'GROUP';
  resourceName: string;
  patternType: 'PREFIXED';
  principal: string;
  host: '*';
  operation: 'READ' | 'WRITE' | 'DESCRIBE';
  permission: 'ALLOW';
}

/** The Kafka principal a tenant's runtime authenticates as when the broker runs SASL. */
export const tenantPrincipal = (tenant: string) => `User:agentplane-tenant-${tenant}`;

/** The ACLs that let a tenant's principal use its own topics and consumer groups and nothing else. */
export function tenantAcls(tenant: string): AclBinding[] {
  const prefix = topicNames.tenantPrefix(tenant);
  const principal = tenantPrincipal(tenant);
  const binding = (
    resourceType: AclBinding['resourceType'],
    operation: AclBinding['operation'],
  ): AclBinding => ({
    resourceType,
    resourceName: prefix,
    patternType: 'PREFIXED',
    principal,
    host: '*',
    operation,
    permission: 'ALLOW',
  });
  return [
    binding('TOPIC', 'READ'),
    binding('TOPIC', 'WRITE'),
    binding('TOPIC', 'DESCRIBE'),
    binding('GROUP', 'READ'),
    binding('GROUP', 'DESCRIBE'),
  ];
}

/** kafkajs's shape of a binding, for `admin.createAcls({ acl })` and `admin.deleteAcls({ filters })`. */
export function toKafkajsAcl(binding: AclBinding): AclEntry {
  return {
    resourceType: binding.resourceType === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: binding.resourceName,
    resourcePatternType: ResourcePatternTypes.PREFIXED,
    principal: binding.principal,
    host: binding.host,
    operation: AclOperationTypes[binding.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}
