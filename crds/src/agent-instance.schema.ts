// The AgentInstance resource: the schema the API server validates with, and the types derived from it.
import { type Static, Type } from '@sinclair/typebox';
import {
  type CelRule,
  conditions,
  customResource,
  dnsLabelPattern,
  nameIsDnsLabel,
  stringEnum,
} from './kube-schema.ts';

export const agentTypes = ['customer-service', 'sales', 'marketing', 'lead-qualifier'] as const;
export const promptTones = ['friendly', 'professional', 'formal', 'casual', 'empathetic'] as const;
export const agentInstancePhases = [
  'Pending',
  'Provisioning',
  'Ready',
  'Paused',
  'Suspended',
  'Hibernating',
  'Degraded',
  'Failed',
  'Terminating',
] as const;

// Semantic Versioning 2.0.0 (semver.org), without a leading "v".
const semverPattern =
  '^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)[.](0|[1-9][0-9]*)(-[0-9A-Za-z-]+([.][0-9A-Za-z-]+)*)?([+][0-9A-Za-z-]+([.][0-9A-Za-z-]+)*)?$';

export const AgentTypeSchema = stringEnum(agentTypes, {
  description:
    "The agent to run: customer-service, sales, marketing or lead-qualifier. The tenant's tier must " +
    'allow it (basic: customer-service and lead-qualifier; pro adds sales; enterprise all).',
});

export const AgentModelSchema = Type.Object(
  {
    name: Type.String({
      description:
        'Model for the pipeline steps, as the OpenAI-compatible endpoint names it, e.g. gpt-4o-mini.',
      minLength: 1,
      maxLength: 128,
    }),
    replyModel: Type.Optional(
      Type.String({
        description: 'Model for the reply step only; default: name.',
        minLength: 1,
        maxLength: 128,
      }),
    ),
    temperature: Type.Optional(
      Type.Number({ description: 'Sampling temperature, 0 to 2.', minimum: 0, maximum: 2, default: 0.3 }),
    ),
  },
  {
    description: 'The LLM the agent calls. Without it every step uses its deterministic fallback.',
  },
);

export const AgentPromptSchema = Type.Object(
  {
    system: Type.Optional(
      Type.String({
        description:
          "Custom system prompt replacing the agent's own. Enterprise tier only: the operator sets " +
          'Ready=False (reason CustomPromptNotAllowed) for other tiers.',
        maxLength: 16384,
      }),
    ),
    tone: Type.Optional(
      stringEnum(promptTones, {
        description: 'Tone of replies: friendly, professional, formal, casual or empathetic.',
        default: 'friendly',
      }),
    ),
  },
  { description: 'How the agent speaks.' },
);

export const AgentKnowledgeSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({ description: "Retrieve from the tenant's knowledge before replying.", default: true }),
    ),
    topK: Type.Optional(
      Type.Integer({
        description: 'Passages retrieved per message, 1 to 50.',
        format: 'int32',
        minimum: 1,
        maximum: 50,
        default: 5,
      }),
    ),
  },
  { description: "Retrieval from the tenant's knowledge documents. Left out: no retrieval." },
);

export const AgentAutoscalingSchema = Type.Object(
  {
    minReplicas: Type.Optional(
      Type.Integer({ description: 'Fewest replicas, at least 1.', format: 'int32', minimum: 1, default: 1 }),
    ),
    maxReplicas: Type.Integer({
      description: 'Most replicas, 1 to 100.',
      format: 'int32',
      minimum: 1,
      maximum: 100,
    }),
    targetLag: Type.Optional(
      Type.Integer({
        description:
          'Unconsumed messages per replica the autoscaler aims for (KEDA on Kafka lag; without KEDA a ' +
          'CPU-based HorizontalPodAutoscaler is used and this is ignored).',
        format: 'int32',
        minimum: 1,
        default: 100,
      }),
    ),
  },
  {
    description: 'Scale on load between minReplicas and maxReplicas. Left out: a fixed number of replicas.',
    'x-kubernetes-validations': [
      {
        rule: 'self.minReplicas <= self.maxReplicas',
        message: 'autoscaling.minReplicas must not be greater than maxReplicas',
        fieldPath: '.minReplicas',
        reason: 'FieldValueInvalid',
      },
    ] satisfies CelRule[],
  },
);

