// The one place where errors become HTTP answers: `{ code, message, details }` with the status of
// the code. Anything outside the vocabulary is logged and answered as an opaque 500.
import { ConnectionException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, dependencyUnavailable } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `code` of the error this request was answered with (request metrics read it). */
    errorCode: string | null;
  }
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function fromValidation(error: FastifyError): DomainError {
  const first = error.validation?.[0];
  const where = error.validationContext ?? 'body';
  const missing = first?.keyword === 'required' ? `/${String(first.params.missingProperty)}` : '';
  const field = `${where}${first?.instancePath ?? ''}${missing}`;
  return new DomainError('invalid_request', `${field} ${first?.message ?? 'is invalid'}`, {
    details: { field, rule: first?.keyword, errors: error.validation?.length ?? 0 },
  });
}

const unreachable = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  // SQLSTATE class 08 (connection exception) and 57P01–57P03 (server shutting down or starting).
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);

// What `pg` and `pg-pool` throw without a code: a server gone mid-query, a pool that could not
// connect within connectionTimeoutMillis, a query past query_timeout (db/orm.ts sets both).
const unreachableMessages =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|timeout expired)/;

/** Whether `error` (or a cause of it) says a server could not be reached: pool and socket errors. */
function isUnreachable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const { code, cause, errors, message } = error as {
    code?: unknown;
    cause?: unknown;
    errors?: unknown[];
    message?: unknown;
  };
  if (typeof code === 'string' && unreachable.has(code)) return true;
  if (typeof message === 'string' && unreachableMessages.test(message)) return true;
  return isUnreachable(cause, depth + 1) || (errors ?? []).some((inner) => isUnreachable(inner, depth + 1));
}

/** Maps a thrown value to the vocabulary; unknown errors become undefined (a 500). */
export function toDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (error instanceof UniqueConstraintViolationException) {
    return new DomainError('conflict', 'an object with this identity already exists');
  }
  if (error instanceof ConnectionException || isUnreachable(error))
    return dependencyUnavailable('PostgreSQL', error);
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return fromValidation(fastifyError as FastifyError);
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new DomainError('payload_too_large', 'the request body is larger than the limit');
  }
  if (fastifyError.statusCode === 400 || fastifyError.statusCode === 415) {
    return new DomainError('invalid_request', fastifyError.message ?? 'the request is malformed');
  }
  return undefined;
}

export function errorHandler(
  this: FastifyInstance,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const domain = toDomainError(error);
  request.errorCode = domain?.code ?? 'internal';
  if (!domain) {
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ code: 'internal', message: 'internal error' } satisfies ErrorBody);
  }
  if (domain.status >= 500) request.log.warn({ err: domain, code: domain.code }, 'dependency error');
  if (domain.retryAfterSeconds !== undefined) reply.header('retry-after', String(domain.retryAfterSeconds));
  const body: ErrorBody = { code: domain.code, message: domain.message };
  if (domain.details) body.details = domain.details;
  return reply.status(domain.status).send(body);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  request.errorCode = 'not_found';
  const body: ErrorBody = { code: 'not_found', message: `no route ${request.method} ${request.url}` };
  return reply.status(404).send(body);
}
