// Does a server-side apply of `desired` change anything? Comparing values alone cannot say for
// lists (atomic, keyed by a field, or sets) nor notice a field we stopped setting, so this reads
// our own managedFields entry too: it tells each list's type and which fields we own.

import { parseQuantity } from './quantity.ts';
import type { KubeObject } from './resource.ts';

type Fields = { [path: string]: Fields };
type Plain = Record<string, unknown>;

const isPlain = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Metadata the server writes or that names the object rather than describing it. */
const serverMeta = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink'];

/**
 * True unless applying `desired` as `fieldManager` would be a no-op: every field of `desired`
 * already has that value in `live` (lists compared as the schema treats them, quantities by value:
 * "1000m" equals "1"), and `live` holds no field this manager applied before that `desired` lacks
 * (an apply would remove it). True when `live` is missing or this manager never applied to it.
 * `subresource: 'status'` compares against what was applied to /status.
 */
export function needsApply(
  desired: KubeObject,
  live: KubeObject | undefined,
  fieldManager: string,
  subresource = '',
): boolean {
  const entries = (live?.metadata?.managedFields ?? []) as Array<{
    manager?: string;
    operation?: string;
    subresource?: string;
    fieldsV1?: Fields;
  }>;
  const ours = entries.find(
    (e) => e.manager === fieldManager && e.operation === 'Apply' && (e.subresource ?? '') === subresource,
  );
  if (!live || !ours) return true;
  const { apiVersion: _v, kind: _k, ...rest } = desired as Plain;
  const metadata = Object.fromEntries(
    Object.entries(desired.metadata ?? {}).filter(([key]) => !serverMeta.includes(key)),
  );
  return !inSync({ ...rest, metadata }, live, ours.fieldsV1 ?? {});
}

function inSync(desired: unknown, live: unknown, owned: Fields | undefined): boolean {
  if (desired === undefined) return true;
  const absent = live === undefined || live === null;
  if (desired === null) return absent;
  if (Array.isArray(desired))
    return absent ? desired.length === 0 : Array.isArray(live) && listInSync(desired, live, owned);
  if (isPlain(desired)) {
    // The server drops empty maps, so `{}` (or only empties) is in sync with nothing.
    if (absent) return Object.values(desired).every((value) => inSync(value, undefined, undefined));
    if (!isPlain(live)) return false;
    const fieldsMatch = Object.entries(desired).every(([key, value]) =>
      inSync(value, live[key], owned?.[`f:${key}`]),
    );
    // A field this manager applied before and no longer wants: the apply would remove it.
    const dropped = Object.keys(owned ?? {}).some(
      (path) => path.startsWith('f:') && desired[path.slice(2)] === undefined,
    );
    return fieldsMatch && !dropped;
  }
  return desired === live || sameQuantity(desired, live);
}

/** Lists: keyed (`k:{…}` in managedFields), sets (`v:…`), or atomic (a leaf): element by element. */
function listInSync(desired: unknown[], live: unknown[], owned: Fields | undefined): boolean {
  const paths = Object.keys(owned ?? {});
  const keyed = paths
    .filter((path) => path.startsWith('k:'))
    .map((path) => ({ key: JSON.parse(path.slice(2)) as Plain, path }));
  if (keyed.length > 0) {
    const fields = Object.keys(keyed[0]?.key ?? {});
    // A key field the desired item leaves out (e.g. a port's defaulted protocol) matches any value.
    const sameItem = (item: unknown, other: unknown) =>
      isPlain(item) && isPlain(other) && fields.every((f) => item[f] === undefined || item[f] === other[f]);
    const present = desired.every((item) => {
      const node = keyed.find(({ key }) => sameItem(item, key))?.path;
      return live.some(
        (other) => sameItem(item, other) && inSync(item, other, node ? owned?.[node] : undefined),
      );
    });
    return present && keyed.every(({ key }) => desired.some((item) => sameItem(item, key)));
  }
  const values = paths
    .filter((path) => path.startsWith('v:'))
    .map((path) => JSON.parse(path.slice(2)) as unknown);
  if (values.length > 0) {
    return desired.every((item) => live.includes(item)) && values.every((value) => desired.includes(value));
  }
  return (
    desired.length === live.length && desired.every((item, index) => inSync(item, live[index], undefined))
  );
}

function sameQuantity(a: unknown, b: unknown): boolean {
  const [x, y] = [parseQuantity(a), parseQuantity(b)];
  return x !== undefined && y !== undefined && Math.abs(x - y) <= Math.abs(x) * 1e-12;
}
