// The runtime's closed vocabulary of failures. Whether a failure is worth retrying is a property of
// the error (as in KafkaJS), so the consumer decides retry, dead-letter or crash from the error alone.

export type ErrorCode =
  | 'malformed_message'
  | 'tenant_mismatch'
  | 'model_unavailable'
  | 'model_invalid_output'
  | 'dependency_unavailable'
  | 'processing_failed';

export class RuntimeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  constructor(code: ErrorCode, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntimeError';
    this.code = code;
    this.retriable = options.retriable;
  }
}

/** The record cannot be parsed or fails the inbound schema: dead-letter at once. */
export const malformed = (message: string, cause?: unknown) =>
  new RuntimeError('malformed_message', message, { retriable: false, cause });

/** The record names another tenant than this pod's: refused, never processed. */
export const tenantMismatch = (expected: string, got: unknown) =>
  new RuntimeError(
    'tenant_mismatch',
    `record is for tenant "${String(got)}", this runtime serves "${expected}"`,
    {
      retriable: false,
    },
  );

/** A dependency (vector store, Vault, broker) failed in a way that may pass. */
export const unavailable = (message: string, cause?: unknown) =>
  new RuntimeError('dependency_unavailable', message, { retriable: true, cause });

/**
 * True when retrying may help: our errors say so; KafkaJS errors carry `retriable`; anything else
 * (a bug, a TypeError) is not retried.
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof RuntimeError) return error.retriable;
  if (error instanceof Error && 'retriable' in error)
    return (error as { retriable: unknown }).retriable === true;
  return false;
}

/** The stable code written into dead letters and metrics. */
export function errorCode(error: unknown): string {
  if (error instanceof RuntimeError) return error.code;
  return 'processing_failed';
}
