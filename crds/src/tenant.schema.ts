// The Tenant resource: the schema the API server validates with, and the types derived from it.
import { type Static, Type } from '@sinclair/typebox';
import {
  type CelRule,
  conditions,
  customResource,
  dnsLabelPattern,
  nameIsDnsLabel,
  positiveQuantity,
  stringEnum,
} from './kube-schema.ts';

export const tierNames = ['basic', 'pro', 'enterprise'] as const;
export const isolations = ['shared', 'dedicated'] as const;
export const tenantPhases = [
  'Pending',
  'Provisioning',
  'Ready',
  'Suspended',
  'Degraded',
  'Terminating',
  'Hibernating',
  'Waking',
] as const;
export const hibernationModes = ['Auto', 'Never'] as const;
export const hibernationStates = ['Awake', 'Hibernating', 'Waking'] as const;

const vaultPathPattern = '^[a-z0-9]([-a-z0-9_]*[a-z0-9])?(/[a-z0-9]([-a-z0-9_]*[a-z0-9])?)*$';
/** What a Kubernetes Secret accepts as a data key. */
const secretKeyPattern = '^[-._a-zA-Z0-9]+$';

export const TierSchema = stringEnum(tierNames, {
  description:
    'Commercial tier: basic, pro or enterprise. It sets the defaults for isolation, quota, the agent ' +
    'types allowed and whether custom prompts are allowed.',
});

export const IsolationSchema = stringEnum(isolations, {
  description:
    'Where the tenant runs: dedicated (its own namespace tenant-<name> with quota, limits, network ' +
    'policy and RBAC) or shared (a place in the shared pool namespace of its tier). Unset means the ' +
    "tier's default, which the operator resolves and reports in status.home.isolation: dedicated for " +
    'enterprise, shared otherwise. The basic tier cannot be dedicated. Changing it moves the tenant.',
});

export const TenantQuotaSchema = Type.Object(
  {
    cpu: Type.Optional(
      positiveQuantity({
        description:
          'CPU for all the tenant\'s pods together: a quantity, as a string or an integer ("4", "500m", 4). ' +
          'Used for requests.cpu and limits.cpu of the ResourceQuota.',
        message: 'quota.cpu must be a positive Kubernetes quantity such as "500m", "2" or "1.5"',
      }),
    ),
    memory: Type.Optional(
      positiveQuantity({
        description:
          'Memory for all the tenant\'s pods together: a quantity such as "8Gi" or "512Mi". ' +
          'Used for requests.memory and limits.memory of the ResourceQuota.',
        message:
          'quota.memory must be a positive Kubernetes quantity such as "512Mi" or "8Gi" (binary suffixes are Ki, Mi, Gi)',
      }),
    ),
    pods: Type.Optional(
      Type.Integer({
        description: "Maximum number of the tenant's pods.",
        format: 'int32',
        minimum: 1,
        maximum: 10000,
      }),
    ),
    maxAgentInstances: Type.Optional(
      Type.Integer({
        description:
          'Maximum number of AgentInstances of this tenant (0 allows none). Unset: the tier default ' +
          '(basic 2, pro 10, enterprise unlimited).',
        format: 'int32',
        minimum: 0,
      }),
    ),
    monthlyConversations: Type.Optional(
      Type.Integer({
        description:
          'Conversations a month before overage is billed. Unset: the tier default (basic 1000, ' +
          'pro 5000, enterprise by contract).',
        format: 'int64',
        minimum: 0,
      }),
    ),
  },
  {
    description:
      "Overrides of the tier's defaults. Each field left out keeps the tier default; the operator " +
      "turns cpu, memory and pods into the ResourceQuota of the tenant's namespace.",
  },
);

/** A key of a secret in the tenant's Vault path: field `key` of the KV v2 secret at `<vaultPath>/<path>`. */
export const VaultKeyRefSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        description:
          'Secret below spec.secrets.vaultPath that holds the key, e.g. llm for tenants/acme/llm. ' +
          'Unset: the secret at vaultPath itself.',
        minLength: 1,
        maxLength: 128,
        pattern: vaultPathPattern,
      }),
    ),
    key: Type.String({
      description: 'Field of that KV v2 secret, e.g. apiKey.',
      minLength: 1,
      maxLength: 253,
      pattern: secretKeyPattern,
    }),
  },
  { description: "A key of one of the tenant's Vault secrets." },
);

