// The writes a reconcile may ask for, as the reconcilers declare them; world.ts implements them
// against the API server and the unit tests record them.
import type { Desired } from './tenant/desired.ts';
import type { ConditionFact } from './tenant/status.ts';

export interface ObjectWrites {
  /** Server-side apply; a no-op when the live object already holds every desired field.
   *  `fieldManager` separates an intent from the operator's main one (see tenant/move.ts). */
  apply(object: Desired, options?: { fieldManager?: string }): Promise<void>;
  /** Deletes an object the operator made, if it exists. */
  remove(object: Pick<Desired, 'apiVersion' | 'kind' | 'metadata'>): Promise<void>;
}

/** Status and Events of the primary object `T`, whose status type (without conditions) is `S`. */
export interface StatusWrites<T, S> {
  /**
   * Writes status with conditions merged (transition times kept); a no-op when nothing changed.
   * Resolves to the object's new resourceVersion when it wrote.
   */
  writeStatus(object: T, status: S, conditions: ConditionFact[]): Promise<string | undefined>;
  event(object: T, type: 'Normal' | 'Warning', reason: string, note: string): void;
}
