// status <tenant>: the tenant's and its agents' conditions as the control plane sees them (the
// member cluster's view on a hub) and as the kubeconfig's cluster has them, with what to do for
// each one that is not as it should be. A source that cannot be read is noted, not fatal, as long
// as another one answers.
import type { AgentInstance, Tenant } from '@agentplane/crds';
import { adviceFor, type ConditionLike, needsAttention } from '../advice.ts';
import type { Command, Context } from '../command.ts';
import { CliError, exitCodes } from '../exit.ts';
import { age, table } from '../output.ts';
import { describeTenant, type TenantView } from './tenants.ts';

interface ClusterView {
  cluster: string;
  source: 'control-plane' | 'kubeconfig';
  clusterHealth?: string;
  lastSeenAt?: string | null;
  phase: string | null;
  namespace: string | null;
  generation?: number | null;
  observedGeneration?: number | null;
  agentInstances: number | null;
  conditions: Array<ConditionLike & { lastTransitionTime?: string }>;
}

interface Problem extends ConditionLike {
  kind: 'Tenant' | 'AgentInstance';
  name: string;
  cluster: string;
  advice: string;
}

export interface TenantStatus {
  tenant: string;
  api: TenantView | null;
  clusters: ClusterView[];
  agents: Array<{
    name: string;
    namespace: string;
    cluster: string;
    phase: string | null;
    replicas: number;
    readyReplicas: number;
    conditions: ConditionLike[];
  }>;
  problems: Problem[];
  healthy: boolean;
}

type Outcome<T> = { ok: T } | { error: CliError } | { skipped: string };

async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await call() };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { error };
  }
}

function fromKube(context: string, tenant: Tenant): ClusterView {
  const status = tenant.status;
  return {
    cluster: context,
    source: 'kubeconfig',
    phase: status?.phase ?? null,
    namespace: status?.home?.namespace ?? status?.namespace ?? null,
    generation: tenant.metadata.generation ?? null,
    observedGeneration: status?.observedGeneration ?? null,
    agentInstances: status?.agentInstances ?? null,
    conditions: status?.conditions ?? [],
  };
}

/** The control plane's view of the member cluster (a hub only); undefined without one. Pure. */
export function fromApi(view: TenantView): ClusterView | undefined {
  if (!view.status) return undefined;
  const {
    cluster,
    clusterHealth,
    lastSeenAt,
    phase,
    namespace,
    agentInstances,
    conditions,
    reason,
    message,
  } = view.status;
  // The hub's Degraded/ClusterUnreachable is a fact about the member, shown like a condition.
  const reachable =
    reason === 'ClusterUnreachable'
      ? [{ type: 'ClusterReachable', status: 'False', reason, message: message ?? '' }]
      : [];
  return {
    cluster,
    source: 'control-plane',
    clusterHealth,
    lastSeenAt,
    phase,
    namespace,
    agentInstances,
    conditions: [...reachable, ...conditions],
  };
}

/** Every condition that needs attention, with its advice. Pure. */
export function problemsOf(
  clusters: ClusterView[],
  agents: TenantStatus['agents'],
  tenant: string,
): Problem[] {
  const problems: Problem[] = [];
  for (const view of clusters) {
    if (view.source === 'kubeconfig' && view.observedGeneration !== view.generation) {
      const stale = {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NotObserved',
        message: `generation ${view.generation}, status describes ${view.observedGeneration ?? 'none'}`,
      };
      problems.push({
        kind: 'Tenant',
        name: tenant,
        cluster: view.cluster,
        ...stale,
        advice: adviceFor('Tenant', stale),
      });
    }
    for (const c of view.conditions.filter(needsAttention))
      problems.push({
        kind: 'Tenant',
        name: tenant,
        cluster: view.cluster,
        ...c,
        advice: adviceFor('Tenant', c),
      });
  }
  for (const agent of agents)
    for (const c of agent.conditions.filter(needsAttention))
      problems.push({
        kind: 'AgentInstance',
        name: `${agent.namespace}/${agent.name}`,
        cluster: agent.cluster,
        ...c,
        advice: adviceFor('AgentInstance', c),
      });
  return problems;
}

async function readApi(context: Context, tenant: string): Promise<Outcome<TenantView>> {
  const api = context.api();
  if (!api.hasToken) return { skipped: 'no --token / AGENTPLANE_TOKEN' };
  return attempt(() => api.request<TenantView>({ path: `/v1/tenants/${encodeURIComponent(tenant)}` }));
}

async function readKube(context: Context, tenant: string) {
  const kube = await attempt(() => context.kube());
  if ('error' in kube && kube.error.exitCode === exitCodes.usage)
    return { skipped: kube.error.message } as const;
  if (!('ok' in kube)) return kube;
  return attempt(async () => {
    const object = await kube.ok.getTenant(tenant);
    const agents = object ? await kube.ok.listAgentInstances(tenant) : [];
    return { context: kube.ok.context, tenant: object, agents };
  });
}

