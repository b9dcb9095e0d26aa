// In-process fan-out of newly stored results to the SSE streams open in this process. Streams of
// other replicas catch up from PostgreSQL (event-stream.ts), so the hub needs no broker of its own.
import type { ResultView } from './conversations.schemas.ts';

export type ResultListener = (result: ResultView) => void;

export interface ConversationHub {
  /** Hands `result` to every listener of the conversation, synchronously. */
  publish(tenantId: string, conversationId: string, result: ResultView): void;
  /** Returns the function that removes `listener`. */
  subscribe(tenantId: string, conversationId: string, listener: ResultListener): () => void;
}

export function createConversationHub(): ConversationHub {
  const listeners = new Map<string, Set<ResultListener>>();
  // The tenant is part of the key: a conversation id alone must never route across tenants.
  const keyOf = (tenantId: string, conversationId: string) => `${tenantId}/${conversationId}`;
  return {
    publish(tenantId, conversationId, result) {
      for (const listener of listeners.get(keyOf(tenantId, conversationId)) ?? []) listener(result);
    },
    subscribe(tenantId, conversationId, listener) {
      const key = keyOf(tenantId, conversationId);
      const set = listeners.get(key) ?? new Set();
      set.add(listener);
      listeners.set(key, set);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(key) === set) listeners.delete(key);
      };
    },
  };
}
