// The wire format of the four Kafka admin requests kafkajs 2.2.4 lacks: AlterUserScramCredentials
// (51) and DescribeUserScramCredentials (50), both flexible (compact arrays and strings, tagged
// fields), and AlterClientQuotas (49) and DescribeClientQuotas (48) v0, both classic. Pure
// functions over Buffers, so each is pinned by golden bytes; kafka-security.ts sends them.
//
// Framing: kafkajs writes the request header up to the client id. A flexible request's header (v2)
// adds a tagged-fields byte, so its body here starts with 0x00; a flexible response's header (v1)
// has one after the correlation id, which kafkajs leaves at the start of the body: decoders skip it.
import { pbkdf2Sync, randomBytes } from 'node:crypto';

export const apiKeys = {
  describeClientQuotas: 48,
  alterClientQuotas: 49,
  describeUserScramCredentials: 50,
  alterUserScramCredentials: 51,
} as const;

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const mechanismCodes: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const mechanismNames: Record<number, ScramMechanism> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };
const hashes: Record<ScramMechanism, { digest: string; bytes: number }> = {
  'SCRAM-SHA-256': { digest: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { digest: 'sha512', bytes: 64 },
};

/** Kafka refuses fewer (RFC 5802 Hi() with the mechanism's HMAC). */
export const minScramIterations = 4096;

/** SCRAM's SaltedPassword = PBKDF2-HMAC(password, salt, iterations), as the broker stores it. */
export function saltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  const { digest, bytes } = hashes[mechanism];
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, bytes, digest);
}

class Writer {
  private readonly parts: Buffer[] = [];
  private push(size: number, fill: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    fill(b);
    this.parts.push(b);
    return this;
  }
  int8 = (v: number) => this.push(1, (b) => b.writeInt8(v));
  int16 = (v: number) => this.push(2, (b) => b.writeInt16BE(v));
  int32 = (v: number) => this.push(4, (b) => b.writeInt32BE(v));
  float64 = (v: number) => this.push(8, (b) => b.writeDoubleBE(v));
  bool = (v: boolean) => this.int8(v ? 1 : 0);
  uvarint(v: number): this {
    const bytes: number[] = [];
    let rest = v >>> 0;
    while (rest >= 0x80) {
      bytes.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    bytes.push(rest);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  /** INT16 length + UTF-8; -1 for null. */
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const b = Buffer.from(v, 'utf8');
    return this.int16(b.length).raw(b);
  }
  array<T>(items: T[], each: (w: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }
  /** UVARINT length+1 + UTF-8; 0 for null. */
  compactString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const b = Buffer.from(v, 'utf8');
    return this.uvarint(b.length + 1).raw(b);
  }
  compactBytes(b: Buffer): this {
    return this.uvarint(b.length + 1).raw(b);
  }
  compactArray<T>(items: T[] | null, each: (w: Writer, item: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const item of items) each(this, item);
    return this;
  }
  noTags = () => this.uvarint(0);
  done = () => Buffer.concat(this.parts);
}

class Reader {
  private offset = 0;
  private readonly b: Buffer;
  constructor(b: Buffer) {
    this.b = b;
  }
  int8(): number {
    return this.b.readInt8(this.advance(1));
  }
  int16(): number {
    return this.b.readInt16BE(this.advance(2));
  }
  int32(): number {
    return this.b.readInt32BE(this.advance(4));
  }
  float64(): number {
    return this.b.readDoubleBE(this.advance(8));
  }
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.b.readUInt8(this.advance(1));
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
    }
    throw new Error('malformed varint in a Kafka response');
  }
  string(): string | null {
    const length = this.int16();
    return length < 0 ? null : this.utf8(length);
  }
  array<T>(each: (r: Reader) => T): T[] {
    const length = this.int32();
    return length < 0 ? [] : Array.from({ length }, () => each(this));
  }
  compactString(): string | null {
    const length = this.uvarint();
    return length === 0 ? null : this.utf8(length - 1);
  }
  compactArray<T>(each: (r: Reader) => T): T[] {
    const length = this.uvarint();
    return length === 0 ? [] : Array.from({ length: length - 1 }, () => each(this));
  }
  /** Skips a tagged-fields section (none of these responses defines a tag we read). */
  skipTags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.advance(this.uvarint());
    }
  }
  private utf8(length: number): string {
    const start = this.advance(length);
    return this.b.toString('utf8', start, start + length);
  }
  private advance(n: number): number {
    const at = this.offset;
    if (at + n > this.b.length) throw new Error('truncated Kafka response');
    this.offset += n;
    return at;
  }
}

