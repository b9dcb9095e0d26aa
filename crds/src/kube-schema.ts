// Building blocks for schemas the Kubernetes API server accepts as *structural*: every node has a
// `type` (or is the int-or-string pair), no `$ref`, no `const`, no `additionalProperties: false`.
// TypeBox's own `Union`/`Literal` would emit `anyOf` + `const`, which Kubernetes rejects, so enums
// and quantities are declared here with `Type.Unsafe`: the JSON is what the API server gets and the
// type parameter is what TypeScript sees.
import { type SchemaOptions, type TArray, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
import type { apiVersion } from './group.ts';

/** One CEL rule as the API server reads it (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** JSONPath (relative to the node holding the rule) reported as the field in error. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  optionalOldSelf?: boolean;
}

/** A string restricted to `values`; typed as their union. */
export function stringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/**
 * A Kubernetes quantity (`500m`, `2`, `8Gi`), written as a string or a bare integer like
 * ResourceQuota accepts. Validity is checked by CEL (`isQuantity`), not by a pattern, so a wrong
 * value is rejected with `message` instead of a regular expression nobody can read.
 */
export function positiveQuantity(options: SchemaOptions & { message: string }): TUnsafe<string | number> {
  const { message, ...rest } = options;
  return Type.Unsafe<string | number>({
    ...rest,
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    // Bounds the CEL cost estimate; no real quantity is longer.
    maxLength: 32,
    'x-kubernetes-validations': [
      {
        rule: "type(self) == int ? self > 0 : isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))",
        message,
      },
    ],
  });
}

/** RFC 1123 label: what a namespace, a label value and a Kafka topic part can all carry. */
export const dnsLabelPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** Root-level rules that make `metadata.name` a DNS label of at most `max` characters. */
export function nameIsDnsLabel(kind: string, max: number, why: string): CelRule[] {
  return [
    {
      rule: `self.metadata.name.size() <= ${max}`,
      message: `${kind} name may have at most ${max} characters because ${why}`,
      fieldPath: '.metadata.name',
      reason: 'FieldValueInvalid',
    },
    {
      rule: `self.metadata.name.matches('${dnsLabelPattern}')`,
      message: `${kind} name must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit (no dots)`,
      fieldPath: '.metadata.name',
      reason: 'FieldValueInvalid',
    },
  ];
}

/**
 * The parts of ObjectMeta agentplane code reads and writes: client-node's `V1ObjectMeta` with `name`
 * required (stored objects always have one). The API server owns metadata's schema, so the CRD
 * declares only `name` and `generateName`.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
  creationTimestamp?: Date | string;
  deletionTimestamp?: Date | string;
}

export function objectMeta(): TUnsafe<ObjectMeta> {
  return Type.Unsafe<ObjectMeta>({
    type: 'object',
    // maxLength is the API server's own limit for names; declared so CEL's cost estimate is bounded.
    properties: {
      name: { type: 'string', maxLength: 253 },
      generateName: { type: 'string', maxLength: 253 },
    },
  });
}

/** `apiVersion` or `kind`, typed as the one value it has for this resource. */
export function fixedString<const T extends string>(description: string): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', description });
}

/**
 * The envelope every agentplane resource shares — apiVersion, kind, metadata, spec, status — around
 * its own spec and status schemas.
 */
export function customResource<const K extends string, Spec extends TSchema, Status extends TSchema>(
  kind: K,
  spec: Spec,
  status: Status,
  options: SchemaOptions,
) {
  return Type.Object(
    {
      apiVersion: Type.Optional(
        fixedString<typeof apiVersion>('API version of this object: agentplane.io/v1alpha1.'),
      ),
      kind: Type.Optional(fixedString<K>(`Kind of this object: ${kind}.`)),
      metadata: objectMeta(),
      spec,
      status: Type.Optional(status),
    },
    options,
  );
}

export const conditionStatuses = ['True', 'False', 'Unknown'] as const;

/** metav1.Condition, with the same bounds and patterns as Kubernetes' own types. */
export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: 'Type of condition in CamelCase, e.g. Ready.',
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: stringEnum(conditionStatuses, {
      description: 'Status of the condition: True, False or Unknown.',
    }),
    observedGeneration: Type.Optional(
      Type.Integer({
        description: 'The .metadata.generation the condition was set from.',
        format: 'int64',
        minimum: 0,
      }),
    ),
    lastTransitionTime: Type.String({
      description: 'When the condition last changed from one status to another.',
      format: 'date-time',
    }),
    reason: Type.String({
      description: 'A CamelCase word for the last transition, e.g. TenantNotFound.',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Type.String({
      description: 'What happened, for a person; may be empty.',
      maxLength: 32768,
    }),
  },
  { description: 'One aspect of the current state (metav1.Condition).' },
);

/** A condition list merged by `type` under server-side apply, as Kubernetes' own conditions are. */
export function conditions(description: string): TArray<typeof ConditionSchema> {
  return Type.Array(ConditionSchema, {
    description,
    maxItems: 32,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
}
