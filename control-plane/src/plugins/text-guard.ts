// PostgreSQL cannot store U+0000 in text or jsonb: a request carrying it anywhere would fail deep in
// a query as a 500. It is refused up front instead, as a 400 naming the field, for every route.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../errors.ts';

/** The path of the first string under `value` that contains U+0000, or undefined. */
export function nulPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  // Raw bodies (a signed webhook's bytes) are the route's to parse.
  if (depth > 32 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value))
    return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}/${key.replaceAll('\u0000', '\\u0000')}`;
    const found = nulPath(item, `${path}/${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

async function textGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    const field =
      nulPath(request.params, 'params') ?? nulPath(request.query, 'query') ?? nulPath(request.body, 'body');
    if (field)
      throw new DomainError(
        'invalid_request',
        `${field} contains a NUL character (U+0000), which cannot be stored`,
        {
          details: { field, rule: 'no-nul' },
        },
      );
  });
}

export default fp(textGuard, { name: 'agentplane-text-guard', fastify: '5.x' });
