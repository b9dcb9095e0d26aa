import { agentTypes } from '@agentplane/crds';
import { type Static, Type } from '@sinclair/typebox';
import { DnsName, Strict, TenantId, Timestamp, Uuid } from '../../http/schemas.ts';

const Agent = Type.Union(agentTypes.map((agent) => Type.Literal(agent)));
const Model = Strict({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  replyModel: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
});
const Prompt = Strict({
  system: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
  tone: Type.Optional(Type.String({ maxLength: 50 })),
});

const Knowledge = Strict(
  {
    enabled: Type.Optional(Type.Boolean({ default: true })),
    topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 5 })),
  },
  { description: "Retrieval from the tenant's knowledge before replying. Left out: no retrieval." },
);

export const CreateAgentInstanceBody = Strict({
  name: DnsName,
  agent: Agent,
  version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+$', examples: ['2.1.0'] }),
  model: Type.Optional(Model),
  prompt: Type.Optional(Prompt),
  knowledge: Type.Optional(Knowledge),
  replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 50, default: 1 })),
  paused: Type.Optional(Type.Boolean({ default: false })),
});
export type CreateAgentInstanceBody = Static<typeof CreateAgentInstanceBody>;

export const UpdateAgentInstanceBody = Strict({
  version: Type.Optional(CreateAgentInstanceBody.properties.version),
  model: Type.Optional(Model),
  prompt: Type.Optional(Prompt),
  knowledge: Type.Optional(Knowledge),
  replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 50 })),
  paused: Type.Optional(Type.Boolean()),
});
export type UpdateAgentInstanceBody = Static<typeof UpdateAgentInstanceBody>;

export const AgentInstanceView = Strict({
  id: Uuid,
  name: Type.String(),
  agent: Agent,
  version: Type.String(),
  model: Type.Union([Model, Type.Null()]),
  prompt: Type.Union([Prompt, Type.Null()]),
  knowledge: Type.Union([Knowledge, Type.Null()]),
  replicas: Type.Integer(),
  paused: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AgentInstanceView = Static<typeof AgentInstanceView>;

export const AgentInstanceList = Strict({ items: Type.Array(AgentInstanceView) });
export const AgentInstanceParams = Strict({ t: TenantId, name: DnsName });
