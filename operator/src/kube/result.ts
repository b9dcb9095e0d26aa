// What a reconcile decides: done, come back later, retry with backoff (any thrown error), or stop
// retrying (TerminalError) because only a change of the object itself can help.

/** `requeueAfterMs`: reconcile this key again after that delay even if nothing changes. */
export type ReconcileResult = { requeueAfterMs?: number } | undefined;

/**
 * An error retrying cannot fix (invalid spec, a limit exceeded). The controller reports it (log,
 * metric, onTerminal hook) and does not retry; the next change of a watched object reconciles again.
 * `reason` is a CamelCase word suitable for a condition reason and an Event.
 */
export class TerminalError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
    this.reason = reason;
  }
}

export function isTerminal(error: unknown): error is TerminalError {
  return error instanceof TerminalError;
}
