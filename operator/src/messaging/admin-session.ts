// What the operator's three ports over kafkajs's admin (kafka-admin.ts, offsets.ts, kafka-security.ts)
// share: one connection opened on first use, and every failure turned into a TopicAdminError that
// says whether retrying can help.

/** Any failure of a Kafka admin call. `retriable`: the broker is unreachable or slow; try again later. */
export class TopicAdminError extends Error {
  readonly retriable: boolean;
  readonly operation: string;
  constructor(operation: string, message: string, retriable: boolean, cause: unknown) {
    super(`kafka ${operation}: ${message}`, { cause });
    this.name = 'TopicAdminError';
    this.operation = operation;
    this.retriable = retriable;
  }
}

// Errors that mean "cannot reach or hear from the broker right now".
const unavailableErrorNames = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/**
 * True when retrying later can help: the broker is unreachable, a request timed out, or Kafka
 * itself flagged the error retriable (LEADER_NOT_AVAILABLE, …). kafkajs wraps the last attempt's
 * error in KafkaJSNumberOfRetriesExceeded (non-retriable itself), so the chain of causes is walked.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as { name?: unknown; code?: unknown; retriable?: unknown; type?: unknown };
    if (typeof e.name === 'string' && unavailableErrorNames.has(e.name)) return true;
    if (typeof e.code === 'string' && unavailableCodes.has(e.code)) return true;
    if (e.name === 'KafkaJSProtocolError' || e.name === 'KafkaJSCreateTopicError')
      return e.retriable === true;
    const next = current as { cause?: unknown; originalError?: unknown; errors?: unknown };
    current = next.cause ?? next.originalError ?? (Array.isArray(next.errors) ? next.errors[0] : undefined);
  }
  return false;
}

export interface AdminSession {
  /**
   * Connects unless connected, then runs `body`. A TopicAdminError from `body` passes unchanged;
   * any other failure (connecting included) is thrown as a TopicAdminError of `operation`.
   */
  run<T>(operation: string, body: () => Promise<T>): Promise<T>;
  /** Disconnects, ignoring errors; the next `run` connects again. */
  close(): Promise<void>;
}

export interface AdminSessionOptions {
  connect: () => Promise<unknown>;
  disconnect: () => Promise<unknown>;
  /** Connect again after any retriable failure, not only after a failed connect (default false). */
  reconnectAfterRetriable?: boolean;
}

/** A session over the given connect/disconnect; a failed connect is tried again by the next `run`. */
export function adminSession(options: AdminSessionOptions): AdminSession {
  let connected: Promise<void> | undefined;
  const connect = (): Promise<void> => {
    connected ??= options.connect().then(
      () => undefined,
      (error: unknown) => {
        connected = undefined;
        throw error;
      },
    );
    return connected;
  };
  return {
    run: async (operation, body) => {
      try {
        await connect();
        return await body();
      } catch (error) {
        if (error instanceof TopicAdminError) throw error;
        const retriable = isRetriableKafkaError(error);
        if (retriable && options.reconnectAfterRetriable) connected = undefined;
        const message = error instanceof Error ? error.message : String(error);
        throw new TopicAdminError(operation, message, retriable, error);
      }
    },
    close: async () => {
      connected = undefined;
      await options.disconnect().catch(() => undefined);
    },
  };
}