export const ProjectedKeySchema = Type.Object(
  {
    ...VaultKeyRefSchema.properties,
    secretKey: Type.Optional(
      Type.String({
        description: 'Key in the Kubernetes Secret. Unset: the same as key.',
        minLength: 1,
        maxLength: 253,
        pattern: secretKeyPattern,
      }),
    ),
  },
  { description: "A Vault key copied into the tenant's Kubernetes Secret." },
);

/** CEL: the name a projected key gets in the Kubernetes Secret. */
const secretKeyOf = (v: string) => `(has(${v}.secretKey) ? ${v}.secretKey : ${v}.key)`;

export const TenantSecretsSchema = Type.Object(
  {
    vaultPath: Type.Optional(
      Type.String({
        description:
          "Vault path of the tenant's secrets. Default tenants/<name>; it must be tenants/<name> or " +
          "below it, because the tenant's Vault policy only grants that subtree.",
        minLength: 1,
        maxLength: 256,
        pattern: vaultPathPattern,
      }),
    ),
    required: Type.Optional(
      Type.Array(VaultKeyRefSchema, {
        description:
          'Keys the tenant cannot run without. While one is absent SecretsReady is False with reason ' +
          'SecretMissing, naming the key and its path; the operator looks again every refresh interval.',
        maxItems: 50,
      }),
    ),
    projected: Type.Optional(
      Type.Array(ProjectedKeySchema, {
        description:
          'Keys copied into the Kubernetes Secret tenant-<name>-secrets in the home namespace, for what a ' +
          'pod must have at start. Refreshed when the Vault version of a secret changes. Projected keys ' +
          'are required too.',
        maxItems: 50,
        'x-kubernetes-validations': [
          {
            rule: `self.all(k, self.exists_one(o, ${secretKeyOf('o')} == ${secretKeyOf('k')}))`,
            message:
              'two projected keys would land under the same name in the Kubernetes Secret: give one of them a different secretKey',
          },
        ] satisfies CelRule[],
      }),
    ),
    deleteOnTenantDeletion: Type.Optional(
      Type.Boolean({
        description:
          'true: deleting the Tenant also destroys every version of the secrets under vaultPath. false ' +
          '(default): the KV data stays, only the policy and role go.',
        default: false,
      }),
    ),
  },
  { description: "Where the tenant's secrets live in Vault and which of them it needs." },
);

export const TenantMessagingSchema = Type.Object(
  {
    partitions: Type.Optional(
      Type.Integer({
        description:
          "Partitions of each of the tenant's Kafka topics (1 to 100). Bounds consumer parallelism.",
        format: 'int32',
        minimum: 1,
        maximum: 100,
        default: 3,
      }),
    ),
    retentionHours: Type.Optional(
      Type.Integer({
        description: "How long Kafka keeps the tenant's messages, in hours (1 to 8760, one year).",
        format: 'int32',
        minimum: 1,
        maximum: 8760,
        default: 168,
      }),
    ),
  },
  { description: "The tenant's Kafka topics.", default: {} },
);

/** A whole number and one unit: what `idleAfter` accepts (the operator's duration settings take the same). */
export const idleAfterPattern = '^[1-9][0-9]{0,5}(s|m|h)$';

