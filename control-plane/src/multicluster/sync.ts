// Keeping one object on a member as the hub states it. The plan is pure: compare with the cached
// object and with what the hub applied last, which tells an ordinary change (the database moved on)
// from drift (the member moved away from what the hub applied). The apply never forces over a
// declarative co-owner (another manager's server-side apply: a conflict, reported); it does restore
// its own fields after an imperative edit (kubectl edit/patch/scale), which is drift.
import {
  apply,
  type EventRecorder,
  isConflict,
  isNotFound,
  type KubeClient,
  type KubeObject,
  needsApply,
  objectKey,
  resourcePath,
} from '@agentplane/operator/kube';
import { desiredDigest, type HubObject, hubFieldManager } from './desired.ts';

/** What the sync of one object needs of a member. */
export interface MemberAccess {
  readonly name: string;
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  /** The digest of what the hub last applied (or found in sync), by kind and object key. */
  readonly applied: Map<string, string>;
}

export type Drift = 'Deleted' | 'Edited';

export type SyncPlan = { do: 'nothing' } | { do: 'wait'; why: string } | { do: 'apply'; drift?: Drift };

export type ObjectOutcome =
  | { key: string; result: 'unchanged' | 'applied' }
  | { key: string; result: 'waiting'; message: string }
  | { key: string; result: 'restored'; drift: Drift; by: string[] }
  | { key: string; result: 'conflict'; by: string[]; message: string };

const appliedKey = (object: KubeObject) => `${object.kind}:${objectKey(object)}`;

/**
 * What to do about `desired` given the cached `live` object and the digest the hub applied last:
 * wait while it is being deleted; apply when it is missing or differs in the hub's fields, flagged
 * as drift when the hub's own statement has not changed since it was last in place. Pure.
 */
export function planObjectSync(
  desired: HubObject,
  live: KubeObject | undefined,
  lastDigest?: string,
): SyncPlan {
  const unchangedStatement = lastDigest === desiredDigest(desired);
  if (live?.metadata?.deletionTimestamp)
    return {
      do: 'wait',
      why: `${desired.kind} ${objectKey(desired)} is being deleted; it is re-created once gone`,
    };
  if (!live) return unchangedStatement ? { do: 'apply', drift: 'Deleted' } : { do: 'apply' };
  if (!needsApply(desired, live, hubFieldManager)) return { do: 'nothing' };
  return unchangedStatement ? { do: 'apply', drift: 'Edited' } : { do: 'apply' };
}

/** The field managers a 409 of a server-side apply names ("conflict with \"kubectl-edit\" …"). */
export function conflictingManagers(message: string): string[] {
  return [...new Set([...message.matchAll(/conflicts? with "([^"]+)"/g)].map((match) => match[1] ?? ''))];
}

type ManagedEntry = { manager?: string; operation?: string };

/** Whether every one of `managers` only ever updated the object imperatively (no apply of its own). */
export function onlyImperative(object: KubeObject | undefined, managers: string[]): boolean {
  const entries = (object?.metadata?.managedFields ?? []) as ManagedEntry[];
  return managers.every((manager) =>
    entries.filter((e) => e.manager === manager).every((e) => e.operation !== 'Apply'),
  );
}

async function read(client: KubeClient, object: HubObject): Promise<KubeObject | undefined> {
  const type = await client.discover(object.apiVersion ?? '', object.kind ?? '');
  const path = resourcePath(type, { namespace: object.metadata.namespace, name: object.metadata.name });
  return client.request<KubeObject>({ method: 'GET', path }).catch((error) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
}

/** Runs `plan` for `desired` on `member`, recording an Event for drift and conflicts. Throws when the API fails. */
export async function syncObject(
  member: MemberAccess,
  desired: HubObject,
  plan: SyncPlan,
): Promise<ObjectOutcome> {
  const key = appliedKey(desired);
  if (plan.do === 'nothing') {
    member.applied.set(key, desiredDigest(desired));
    return { key, result: 'unchanged' };
  }
  if (plan.do === 'wait') return { key, result: 'waiting', message: plan.why };
  if (plan.drift) {
    // The cache may not have seen the hub's own last write yet: drift is confirmed from the API server.
    const fresh = planObjectSync(desired, await read(member.client, desired), member.applied.get(key));
    if (fresh.do !== 'apply') return syncObject(member, desired, fresh);
    plan = fresh;
  }
  try {
    const stored = await apply(member.client, desired, { fieldManager: hubFieldManager, force: false });
    member.applied.set(key, desiredDigest(desired));
    if (!plan.drift) return { key, result: 'applied' };
    const by = plan.drift === 'Deleted' ? ['deleted by hand'] : ['an edit'];
    await recordDrift(member, stored, plan.drift);
    return { key, result: 'restored', drift: plan.drift, by };
  } catch (error) {
    if (!isConflict(error)) throw error;
    const by = conflictingManagers((error as Error).message);
    if (by.length > 0 && onlyImperative(await read(member.client, desired), by)) {
      // Imperative edits own no field declaratively: restoring the hub's fields is drift correction.
      const stored = await apply(member.client, desired, { fieldManager: hubFieldManager, force: true });
      member.applied.set(key, desiredDigest(desired));
      await recordDrift(member, stored, 'Edited', by);
      return { key, result: 'restored', drift: 'Edited', by };
    }
    const message = `${desired.kind} ${objectKey(desired)}: ${(error as Error).message}`;
    await member.recorder.record(desired, {
      type: 'Warning',
      reason: 'HubFieldConflict',
      action: 'Apply',
      note: `the hub did not overwrite fields another manager applied (${by.join(', ')}): ${(error as Error).message}`,
    });
    return { key, result: 'conflict', by, message };
  }
}

function recordDrift(member: MemberAccess, object: KubeObject, drift: Drift, by: string[] = []) {
  const note =
    drift === 'Deleted'
      ? `${object.kind} was deleted by hand; the hub re-created it`
      : `the hub restored the fields it owns after a change${by.length ? ` by ${by.join(', ')}` : ''}`;
  return member.recorder.record(object, {
    type: 'Normal',
    reason: 'DriftCorrected',
    action: 'Restore',
    note,
  });
}

/** Deletes `object` from `member`; absent is fine. Returns true when it is gone already. */
export async function removeObject(member: MemberAccess, object: HubObject): Promise<boolean> {
  const type = await member.client.discover(object.apiVersion ?? '', object.kind ?? '');
  const path = resourcePath(type, { namespace: object.metadata.namespace, name: object.metadata.name });
  try {
    await member.client.request({ method: 'DELETE', path });
    member.applied.delete(appliedKey(object));
    return false;
  } catch (error) {
    if (isNotFound(error)) return true;
    throw error;
  }
}