export interface ScramUpsertion {
  name: string;
  mechanism: ScramMechanism;
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

/** An upsertion for `password` with a fresh 32-byte salt. */
export function scramUpsertion(
  name: string,
  mechanism: ScramMechanism,
  password: string,
  iterations = 8192,
): ScramUpsertion {
  if (iterations < minScramIterations)
    throw new RangeError(`SCRAM iterations must be >= ${minScramIterations}`);
  const salt = randomBytes(32);
  return {
    name,
    mechanism,
    iterations,
    salt,
    saltedPassword: saltedPassword(mechanism, password, salt, iterations),
  };
}

/** AlterUserScramCredentials v0 body (after the header's client id). */
export function encodeAlterScramCredentials(request: {
  deletions: { name: string; mechanism: ScramMechanism }[];
  upsertions: ScramUpsertion[];
}): Buffer {
  return new Writer()
    .noTags() // request header v2
    .compactArray(request.deletions, (w, d) =>
      w.compactString(d.name).int8(mechanismCodes[d.mechanism]).noTags(),
    )
    .compactArray(request.upsertions, (w, u) =>
      w
        .compactString(u.name)
        .int8(mechanismCodes[u.mechanism])
        .int32(u.iterations)
        .compactBytes(u.salt)
        .compactBytes(u.saltedPassword)
        .noTags(),
    )
    .noTags()
    .done();
}

export interface PerItemResult {
  errorCode: number;
  errorMessage: string | null;
}

export function decodeAlterScramCredentials(body: Buffer): { results: (PerItemResult & { user: string })[] } {
  const r = new Reader(body);
  r.skipTags(); // response header v1
  r.int32(); // throttle time
  const results = r.compactArray((x) => {
    const user = x.compactString() ?? '';
    const errorCode = x.int16();
    const errorMessage = x.compactString();
    x.skipTags();
    return { user, errorCode, errorMessage };
  });
  r.skipTags();
  return { results };
}

/** DescribeUserScramCredentials v0 body; `users` null: every user. */
export function encodeDescribeScramCredentials(users: string[] | null): Buffer {
  return new Writer()
    .noTags()
    .compactArray(users, (w, name) => w.compactString(name).noTags())
    .noTags()
    .done();
}

export interface ScramUserInfo extends PerItemResult {
  user: string;
  credentials: { mechanism: ScramMechanism | 'UNKNOWN'; iterations: number }[];
}

export function decodeDescribeScramCredentials(body: Buffer): PerItemResult & { results: ScramUserInfo[] } {
  const r = new Reader(body);
  r.skipTags();
  r.int32();
  const errorCode = r.int16();
  const errorMessage = r.compactString();
  const results = r.compactArray((x) => {
    const user = x.compactString() ?? '';
    const code = x.int16();
    const message = x.compactString();
    const credentials = x.compactArray((c) => {
      const mechanism: ScramMechanism | 'UNKNOWN' = mechanismNames[c.int8()] ?? 'UNKNOWN';
      const iterations = c.int32();
      c.skipTags();
      return { mechanism, iterations };
    });
    x.skipTags();
    return { user, errorCode: code, errorMessage: message, credentials };
  });
  r.skipTags();
  return { errorCode, errorMessage, results };
}

/** A quota entity: `{ user: 'alice' }`, `{ 'client-id': 'x' }`; null name = the default entity. */
export type QuotaEntity = Record<string, string | null>;

export interface QuotaAlteration {
  entity: QuotaEntity;
  /** e.g. producer_byte_rate: 1048576; null removes the quota. */
  values: Record<string, number | null>;
}

const entityPairs = (entity: QuotaEntity) => Object.entries(entity).sort(([a], [b]) => a.localeCompare(b));

/** AlterClientQuotas v0 body. */
export function encodeAlterClientQuotas(entries: QuotaAlteration[], validateOnly = false): Buffer {
  return new Writer()
    .array(entries, (w, e) => {
      w.array(entityPairs(e.entity), (x, [type, name]) => x.string(type).string(name));
      w.array(Object.entries(e.values), (x, [key, value]) =>
        x
          .string(key)
          .float64(value ?? 0)
          .bool(value === null),
      );
    })
    .bool(validateOnly)
    .done();
}

export function decodeAlterClientQuotas(body: Buffer): {
  entries: (PerItemResult & { entity: QuotaEntity })[];
} {
  const r = new Reader(body);
  r.int32();
  const entries = r.array((x) => {
    const errorCode = x.int16();
    const errorMessage = x.string();
    const entity = Object.fromEntries(x.array((y) => [y.string() ?? '', y.string()]));
    return { errorCode, errorMessage, entity };
  });
  return { entries };
}

/** DescribeClientQuotas v0 body for exactly this entity (strict: no other entity types match). */
export function encodeDescribeClientQuotas(entity: QuotaEntity): Buffer {
  return new Writer()
    .array(entityPairs(entity), (w, [type, name]) =>
      w
        .string(type)
        .int8(name === null ? 1 : 0)
        .string(name),
    )
    .bool(true)
    .done();
}

export function decodeDescribeClientQuotas(
  body: Buffer,
): PerItemResult & { entries: { entity: QuotaEntity; values: Record<string, number> }[] } {
  const r = new Reader(body);
  r.int32();
  const errorCode = r.int16();
  const errorMessage = r.string();
  const entries = r.array((x) => {
    const entity = Object.fromEntries(x.array((y) => [y.string() ?? '', y.string()]));
    const values = Object.fromEntries(x.array((y) => [y.string() ?? '', y.float64()]));
    return { entity, values };
  });
  return { errorCode, errorMessage, entries };
}