export const TenantHibernationSchema = Type.Object(
  {
    mode: Type.Optional(
      stringEnum(hibernationModes, {
        description:
          "Auto: the tenant's agents are scaled to zero after idleAfter without an inbound message, and " +
          'wake by themselves on the next one. Never: pinned awake. Unset: the tier default (basic Auto, ' +
          'pro and enterprise Never).',
      }),
    ),
    idleAfter: Type.Optional(
      Type.String({
        description:
          'How long without an inbound message before the agents hibernate, e.g. 30m, 2h or 90s. Unset: ' +
          "the operator's OPERATOR_HIBERNATION_IDLE (default 30m).",
        // Long enough that "30 minutes" gets the message below rather than "too long".
        maxLength: 16,
        'x-kubernetes-validations': [
          {
            rule: `self.matches('${idleAfterPattern}')`,
            message:
              'spec.hibernation.idleAfter must be a duration such as 90s, 30m or 12h: a whole number from 1, then s, m or h',
          },
        ] satisfies CelRule[],
      }),
    ),
  },
  {
    description:
      'Scaling an idle tenant to zero. Namespace, topics, offsets, secrets and identity stay; only the ' +
      "agents' pods go, and come back when a message arrives (status.hibernation tells when and how fast).",
  },
);

export const TenantSpecSchema = Type.Object(
  {
    displayName: Type.Optional(
      Type.String({
        description: 'Human name of the company, e.g. ACME Corp.',
        minLength: 1,
        maxLength: 128,
      }),
    ),
    tier: TierSchema,
    isolation: Type.Optional(IsolationSchema),
    owners: Type.Optional(
      Type.Array(
        Type.String({ description: 'E-mail address of an owner.', format: 'email', maxLength: 254 }),
        {
          description:
            'E-mail addresses of the people who own the tenant; in a dedicated namespace they get read access.',
          maxItems: 50,
          'x-kubernetes-list-type': 'set',
        },
      ),
    ),
    region: Type.Optional(
      Type.String({
        description: 'Placement hint for the control plane, e.g. eu or us-east.',
        maxLength: 63,
        pattern: dnsLabelPattern,
      }),
    ),
    quota: Type.Optional(TenantQuotaSchema),
    secrets: Type.Optional(TenantSecretsSchema),
    messaging: Type.Optional(TenantMessagingSchema),
    suspended: Type.Optional(
      Type.Boolean({
        description:
          "true scales all the tenant's agents to zero and refuses new messages with a clear error; " +
          'false restores them.',
        default: false,
      }),
    ),
    hibernation: Type.Optional(TenantHibernationSchema),
  },
  {
    description: 'What the tenant bought and how it should run.',
    'x-kubernetes-validations': [
      {
        rule: "!(self.tier == 'basic' && has(self.isolation) && self.isolation == 'dedicated')",
        message:
          'the basic tier runs in the shared pool only: set isolation to shared (or leave it out), or choose tier pro or enterprise',
        fieldPath: '.isolation',
        reason: 'FieldValueForbidden',
      },
    ] satisfies CelRule[],
  },
);

export const TenantHomeSchema = Type.Object(
  {
    namespace: Type.String({ description: "Namespace the tenant's agents run in." }),
    isolation: IsolationSchema,
    tier: TierSchema,
  },
  { description: 'Where the tenant lives.' },
);

export const TenantMoveSchema = Type.Object(
  {
    from: TenantHomeSchema,
    to: TenantHomeSchema,
    startedAt: Type.String({ description: 'When the move began.', format: 'date-time' }),
    step: Type.Optional(
      Type.String({ description: 'What the move is doing now, e.g. MovingAgents.', maxLength: 64 }),
    ),
  },
  {
    description:
      'Set while a change of tier or isolation moves the tenant: the new home is built first, ' +
      'the agents move, then the old home is removed.',
  },
);

const dateTime = (description: string) => Type.Optional(Type.String({ description, format: 'date-time' }));

