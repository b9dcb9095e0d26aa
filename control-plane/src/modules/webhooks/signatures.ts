// Verification of channel deliveries, one function per scheme, over the body exactly as it arrived
// (re-serialised JSON would not match). Every comparison is constant-time. Pure: the clock is a
// parameter.
//
//   hmac   X-Agentplane-Signature: sha256=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
//          X-Agentplane-Timestamp: <unix seconds>, within 5 minutes of now
//   meta   X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>
//   slack  X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, `v0:${timestamp}:${body}`)>
//          X-Slack-Request-Timestamp: <unix seconds>, within 5 minutes of now
import { createHmac, timingSafeEqual } from 'node:crypto';

export const channelKinds = ['hmac', 'meta', 'slack'] as const;
export type ChannelKind = (typeof channelKinds)[number];

export const replayWindowSeconds = 300;

export const signatureHeaders = {
  hmac: { signature: 'x-agentplane-signature', timestamp: 'x-agentplane-timestamp' },
  meta: { signature: 'x-hub-signature-256', timestamp: undefined },
  slack: { signature: 'x-slack-signature', timestamp: 'x-slack-request-timestamp' },
} as const satisfies Record<ChannelKind, { signature: string; timestamp: string | undefined }>;

export type Rejection = 'missing_signature' | 'bad_signature' | 'missing_timestamp' | 'stale_timestamp';

export interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** Milliseconds since the epoch. */
  now: number;
}

const header = (delivery: Delivery, name: string | undefined) => {
  const value = name ? delivery.headers[name] : undefined;
  return Array.isArray(value) ? value[0] : value;
};

/** Whether `presented` is `prefix` + the hex HMAC of `parts`; constant-time for equal lengths. */
function signatureMatches(secret: string, presented: string, prefix: string, parts: (string | Buffer)[]) {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  const expected = Buffer.from(`${prefix}${mac.digest('hex')}`);
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function freshTimestamp(raw: string, now: number): boolean {
  if (!/^\d{1,12}$/.test(raw)) return false;
  return Math.abs(now / 1000 - Number(raw)) <= replayWindowSeconds;
}

/** Undefined when `delivery` is authentic for a channel of `kind` with `secret`, else why not. */
export function rejectionOf(kind: ChannelKind, secret: string, delivery: Delivery): Rejection | undefined {
  const names = signatureHeaders[kind];
  const signature = header(delivery, names.signature);
  if (!signature) return 'missing_signature';
  const timestamp = header(delivery, names.timestamp);
  if (kind === 'meta') {
    return signatureMatches(secret, signature, 'sha256=', [delivery.rawBody]) ? undefined : 'bad_signature';
  }
  if (!timestamp) return 'missing_timestamp';
  // The signature first: a stale timestamp is only worth reporting on an authentic delivery.
  const signed =
    kind === 'hmac'
      ? signatureMatches(secret, signature, 'sha256=', [`${timestamp}.`, delivery.rawBody])
      : signatureMatches(secret, signature, 'v0=', [`v0:${timestamp}:`, delivery.rawBody]);
  if (!signed) return 'bad_signature';
  return freshTimestamp(timestamp, delivery.now) ? undefined : 'stale_timestamp';
}
