import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicNames } from '@agentplane/shared';
import {
  type TopicAdmin,
  TopicAdminError,
  type TopicSpec,
  type TopicState,
  tenantAcls,
  toKafkajsAcl,
} from '../../messaging/kafka-admin.ts';
import {
  deleteTenantTopics,
  desiredInboundTopic,
  desiredTenantTopics,
  ensureTopics,
  planTopics,
} from './topics.ts';

const settings = (partitions = 3, retentionHours = 168) => ({ messaging: { partitions, retentionHours } });

/** An in-memory broker behind the TopicAdmin port that records every call. */
function fakeAdmin(initial: Record<string, TopicState> = {}, failWith?: Error, initialGroups: string[] = []) {
  const groups = new Set(initialGroups);
  const topics = new Map<string, TopicState>(
    Object.entries(initial).map(([k, v]) => [k, { partitions: v.partitions, configs: { ...v.configs } }]),
  );
  const calls: { op: string; args: unknown[] }[] = [];
  const record = (op: string, ...args: unknown[]) => {
    calls.push({ op, args });
    if (failWith) throw failWith;
  };
  const admin: TopicAdmin = {
    describe: async (names) => {
      record('describe', names);
      const out = new Map<string, TopicState>();
      for (const n of names) {
        const t = topics.get(n);
        if (t) out.set(n, { partitions: t.partitions, configs: { ...t.configs } });
      }
      return out;
    },
    create: async (specs: TopicSpec[]) => {
      record('create', specs);
      for (const s of specs) topics.set(s.name, { partitions: s.partitions, configs: { ...s.configs } });
    },
    addPartitions: async (name, count) => {
      record('addPartitions', name, count);
      const t = topics.get(name);
      if (t) t.partitions = count;
    },
    setConfigs: async (name, configs) => {
      record('setConfigs', name, configs);
      const t = topics.get(name);
      if (t) Object.assign(t.configs, configs);
    },
    delete: async (names) => {
      record('delete', names);
      for (const n of names) topics.delete(n);
    },
    listByPrefix: async (prefix) => {
      record('listByPrefix', prefix);
      return [...topics.keys()].filter((n) => n.startsWith(prefix)).sort();
    },
    groupMembers: async () => 0,
    groupsByPrefix: async (prefix) => {
      record('groupsByPrefix', prefix);
      return [...groups].filter((g) => g.startsWith(prefix)).sort();
    },
    deleteGroups: async (ids) => {
      record('deleteGroups', ids);
      for (const id of ids) groups.delete(id);
    },
    close: async () => {},
  };
  const reads = new Set(['describe', 'listByPrefix', 'groupsByPrefix']);
  const mutations = () => calls.filter((c) => !reads.has(c.op));
  return { admin, topics, groups, calls, mutations };
}

describe('desired topics', () => {
  it('gives the tenant an events and a dead-letter topic with partitions and retention.ms', () => {
    assert.deepEqual(desiredTenantTopics('acme', settings(4, 24)), [
      { name: 'agentplane.acme.events', partitions: 4, configs: { 'retention.ms': '86400000' } },
      { name: 'agentplane.acme.dlq', partitions: 4, configs: { 'retention.ms': '86400000' } },
    ]);
  });

  it('gives an agent instance its inbound topic named by topicNames', () => {
    assert.deepEqual(desiredInboundTopic('acme', 'support', settings()), {
      name: topicNames.inbound('acme', 'support'),
      partitions: 3,
      configs: { 'retention.ms': String(168 * 3_600_000) },
    });
  });
});

describe('planTopics', () => {
  it('sorts each topic into create, grow, shrink and drift', () => {
    const desired = desiredTenantTopics('acme', settings(3, 1));
    const plan = planTopics(
      desired,
      new Map<string, TopicState>([
        ['agentplane.acme.events', { partitions: 5, configs: { 'retention.ms': '3600000' } }],
        ['other', { partitions: 1, configs: {} }],
      ]),
    );
    assert.deepEqual(
      plan.create.map((c) => c.name),
      ['agentplane.acme.dlq'],
    );
    assert.deepEqual(plan.shrink, [{ topic: 'agentplane.acme.events', from: 5, to: 3 }]);
    assert.deepEqual(plan.grow, []);
    assert.deepEqual(plan.drift, []);
  });
});

