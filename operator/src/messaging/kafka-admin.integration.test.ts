// The TopicAdmin port and the tenant topic steps against the test bed's real Kafka (auto-create off).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { topicNames } from '@agentplane/shared';
import { eventually, uniqueName } from '@agentplane/shared/testing';
import {
  deleteTenantTopics,
  desiredInboundTopic,
  desiredTenantTopics,
  ensureTopics,
} from '../controllers/tenant/topics.ts';
import { createTopicAdmin, type TopicAdmin, TopicAdminError } from './kafka-admin.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const withoutKafka = brokers.length === 0 ? 'needs the test bed: source .testbed/env (KAFKA_BROKERS)' : false;

const settings = (partitions: number, retentionHours = 168) => ({
  messaging: { partitions, retentionHours },
});

/** Wraps a port and counts the calls that change something on the broker. */
function counting(admin: TopicAdmin) {
  const mutations: string[] = [];
  const counted: TopicAdmin = {
    ...admin,
    create: (specs) => {
      mutations.push('create');
      return admin.create(specs);
    },
    addPartitions: (name, count) => {
      mutations.push('addPartitions');
      return admin.addPartitions(name, count);
    },
    setConfigs: (name, configs) => {
      mutations.push('setConfigs');
      return admin.setConfigs(name, configs);
    },
    delete: (names) => {
      mutations.push('delete');
      return admin.delete(names);
    },
  };
  return { admin: counted, mutations };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe('Kafka topic admin against the test bed', { skip: withoutKafka }, () => {
  let admin: TopicAdmin;
  const tenants: string[] = [];
  const tenant = () => {
    const t = uniqueName('kt');
    tenants.push(t, `${t}x`);
    return t;
  };

  before(() => {
    admin = createTopicAdmin({ brokers, clientId: 'operator-tests', logLevel: 'nothing' });
  });

  after(async () => {
    for (const t of tenants) await admin.delete(await admin.listByPrefix(topicNames.tenantPrefix(t)));
    await admin.close();
  });

  it('creates topics with their configs, and a second ensure changes nothing', async () => {
    const t = tenant();
    const desired = desiredTenantTopics(t, settings(2, 12));
    const { admin: port, mutations } = counting(admin);

    const first = await ensureTopics(desired, port);
    assert.equal(first.status, 'True', first.message);
    assert.equal(first.reason, 'TopicsReady');
    assert.deepEqual(mutations, ['create']);

    const state = await admin.describe([
      topicNames.events(t),
      topicNames.deadLetter(t),
      `${topicNames.events(t)}-none`,
    ]);
    assert.deepEqual([...state.keys()].sort(), [topicNames.deadLetter(t), topicNames.events(t)]);
    for (const topic of state.values()) {
      assert.equal(topic.partitions, 2);
      assert.equal(topic.configs['retention.ms'], String(12 * 3_600_000));
    }

    const second = await ensureTopics(desired, port);
    assert.equal(second.reason, 'TopicsReady');
    assert.deepEqual(mutations, ['create'], 'no create or alter request on an unchanged cluster');
  });

  it('grows partitions and refuses to shrink them, changing nothing', async () => {
    const t = tenant();
    const inbound = (partitions: number) => [desiredInboundTopic(t, 'support', settings(partitions))];
    const name = topicNames.inbound(t, 'support');
    assert.equal((await ensureTopics(inbound(2), admin)).status, 'True');

    const grown = await ensureTopics(inbound(5), admin);
    assert.equal(grown.status, 'True', grown.message);
    assert.match(grown.changed ?? '', /raised partitions of .* from 2 to 5/);
    await eventually(async () => (await admin.describe([name])).get(name)?.partitions === 5, {
      what: `${name} to have 5 partitions`,
      timeoutMs: 10_000,
    });

    const { admin: port, mutations } = counting(admin);
    const refused = await ensureTopics(inbound(3), port);
    assert.equal(refused.status, 'False');
    assert.equal(refused.reason, 'PartitionsCannotShrink');
    assert.ok(refused.message.includes(name) && /5/.test(refused.message) && /3/.test(refused.message));
    assert.deepEqual(mutations, []);
    assert.equal((await admin.describe([name])).get(name)?.partitions, 5);
  });

  it('corrects retention drift, keeping the topic’s other configs', async () => {
    const t = tenant();
    const [events] = desiredTenantTopics(t, settings(1, 24));
    assert.ok(events);
    await admin.create([{ ...events, configs: { 'retention.ms': '60000', 'max.message.bytes': '200000' } }]);

    const result = await ensureTopics([events], admin);
    assert.equal(result.status, 'True', result.message);
    assert.equal(result.reason, 'TopicsReady');
    assert.match(result.changed ?? '', /corrected retention\.ms of .* from 60000 to 86400000/);
    const configs = await eventually(
      async () => {
        const c = (await admin.describe([events.name])).get(events.name)?.configs;
        return c?.['retention.ms'] === '86400000' ? c : undefined;
      },
      { what: 'retention.ms corrected', timeoutMs: 10_000 },
    );
    assert.equal(configs['max.message.bytes'], '200000');
    assert.equal((await ensureTopics([events], admin)).reason, 'TopicsReady');
  });

  it("deletes only the tenant's prefix: a tenant named <t>x keeps its topics", async () => {
    const t = tenant();
    const mine = [...desiredTenantTopics(t, settings(1)), desiredInboundTopic(t, 'a', settings(1))];
    const theirs = desiredTenantTopics(`${t}x`, settings(1));
    await admin.create([...mine, ...theirs]);

    const deleted = await deleteTenantTopics(t, admin);
    assert.deepEqual(deleted, mine.map((m) => m.name).sort());
    await eventually(async () => (await admin.listByPrefix(topicNames.tenantPrefix(t))).length === 0, {
      what: `the topics of ${t} to be gone`,
      timeoutMs: 15_000,
    });
    assert.deepEqual(
      await admin.listByPrefix(topicNames.tenantPrefix(`${t}x`)),
      theirs.map((s) => s.name).sort(),
    );
  });

  it('reports KafkaUnavailable quickly when the broker cannot be reached', async () => {
    const port = await closedPort();
    const down = createTopicAdmin({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'operator-tests-down',
      logLevel: 'nothing',
      connectionTimeoutMs: 300,
      requestTimeoutMs: 1000,
      retries: 1,
      initialRetryTimeMs: 50,
      maxRetryTimeMs: 100,
    });
    try {
      const started = Date.now();
      const result = await ensureTopics(desiredTenantTopics(uniqueName('kt'), settings(1)), down);
      assert.equal(result.status, 'False');
      assert.equal(result.reason, 'KafkaUnavailable', result.message);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);

      await assert.rejects(down.listByPrefix('agentplane.'), (e: unknown) => {
        assert.ok(e instanceof TopicAdminError);
        assert.equal(e.retriable, true);
        return true;
      });
    } finally {
      await down.close();
    }
  });
});
