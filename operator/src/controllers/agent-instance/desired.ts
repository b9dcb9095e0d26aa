// Pure builders of an agent instance's workload. Wire format, ready for server-side apply.
import { createHash } from 'node:crypto';
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { Desired } from '../tenant/desired.ts';
import { qdrantTokenExpiresAnnotation } from '../tenant/knowledge.ts';
import { labels, managedBy, runtimeServiceAccount } from '../tenant/plan.ts';
import { rolloutHash } from '../tenant/rollout.ts';

/** What the workload needs to know, resolved from the AgentInstance and its Tenant. */
export interface AgentPlan {
  name: string;
  namespace: string;
  tenant: string;
  tier: string;
  agent: string;
  version: string;
  /** Replicas to run now: 0 when paused or the tenant is suspended; capped by tier and quota. */
  replicas: number;
  /** Why replicas or autoscaling were lowered from the spec, when they were. */
  capped?: string;
  autoscaling?: { minReplicas: number; maxReplicas: number; targetLag: number };
  /** The agent's settings as the runtime reads them (model, prompt, knowledge, topics). */
  config: Record<string, unknown>;
  /** The tenant's Vault path and Kubernetes-auth role, as the operator resolved them. */
  vault: { path: string; role: string };
  /** The tenant's Secret of keys projected from Vault, when it declares any. */
  projectedSecret?: string;
  /** The secret versions the pods are rolled for (the tenant's calm rollout decides when it changes). */
  secretsRollout?: string;
  /** The tenant's Qdrant collection (QDRANT_COLLECTION of the pods), when the operator manages Qdrant. */
  knowledgeCollection?: string;
  /** When the token in the tenant's Qdrant Secret expires (tenant status): a renewed one rolls the pods. */
  qdrantTokenExpiresAt?: string;
}

export interface RuntimeDefaults {
  image: string;
  /** Platform settings every runtime gets (Kafka, Vault, Qdrant, where its probes listen). */
  env: Record<string, string>;
  /** The shared Qdrant collection; set when runtimes get QDRANT_URL. Each tenant's is named after it. */
  knowledgeCollection?: string;
  /**
   * Kafka with SASL: pods log in as their tenant's principal, whose credentials (KAFKA_SASL_*) the
   * tenant reconcile keeps in this Secret of the tenant's namespace; KAFKA_BROKERS is the SASL listener.
   */
  kafkaCredentialsSecret?: (tenant: string) => string;
  /** Qdrant with an API key: the Secret of the tenant's home holding its read-only QDRANT_API_KEY. */
  qdrantCredentialsSecret?: (tenant: string) => string;
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
}

export function agentLabels(plan: AgentPlan): Record<string, string> {
  return {
    [labels.tenant]: plan.tenant,
    [labels.tier]: plan.tier,
    [labels.managedBy]: managedBy,
    'app.kubernetes.io/name': 'agentplane-runtime',
    'app.kubernetes.io/instance': plan.name,
    'agentplane.io/agent': plan.agent,
  };
}

function selector(plan: AgentPlan): Record<string, string> {
  return { [labels.tenant]: plan.tenant, 'app.kubernetes.io/instance': plan.name };
}

export const configMapName = (instance: string) => `agent-${instance}-config`;

export function desiredConfigMap(plan: AgentPlan, owner: V1OwnerReference): Desired {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(plan.name),
      namespace: plan.namespace,
      labels: agentLabels(plan),
      ownerReferences: [owner],
    },
    data: { 'agent.json': JSON.stringify(plan.config, null, 2) },
  };
}

/**
 * The runtime Deployment. A hash of the agent's config in the pod template rolls the pods when the
 * config changes (the runtime reads it once at start). Autoscaled instances leave `replicas` to the
 * autoscaler unless they must be at zero.
 */