export const TenantHibernationStatusSchema = Type.Object(
  {
    mode: stringEnum(hibernationModes, { description: 'The mode in effect (spec or tier default).' }),
    idleAfter: Type.Optional(Type.String({ description: 'The idle window in effect.', maxLength: 16 })),
    state: stringEnum(hibernationStates, {
      description:
        "Awake; Hibernating: the agents are scaled to zero; Waking: a message arrived and the agents' " +
        'pods are coming back.',
    }),
    observedOffsets: Type.Optional(
      Type.Integer({
        description:
          "Sum of the end offsets of the tenant's inbound topics when last seen to change: a change is activity.",
        format: 'int64',
        minimum: 0,
      }),
    ),
    idleSince: dateTime('When the inbound offsets were last seen to change (the operator polls them).'),
    hibernatedAt: dateTime('When the agents were last scaled to zero for being idle.'),
    wakeRequestedAt: dateTime('When new inbound messages of a hibernating tenant were seen.'),
    lastWokeAt: dateTime('When the last wake finished: every agent of the tenant ready again.'),
    lastWakeSeconds: Type.Optional(
      Type.Number({
        description: 'How long the last wake took: from the new message being seen to every agent ready.',
        minimum: 0,
      }),
    ),
  },
  {
    description:
      'Set when the tenant can hibernate: whether it sleeps, since when, and how long waking took.',
  },
);

export const TenantKnowledgeStatusSchema = Type.Object(
  {
    collection: Type.String({
      description: "The Qdrant collection holding the tenant's knowledge (what its runtime pods search).",
      maxLength: 255,
    }),
    isolation: stringEnum(isolations, {
      description:
        'shared: a partition of the shared collection, keyed by the indexed payload field tenant; ' +
        'dedicated: a collection of its own.',
    }),
    tokenExpiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When the read-only Qdrant token in the Secret tenant-<name>-qdrant expires (set once the Secret ' +
          "holds it); the agents' pods roll when it changes, so none keeps an expired token.",
      }),
    ),
  },
  { description: "Where the tenant's knowledge partition is; set when the operator manages Qdrant." },
);

export const TenantKnowledgeErasureSchema = Type.Object(
  {
    collection: Type.String({ description: 'The collection the partition was in.', maxLength: 255 }),
    pointsBefore: Type.Integer({
      description: "The tenant's points when they were erased (its own collection and the shared one).",
      format: 'int64',
      minimum: 0,
    }),
    pointsAfter: Type.Integer({
      description: "The tenant's points counted again after the erasure: 0 when it is complete.",
      format: 'int64',
      minimum: 0,
    }),
    erasedAt: Type.String({ description: 'When the points were erased.', format: 'date-time' }),
  },
  { description: "The deletion report of the tenant's knowledge: points counted before and after erasing." },
);

export const TenantStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The .metadata.generation this status describes.', format: 'int64' }),
    ),
    phase: Type.Optional(
      stringEnum(tenantPhases, {
        description:
          'Summary for people; scripts should wait on conditions instead (kubectl wait --for=condition=Ready).',
      }),
    ),
    namespace: Type.Optional(
      Type.String({ description: "Namespace of the tenant's agents: tenant-<name> or the shared pool." }),
    ),
    home: Type.Optional(TenantHomeSchema),
    moving: Type.Optional(TenantMoveSchema),
    topics: Type.Optional(
      Type.Object(
        {
          events: Type.String({ description: 'Kafka topic of the results and usage events of every agent.' }),
          deadLetter: Type.String({
            description: 'Kafka topic of the messages that could not be processed.',
          }),
        },
        {
          description:
            "The tenant's Kafka topics, so the control plane and the runtime read them instead of guessing.",
        },
      ),
    ),
    secrets: Type.Optional(
      Type.Object(
        {
          path: Type.String({
            description: "KV v2 path of the tenant's secrets (below the operator's mount).",
          }),
          projectedSecret: Type.Optional(
            Type.String({
              description: 'Kubernetes Secret in the home namespace holding the projected keys.',
            }),
          ),
          versions: Type.Optional(
            Type.String({
              description: 'Vault versions of the secrets the projected keys came from, e.g. llm=3.',
              maxLength: 1024,
            }),
          ),
          rolledOut: Type.Optional(
            Type.Object(
              {
                versions: Type.String({
                  description: 'The versions the pods were rolled for.',
                  maxLength: 1024,
                }),
                at: Type.String({ description: 'When that rollout began.', format: 'date-time' }),
              },
              { description: "The versions the agents' pods run with: they roll when this changes." },
            ),
          ),
          pendingRollout: Type.Optional(
            Type.Object(
              {
                versions: Type.String({
                  description: 'The versions waiting to be rolled out.',
                  maxLength: 1024,
                }),
                notBefore: Type.String({
                  description:
                    'When the agents roll: one rollout per tenant per window, however many secrets rotate.',
                  format: 'date-time',
                }),
              },
              { description: 'Set while new secret versions wait for the rollout window.' },
            ),
          ),
        },
        { description: "Where the tenant's secrets are read from and what was delivered." },
      ),
    ),
    hibernation: Type.Optional(TenantHibernationStatusSchema),
    knowledge: Type.Optional(TenantKnowledgeStatusSchema),
    deletion: Type.Optional(
      Type.Object(
        {
          remaining: Type.Array(Type.String({ description: 'One thing still to remove.', maxLength: 512 }), {
            description: 'What deletion still has to remove, e.g. "Vault policy and role".',
            maxItems: 20,
          }),
          knowledge: Type.Optional(TenantKnowledgeErasureSchema),
        },
        {
          description:
            'Set while the Tenant is being deleted: what is left to clean up, and what was erased.',
        },
      ),
    ),
    agentInstances: Type.Optional(
      Type.Integer({ description: 'Number of AgentInstances of this tenant.', format: 'int32', minimum: 0 }),
    ),
    conditions: Type.Optional(
      conditions(
        'Ready, NamespaceReady, QuotaApplied, NetworkIsolated, SecretsReady, MessagingReady, KnowledgeReady: each with ' +
          'a reason and a message.',
      ),
    ),
  },
  { description: 'What the operator observed; written only by the operator.' },
);

