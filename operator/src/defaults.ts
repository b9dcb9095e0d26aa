// Platform defaults the operator applies to every tenant. Values an SRE tunes per cluster belong in
// config.ts; these are the shapes the chart documents.
import type { RuntimeDefaults } from './controllers/agent-instance/desired.ts';
import type { PlatformEgress } from './controllers/tenant/desired.ts';

/** What tenant pods may reach beyond themselves: DNS, the platform namespace, the model endpoint. */
export const platformEgress: PlatformEgress[] = [
  {
    name: 'dns',
    namespace: 'kube-system',
    ports: [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ],
  },
  // Kafka, Vault, Qdrant (REST) and the control plane run in the platform namespace.
  {
    name: 'platform',
    namespace: 'agentplane-system',
    ports: [{ port: 9092 }, { port: 8200 }, { port: 6333 }, { port: 8080 }],
  },
  // An OpenAI-compatible model endpoint over HTTPS, anywhere but the cluster's private ranges.
  { name: 'model', cidrs: ['0.0.0.0/0'], ports: [{ port: 443 }] },
];

export function runtimeDefaults(
  image: string,
  platform: {
    kafkaBrokers: string;
    vaultAddr: string;
    vaultKvMount: string;
    vaultAuthMount: string;
    /**
     * Qdrant for tenants' knowledge: the pods get QDRANT_URL and their tenant's QDRANT_COLLECTION, and
     * with `credentialsSecret` (Qdrant has an API key) their tenant's read-only QDRANT_API_KEY.
     */
    qdrant?: { url: string; collection: string; credentialsSecret?: (tenant: string) => string };
    /** Kafka with SASL: the listener pods use, and the Secret holding each tenant's login. */
    kafkaSasl?: { brokers: string; credentialsSecret: (tenant: string) => string };
  },
): RuntimeDefaults {
  return {
    image,
    ...(platform.qdrant ? { knowledgeCollection: platform.qdrant.collection } : {}),
    ...(platform.kafkaSasl ? { kafkaCredentialsSecret: platform.kafkaSasl.credentialsSecret } : {}),
    ...(platform.qdrant?.credentialsSecret
      ? { qdrantCredentialsSecret: platform.qdrant.credentialsSecret }
      : {}),
    env: {
      KAFKA_BROKERS: platform.kafkaSasl?.brokers ?? platform.kafkaBrokers,
      VAULT_ADDR: platform.vaultAddr,
      VAULT_KV_MOUNT: platform.vaultKvMount,
      VAULT_AUTH_MOUNT: platform.vaultAuthMount,
      ...(platform.qdrant ? { QDRANT_URL: platform.qdrant.url } : {}),
      // Inside the pod the kubelet probes the pod IP, so the runtime listens on every interface there.
      AGENTPLANE_HTTP_HOST: '0.0.0.0',
    },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
  };
}
