// Authentication and access control of the Qdrant STAND-IN, as Qdrant does them
// (https://qdrant.tech/documentation/guides/security, src/common/auth in qdrant/qdrant):
// - the key comes from the `api-key` header or `Authorization: Bearer`; none: 401;
// - the API key itself: manage access to everything;
// - with jwtRbac, an HS256 JWT signed with the API key: a bad signature or an `exp` more than 30 s
//   past is 403, a token without `exp` or not a JWT at all 401; its `access` claim is "r" or "m"
//   (global), or a list of { collection, access: "r" | "rw" | "prw" }; no claim: manage;
//   payload constraints (dropped in Qdrant 1.16) make the token invalid (401);
// - reads of a collection need any access to it; point writes "rw"/"prw" on it or global "m"; payload
//   indexes "rw" or "m"; creating or deleting a collection global "m". The listing shows only the
//   collections the bearer may read.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface StandInAuth {
  /** Qdrant's `service.api_key`; unset: no authentication, as Qdrant without one. */
  apiKey?: string;
  /** Qdrant's `service.jwt_rbac`: JWTs signed with the API key are accepted. */
  jwtRbac?: boolean;
}

type Grant = { collection: string; access: 'r' | 'rw' | 'prw' };
export type Access = { global: 'r' | 'm' } | { collections: Grant[] };

type Authenticated = { ok: true; access: Access } | { ok: false; status: 401 | 403; message: string };

const leewaySeconds = 30;

/** An HS256 JWT of `claims` signed with `key`, for tests. */
export function signStandInJwt(key: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** Who the request's key says the caller is, or Qdrant's refusal. */
export function authenticate(auth: StandInAuth, headers: IncomingHttpHeaders): Authenticated {
  if (!auth.apiKey) return { ok: true, access: { global: 'm' } };
  const bearer = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7) : undefined;
  const key = (headers['api-key'] as string | undefined) ?? bearer;
  if (!key)
    return { ok: false, status: 401, message: 'Must provide an API key or an Authorization bearer token' };
  if (key === auth.apiKey) return { ok: true, access: { global: 'm' } };
  const invalid = { ok: false, status: 401, message: 'Invalid API key or JWT' } as const;
  if (!auth.jwtRbac) return invalid;
  const claims = decodeJwt(key, auth.apiKey);
  if (claims === undefined) return invalid;
  if (claims === 'InvalidSignature' || claims === 'ExpiredSignature')
    return { ok: false, status: 403, message: claims };
  const access = accessOf(claims.access);
  return access ? { ok: true, access } : { ok: false, status: 401, message: 'Invalid access claim' };
}

function decodeJwt(
  token: string,
  key: string,
): Record<string, unknown> | 'InvalidSignature' | 'ExpiredSignature' | undefined {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0)
    return undefined;
  let claims: Record<string, unknown>;
  try {
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'HS256') return undefined;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return undefined;
  }
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'InvalidSignature';
  if (typeof claims.exp !== 'number') return undefined;
  if (claims.exp + leewaySeconds < Date.now() / 1000) return 'ExpiredSignature';
  return claims;
}

function accessOf(claim: unknown): Access | undefined {
  if (claim === undefined || claim === 'm') return { global: 'm' };
  if (claim === 'r') return { global: 'r' };
  if (!Array.isArray(claim)) return undefined;
  const grants: Grant[] = [];
  for (const grant of claim as Array<Record<string, unknown>>) {
    const mode = grant.access;
    if (typeof grant.collection !== 'string' || (mode !== 'r' && mode !== 'rw' && mode !== 'prw'))
      return undefined;
    if ('payload' in grant) return undefined;
    grants.push({ collection: grant.collection, access: mode });
  }
  return { collections: grants };
}

const reads = new Set(['GET ', 'GET exists', 'POST points/query', 'POST points/scroll', 'POST points/count']);
const pointWrites = new Set(['PUT points', 'POST points/delete']);

/** Why `access` may not do `action` ("<METHOD> <path after the collection>") on `collection`; undefined: it may. */
export function authorize(access: Access, action: string, collection: string): string | undefined {
  const manage = action === 'PUT ' || action === 'DELETE ';
  const write = manage || pointWrites.has(action) || action === 'PUT index';
  if ('global' in access) {
    if (access.global === 'm' || !write) return undefined;
    return 'Global manage access is required';
  }
  if (manage) return 'Global access is required';
  const grant = access.collections.find((g) => g.collection === collection);
  if (!grant) return `Access to collection ${collection} is required`;
  if (reads.has(action)) return undefined;
  if (action === 'PUT index' && grant.access === 'prw')
    return `Only points access is allowed for collection ${collection}`;
  if (grant.access === 'r') return `Write access to collection ${collection} is required`;
  return undefined;
}
