// The two CustomResourceDefinitions, built from the TypeBox schemas (the one source of truth).
import type { TSchema } from '@sinclair/typebox';
import { AgentInstanceSchema } from './agent-instance.schema.ts';
import { agentInstanceResource, group, type ResourceRef, tenantResource, version } from './group.ts';
import { TenantSchema } from './tenant.schema.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** A CustomResourceDefinition (apiextensions.k8s.io/v1) with one served version. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: Record<string, unknown> };
      subresources: Record<string, unknown>;
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function tenantCrd(): CustomResourceDefinition {
  return crd(tenantResource, TenantSchema, {
    shortNames: ['tn'],
    subresources: { status: {} },
    columns: [
      { name: 'Tier', type: 'string', jsonPath: '.spec.tier' },
      {
        name: 'Isolation',
        type: 'string',
        jsonPath: '.status.home.isolation',
        description: 'Effective isolation, with the tier default resolved by the operator',
      },
      { name: 'Namespace', type: 'string', jsonPath: '.status.namespace' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      age,
      // -o wide: most tenants never hibernate, so these stay out of the default view.
      {
        name: 'Idle Since',
        type: 'date',
        jsonPath: '.status.hibernation.idleSince',
        description: 'When an inbound message was last seen (tenants that can hibernate)',
        priority: 1,
      },
      {
        name: 'Last Wake',
        type: 'number',
        jsonPath: '.status.hibernation.lastWakeSeconds',
        description:
          'Seconds the last wake from hibernation took, from the message seen to every agent ready',
        priority: 1,
      },
    ],
  });
}

export function agentInstanceCrd(): CustomResourceDefinition {
  return crd(agentInstanceResource, AgentInstanceSchema, {
    shortNames: ['ai'],
    // scale lets `kubectl scale agentinstance/x --replicas=n` work; CEL still bounds it by autoscaling.
    subresources: {
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    },
    columns: [
      { name: 'Tenant', type: 'string', jsonPath: '.spec.tenantRef' },
      { name: 'Agent', type: 'string', jsonPath: '.spec.agent' },
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      age,
    ],
  });
}

export function customResourceDefinitions(): CustomResourceDefinition[] {
  return [tenantCrd(), agentInstanceCrd()];
}

interface CrdOptions {
  shortNames: string[];
  subresources: Record<string, unknown>;
  columns: PrinterColumn[];
}

function crd(resource: ResourceRef, schema: TSchema, options: CrdOptions): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${resource.plural}.${group}`,
      labels: { 'app.kubernetes.io/part-of': 'agentplane' },
    },
    spec: {
      group,
      scope: resource.namespaced ? 'Namespaced' : 'Cluster',
      names: {
        kind: resource.kind,
        listKind: `${resource.kind}List`,
        plural: resource.plural,
        singular: resource.kind.toLowerCase(),
        shortNames: options.shortNames,
        categories: ['agentplane'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: toOpenApi(schema) },
          subresources: options.subresources,
          additionalPrinterColumns: options.columns,
        },
      ],
    },
  };
}

// Reading order for people who open the YAML: what a field is before how it is checked.
const keyOrder = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'maxItems',
  'x-kubernetes-int-or-string',
  'anyOf',
  'items',
  'required',
  'properties',
  // inside x-kubernetes-validations
  'rule',
  'messageExpression',
  'message',
  'fieldPath',
  'reason',
];

/** Plain JSON of a TypeBox schema: TypeBox's symbol keys dropped, keys in a stable, readable order. */
export function toOpenApi(schema: TSchema): Record<string, unknown> {
  return ordered(JSON.parse(JSON.stringify(schema))) as Record<string, unknown>;
}

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== 'object') return value;
  const rank = (key: string) => {
    const index = keyOrder.indexOf(key);
    return index === -1 ? keyOrder.length : index;
  };
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  // `properties` maps field names to schemas: keep the declaration order, it is the reading order.
  const entries = keys.map((key) => {
    const child = (value as Record<string, unknown>)[key];
    if (key === 'properties' && child && typeof child === 'object') {
      return [key, Object.fromEntries(Object.entries(child).map(([name, s]) => [name, ordered(s)]))];
    }
    return [key, ordered(child)];
  });
  return Object.fromEntries(entries);
}
