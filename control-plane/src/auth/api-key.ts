// API key format: `ap_live_<lookup id>_<secret>`. The lookup id (12 hex) finds the row without a
// scan and is safe to show in listings; the secret (32 random bytes, base64url) is never stored:
// the row keeps SHA-256 of the whole key, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const apiKeyPrefix = 'ap_live_';
const keyPattern = /^ap_live_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedKey {
  /** The full key: shown once, at creation. */
  key: string;
  lookupId: string;
  /** What listings show: `ap_live_<lookup id>`. */
  prefix: string;
  hash: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A fresh random key and what to store of it. */
export function issueKey(): IssuedKey {
  const lookupId = randomBytes(6).toString('hex');
  const key = `${apiKeyPrefix}${lookupId}_${randomBytes(32).toString('base64url')}`;
  return { key, lookupId, prefix: `${apiKeyPrefix}${lookupId}`, hash: hashKey(key) };
}

/** The lookup id of a well-formed key, or undefined. */
export function lookupIdOf(key: string): string | undefined {
  return keyPattern.exec(key)?.[1];
}

/** Constant-time comparison of a presented key with a stored hash. */
export function keyMatches(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** Constant-time equality of two secrets of any length (hashes both first). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
