// Tenants' knowledge partitions in Qdrant, as the operator manages them: a collection with the
// runtime's vector shape and the keyword tenant index, made true with reads first (an unchanged
// partition costs Qdrant no write); points counted and erased by the tenant key; a dedicated
// collection deleted whole. Reads and writes of knowledge itself are the runtime's adapter's.
import { knowledgeNames } from '@agentplane/shared';
import { QdrantClient } from '@qdrant/js-client-rest';

export interface QdrantPartitionOptions {
  url: string;
  apiKey?: string;
  /** Vector size of a collection the operator creates: the runtime's embedding dimensions. */
  dimensions: number;
  timeoutMs?: number;
}

/** What ensuring a partition found and did. */
export interface PartitionState {
  /** The collection had to be created. */
  created: boolean;
  /** The tenant index had to be created. */
  indexed: boolean;
  /** Vector size of the collection as it is (may differ from the setting for an older collection). */
  size: number | undefined;
}

export interface KnowledgePartitions {
  /** The collection exists with the keyword tenant index (is_tenant). Idempotent; throws when Qdrant fails. */
  ensure(collection: string): Promise<PartitionState>;
  /** Points whose tenant key is `tenant` in `collection` (exact); 0 when the collection does not exist. */
  countTenant(collection: string, tenant: string): Promise<number>;
  /** Every point of `collection` (exact); 0 when it does not exist. */
  countAll(collection: string): Promise<number>;
  /** Deletes the points whose tenant key is `tenant` (waits until applied); nothing when the collection is absent. */
  deleteTenantPoints(collection: string, tenant: string): Promise<void>;
  /** Deletes the collection with every point in it; nothing when it is absent. */
  deleteCollection(collection: string): Promise<void>;
}

export const tenantIndexSchema = { type: 'keyword', is_tenant: true } as const;

const tenantFilter = (tenant: string) => ({
  must: [{ key: knowledgeNames.tenantKey, match: { value: tenant } }],
});

export function createQdrantPartitions(options: QdrantPartitionOptions): KnowledgePartitions {
  const client = new QdrantClient({
    url: options.url,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    timeout: options.timeoutMs ?? 10_000,
    checkCompatibility: false,
  });
  const guard = async <T>(what: string, collection: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw new Error(`Qdrant ${what} of collection ${collection} failed: ${describe(error)}`, {
        cause: error,
      });
    }
  };
  const exists = async (collection: string) => (await client.collectionExists(collection)).exists;
  return {
    ensure: (collection) =>
      guard('setup', collection, async () => {
        let created = !(await exists(collection));
        if (created)
          created = await client
            .createCollection(collection, { vectors: { size: options.dimensions, distance: 'Cosine' } })
            // Tenants are reconciled concurrently: another one may have just created the shared collection.
            .then(() => true)
            .catch((error: unknown) => {
              if (alreadyExists(error)) return false;
              throw error;
            });
        const info = await client.getCollection(collection);
        const vectors = info.config?.params?.vectors as { size?: number } | undefined;
        const index = info.payload_schema?.[knowledgeNames.tenantKey];
        const indexed = index?.data_type !== 'keyword';
        if (indexed)
          await client.createPayloadIndex(collection, {
            field_name: knowledgeNames.tenantKey,
            field_schema: tenantIndexSchema,
            wait: true,
          });
        return { created, indexed, size: vectors?.size };
      }),
    countTenant: (collection, tenant) =>
      guard('count', collection, async () =>
        (await exists(collection))
          ? (await client.count(collection, { filter: tenantFilter(tenant), exact: true })).count
          : 0,
      ),
    countAll: (collection) =>
      guard('count', collection, async () =>
        (await exists(collection)) ? (await client.count(collection, { exact: true })).count : 0,
      ),
    deleteTenantPoints: (collection, tenant) =>
      guard('delete', collection, async () => {
        if (await exists(collection))
          await client.delete(collection, { wait: true, filter: tenantFilter(tenant) });
      }),
    deleteCollection: (collection) =>
      guard('delete', collection, async () => {
        if (await exists(collection)) await client.deleteCollection(collection);
      }),
  };
}

const alreadyExists = (error: unknown) =>
  (error as { status?: number }).status === 409 || /already exists/i.test(describe(error));

/** The client's errors carry Qdrant's message in `data.status.error`; network errors their cause. */
function describe(error: unknown): string {
  const data = (error as { data?: { status?: { error?: string } } }).data;
  const cause = (error as { cause?: { code?: string } }).cause;
  return data?.status?.error ?? [(error as Error).message, cause?.code].filter(Boolean).join(': ');
}
