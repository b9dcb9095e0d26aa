// deploy: server-side apply of the Tenant (and any AgentInstances in the manifest) with the
// kubeconfig, then wait until the operator reports it Ready, showing each step as it completes.
// With a token the tenant is first recorded in the control plane, so the API knows it too.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentInstance, apiVersion, type Tenant } from '@agentplane/crds';
import { parseAllDocuments } from 'yaml';
import type { Command, Context, Input } from '../command.ts';
import { stringFlag, tenantFlag } from '../command.ts';
import { assessDeployment, deploySteps, finished, type StepProgress, tenantReady } from '../deploy-steps.ts';
import { CliError, exitCodes, usageError } from '../exit.ts';
import type { Kube } from '../kube.ts';
import { duration, parseDuration, table } from '../output.ts';
import { renderProgress } from '../progress.ts';

interface Manifest {
  tenant: Tenant;
  agents: AgentInstance[];
}

function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const docs = parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw usageError(`${file} is not valid YAML: ${doc.errors[0]?.message}`);
    return doc.toJS() as { kind?: string } | null;
  });
  const objects = docs.filter((d) => d !== null);
  const tenants = objects.filter((o) => o.kind === 'Tenant') as Tenant[];
  const agents = objects.filter((o) => o.kind === 'AgentInstance') as AgentInstance[];
  const other = objects.find((o) => o.kind !== 'Tenant' && o.kind !== 'AgentInstance');
  if (tenants.length !== 1 || !tenants[0])
    throw usageError(`${file} must hold exactly one Tenant (found ${tenants.length})`);
  if (other)
    throw usageError(
      `${file} holds a ${other.kind ?? 'document without kind'}: only Tenant and AgentInstance are deployed`,
    );
  return { tenant: tenants[0], agents };
}

/** The manifest to apply: -f, or one built from --tenant and --tier. */
function manifestOf(input: Input): Manifest {
  const file = stringFlag(input, 'filename');
  const name = stringFlag(input, 'tenant');
  if (!file) {
    const tier = stringFlag(input, 'tier');
    if (!name || !tier)
      throw usageError(
        'deploy needs -f <manifest>, or --tenant <t> with --tier',
        'usage: platformctl deploy --tenant <t> (-f tenant.yaml | --tier pro)',
      );
    return {
      tenant: {
        apiVersion,
        kind: 'Tenant',
        metadata: { name },
        spec: { tier: tier as Tenant['spec']['tier'] },
      },
      agents: [],
    };
  }
  const manifest = readManifest(file);
  const declared = manifest.tenant.metadata?.name;
  if (name && declared && name !== declared)
    throw usageError(`--tenant ${name} but ${file} declares tenant ${declared}`);
  const tenantName = name ?? declared;
  if (!tenantName) throw usageError(`${file}: the Tenant has no metadata.name and no --tenant was given`);
  manifest.tenant = {
    ...manifest.tenant,
    apiVersion,
    metadata: { ...manifest.tenant.metadata, name: tenantName },
  };
  for (const agent of manifest.agents) {
    if (agent.spec?.tenantRef && agent.spec.tenantRef !== tenantName)
      throw usageError(
        `AgentInstance ${agent.metadata?.name} belongs to ${agent.spec.tenantRef}, not ${tenantName}`,
      );
    agent.spec = { ...agent.spec, tenantRef: tenantName };
  }
  return manifest;
}

/** Records the tenant in the control plane when a token is given and it does not know it yet. */
async function register(context: Context, tenant: Tenant): Promise<string> {
  const api = context.api();
  if (!api.hasToken) return 'skipped: no --token, the control-plane API was not told';
  const name = tenant.metadata.name;
  try {
    await api.request({ path: `/v1/tenants/${name}` });
    return 'known to the control plane';
  } catch (error) {
    if (!(error instanceof CliError) || error.exitCode !== exitCodes.notFound) throw error;
  }
  const { tier, displayName, isolation, region } = tenant.spec;
  await api.request({
    method: 'POST',
    path: '/v1/tenants',
    body: {
      name,
      tier,
      ...(displayName ? { displayName } : {}),
      ...(isolation ? { isolation } : {}),
      ...(region ? { region } : {}),
    },
  });
  return 'recorded in the control plane';
}

interface Timeline {
  startedAt: number;
  doneAt: Map<string, number>;
}

function stepRows(steps: StepProgress[], timeline: Timeline) {
  let previous = timeline.startedAt;
  return steps.map((step) => {
    const at = timeline.doneAt.get(step.name);
    const took = at === undefined ? undefined : Math.max(0, at - previous);
    if (at !== undefined) previous = Math.max(previous, at);
    return {
      ...step,
      durationMs: took ?? null,
      conditions: deploySteps.find((s) => s.name === step.name)?.conditions ?? [],
    };
  });
}

async function applyAgents(kube: Kube, agents: AgentInstance[], namespace: string, force: boolean) {
  for (const agent of agents) {
    const metadata = { ...agent.metadata, namespace: agent.metadata.namespace ?? namespace };
    await kube.apply({ ...agent, apiVersion, kind: 'AgentInstance', metadata }, force);
  }
}

