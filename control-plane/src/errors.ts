// The closed vocabulary of errors the API answers with. Services throw these; one handler
// (http/error-handler.ts) maps them to HTTP. Whether retrying can help is a property of the error.

export const errorStatus = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  feature_not_in_tier: 403,
  not_found: 404,
  conflict: 409,
  tenant_suspended: 409,
  payload_too_large: 413,
  unprocessable: 422,
  tier_limit_exceeded: 422,
  rate_limited: 429,
  internal: 500,
  dependency_unavailable: 503,
  knowledge_store_not_configured: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export const errorCodes = Object.keys(errorStatus) as ErrorCode[];

export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds after which a retry may succeed (429, 503); undefined: retrying the same request will fail again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  get retriable(): boolean {
    return this.retryAfterSeconds !== undefined;
  }
}

/**
 * "No such <kind>" — also what a caller gets for another tenant's object, so the answer never
 * reveals whether it exists elsewhere.
 */
export function notFound(kind: string, id: string): DomainError {
  return new DomainError('not_found', `${kind} "${id}" was not found`, { details: { kind, id } });
}

export function dependencyUnavailable(dependency: string, cause?: unknown): DomainError {
  return new DomainError('dependency_unavailable', `${dependency} is unavailable; try again shortly`, {
    details: { dependency },
    retryAfterSeconds: 5,
    cause,
  });
}
