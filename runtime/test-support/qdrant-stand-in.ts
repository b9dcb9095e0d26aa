// A STAND-IN for Qdrant's REST API, for tests only (no Qdrant server can run here). It implements
// the subset the adapter uses, with Qdrant's request and response shapes ({ result, status, time }):
// GET /collections, GET /collections/{c}/exists, PUT /collections/{c}, GET /collections/{c} (with
// points_count, config.params.vectors and payload_schema as Qdrant shapes them), DELETE /collections/{c},
// PUT /collections/{c}/index, PUT /collections/{c}/points, POST /collections/{c}/points/{query,scroll,
// count,delete}.
// Filters: `must` of `{ key, match: { value } }` and `{ has_id: [...] }`. Distance: Cosine.
// Scroll pages by id with `offset`/`next_page_offset` as Qdrant does.
// Authentication, when started with an `apiKey`, as Qdrant's `service.api_key` (and `jwt_rbac`) do:
// see qdrant-stand-in-auth.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, authorize, type StandInAuth } from './qdrant-stand-in-auth.ts';

interface Point {
  id: string | number;
  vector: number[];
  payload: Record<string, unknown>;
}
type Condition = { key?: string; match?: { value: unknown }; has_id?: (string | number)[] };
interface Filter {
  must?: Condition[];
}

const matches = (point: Point, filter?: Filter) =>
  (filter?.must ?? []).every((c) =>
    c.has_id ? c.has_id.includes(point.id) : c.key !== undefined && point.payload[c.key] === c.match?.value,
  );

function cosine(a: number[], b: number[]) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export async function startQdrantStandIn(auth: StandInAuth = {}) {
  const collections = new Map<
    string,
    {
      size: number;
      distance: string;
      points: Map<string | number, Point>;
      indexes: Record<string, { type?: string } | string>;
    }
  >();
  // As Qdrant's GET /collections/{c}: each index with its type, parameters and indexed points.
  const payloadSchema = (collection: NonNullable<ReturnType<typeof collections.get>>) =>
    Object.fromEntries(
      Object.entries(collection.indexes).map(([field, schema]) => {
        const type = typeof schema === 'string' ? schema : (schema.type ?? 'keyword');
        const points = [...collection.points.values()].filter((p) => p.payload[field] !== undefined).length;
        return [
          field,
          { data_type: type, ...(typeof schema === 'string' ? {} : { params: schema }), points },
        ];
      }),
    );
  const requests: { method: string; path: string; body: Record<string, unknown> }[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
    const url = new URL(request.url ?? '/', 'http://x');
    const method = request.method ?? 'GET';
    requests.push({ method, path: url.pathname, body });
    const reply = (status: number, result: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          status < 300 ? { result, status: 'ok', time: 0.001 } : { status: { error: result }, time: 0 },
        ),
      );
    };
    const [, , name, ...rest] = url.pathname.split('/');
    const action = `${method} ${rest.join('/')}`;
    // As Qdrant: a refused login is plain text; a refused operation is a JSON error.
    const access = authenticate(auth, request.headers);
    if (!access.ok) {
      response.writeHead(access.status, { 'content-type': 'text/plain; charset=utf-8' });
      return response.end(access.message);
    }
    const refused = name ? authorize(access.access, action, name) : undefined;
    if (refused) return reply(403, `Forbidden: ${refused}`);
    const collection = name ? collections.get(name) : undefined;
    if (!name) {
      if (method === 'GET' && url.pathname.replace(/\/$/, '') === '/collections')
        return reply(200, {
          collections: [...collections.keys()]
            .filter((c) => !authorize(access.access, 'GET exists', c))
            .map((c) => ({ name: c })),
        });
      return reply(404, 'not found');
    }
    if (action === 'GET exists') return reply(200, { exists: collection !== undefined });
    if (action === 'PUT ') {
      if (collection) return reply(409, `Collection \`${name}\` already exists!`);
      const vectors = body.vectors as { size: number; distance?: string };
      collections.set(name, {
        size: vectors.size,
        distance: vectors.distance ?? 'Cosine',
        points: new Map(),
        indexes: {},
      });
      return reply(200, true);
    }
    if (!collection) return reply(404, `Collection \`${name}\` doesn't exist!`);
    switch (action) {
      case 'GET ':
        return reply(200, {
          status: 'green',
          optimizer_status: 'ok',
          points_count: collection.points.size,
          indexed_vectors_count: 0,
          segments_count: 1,
          config: { params: { vectors: { size: collection.size, distance: collection.distance } } },
          payload_schema: payloadSchema(collection),
        });
      case 'DELETE ':
        collections.delete(name);
        return reply(200, true);
      case 'PUT index':
        collection.indexes[String(body.field_name)] = body.field_schema as { type?: string } | string;
        return reply(200, { operation_id: 1, status: 'completed' });
      case 'PUT points': {
        for (const point of body.points as Point[]) {
          if (point.vector.length !== collection.size)
            return reply(
              400,
              `Wrong input: Vector dimension error: expected dim: ${collection.size}, got ${point.vector.length}`,
            );
          collection.points.set(point.id, { ...point, payload: point.payload ?? {} });
        }
        return reply(200, { operation_id: 2, status: 'completed' });
      }
      case 'POST points/query': {
        const query = body.query as number[];
        const points = [...collection.points.values()]
          .filter((p) => matches(p, body.filter as Filter))
          .map((p) => ({
            id: p.id,
            version: 1,
            score: cosine(query, p.vector),
            payload: body.with_payload ? p.payload : undefined,
          }))
          .sort((a, b) => b.score - a.score)
          .slice(0, Number(body.limit ?? 10));
        return reply(200, { points });
      }
      case 'POST points/scroll': {
        // As Qdrant: ordered by id, `offset` is the first id of the page (inclusive), and
        // `next_page_offset` the first id of the next page (null on the last one).
        const limit = Number(body.limit ?? 10);
        const offset = body.offset as string | number | undefined;
        const all = [...collection.points.values()]
          .filter((p) => matches(p, body.filter as Filter))
          .sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0))
          .filter((p) => offset === undefined || offset === null || String(p.id) >= String(offset));
        const withPayload = body.with_payload !== false;
        return reply(200, {
          points: all.slice(0, limit).map((p) => ({
            id: p.id,
            payload: withPayload ? p.payload : undefined,
            ...(body.with_vector === true ? { vector: p.vector } : {}),
          })),
          next_page_offset: all[limit]?.id ?? null,
        });
      }
      case 'POST points/count':
        return reply(200, {
          count: [...collection.points.values()].filter((p) => matches(p, body.filter as Filter)).length,
        });
      case 'POST points/delete': {
        for (const point of [...collection.points.values()])
          if (matches(point, body.filter as Filter)) collection.points.delete(point.id);
        return reply(200, { operation_id: 3, status: 'completed' });
      }
      default:
        return reply(404, `stand-in does not implement ${action}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