export const AgentInstanceSpecSchema = Type.Object(
  {
    tenantRef: Type.String({
      description:
        'Name of the Tenant this instance belongs to. Immutable: to move an agent to another tenant, ' +
        'delete it and create a new one.',
      maxLength: 40,
      pattern: dnsLabelPattern,
      'x-kubernetes-validations': [
        {
          rule: 'self == oldSelf',
          message:
            'tenantRef is immutable: delete this AgentInstance and create a new one for the other tenant',
          reason: 'FieldValueForbidden',
        },
      ] satisfies CelRule[],
    }),
    agent: AgentTypeSchema,
    version: Type.String({
      description: 'Version of the agent, a semantic version such as 2.1.0.',
      maxLength: 64,
      'x-kubernetes-validations': [
        {
          rule: `self.matches('${semverPattern}')`,
          message: 'version must be a semantic version such as 2.1.0 (no leading v)',
          reason: 'FieldValueInvalid',
        },
      ] satisfies CelRule[],
    }),
    model: Type.Optional(AgentModelSchema),
    prompt: Type.Optional(AgentPromptSchema),
    knowledge: Type.Optional(AgentKnowledgeSchema),
    replicas: Type.Optional(
      Type.Integer({
        description:
          'Replicas to run, 0 to 100 (default 1). With autoscaling it is the starting point and must lie ' +
          'within minReplicas..maxReplicas.',
        format: 'int32',
        minimum: 0,
        maximum: 100,
        default: 1,
      }),
    ),
    autoscaling: Type.Optional(AgentAutoscalingSchema),
    paused: Type.Optional(
      Type.Boolean({ description: 'true scales the agent to zero without deleting it.', default: false }),
    ),
  },
  {
    description: 'Which agent to run for which tenant, and how.',
    'x-kubernetes-validations': [
      {
        rule:
          '!has(self.autoscaling) || !has(self.replicas) || ' +
          '(self.replicas >= self.autoscaling.minReplicas && self.replicas <= self.autoscaling.maxReplicas)',
        message: 'replicas must lie within autoscaling.minReplicas..maxReplicas',
        fieldPath: '.replicas',
        reason: 'FieldValueInvalid',
      },
    ] satisfies CelRule[],
  },
);

export const AgentInstanceStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The .metadata.generation this status describes.', format: 'int64' }),
    ),
    phase: Type.Optional(
      stringEnum(agentInstancePhases, {
        description:
          'Summary for people (Failed: the spec cannot run as written, see the TenantValid condition); ' +
          'scripts should wait on conditions instead.',
      }),
    ),
    replicas: Type.Optional(
      Type.Integer({ description: 'Replicas of the runtime Deployment.', format: 'int32', minimum: 0 }),
    ),
    readyReplicas: Type.Optional(
      Type.Integer({ description: 'Replicas that are ready.', format: 'int32', minimum: 0 }),
    ),
    selector: Type.Optional(
      Type.String({ description: 'Label selector of the runtime pods (for the scale subresource).' }),
    ),
    topics: Type.Optional(
      Type.Object(
        { inbound: Type.Optional(Type.String({ description: 'Kafka topic the agent consumes.' })) },
        { description: "The instance's Kafka topics." },
      ),
    ),
    conditions: Type.Optional(
      conditions('Ready, Deployed, Available, TenantValid: each with a reason and a message.'),
    ),
  },
  { description: 'What the operator observed; written only by the operator.' },
);

export const AgentInstanceSchema = customResource(
  'AgentInstance',
  AgentInstanceSpecSchema,
  AgentInstanceStatusSchema,
  {
    description:
      "One agent running for one tenant, in the tenant's home namespace (its own when dedicated, " +
      "the tier's shared pool otherwise).",
    'x-kubernetes-validations': nameIsDnsLabel(
      'an AgentInstance',
      40,
      'it is part of the names and labels of its Deployment, config and topics',
    ),
  },
);

export type AgentType = Static<typeof AgentTypeSchema>;
export type PromptTone = (typeof promptTones)[number];
export type AgentInstancePhase = (typeof agentInstancePhases)[number];
export type AgentModel = Static<typeof AgentModelSchema>;
export type AgentPrompt = Static<typeof AgentPromptSchema>;
export type AgentKnowledge = Static<typeof AgentKnowledgeSchema>;
export type AgentAutoscaling = Static<typeof AgentAutoscalingSchema>;
export type AgentInstanceSpec = Static<typeof AgentInstanceSpecSchema>;
export type AgentInstanceStatus = Static<typeof AgentInstanceStatusSchema>;
export type AgentInstance = Static<typeof AgentInstanceSchema>;
