// The local half of envelope encryption (docs/pii-encryption.md): from a tenant's 256-bit data key,
// HKDF derives an AES-256-GCM key that seals PII values and an HMAC key for blind indexes. Pure.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** Every sealed value starts with this: a stored value without it is plaintext from before encryption. */
export const sealedPrefix = 'pii1:';

export type PiiKind = 'email' | 'phone';

/** A tenant's keys in memory. `seal`/`open` bind the ciphertext to the tenant (associated data). */
export interface TenantKeys {
  readonly tenant: string;
  /** `pii1:<base64url(iv | ciphertext | tag)>`. */
  seal(plaintext: string): string;
  /** The plaintext of `sealed`; a value without the prefix is returned as it is. Throws when it was not sealed with these keys. */
  open(sealed: string): string;
  /** The blind index of a value: HMAC-SHA256 of its normal form, hex. Equal for equal normal forms. */
  index(kind: PiiKind, value: string): string;
}

export const isSealed = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(sealedPrefix);

/**
 * The form blind indexes are computed over: emails trimmed and lower-cased; phones as their digits,
 * a leading 00 (the international prefix written out) dropped, so +351 912…, 00351912… and
 * 351-912… are one number. Pure.
 */
export function normalizePii(kind: PiiKind, value: string): string {
  if (kind === 'email') return value.trim().toLowerCase();
  const digits = value.replace(/\D/g, '');
  return digits.startsWith('00') ? digits.slice(2) : digits;
}

const derive = (dataKey: Buffer, info: string) =>
  Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), info, 32));

/** The keys derived from `dataKey` (32 bytes) for `tenant`. */
export function tenantKeys(tenant: string, dataKey: Buffer): TenantKeys {
  if (dataKey.length !== 32) throw new Error('a data key has 32 bytes');
  const encKey = derive(dataKey, 'agentplane/pii/aes-256-gcm/v1');
  const indexKey = derive(dataKey, 'agentplane/pii/blind-index/v1');
  const aad = Buffer.from(`agentplane-tenant:${tenant}`);
  return {
    tenant,
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv).setAAD(aad);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return sealedPrefix + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed) {
      if (!isSealed(sealed)) return sealed;
      const raw = Buffer.from(sealed.slice(sealedPrefix.length), 'base64url');
      if (raw.length < 28) throw new Error('a sealed value is too short');
      const decipher = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, 12)).setAAD(aad);
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    },
    index(kind, value) {
      return createHmac('sha256', indexKey)
        .update(`${kind}:${normalizePii(kind, value)}`)
        .digest('hex');
    },
  };
}