describe('ensureTopics', () => {
  it('creates missing topics, then a second call on the unchanged cluster only describes', async () => {
    const fake = fakeAdmin();
    const desired = desiredTenantTopics('acme', settings());
    const first = await ensureTopics(desired, fake.admin);
    assert.equal(first.type, 'MessagingReady');
    assert.equal(first.status, 'True');
    assert.equal(first.reason, 'TopicsReady');
    assert.equal(first.message, 'topics agentplane.acme.events, agentplane.acme.dlq are ready');
    assert.equal(first.changed, 'created agentplane.acme.events, agentplane.acme.dlq', 'for an Event');
    assert.deepEqual(
      fake.mutations().map((c) => c.op),
      ['create'],
    );

    const before = fake.calls.length;
    const second = await ensureTopics(desired, fake.admin);
    assert.deepEqual(second, {
      type: 'MessagingReady',
      status: 'True',
      reason: 'TopicsReady',
      message: 'topics agentplane.acme.events, agentplane.acme.dlq are ready',
    });
    assert.deepEqual(
      fake.calls.slice(before).map((c) => c.op),
      ['describe'],
    );
  });

  it('raises partitions when asked to grow', async () => {
    const fake = fakeAdmin();
    await ensureTopics(desiredTenantTopics('acme', settings(3)), fake.admin);
    const grown = await ensureTopics(desiredTenantTopics('acme', settings(6)), fake.admin);
    assert.equal(grown.status, 'True');
    assert.match(grown.changed ?? '', /raised partitions of agentplane\.acme\.events from 3 to 6/);
    assert.equal(grown.message, 'topics agentplane.acme.events, agentplane.acme.dlq are ready');
    assert.equal(fake.topics.get('agentplane.acme.dlq')?.partitions, 6);
    assert.deepEqual(
      fake
        .mutations()
        .filter((c) => c.op === 'addPartitions')
        .map((c) => c.args),
      [
        ['agentplane.acme.events', 6],
        ['agentplane.acme.dlq', 6],
      ],
    );
  });

  it('refuses to shrink, names the topic and both numbers, and changes nothing', async () => {
    const fake = fakeAdmin({
      'agentplane.acme.events': { partitions: 6, configs: { 'retention.ms': '1' } },
    });
    const refused = await ensureTopics(desiredTenantTopics('acme', settings(2)), fake.admin);
    assert.equal(refused.status, 'False');
    assert.equal(refused.reason, 'PartitionsCannotShrink');
    assert.match(refused.message, /agentplane\.acme\.events has 6 partitions, the spec asks for 2/);
    assert.deepEqual(fake.mutations(), [], 'neither the missing dlq created nor the drift corrected');
  });

  it('corrects retention drift, says so for an Event and keeps the condition as it was', async () => {
    const fake = fakeAdmin({
      'agentplane.acme.events': {
        partitions: 3,
        configs: { 'retention.ms': '1000', 'cleanup.policy': 'delete' },
      },
      'agentplane.acme.dlq': { partitions: 3, configs: { 'retention.ms': String(168 * 3_600_000) } },
    });
    const result = await ensureTopics(desiredTenantTopics('acme', settings()), fake.admin);
    assert.equal(result.status, 'True');
    assert.equal(result.reason, 'TopicsReady', 'the same condition before and after: no status write for it');
    assert.match(
      result.changed ?? '',
      /corrected retention\.ms of agentplane\.acme\.events from 1000 to 604800000/,
    );
    assert.deepEqual(fake.mutations(), [
      { op: 'setConfigs', args: ['agentplane.acme.events', { 'retention.ms': '604800000' }] },
    ]);
    const again = await ensureTopics(desiredTenantTopics('acme', settings()), fake.admin);
    const { changed: _, ...condition } = result;
    assert.deepEqual(again, condition, 'the next reconcile finds the same condition and changes nothing');
    assert.equal(fake.mutations().length, 1);
  });

  it('reports KafkaUnavailable for a retriable failure and TopicOperationFailed otherwise', async () => {
    const down = fakeAdmin({}, new TopicAdminError('describe', 'connect ECONNREFUSED', true, undefined));
    const unavailable = await ensureTopics(desiredTenantTopics('acme', settings()), down.admin);
    assert.equal(unavailable.status, 'False');
    assert.equal(unavailable.reason, 'KafkaUnavailable');

    const refusing = fakeAdmin(
      {},
      new TopicAdminError('describe', 'TOPIC_AUTHORIZATION_FAILED', false, undefined),
    );
    const refused = await ensureTopics(desiredTenantTopics('acme', settings()), refusing.admin);
    assert.equal(refused.status, 'False');
    assert.equal(refused.reason, 'TopicOperationFailed');
  });
});