function agentRow(cluster: string, agent: AgentInstance): TenantStatus['agents'][number] {
  return {
    name: agent.metadata.name,
    namespace: agent.metadata.namespace ?? '',
    cluster,
    phase: agent.status?.phase ?? null,
    replicas: agent.status?.replicas ?? 0,
    readyReplicas: agent.status?.readyReplicas ?? 0,
    conditions: agent.status?.conditions ?? [],
  };
}

/** Reads every source; throws the most telling error when none has the tenant. */
export async function collectStatus(context: Context, tenant: string): Promise<TenantStatus> {
  const [api, kube] = await Promise.all([readApi(context, tenant), readKube(context, tenant)]);
  const view = 'ok' in api ? api.ok : null;
  const onCluster = 'ok' in kube && kube.ok.tenant ? kube.ok : undefined;
  if (!view && !onCluster) {
    const errors = [api, kube].flatMap((o) => ('error' in o ? [o.error] : []));
    // A source that could not be asked makes "not found" unproven: report why it could not.
    const failure = errors.find((e) => e.exitCode !== exitCodes.notFound);
    if (failure) throw failure;
    const asked = [...('skipped' in api ? [] : ['the API']), ...('ok' in kube ? [kube.ok.context] : [])];
    if (asked.length)
      throw new CliError(exitCodes.notFound, `tenant ${tenant} was not found (${asked.join(', ')})`);
    const why = [api, kube].flatMap((o) => ('skipped' in o ? [o.skipped] : []));
    throw new CliError(exitCodes.usage, `nothing to read tenant ${tenant} from: ${why.join('; ')}`, {
      hint: 'pass --token (the control-plane API) and/or --kubeconfig (the cluster)',
    });
  }
  for (const [name, outcome] of [
    ['control-plane API', api],
    ['kubeconfig', kube],
  ] as const) {
    if ('error' in outcome) context.note(`note: ${name} left out: ${outcome.error.message}`);
  }
  const clusters = [
    view ? fromApi(view) : undefined,
    onCluster?.tenant ? fromKube(onCluster.context, onCluster.tenant) : undefined,
  ].filter((c) => c !== undefined);
  const agents = (onCluster?.agents ?? []).map((a) => agentRow(onCluster?.context ?? '', a));
  const problems = problemsOf(clusters, agents, tenant);
  return {
    tenant,
    api: view,
    clusters,
    agents,
    problems,
    healthy: problems.every((p) => p.type === 'Scaling') && clusters.length > 0,
  };
}

function clusterSection(view: ClusterView): string {
  const header =
    view.source === 'control-plane'
      ? `Cluster ${view.cluster} (control plane's view; cluster ${view.clusterHealth}, last seen ${age(view.lastSeenAt)} ago)`
      : `Cluster ${view.cluster} (kubeconfig; generation ${view.generation ?? '-'}, observed ${view.observedGeneration ?? '-'})`;
  const summary = `  phase ${view.phase ?? 'none yet'} · namespace ${view.namespace ?? '-'} · ${view.agentInstances ?? 0} agent instance(s)`;
  if (view.conditions.length === 0)
    return `${header}\n${summary}\n  no conditions yet: the operator has not reported`;
  const rows = view.conditions.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime), c.message]);
  return `${header}\n${summary}\n${indent(table(['CONDITION', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], rows))}`;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

export function renderStatus(status: TenantStatus): string {
  const parts = [
    status.api ? describeTenant(status.api) : `Tenant ${status.tenant} (not known to the control-plane API)`,
  ];
  parts.push(...status.clusters.map(clusterSection));
  if (status.agents.length) {
    const rows = status.agents.map((a) => [
      a.name,
      a.namespace,
      a.phase,
      `${a.readyReplicas}/${a.replicas}`,
      a.conditions
        .filter(needsAttention)
        .map((c) => `${c.type}=${c.status} ${c.reason}`)
        .join(', '),
    ]);
    parts.push(`Agents\n${indent(table(['NAME', 'NAMESPACE', 'PHASE', 'READY', 'ATTENTION'], rows))}`);
  }
  const todo = status.problems.map(
    (p) =>
      `  ✗ ${p.kind} ${p.name} on ${p.cluster}: ${p.type}=${p.status} (${p.reason})${p.message ? ` ${p.message}` : ''}\n    → ${p.advice}`,
  );
  parts.push(
    todo.length
      ? `What to do\n${todo.join('\n')}`
      : 'What to do\n  nothing: every condition is as it should be',
  );
  return parts.join('\n\n');
}

export const statusCommand: Command = {
  path: ['status'],
  summary: "the tenant's and its agents' conditions across clusters, with what to do for each failing one",
  description:
    'Reads GET /v1/tenants/<t> (placement and the member cluster status on a multi-cluster hub) and,\n' +
    'with a kubeconfig, the Tenant and its AgentInstances on that cluster. Either source may be\n' +
    'missing; -o json has `healthy` and `problems` for scripts.',
  positionals: [{ name: 'tenant', required: true, description: 'tenant id' }],
  examples: ['platformctl status acme', 'platformctl status acme -o json | jq .problems'],
  async run(context, input) {
    const status = await collectStatus(context, input.positionals[0] ?? '');
    return { data: status, human: () => renderStatus(status) };
  },
};
