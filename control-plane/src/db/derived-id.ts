// Ids derived from another identity (RFC 9562 version 5: SHA-1 of a namespace and a name), so that
// a redelivered channel message or event maps to the row it created the first time.
import { createHash } from 'node:crypto';

// A fixed, random namespace of our own: the same name never collides with another scheme's uuids.
const namespace = Buffer.from('5d0e6c1ab2f94f0e8a7c3f1d9b2e4a60', 'hex');

/** The same uuid for the same parts, always; parts are joined unambiguously. Pure. */
export function derivedId(...parts: string[]): string {
  const hash = createHash('sha1').update(namespace).update(JSON.stringify(parts)).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