describe('deleteTenantTopics', () => {
  it("deletes exactly the tenant's topics and groups, not those of a tenant with a similar name", async () => {
    const fake = fakeAdmin(
      {
        'agentplane.acme.events': { partitions: 1, configs: {} },
        'agentplane.acme.dlq': { partitions: 1, configs: {} },
        'agentplane.acme.agent.support.inbound': { partitions: 1, configs: {} },
        'agentplane.acmex.events': { partitions: 1, configs: {} },
        'agentplane.acme-corp.events': { partitions: 1, configs: {} },
        'acme.events': { partitions: 1, configs: {} },
      },
      undefined,
      ['agentplane.acme.agent.support', 'agentplane.acmex.agent.support', 'billing'],
    );
    const deleted = await deleteTenantTopics('acme', fake.admin);
    assert.deepEqual(deleted, [
      'agentplane.acme.agent.support.inbound',
      'agentplane.acme.dlq',
      'agentplane.acme.events',
    ]);
    assert.deepEqual([...fake.topics.keys()].sort(), [
      'acme.events',
      'agentplane.acme-corp.events',
      'agentplane.acmex.events',
    ]);
    assert.deepEqual([...fake.groups].sort(), ['agentplane.acmex.agent.support', 'billing']);
    assert.deepEqual(await deleteTenantTopics('acme', fake.admin), []);
    assert.equal(fake.mutations().length, 2, 'nothing left, no second delete request');
  });
});

describe('tenantAcls', () => {
  it("grants the tenant's principal prefixed access to its own topics and groups only", () => {
    const acls = tenantAcls('acme');
    assert.ok(acls.length > 0);
    for (const acl of acls) {
      assert.equal(acl.principal, 'User:agentplane-tenant-acme');
      assert.equal(acl.resourceName, topicNames.tenantPrefix('acme'));
      assert.equal(acl.patternType, 'PREFIXED');
      assert.equal(acl.permission, 'ALLOW');
    }
    const ops = (type: string) =>
      acls
        .filter((a) => a.resourceType === type)
        .map((a) => a.operation)
        .sort();
    assert.deepEqual(ops('TOPIC'), ['DESCRIBE', 'READ', 'WRITE']);
    assert.deepEqual(ops('GROUP'), ['DESCRIBE', 'READ']);
  });

  it('covers every topic and group of the tenant and none of a similarly named tenant', () => {
    const prefix = tenantAcls('acme')[0]?.resourceName ?? '';
    const covered = (name: string) => name.startsWith(prefix);
    for (const own of [
      topicNames.events('acme'),
      topicNames.deadLetter('acme'),
      topicNames.inbound('acme', 'support'),
      topicNames.consumerGroup('acme', 'support'),
    ]) {
      assert.ok(covered(own), own);
    }
    for (const foreign of [
      topicNames.events('acmex'),
      topicNames.inbound('acme-corp', 'support'),
      topicNames.consumerGroup('acmex', 'support'),
    ]) {
      assert.ok(!covered(foreign), foreign);
    }
  });

  it("converts to kafkajs's numeric ACL entries", () => {
    const [first] = tenantAcls('acme').map(toKafkajsAcl);
    assert.deepEqual(first, {
      resourceType: 2, // TOPIC
      resourceName: 'agentplane.acme.',
      resourcePatternType: 4, // PREFIXED
      principal: 'User:agentplane-tenant-acme',
      host: '*',
      operation: 3, // READ
      permissionType: 3, // ALLOW
    });
  });
});