export const TenantSchema = customResource('Tenant', TenantSpecSchema, TenantStatusSchema, {
  description:
    'A company that runs agents on agentplane. Its name is the tenant id everywhere: namespace, ' +
    'Kafka topics, Vault path and database.',
  'x-kubernetes-validations': [
    ...nameIsDnsLabel(
      'a Tenant',
      40,
      'it becomes the namespace tenant-<name>, topic names and the Vault path',
    ),
    {
      rule:
        '!has(self.spec.secrets) || !has(self.spec.secrets.vaultPath) || ' +
        "self.spec.secrets.vaultPath == 'tenants/' + self.metadata.name || " +
        "self.spec.secrets.vaultPath.startsWith('tenants/' + self.metadata.name + '/')",
      messageExpression:
        "'spec.secrets.vaultPath must be tenants/' + self.metadata.name + ' or below it: the Vault policy of the tenant grants nothing else'",
      message:
        'spec.secrets.vaultPath must be tenants/<name> or below it: the Vault policy of the tenant grants nothing else',
      fieldPath: '.spec.secrets.vaultPath',
      reason: 'FieldValueForbidden',
    },
  ] satisfies CelRule[],
});

export type Tier = Static<typeof TierSchema>;
export type Isolation = Static<typeof IsolationSchema>;
export type TenantPhase = (typeof tenantPhases)[number];
export type TenantQuota = Static<typeof TenantQuotaSchema>;
export type VaultKeyRef = Static<typeof VaultKeyRefSchema>;
export type ProjectedKey = Static<typeof ProjectedKeySchema>;
export type TenantSecrets = Static<typeof TenantSecretsSchema>;
export type TenantMessaging = Static<typeof TenantMessagingSchema>;
export type TenantSpec = Static<typeof TenantSpecSchema>;
export type TenantHome = Static<typeof TenantHomeSchema>;
export type HibernationMode = (typeof hibernationModes)[number];
export type HibernationState = (typeof hibernationStates)[number];
export type TenantHibernation = Static<typeof TenantHibernationSchema>;
export type TenantHibernationStatus = Static<typeof TenantHibernationStatusSchema>;
export type TenantMove = Static<typeof TenantMoveSchema>;
export type TenantKnowledgeStatus = Static<typeof TenantKnowledgeStatusSchema>;
export type TenantKnowledgeErasure = Static<typeof TenantKnowledgeErasureSchema>;
export type TenantStatus = Static<typeof TenantStatusSchema>;
export type Tenant = Static<typeof TenantSchema>;
