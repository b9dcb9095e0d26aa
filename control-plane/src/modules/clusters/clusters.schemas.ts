import { type Static, Type } from '@sinclair/typebox';
import { DnsName, Strict, Timestamp } from '../../http/schemas.ts';
import { clusterHealthStates } from '../../multicluster/entities.ts';

const Quantity = (description: string, example: string) =>
  Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$', description, examples: [example] });

const LabelKey = Type.String({
  pattern: '^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
});

export const ClusterParams = Strict({ name: DnsName });

export const ClusterCapacity = Strict(
  {
    maxTenants: Type.Integer({ minimum: 1, maximum: 100_000 }),
    cpu: Quantity('CPU the cluster gives tenants, a Kubernetes quantity', '256'),
    memory: Quantity('memory the cluster gives tenants, a Kubernetes quantity', '1Ti'),
  },
  { description: "What tenants may take of the cluster; each tenant counts with its tier's quota." },
);

export const RuntimeEndpoints = Strict(
  {
    kafkaBrokers: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 20 })),
    vaultAddr: Type.Optional(Type.String({ format: 'uri' })),
  },
  {
    description:
      "Kafka and Vault as that cluster's runtime pods reach them (its operator is configured with them).",
  },
);

export const RegisterClusterBody = Strict({
  name: DnsName,
  region: DnsName,
  labels: Type.Optional(Type.Record(LabelKey, Type.String({ maxLength: 63 }))),
  capacity: ClusterCapacity,
  apiServer: Strict({ url: Type.String({ format: 'uri', pattern: '^https://' }) }),
  credentials: Strict(
    {
      kubeconfig: Type.Optional(Type.String({ minLength: 1, maxLength: 65_536 })),
      token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })),
      caData: Type.Optional(Type.String({ description: 'base64 PEM of the API server CA (with token)' })),
    },
    {
      description:
        'Exactly one of kubeconfig (its current context) or token (with caData). Stored in Vault, never in ' +
        'the database, never returned.',
    },
  ),
  runtime: Type.Optional(RuntimeEndpoints),
});
export type RegisterClusterBody = Static<typeof RegisterClusterBody>;

export const ClusterHealth = Strict({
  state: Type.Union(clusterHealthStates.map((s) => Type.Literal(s))),
  message: Type.String(),
  since: Type.Union([Timestamp, Type.Null()]),
  lastProbeAt: Type.Union([Timestamp, Type.Null()]),
  lastSuccessAt: Type.Union([Timestamp, Type.Null()], { description: 'The last probe that found it Ready.' }),
});

export const ClusterView = Strict({
  name: Type.String(),
  region: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  capacity: ClusterCapacity,
  usage: Strict({ tenants: Type.Integer(), cpu: Type.String(), memory: Type.String() }),
  apiServer: Strict({ url: Type.String() }),
  credentials: Strict({
    kind: Type.Union([Type.Literal('kubeconfig'), Type.Literal('token')]),
    vaultPath: Type.String(),
  }),
  runtime: RuntimeEndpoints,
  health: ClusterHealth,
  createdAt: Timestamp,
});
export type ClusterView = Static<typeof ClusterView>;

export const ClusterList = Strict({ items: Type.Array(ClusterView) });
