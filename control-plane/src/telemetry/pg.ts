// A CLIENT span per PostgreSQL query, made where `pg` runs it: each pooled client's `query` is
// wrapped when the pool connects it (pass `instrumentPool` as the pool's `onPoolCreated`). Spans are
// children of whatever is active (the request's span). The statement text is not recorded: MikroORM
// inlines the values, which carry message bodies and personal data; the operation and the table are.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { controlPlaneTracer } from './instrumentation.ts';

/** What of `pg`'s Pool and Client this needs (pg ships no types). */
interface PgClient {
  query: (...args: unknown[]) => unknown;
}
export interface PgPool {
  options: { database?: string };
  on(event: 'connect', listener: (client: PgClient) => void): unknown;
}

const tablePattern = /\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/i;

/** `{ operation, table }` of a statement: `SELECT`, `message` — from its first words, no parsing. */
export function describeStatement(sql: string): { operation: string; table: string | undefined } {
  const head = sql.trimStart().slice(0, 400);
  const operation = (/^[a-z]+/i.exec(head)?.[0] ?? 'query').toUpperCase();
  return { operation, table: tablePattern.exec(head)?.[1] };
}

function instrumentClient(client: PgClient, database: string | undefined) {
  const tracer = controlPlaneTracer();
  const original = client.query.bind(client);
  const traced = (...args: unknown[]) => {
    const [text] = args;
    // Only the promise form with a SQL string (what Kysely uses); cursors and callbacks pass through.
    if (typeof text !== 'string' || typeof args.at(-1) === 'function') return original(...args);
    const { operation, table } = describeStatement(text);
    const span = tracer.startSpan(table ? `${operation} ${table}` : operation, {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': operation,
        ...(table ? { 'db.collection.name': table } : {}),
        ...(database ? { 'db.namespace': database } : {}),
      },
    });
    const result = context.with(trace.setSpan(context.active(), span), () => original(...args));
    return (result as Promise<unknown>).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      },
    );
  };
  client.query = traced;
}

/** Wraps the query method of every client `pool` connects from now on. */
export function instrumentPool(pool: PgPool): void {
  const database = pool.options.database;
  pool.on('connect', (client) => instrumentClient(client, database));
}