export const deployCommand: Command = {
  path: ['deploy'],
  summary: 'apply a Tenant (and its AgentInstances) and wait until it is Ready, step by step',
  description:
    'Server-side applies the manifest with the kubeconfig (field manager platformctl), then follows\n' +
    'the conditions the operator writes: infra (NamespaceReady, QuotaApplied, NetworkIsolated),\n' +
    'secrets (SecretsReady), topics (MessagingReady), agents (each AgentInstance Ready). With a\n' +
    'token the tenant is also recorded in the control plane (POST /v1/tenants) if it is not yet.\n' +
    'AgentInstances without a namespace go to the tenant home, once the operator has made it.',
  flags: {
    tenant: tenantFlag,
    filename: {
      type: 'string',
      short: 'f',
      value: '<file>',
      description: 'manifest: one Tenant, any AgentInstances (- for stdin)',
    },
    tier: { type: 'string', value: '<tier>', description: 'without -f: a minimal Tenant of this tier' },
    timeout: {
      type: 'string',
      value: '<duration>',
      description: 'give up waiting after this long, exit 5 (default 5m)',
    },
    'force-conflicts': { type: 'boolean', description: 'take over fields another manager applied' },
    'no-wait': { type: 'boolean', description: 'apply and return without waiting' },
  },
  examples: [
    'platformctl deploy -f crds/samples/tenant-acme.yaml',
    'platformctl deploy --tenant acme --tier pro --timeout 2m',
  ],
  async run(context, input) {
    const manifest = manifestOf(input);
    const timeoutMs = parseDuration(stringFlag(input, 'timeout') ?? '5m');
    if (timeoutMs === undefined) throw usageError('--timeout must be a duration such as 90s or 5m');
    const force = Boolean(input.flags['force-conflicts']);
    const name = manifest.tenant.metadata.name;
    const kube = await context.kube();
    const timeline: Timeline = { startedAt: Date.now(), doneAt: new Map() };
    // The manifest first: recording a new tenant makes the control plane write its own, smaller
    // spec to the cluster, and an operator reconciling that first would create the topics with the
    // default partitions, which the manifest could then not lower.
    await kube.apply(manifest.tenant, force);
    context.note(`tenant ${name}: applied to ${kube.context} (${kube.server})`);
    const registered = await register(context, manifest.tenant);
    context.note(`tenant ${name}: ${registered}`);
    let pendingAgents = manifest.agents.filter((a) => a.metadata?.namespace);
    await applyAgents(kube, pendingAgents, '', force);
    pendingAgents = manifest.agents.filter((a) => !a.metadata?.namespace);
    if (input.flags['no-wait'] && pendingAgents.length === 0)
      return { data: { tenant: name, applied: true, waited: false }, human: () => `tenant ${name} applied` };

    const progress = renderProgress(context);
    let steps: StepProgress[] = [];
    let outcome: 'ready' | 'timeout' | 'failed' | 'applied' = 'timeout';
    while (Date.now() - timeline.startedAt <= timeoutMs) {
      const tenant = await kube.getTenant(name);
      const home = tenant?.status?.home?.namespace;
      if (pendingAgents.length && home) {
        await applyAgents(kube, pendingAgents, home, force);
        pendingAgents = [];
      }
      const agents = tenant ? await kube.listAgentInstances(name) : [];
      steps = assessDeployment(tenant, agents);
      for (const step of steps)
        if (finished(step.state) && !timeline.doneAt.has(step.name))
          timeline.doneAt.set(step.name, Date.now());
      progress.update(stepRows(steps, timeline), Date.now() - timeline.startedAt);
      if (steps.some((s) => s.state === 'failed')) {
        outcome = 'failed';
        break;
      }
      if (steps.every((s) => finished(s.state)) && tenantReady(tenant) && pendingAgents.length === 0) {
        outcome = 'ready';
        break;
      }
      if (input.flags['no-wait'] && pendingAgents.length === 0) {
        outcome = 'applied';
        break;
      }
      await sleep(400);
    }
    progress.end();
    const elapsedMs = Date.now() - timeline.startedAt;
    const rows = stepRows(steps, timeline);
    const data = {
      tenant: name,
      cluster: kube.context,
      ready: outcome === 'ready',
      outcome,
      elapsedMs,
      registered,
      steps: rows,
    };
    const blocked = rows.find((s) => s.blocker)?.blocker;
    const why = blocked
      ? `: ${blocked.kind} ${blocked.name} ${blocked.type}=${blocked.status} (${blocked.reason}) ${blocked.message}`
      : '';
    const error =
      outcome === 'ready' || outcome === 'applied'
        ? undefined
        : outcome === 'failed'
          ? new CliError(
              exitCodes.failure,
              `tenant ${name} cannot become Ready as written${why}`,
              blocked ? { hint: blocked.advice } : {},
            )
          : new CliError(exitCodes.timeout, `tenant ${name} not Ready after ${duration(timeoutMs)}${why}`, {
              hint: blocked?.advice ?? `platformctl status ${name}`,
            });
    return {
      data,
      ...(error ? { error } : {}),
      human: () => {
        const title =
          outcome === 'ready'
            ? `tenant ${name} is Ready on ${kube.context} (${duration(elapsedMs)})`
            : outcome === 'applied'
              ? `tenant ${name} applied (not waiting)`
              : `tenant ${name} is not Ready (${duration(elapsedMs)})`;
        const lines = rows.map((s) => [
          s.name,
          s.state,
          s.durationMs === null ? '' : duration(s.durationMs),
          s.conditions.join(', '),
          s.detail,
        ]);
        return `${title}\n${table(['STEP', 'STATE', 'TOOK', 'CONDITIONS', 'DETAIL'], lines)}`;
      },
    };
  },
};