export function desiredDeployment(
  plan: AgentPlan,
  owner: V1OwnerReference,
  runtime: RuntimeDefaults,
): Desired {
  const podLabels = agentLabels(plan);
  const configHash = createHash('sha256').update(JSON.stringify(plan.config)).digest('hex').slice(0, 16);
  const scaledByAutoscaler = plan.autoscaling !== undefined && plan.replicas > 0;
  const qdrantSecret = plan.knowledgeCollection && runtime.qdrantCredentialsSecret?.(plan.tenant);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `agent-${plan.name}`,
      namespace: plan.namespace,
      labels: podLabels,
      ownerReferences: [owner],
    },
    spec: {
      ...(scaledByAutoscaler ? {} : { replicas: plan.replicas }),
      selector: { matchLabels: selector(plan) },
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            'agentplane.io/config-hash': configHash,
            // Pods read projected keys at start: new versions need new pods, when the tenant says so.
            ...(plan.secretsRollout
              ? { 'agentplane.io/secrets-rollout': rolloutHash(plan.secretsRollout) }
              : {}),
            // envFrom is read at start: a renewed token reaches the agents only in new pods.
            ...(qdrantSecret && plan.qdrantTokenExpiresAt
              ? { [qdrantTokenExpiresAnnotation]: plan.qdrantTokenExpiresAt }
              : {}),
          },
        },
        spec: {
          serviceAccountName: runtimeServiceAccount(plan.tenant),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'runtime',
              image: runtime.image,
              args: ['--config', '/etc/agentplane/agent.json'],
              env: [
                { name: 'AGENTPLANE_TENANT', value: plan.tenant },
                { name: 'AGENTPLANE_AGENT_INSTANCE', value: plan.name },
                { name: 'AGENTPLANE_AGENT', value: plan.agent },
                { name: 'AGENTPLANE_AGENT_VERSION', value: plan.version },
                { name: 'AGENTPLANE_VAULT_PATH', value: plan.vault.path },
                { name: 'AGENTPLANE_VAULT_ROLE', value: plan.vault.role },
                ...Object.entries(runtime.env).map(([name, value]) => ({ name, value })),
                ...(plan.knowledgeCollection
                  ? [{ name: 'QDRANT_COLLECTION', value: plan.knowledgeCollection }]
                  : []),
              ],
              // Keys a pod must have at start, projected from Vault by the tenant reconcile, and its
              // tenant's Kafka login when the cluster's Kafka has SASL and Qdrant token when Qdrant
              // has a key (not optional: without them the pod could not connect, and waiting for
              // the Secret says why).
              ...(plan.projectedSecret || runtime.kafkaCredentialsSecret || qdrantSecret
                ? {
                    envFrom: [
                      ...(plan.projectedSecret
                        ? [{ secretRef: { name: plan.projectedSecret, optional: true } }]
                        : []),
                      ...(runtime.kafkaCredentialsSecret
                        ? [{ secretRef: { name: runtime.kafkaCredentialsSecret(plan.tenant) } }]
                        : []),
                      ...(qdrantSecret ? [{ secretRef: { name: qdrantSecret } }] : []),
                    ],
                  }
                : {}),
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
              resources: runtime.resources,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'config', mountPath: '/etc/agentplane', readOnly: true }],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: configMapName(plan.name) } }],
        },
      },
    },
  };
}

/** A PodDisruptionBudget only makes sense with more than one replica. */
export function desiredPodDisruptionBudget(plan: AgentPlan, owner: V1OwnerReference): Desired | undefined {
  const max = plan.autoscaling?.maxReplicas ?? plan.replicas;
  if (plan.replicas === 0 || max <= 1) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: `agent-${plan.name}`,
      namespace: plan.namespace,
      labels: agentLabels(plan),
      ownerReferences: [owner],
    },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(plan) } },
  };
}

/**
 * KEDA scales on the inbound topic's consumer lag when its CRDs are installed; otherwise an HPA on
 * CPU. Neither exists while the instance is held at zero (paused or suspended).
 */
export function desiredAutoscaler(
  plan: AgentPlan,
  owner: V1OwnerReference,
  keda: { available: boolean; bootstrapServers: string; topic: string; consumerGroup: string },
): Desired | undefined {
  const scaling = plan.autoscaling;
  if (!scaling || plan.replicas === 0) return undefined;
  const metadata = {
    name: `agent-${plan.name}`,
    namespace: plan.namespace,
    labels: agentLabels(plan),
    ownerReferences: [owner],
  };
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: `agent-${plan.name}` };
  if (keda.available) {
    return {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata,
      spec: {
        scaleTargetRef: { name: target.name },
        minReplicaCount: scaling.minReplicas,
        maxReplicaCount: scaling.maxReplicas,
        triggers: [
          {
            type: 'kafka',
            metadata: {
              bootstrapServers: keda.bootstrapServers,
              topic: keda.topic,
              consumerGroup: keda.consumerGroup,
              lagThreshold: String(scaling.targetLag),
            },
          },
        ],
      },
    };
  }
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: target,
      minReplicas: scaling.minReplicas,
      maxReplicas: scaling.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    },
  };
}
