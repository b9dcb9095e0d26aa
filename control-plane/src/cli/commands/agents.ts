// agents deploy|list through the API (which writes the AgentInstance where the tenant's agents run),
// with the cluster's live status added when a kubeconfig is at hand; agents logs with the kubeconfig.
import type { AgentInstance } from '@agentplane/crds';
import { type Command, type Context, requireTenant, stringFlag, tenantFlag } from '../command.ts';
import { CliError, exitCodes, usageError } from '../exit.ts';
import { parseDuration, table } from '../output.ts';

/** The API's AgentInstanceView (modules/agent-instances/agent-instances.schemas.ts). */
interface AgentInstanceView {
  id: string;
  name: string;
  agent: string;
  version: string;
  model: { name: string; replyModel?: string; temperature?: number } | null;
  replicas: number;
  paused: boolean;
  createdAt: string;
  updatedAt: string;
}

const instancesPath = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}/agent-instances`;

const deploy: Command = {
  path: ['agents', 'deploy'],
  summary: 'create or update an agent instance through the API',
  description:
    'POST /v1/tenants/<t>/agent-instances; when the instance exists, PATCH it with the flags given\n' +
    '(version, model, replicas, paused). The control plane writes the AgentInstance in the\n' +
    "tenant's home namespace; the tenant must be Ready first.",
  positionals: [{ name: 'name', required: true, description: 'instance name, a DNS label' }],
  flags: {
    tenant: tenantFlag,
    agent: {
      type: 'string',
      value: '<type>',
      description: 'customer-service|sales|marketing|lead-qualifier (to create)',
    },
    version: { type: 'string', value: '<x.y.z>', description: 'agent version, e.g. 2.1.0 (to create)' },
    model: { type: 'string', value: '<name>', description: 'model name, e.g. gpt-4o-mini' },
    replicas: { type: 'string', value: '<n>', description: 'replicas (0 to 50)' },
    paused: { type: 'boolean', description: 'deploy it paused (scaled to zero)' },
    resume: { type: 'boolean', description: 'unpause it' },
  },
  examples: ['platformctl agents deploy support --tenant acme --agent customer-service --version 2.1.0'],
  async run(context, input) {
    const usage = 'platformctl agents deploy <name> --tenant <t> --agent <type> --version <x.y.z>';
    const tenant = requireTenant(input, usage);
    const name = input.positionals[0] ?? '';
    const replicasText = stringFlag(input, 'replicas');
    const replicas = replicasText === undefined ? undefined : Number(replicasText);
    if (replicas !== undefined && !Number.isInteger(replicas))
      throw usageError(`--replicas must be an integer, got "${replicasText}"`);
    const model = stringFlag(input, 'model');
    const changes = {
      ...(stringFlag(input, 'version') ? { version: stringFlag(input, 'version') } : {}),
      ...(model ? { model: { name: model } } : {}),
      ...(replicas === undefined ? {} : { replicas }),
      ...(input.flags.paused ? { paused: true } : input.flags.resume ? { paused: false } : {}),
    };
    const api = context.api();
    const existing = await api
      .request<AgentInstanceView>({ path: `${instancesPath(tenant)}/${encodeURIComponent(name)}` })
      .catch((error: unknown) => {
        if (
          error instanceof CliError &&
          error.exitCode === exitCodes.notFound &&
          error.code === 'not_found'
        ) {
          return undefined;
        }
        throw error;
      });
    if (existing) {
      const view = await api.request<AgentInstanceView>({
        method: 'PATCH',
        path: `${instancesPath(tenant)}/${name}`,
        body: changes,
      });
      return { data: view, human: () => `agent instance ${name} of ${tenant} updated (${describe(view)})` };
    }
    const agent = stringFlag(input, 'agent');
    if (!agent || !changes.version)
      throw usageError(`${name} does not exist yet: --agent and --version are required`, `usage: ${usage}`);
    const view = await api.request<AgentInstanceView>({
      method: 'POST',
      path: instancesPath(tenant),
      body: { name, agent, ...changes },
    });
    return { data: view, human: () => `agent instance ${name} of ${tenant} created (${describe(view)})` };
  },
};

const describe = (view: AgentInstanceView) =>
  `${view.agent} ${view.version}, ${view.replicas} replica(s)${view.paused ? ', paused' : ''}`;

/** The cluster's AgentInstances of `tenant`, or undefined when no kubeconfig is at hand. */
async function liveInstances(context: Context, tenant: string): Promise<AgentInstance[] | undefined> {
  try {
    return await (await context.kube()).listAgentInstances(tenant);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === exitCodes.usage) return undefined;
    context.note(`note: live status left out: ${(error as Error).message}`);
    return undefined;
  }
}

const list: Command = {
  path: ['agents', 'list'],
  summary: "list a tenant's agent instances (API), with their live status from the cluster",
  flags: { tenant: tenantFlag },
  async run(context, input) {
    const tenant = requireTenant(input, 'platformctl agents list --tenant <t>');
    const { items } = await context
      .api()
      .request<{ items: AgentInstanceView[] }>({ path: instancesPath(tenant) });
    const live = await liveInstances(context, tenant);
    const liveOf = (name: string) => live?.find((i) => i.metadata.name === name);
    const rows = items.map((view) => {
      const instance = liveOf(view.name);
      const ready = instance?.status?.conditions?.find((c) => c.type === 'Ready');
      return [
        view.name,
        view.agent,
        view.version,
        view.paused ? 'paused' : view.replicas,
        live ? (instance?.status?.phase ?? (instance ? 'Pending' : 'not on cluster')) : 'n/a',
        instance ? `${instance.status?.readyReplicas ?? 0}/${instance.status?.replicas ?? 0}` : '',
        ready && ready.status !== 'True' ? ready.reason : '',
      ];
    });
    const data = { items: items.map((view) => ({ ...view, status: liveOf(view.name)?.status ?? null })) };
    return {
      data,
      human: () =>
        items.length === 0
          ? `No agent instances for ${tenant}.`
          : table(['NAME', 'AGENT', 'VERSION', 'REPLICAS', 'PHASE', 'READY', 'REASON'], rows),
    };
  },
};

const logs: Command = {
  path: ['agents', 'logs'],
  summary: "print the logs of an agent instance's runtime pods (kubeconfig)",
  positionals: [{ name: 'name', required: true, description: 'instance name' }],
  flags: {
    tenant: tenantFlag,
    tail: { type: 'string', value: '<lines>', description: 'last lines of each pod (default 200)' },
    since: { type: 'string', value: '<duration>', description: 'only lines newer than this, e.g. 10m' },
  },
  async run(context, input) {
    const tenant = requireTenant(input, 'platformctl agents logs <name> --tenant <t>');
    const name = input.positionals[0] ?? '';
    const tail = Number(stringFlag(input, 'tail') ?? '200');
    if (!Number.isInteger(tail) || tail < 0) throw usageError('--tail must be a whole number of lines');
    const sinceText = stringFlag(input, 'since');
    const sinceMs = sinceText === undefined ? undefined : parseDuration(sinceText);
    if (sinceText !== undefined && sinceMs === undefined)
      throw usageError('--since must be a duration such as 10m');
    const kube = await context.kube();
    const instance = (await kube.listAgentInstances(tenant)).find((i) => i.metadata.name === name);
    if (!instance?.metadata.namespace)
      throw new CliError(
        exitCodes.notFound,
        `agent instance ${name} of tenant ${tenant} is not on ${kube.context}`,
      );
    const { namespace } = instance.metadata;
    const selector =
      instance.status?.selector ?? `agentplane.io/tenant=${tenant},app.kubernetes.io/instance=${name}`;
    const pods = await kube.podNames(namespace, selector);
    if (pods.length === 0)
      throw new CliError(
        exitCodes.notFound,
        `agent instance ${name} has no pods in ${namespace} (selector ${selector})`,
        {
          hint: `replicas ${instance.status?.replicas ?? 0}; platformctl status ${tenant} says why`,
        },
      );
    const options = {
      tail,
      ...(sinceMs === undefined ? {} : { sinceSeconds: Math.max(1, Math.round(sinceMs / 1000)) }),
    };
    const entries = await Promise.all(
      pods.map(async (pod) => ({ pod, log: await kube.podLog(namespace, pod, options) })),
    );
    return {
      data: { namespace, pods: entries },
      human: () =>
        entries
          .map(({ pod, log }) =>
            pods.length === 1
              ? log
              : log
                  .split('\n')
                  .filter(Boolean)
                  .map((line) => `[${pod}] ${line}`)
                  .join('\n'),
          )
          .join('\n'),
    };
  },
};

export const agentCommands: Command[] = [deploy, list, logs];
