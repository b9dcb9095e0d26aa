// Wires reconcileAgentInstance to the manager: AgentInstances are primary; a Tenant change (tier,
// suspension, deletion) and a sibling's arrival or departure (tier limits) re-check every instance
// of that tenant; the workload objects map back through their owner reference.
import type { Tenant } from '@agentplane/crds';
import { topicNames } from '@agentplane/shared';
import type { V1Deployment } from '@kubernetes/client-node';
import { watch } from '../../kube/controller.ts';
import type { Manager } from '../../kube/manager.ts';
import { toOwner } from '../../kube/owner.ts';
import { generationChanged, metadataChanged, or, updateChanged } from '../../kube/predicates.ts';
import { type KubeObject, objectKey } from '../../kube/resource.ts';
import type { TopicAdmin } from '../../messaging/kafka-admin.ts';
import { isHibernating } from '../tenant/hibernation.ts';
import { desiredInboundTopic, ensureTopics } from '../tenant/topics.ts';
import type { World } from '../world.ts';
import type { RuntimeDefaults } from './desired.ts';
import { reconcileAgentInstance } from './reconcile.ts';

export interface AgentInstanceControllerSettings {
  topics: TopicAdmin;
  concurrency: number;
  runtime: RuntimeDefaults;
  keda: { available: boolean; bootstrapServers: string };
}

const tenantStatus = (t: KubeObject) => (t as Tenant).status;

/** Status changes of a tenant its agents follow (status writes carry no new generation). */
const secretsRolledOut = updateChanged((t) => tenantStatus(t)?.secrets?.rolledOut?.versions);
const qdrantTokenRenewed = updateChanged((t) => tenantStatus(t)?.knowledge?.tokenExpiresAt);
const hibernationChanged = updateChanged((t) => isHibernating(tenantStatus(t)));

export function addAgentInstanceController(
  manager: Manager,
  world: World,
  settings: AgentInstanceControllerSettings,
) {
  const { tenants, agentInstances, children } = world;
  const instancesOf = (tenant: string) => agentInstances.byIndex('tenant', tenant);
  const owned = ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ScaledObject'];
  const toInstance = toOwner({ kind: 'AgentInstance', group: 'agentplane.io', namespaced: true });
  return manager.controller({
    name: 'agentinstance',
    concurrency: settings.concurrency,
    logFields: (key) => ({ tenant: agentInstances.get(key)?.spec.tenantRef }),
    watches: [
      watch(agentInstances, { predicate: or(generationChanged, metadataChanged) }),
      watch(agentInstances, {
        mapToKeys: (ai) => instancesOf(ai.spec.tenantRef).map(objectKey),
        predicate: (event) => event.type !== 'update',
      }),
      watch(tenants, {
        mapToKeys: (tenant) => instancesOf(tenant.metadata.name).map(objectKey),
        predicate: or(
          generationChanged,
          metadataChanged,
          secretsRolledOut,
          qdrantTokenRenewed,
          hibernationChanged,
        ),
      }),
      ...owned.flatMap((kind) => {
        const informer = children.get(kind);
        return informer ? [watch<KubeObject>(informer, { mapToKeys: toInstance })] : [];
      }),
    ],
    reconcile: (key) =>
      reconcileAgentInstance(key, {
        getAgentInstance: (namespace, name) => agentInstances.get(`${namespace}/${name}`),
        getTenant: (name) => tenants.get(name),
        instancesOf,
        getDeployment: (namespace, name) =>
          children.get('Deployment')?.get(`${namespace}/${name}`) as V1Deployment | undefined,
        ensureInboundTopic: (tenant, instance, messaging) =>
          ensureTopics([desiredInboundTopic(tenant, instance, messaging)], settings.topics),
        inbound: {
          consumers: (tenant, instance) =>
            settings.topics.groupMembers(topicNames.consumerGroup(tenant, instance)),
          remove: async (tenant, instance) => {
            await settings.topics.delete([topicNames.inbound(tenant, instance)]);
            await settings.topics.deleteGroups([topicNames.consumerGroup(tenant, instance)]);
          },
        },
        runtime: settings.runtime,
        keda: settings.keda,
        actions: world,
      }),
  });
}
