// A narrow port for reading where topics end and how far consumer groups got: the activity signal
// of hibernation. `endOffsets` runs every poll for every hibernation-capable tenant, so it asks the
// brokers once per tick, not once per topic: one Metadata request, then one ListOffsets request per
// partition leader for all the topics together.
//
// kafkajs's admin has only `fetchTopicOffsets(topic)`, one topic (two ListOffsets requests) per call.
// Its cluster can batch (`fetchTopicsOffset`, what consumers use to seek), but the admin does not expose
// it, so the reader makes its own cluster through the Kafka client's (symbol-keyed, private) cluster
// factory. If a kafkajs release drops that, the reader falls back to the public per-topic call, slower
// but correct; `batched` says which path is in use and the integration test asserts the fast one.
import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import { adminSession } from './admin-session.ts';
import { kafkajsClusterFactory } from './kafkajs-internals.ts';

const { Kafka, logLevel } = kafkajs;

export interface OffsetReader {
  /** Whether `endOffsets` batches (see the file comment). */
  readonly batched: boolean;
  /**
   * The end offset of each existing topic among `topics`, summed over its partitions (records ever
   * written, as far as retention goes). Missing topics are absent from the map. Throws TopicAdminError.
   */
  endOffsets(topics: string[]): Promise<Map<string, number>>;
  /**
   * Records of `topics` that consumer group `groupId` has not committed yet. A partition without a
   * committed offset counts from its earliest record (the runtime consumes from the beginning).
   */
  lag(groupId: string, topics: string[]): Promise<number>;
  close(): Promise<void>;
}

/** The part of kafkajs's internal Cluster the reader uses. */
interface BatchCluster {
  targetTopics: Set<string>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>;
  fetchTopicsOffset(
    topics: Array<{ topic: string; fromBeginning: boolean; partitions: Array<{ partition: number }> }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

function internalCluster(kafka: object): BatchCluster | undefined {
  const factory = kafkajsClusterFactory(kafka);
  if (!factory) return undefined;
  // Partitions added to a topic are seen within metadataMaxAge.
  const cluster = factory({ allowAutoTopicCreation: false, metadataMaxAge: 30_000 }) as Partial<BatchCluster>;
  const usable =
    cluster.targetTopics instanceof Set &&
    [
      'connect',
      'disconnect',
      'refreshMetadata',
      'refreshMetadataIfNecessary',
      'findTopicPartitionMetadata',
      'fetchTopicsOffset',
    ].every((name) => typeof (cluster as Record<string, unknown>)[name] === 'function');
  return usable ? (cluster as BatchCluster) : undefined;
}

export function createOffsetReader(options: { brokers: string[]; clientId: string }): OffsetReader {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  const cluster = internalCluster(kafka);
  const { run, close } = adminSession({
    connect: () => Promise.all([admin.connect(), cluster?.connect()]),
    disconnect: () => Promise.all([admin.disconnect(), cluster?.disconnect()]),
  });

  /** The cluster's metadata covers exactly `topics` (a deleted topic left in it would fail every refresh). */
  async function target(c: BatchCluster, topics: string[]): Promise<void> {
    const same = topics.length === c.targetTopics.size && topics.every((t) => c.targetTopics.has(t));
    if (same) return c.refreshMetadataIfNecessary();
    c.targetTopics = new Set(topics);
    await c.refreshMetadata();
  }

  async function batchedEnds(c: BatchCluster, topics: string[]): Promise<Map<string, number>> {
    await target(c, topics);
    const request = topics.map((topic) => ({
      topic,
      fromBeginning: false,
      partitions: c.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId })),
    }));
    try {
      const answer = await c.fetchTopicsOffset(request);
      return new Map(
        answer.map((t) => [t.topic, t.partitions.reduce((sum, p) => sum + Number(p.offset), 0)]),
      );
    } catch (error) {
      // A leader moved or a partition was added: next time, with fresh metadata.
      c.targetTopics = new Set();
      throw error;
    }
  }

  async function perTopicEnds(a: Admin, topics: string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (let i = 0; i < topics.length; i += 8) {
      const slice = topics.slice(i, i + 8);
      const answers = await Promise.all(slice.map((topic) => a.fetchTopicOffsets(topic)));
      slice.forEach((topic, j) => {
        result.set(
          topic,
          (answers[j] ?? []).reduce((sum, p) => sum + Number(p.high), 0),
        );
      });
    }
    return result;
  }

  return {
    batched: cluster !== undefined,
    endOffsets: (topics) =>
      run('endOffsets', async () => {
        const all = new Set(await admin.listTopics());
        const existing = [...new Set(topics)].filter((t) => all.has(t)).sort();
        if (existing.length === 0) return new Map();
        return cluster ? batchedEnds(cluster, existing) : perTopicEnds(admin, existing);
      }),
    lag: (groupId, topics) =>
      run('lag', async () => {
        const all = new Set(await admin.listTopics());
        const existing = topics.filter((t) => all.has(t));
        if (existing.length === 0) return 0;
        const committed = await admin.fetchOffsets({ groupId, topics: existing });
        let lag = 0;
        for (const topic of existing) {
          const ends = await admin.fetchTopicOffsets(topic);
          const commits = committed.find((c) => c.topic === topic)?.partitions ?? [];
          for (const p of ends) {
            const at = Number(commits.find((c) => c.partition === p.partition)?.offset ?? -1);
            lag += Math.max(0, Number(p.high) - (at >= 0 ? at : Number(p.low)));
          }
        }
        return lag;
      }),
    close,
  };
}
