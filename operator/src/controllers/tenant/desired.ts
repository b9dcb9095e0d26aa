// Pure builders of what a tenant's home should contain. No I/O: unit-tested without a cluster.
// Objects are in wire format (JSON field names such as `from`, `default`), ready for server-side
// apply; client-node's model classes rename those fields and are not used here.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { labels, runtimeServiceAccount, type TenantPlan, tenantLabels } from './plan.ts';

/** Egress the platform needs from tenant pods (DNS, Kafka, Vault, control plane, model endpoint). */
export interface PlatformEgress {
  name: string;
  /** Destination: a namespace of this cluster, or CIDR blocks (e.g. the model endpoint). */
  namespace?: string;
  cidrs?: string[];
  ports: Array<{ port: number; protocol?: 'TCP' | 'UDP' }>;
}

type Meta = { namespace: string; ownerReferences: V1OwnerReference[] };

/** A Kubernetes object as sent to the API server. */
export interface Desired {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
  [field: string]: unknown;
}

export function desiredNamespace(plan: TenantPlan, owner: V1OwnerReference): Desired {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: plan.namespace, labels: tenantLabels(plan), ownerReferences: [owner] },
  };
}

export function desiredQuota(plan: TenantPlan, meta: Meta): Desired {
  const { cpu, memory, pods } = plan.quota;
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: `tenant-${plan.name}`, labels: tenantLabels(plan), ...meta },
    spec: {
      hard: {
        'requests.cpu': cpu,
        'requests.memory': memory,
        'limits.cpu': cpu,
        'limits.memory': memory,
        pods: String(pods),
      },
    },
  };
}

export function desiredLimitRange(plan: TenantPlan, meta: Meta): Desired {
  const { defaultCpu, defaultMemory, maxCpu, maxMemory } = plan.limits;
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: `tenant-${plan.name}`, labels: tenantLabels(plan), ...meta },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: defaultCpu, memory: defaultMemory },
          defaultRequest: { cpu: defaultCpu, memory: defaultMemory },
          max: { cpu: maxCpu, memory: maxMemory },
        },
      ],
    },
  };
}

/**
 * Deny everything, then allow what the platform needs. In a dedicated namespace the policy covers
 * every pod; in a shared pool it covers the tenant's pods and admits traffic only from them.
 */
export function desiredNetworkPolicy(plan: TenantPlan, meta: Meta, egress: PlatformEgress[]): Desired {
  const podSelector = plan.isolation === 'dedicated' ? {} : { matchLabels: { [labels.tenant]: plan.name } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `tenant-${plan.name}-isolation`, labels: tenantLabels(plan), ...meta },
    spec: {
      podSelector,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector }] }],
      egress: [{ to: [{ podSelector }] }, ...egress.map(egressRule)],
    },
  };
}

function egressRule(rule: PlatformEgress): Record<string, unknown> {
  const to = rule.namespace
    ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': rule.namespace } } }]
    : (rule.cidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }));
  return { to, ports: rule.ports.map(({ port, protocol = 'TCP' }) => ({ port, protocol })) };
}

export function desiredServiceAccount(plan: TenantPlan, meta: Meta): Desired {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: runtimeServiceAccount(plan.name), labels: tenantLabels(plan), ...meta },
    automountServiceAccountToken: true,
  };
}

/**
 * The runtime reads only its own tenant's objects: ConfigMaps and Secrets whose names start with
 * the tenant's prefix are granted by name, so nothing of another tenant in a shared pool is reachable.
 */
export function desiredRuntimeRole(plan: TenantPlan, meta: Meta, resourceNames: string[]): Desired {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: runtimeServiceAccount(plan.name), labels: tenantLabels(plan), ...meta },
    rules: resourceNames.length
      ? [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get'], resourceNames }]
      : [],
  };
}

export function desiredRuntimeRoleBinding(plan: TenantPlan, meta: Meta): Desired {
  const name = runtimeServiceAccount(plan.name);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, labels: tenantLabels(plan), ...meta },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: meta.namespace }],
  };
}

/** Owners get read access to their dedicated namespace; a shared pool grants them nothing. */
export function desiredOwnersRoleBinding(plan: TenantPlan, meta: Meta): Desired | undefined {
  if (plan.isolation !== 'dedicated' || plan.owners.length === 0) return undefined;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `tenant-${plan.name}-owners`, labels: tenantLabels(plan), ...meta },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: plan.owners.map((owner) => ({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'User',
      name: owner,
    })),
  };
}
