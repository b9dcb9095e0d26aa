// The shapes every other file of the kube package shares: objects as JSON, resource types, keys
// and REST paths. Objects stay plain JSON (wire field names, string timestamps); client-node's
// model classes rename fields (`_from`, `_default`) and are not used for reads or writes here.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The metadata fields this package reads; timestamps are RFC 3339 strings on the wire. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  creationTimestamp?: unknown;
  deletionTimestamp?: unknown;
  managedFields?: unknown;
}

/** Any Kubernetes object. CRD types from @agentplane/crds and client-node's types fit it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** Where a kind is served, as discovery reports it. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** The work-queue key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(obj: KubeObject): string {
  const { name = '', namespace } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : name;
}

/** The inverse of objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The REST path of a collection (no name) or of one object, optionally of its subresource. */
export function resourcePath(
  type: ResourceType,
  where: { namespace?: string | undefined; name?: string | undefined; subresource?: string } = {},
): string {
  const root = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const scope =
    type.namespaced && where.namespace ? `/namespaces/${encodeURIComponent(where.namespace)}` : '';
  const name = where.name ? `/${encodeURIComponent(where.name)}` : '';
  const sub = where.name && where.subresource ? `/${where.subresource}` : '';
  return `${root}${scope}/${type.plural}${name}${sub}`;
}

/** Kubernetes MicroTime (`…T08:31:14.209000Z`): the API server parses exactly six fraction digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Kubernetes Time (`…T08:31:14Z`): seconds precision, as the API server stores it. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
