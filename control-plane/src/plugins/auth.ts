// Authentication and authorization, once, for every route that declares an `action` in its
// config: who is calling (bearer API key or the platform-admin token), whether they belong to the
// tenant in the path, and whether their role allows the action (auth/roles.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { apiKeyPrefix, keyMatches, lookupIdOf, secretsEqual } from '../auth/api-key.ts';
import type { FindKey } from '../auth/principal-store.ts';
import { type Action, actionRoles, can, type Principal } from '../auth/roles.ts';
import { DomainError, notFound } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route does; routes without one are public (docs, health). */
    action?: Action;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthOptions {
  platformAdminToken: string;
  findKey: FindKey;
}

const unauthenticated = () =>
  new DomainError('unauthenticated', 'send `Authorization: Bearer <API key>` with a valid, unrevoked key');

async function authenticate(header: string | undefined, options: AuthOptions): Promise<Principal> {
  const token = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
  if (!token) throw unauthenticated();
  if (!token.startsWith(apiKeyPrefix)) {
    if (secretsEqual(token, options.platformAdminToken)) return { kind: 'platform-admin' };
    throw unauthenticated();
  }
  const lookupId = lookupIdOf(token);
  const stored = lookupId ? await options.findKey(lookupId) : undefined;
  if (!stored || !keyMatches(token, stored.keyHash)) throw unauthenticated();
  const { keyId, tenantId, role, tier, suspended } = stored;
  return { kind: 'api-key', keyId, tenantId, role, tier, suspended };
}

function authorize(request: FastifyRequest, principal: Principal, action: Action): void {
  const tenant = (request.params as { t?: string } | undefined)?.t;
  // Another tenant's path answers exactly like a tenant that does not exist.
  if (principal.kind === 'api-key' && tenant !== undefined && tenant !== principal.tenantId) {
    throw notFound('tenant', tenant);
  }
  if (!can(principal, action)) {
    const allowed = actionRoles[action].length ? actionRoles[action].join(', ') : 'platform administrators';
    throw new DomainError('forbidden', `${action} needs one of: ${allowed}`, { details: { action } });
  }
}

async function authPlugin(app: FastifyInstance, options: AuthOptions) {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const { action } = request.routeOptions.config;
    if (!action) return;
    const principal = await authenticate(request.headers.authorization, options);
    authorize(request, principal, action);
    request.principal = principal;
  });
}

export default fp(authPlugin, { name: 'agentplane-auth', fastify: '5.x' });

/** The authenticated caller of a route that declares an action. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('principalOf called on a public route');
  return request.principal;
}
