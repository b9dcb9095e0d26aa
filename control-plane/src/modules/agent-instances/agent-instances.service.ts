// Agent instances: rows in the tenant's scope and AgentInstance resources on its cluster. The tier
// decides, through the flags, how many a tenant may have and whether it may replace prompts.
import { type AgentInstanceSpec, type AgentType, tiers } from '@agentplane/crds';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AgentInstance, Tenant } from '../../db/entities.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { ResourceWriter } from '../../kube/resource-writer.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { FlagsService } from '../flags/flags.service.ts';
import type {
  AgentInstanceView,
  CreateAgentInstanceBody,
  UpdateAgentInstanceBody,
} from './agent-instances.schemas.ts';

export interface AgentInstancesDeps {
  writer: ResourceWriter;
  flags: FlagsService;
  audit: AuditLog;
}

function toView(instance: AgentInstance): AgentInstanceView {
  return {
    id: instance.id,
    name: instance.name,
    agent: instance.agent as AgentType,
    version: instance.version,
    model: (instance.model as AgentInstanceView['model']) ?? null,
    prompt: instance.prompt ?? null,
    knowledge: instance.knowledge ?? null,
    replicas: instance.replicas,
    paused: instance.paused,
    createdAt: instance.createdAt.toISOString(),
    updatedAt: instance.updatedAt.toISOString(),
  };
}

/** The AgentInstance spec of a stored instance; the hub builds the same from the same row. */
export function specOf(tenantId: string, instance: AgentInstance): AgentInstanceSpec {
  return {
    tenantRef: tenantId,
    agent: instance.agent as AgentType,
    version: instance.version,
    replicas: instance.replicas,
    paused: instance.paused,
    ...(instance.model ? { model: instance.model as AgentInstanceSpec['model'] } : {}),
    ...(instance.prompt ? { prompt: instance.prompt } : {}),
    ...(instance.knowledge ? { knowledge: instance.knowledge } : {}),
  } as AgentInstanceSpec;
}

export function createAgentInstancesService({ writer, flags, audit }: AgentInstancesDeps) {
  const find = async (em: EntityManager, tenantId: string, name: string) => {
    const instance = await em.findOne(AgentInstance, { tenantId, name });
    if (!instance) throw notFound('agent instance', name);
    return instance;
  };
  const checkPrompt = async (
    em: EntityManager,
    tenantId: string,
    prompt: { system?: string } | undefined,
  ) => {
    if (prompt?.system !== undefined)
      await flags.requireFeature(em, tenantId, 'custom-prompts', 'a custom system prompt');
  };

  return {
    /** Creates the instance and applies its resource. 409 if the name is taken; 403/422 when the tier does not allow it. */
    async create(em: EntityManager, tenantId: string, body: CreateAgentInstanceBody, actor: string) {
      const tenant = await em.findOneOrFail(Tenant, { id: tenantId });
      if (!tiers[tenant.tier].allowedAgents.includes(body.agent)) {
        throw new DomainError(
          'feature_not_in_tier',
          `the ${tenant.tier} tier does not include the ${body.agent} agent`,
        );
      }
      await checkPrompt(em, tenantId, body.prompt);
      const max = await flags.limit(em, tenantId, 'max-agent-instances');
      if (max >= 0 && (await em.count(AgentInstance, { tenantId })) >= max) {
        throw new DomainError('tier_limit_exceeded', `the tenant may have at most ${max} agent instances`, {
          details: { limit: max },
        });
      }
      if (await em.findOne(AgentInstance, { tenantId, name: body.name })) {
        throw new DomainError('conflict', `agent instance "${body.name}" already exists`);
      }
      const instance = em.create(AgentInstance, {
        tenantId,
        name: body.name,
        agent: body.agent,
        version: body.version,
        model: body.model ?? null,
        prompt: body.prompt ?? null,
        knowledge: body.knowledge ?? null,
        replicas: body.replicas ?? 1,
        paused: body.paused ?? false,
      });
      await em.flush();
      await audit.record(em, {
        tenantId,
        actor,
        action: 'agent-instance.created',
        target: `agent-instance/${body.name}`,
        after: body,
      });
      await writer.applyAgentInstance(tenantId, instance.name, specOf(tenantId, instance));
      return toView(instance);
    },

    async list(em: EntityManager, tenantId: string) {
      return (await em.find(AgentInstance, { tenantId }, { orderBy: { name: 'asc' } })).map(toView);
    },

    async get(em: EntityManager, tenantId: string, name: string) {
      return toView(await find(em, tenantId, name));
    },

    /** Changes the given fields and re-applies the resource; a prompt change is audited as such. */
    async update(
      em: EntityManager,
      tenantId: string,
      name: string,
      body: UpdateAgentInstanceBody,
      actor: string,
    ) {
      const instance = await find(em, tenantId, name);
      await checkPrompt(em, tenantId, body.prompt);
      const before = toView(instance);
      em.assign(instance, body);
      await em.flush();
      const action = body.prompt ? 'agent-instance.prompt-changed' : 'agent-instance.updated';
      await audit.record(em, {
        tenantId,
        actor,
        action,
        target: `agent-instance/${name}`,
        before,
        after: toView(instance),
      });
      await writer.applyAgentInstance(tenantId, name, specOf(tenantId, instance));
      return toView(instance);
    },

    async remove(em: EntityManager, tenantId: string, name: string, actor: string) {
      const instance = await find(em, tenantId, name);
      em.remove(instance);
      await em.flush();
      await audit.record(em, {
        tenantId,
        actor,
        action: 'agent-instance.deleted',
        target: `agent-instance/${name}`,
      });
      await writer.deleteAgentInstance(tenantId, name);
    },
  };
}

export type AgentInstancesService = ReturnType<typeof createAgentInstancesService>;
