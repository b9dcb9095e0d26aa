// The records that cross the port: plain data, no kafkajs types, so the client can be replaced.

export interface InboundRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Broker or producer timestamp, milliseconds since the epoch, as a string (as Kafka gives it). */
  timestamp: string;
}

export interface OutboundRecord {
  topic: string;
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined;

/** Flattens Kafka headers to strings (the last value wins for repeated names). */
export function headersOf(raw: RawHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) headers[name] = last.toString();
  }
  return headers;
}
