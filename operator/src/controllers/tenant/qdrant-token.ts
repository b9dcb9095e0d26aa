// A tenant's own Qdrant credential: a JWT that Qdrant (with `service.jwt_rbac: true`) accepts in
// the `api-key` header, signed HS256 with Qdrant's API key, granting read access to one collection
// until `exp` (https://qdrant.tech/documentation/guides/security). No payload claims: Qdrant 1.16
// dropped them. Tokens are minted per validity window, so every reconcile in one window mints the
// same bytes (a resync writes nothing) and the next window renews it with a third of its validity left.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type CollectionAccessMode = 'r' | 'rw';

/** The claims Qdrant reads (exp in seconds); `access` as a list: one grant per collection. */
export interface QdrantTokenClaims {
  exp: number;
  access: Array<{ collection: string; access: CollectionAccessMode }>;
}

/** When a token is issued, expires and is replaced (epoch milliseconds). */
export interface TokenWindow {
  issuedAt: number;
  expiresAt: number;
  renewAt: number;
}

/**
 * The window `now` falls in for `tenant`: windows last two thirds of the validity, so a token is
 * replaced when a third of its validity is left. Each tenant's windows start at an offset of its
 * own (a hash of its name) so that tenants do not all renew at once. Pure.
 */
export function tokenWindow(tenant: string, now: Date, validityMs: number): TokenWindow {
  // Whole seconds: the token's exp is in seconds, and equal windows must mint equal tokens.
  const period = Math.max(1000, Math.floor((validityMs * 2) / 3000) * 1000);
  const offset = (createHash('sha256').update(tenant).digest().readUInt32BE(0) % (period / 1000)) * 1000;
  const issuedAt = Math.floor((now.getTime() - offset) / period) * period + offset;
  return { issuedAt, expiresAt: issuedAt + validityMs, renewAt: issuedAt + period };
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const sign = (key: string, input: string) => createHmac('sha256', key).update(input).digest();

/** An HS256 JWT of `claims` signed with `key`. Pure (the same claims and key give the same token). */
export function mintQdrantToken(key: string, claims: QdrantTokenClaims): string {
  const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign(key, input).toString('base64url')}`;
}

/** The read-only token of `tenant` for `collection` in the window of `now`, and that window. Pure. */
export function tenantQdrantToken(
  key: string,
  tenant: string,
  collection: string,
  now: Date,
  validityMs: number,
): { token: string; window: TokenWindow } {
  const window = tokenWindow(tenant, now, validityMs);
  const claims: QdrantTokenClaims = {
    exp: Math.floor(window.expiresAt / 1000),
    access: [{ collection, access: 'r' }],
  };
  return { token: mintQdrantToken(key, claims), window };
}

/**
 * The claims of `token` when it is an HS256 JWT signed with `key`; undefined otherwise (malformed,
 * another algorithm, or signed with another key). Does not judge `exp`. Pure.
 */
export function readQdrantToken(token: string, key: string): QdrantTokenClaims | undefined {
  const [header, payload, signature, ...rest] = token.split('.');
  if (!header || !payload || !signature || rest.length > 0) return undefined;
  const expected = sign(key, `${header}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'HS256') return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as QdrantTokenClaims;
    return typeof claims.exp === 'number' && Array.isArray(claims.access) ? claims : undefined;
  } catch {
    return undefined;
  }
}
