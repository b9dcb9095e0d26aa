// Server-sent events of one conversation: what is stored (after Last-Event-ID), then each result as
// this process stores it (the hub), plus a periodic catch-up from PostgreSQL for results another
// replica stored, and heartbeat comments so proxies keep an idle stream open. Each event is sent
// once per stream, whichever way it arrived.
import { PassThrough, type Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Pii } from '../../crypto/pii.ts';
import { withTenantScope } from '../../db/tenant-scope.ts';
import type { ConversationHub } from './conversation-hub.ts';
import type { ResultView } from './conversations.schemas.ts';
import { resultsOf } from './results.ts';

export interface EventStreamSettings {
  root: EntityManager;
  hub: ConversationHub;
  /** Opens the sealed PII of stored results. */
  pii: Pii;
  heartbeatMs?: number;
  catchUpMs?: number;
  /** What a client waits before reconnecting (the SSE `retry:` field). */
  reconnectMs?: number;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One SSE frame. JSON has no raw newlines, so `data:` is a single line. */
export const sseFrame = (result: ResultView) =>
  `id: ${result.id}\nevent: message.processed\ndata: ${JSON.stringify(result)}\n\n`;

export function createEventStreams({
  root,
  hub,
  pii,
  heartbeatMs = 15_000,
  catchUpMs = 5_000,
  reconnectMs = 3_000,
}: EventStreamSettings) {
  const open = new Set<PassThrough>();

  return {
    /**
     * Opens the stream of a conversation the caller may read; `em` is the request's tenant scope,
     * used for the replay only. The stream ends when the client goes or `closeAll()` is called.
     */
    async open(
      em: EntityManager,
      tenantId: string,
      conversationId: string,
      lastEventId: string | undefined,
      log: Logger,
    ): Promise<Readable> {
      const stream = new PassThrough();
      // Timers and the hub may fire after the stream ended: writing then would be an error.
      const write = (text: string) => {
        if (!stream.writableEnded && !stream.destroyed) stream.write(text);
      };
      const sent = new Set<string>();
      let cursor = lastEventId && uuid.test(lastEventId) ? lastEventId : undefined;
      const send = (result: ResultView) => {
        if (sent.has(result.id)) return;
        sent.add(result.id);
        write(sseFrame(result));
      };
      const sendStored = (results: ResultView[]) => {
        for (const result of results) send(result);
        cursor = results.at(-1)?.id ?? cursor;
      };

      // Subscribe before reading what is stored: a result stored in between is then held, not lost.
      let held: ResultView[] | undefined = [];
      const unsubscribe = hub.subscribe(tenantId, conversationId, (result) =>
        held ? held.push(result) : send(result),
      );
      write(`retry: ${reconnectMs}\n\n`);
      try {
        sendStored(await resultsOf(em, tenantId, conversationId, { afterId: cursor, pii }));
      } catch (error) {
        unsubscribe();
        throw error;
      }
      for (const result of held) send(result);
      held = undefined;

      const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
      let catchingUp = false;
      const catchUp = setInterval(() => {
        if (catchingUp) return;
        catchingUp = true;
        withTenantScope(root, tenantId, (scope) =>
          resultsOf(scope, tenantId, conversationId, { afterId: cursor, pii }),
        )
          .then(sendStored, (error: unknown) => log.warn({ err: error }, 'event stream catch-up failed'))
          .finally(() => {
            catchingUp = false;
          });
      }, catchUpMs);
      const stop = () => {
        clearInterval(heartbeat);
        clearInterval(catchUp);
        unsubscribe();
        open.delete(stream);
      };
      open.add(stream);
      stream.once('finish', stop);
      stream.once('close', stop);
      return stream;
    },

    /** Ends every open stream (the server is closing: it waits for open responses otherwise). */
    closeAll() {
      for (const stream of open) stream.end();
    },
  };
}

export type EventStreams = ReturnType<typeof createEventStreams>;
