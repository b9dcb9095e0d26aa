// The vector store on Qdrant: one collection for all tenants, a keyword payload index on `tenant`
// (marked `is_tenant`, so Qdrant co-locates each tenant's points), and the tenant condition added
// by this module to every query, delete and count. Point ids are UUIDs derived from tenant and
// chunk id, so two tenants' chunks with the same id never overwrite each other.
import { createHash } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { unavailable } from '../errors.ts';
import type { KnowledgeHit, VectorStore } from './store.ts';

export interface QdrantOptions {
  url: string;
  apiKey?: string;
  collection: string;
  timeoutMs?: number;
}

/** A stable UUID for (tenant, id). Pure. */
export function pointId(tenant: string, id: string): string {
  const hex = createHash('sha256').update(`${tenant}\u0000${id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const tenantFilter = (tenant: string) => ({ must: [{ key: 'tenant', match: { value: tenant } }] });

export function createQdrantStore(options: QdrantOptions): VectorStore {
  const client = new QdrantClient({
    url: options.url,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    timeout: options.timeoutMs ?? 10_000,
    checkCompatibility: false,
  });
  const name = options.collection;
  const guard = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw unavailable(`Qdrant ${what} on ${name} failed: ${(error as Error).message}`, error);
    }
  };
  return {
    // Reads first, writes only what is missing: a runtime pod's token may only read the collection
    // the operator made for its tenant (a write would be refused).
    ensureReady: (dimensions) =>
      guard('setup', async () => {
        const { exists } = await client.collectionExists(name);
        if (!exists)
          await client.createCollection(name, { vectors: { size: dimensions, distance: 'Cosine' } });
        const { payload_schema: schema } = await client.getCollection(name);
        if (schema?.tenant?.data_type !== 'keyword')
          await client.createPayloadIndex(name, {
            field_name: 'tenant',
            field_schema: { type: 'keyword', is_tenant: true },
            wait: true,
          });
      }),
    upsert: (tenant, points) =>
      guard('upsert', async () => {
        await client.upsert(name, {
          wait: true,
          points: points.map((point) => ({
            id: pointId(tenant, point.id),
            vector: [...point.vector],
            payload: {
              tenant,
              doc_id: point.id,
              text: point.text,
              ...(point.title ? { title: point.title } : {}),
            },
          })),
        });
      }),
    query: (tenant, vector, limit) =>
      guard('query', async () => {
        const result = await client.query(name, {
          query: [...vector],
          filter: tenantFilter(tenant),
          limit,
          with_payload: true,
        });
        return result.points
          .filter((point) => point.payload?.tenant === tenant) // defence in depth: never trust the filter alone
          .map((point): KnowledgeHit => {
            const payload = point.payload ?? {};
            return {
              id: String(payload.doc_id),
              score: point.score,
              text: String(payload.text ?? ''),
              ...(typeof payload.title === 'string' ? { title: payload.title } : {}),
            };
          });
      }),
    delete: (tenant, ids) =>
      guard('delete', async () => {
        await client.delete(name, {
          wait: true,
          filter: { must: [...tenantFilter(tenant).must, { has_id: ids.map((id) => pointId(tenant, id)) }] },
        });
      }),
    list: (tenant, { cursor, limit }) =>
      guard('scroll', async () => {
        const page = await client.scroll(name, {
          filter: tenantFilter(tenant),
          limit,
          with_payload: true,
          with_vector: false,
          ...(cursor ? { offset: cursor } : {}),
        });
        const points = page.points
          .filter((point) => point.payload?.tenant === tenant) // defence in depth, as in query
          .map((point) => {
            const payload = point.payload ?? {};
            return {
              id: String(payload.doc_id),
              text: String(payload.text ?? ''),
              ...(typeof payload.title === 'string' ? { title: payload.title } : {}),
            };
          });
        const next = page.next_page_offset;
        return next === null || next === undefined || typeof next === 'object'
          ? { points }
          : { points, next: String(next) };
      }),
    count: (tenant) =>
      guard(
        'count',
        async () => (await client.count(name, { filter: tenantFilter(tenant), exact: true })).count,
      ),
  };
}
