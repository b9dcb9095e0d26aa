// tenants create|get through the API; list and delete with the kubeconfig (the API has no list or
// delete route for tenants: deleting the Tenant runs the operator's clean-up finalizer).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tenant } from '@agentplane/crds';
import { type Command, stringFlag } from '../command.ts';
import { CliError, exitCodes, usageError } from '../exit.ts';
import { age, columns, duration, parseDuration, table } from '../output.ts';

/** The API's TenantView (control-plane/src/modules/tenants/tenants.schemas.ts), as much as is shown. */
export interface TenantView {
  id: string;
  displayName: string | null;
  tier: string;
  isolation: string;
  region: string | null;
  suspended: boolean;
  createdAt: string;
  placement: { cluster: string; pinned: boolean; migratingTo: string | null } | null;
  status: {
    cluster: string;
    clusterHealth: string;
    phase: string;
    reason: string | null;
    message: string | null;
    conditions: Array<{
      type: string;
      status: string;
      reason: string;
      message: string;
      lastTransitionTime: string;
    }>;
    namespace: string | null;
    agentInstances: number | null;
    lastSeenAt: string | null;
  } | null;
}

export function describeTenant(view: TenantView): string {
  const rows: Array<[string, unknown]> = [
    ['Name:', view.id],
    ['Display name:', view.displayName],
    ['Tier:', view.tier],
    ['Isolation:', view.isolation],
    ['Region:', view.region],
    ['Suspended:', view.suspended ? 'yes' : 'no'],
    ['Created:', `${view.createdAt} (${age(view.createdAt)} ago)`],
  ];
  if (view.placement) {
    const { cluster, pinned, migratingTo } = view.placement;
    rows.push([
      'Cluster:',
      `${cluster}${pinned ? ' (pinned)' : ''}${migratingTo ? `, moving to ${migratingTo}` : ''}`,
    ]);
  }
  if (view.status)
    rows.push(['Phase:', `${view.status.phase}${view.status.reason ? ` (${view.status.reason})` : ''}`]);
  return columns(rows);
}

const create: Command = {
  path: ['tenants', 'create'],
  summary: 'create a tenant through the API (platform admin)',
  description:
    'POST /v1/tenants: the control plane records the tenant and writes its Tenant resource (on a\n' +
    'multi-cluster hub: places it on a member cluster). For a full manifest (quota, secrets,\n' +
    'messaging) and waiting until Ready, use `platformctl deploy`.',
  positionals: [
    { name: 'name', required: true, description: 'tenant id: a DNS label of at most 40 characters' },
  ],
  flags: {
    tier: { type: 'string', value: 'basic|pro|enterprise', description: 'the tier (required)' },
    'display-name': { type: 'string', value: '<text>', description: 'the company name people read' },
    isolation: { type: 'string', value: 'shared|dedicated', description: "default: the tier's" },
    region: { type: 'string', value: '<region>', description: 'placement hint, e.g. eu' },
    cluster: { type: 'string', value: '<cluster>', description: 'pin to this member cluster (hub only)' },
  },
  examples: ['platformctl tenants create acme --tier pro --display-name "ACME Corp" --region eu'],
  async run(context, input) {
    const tier = stringFlag(input, 'tier');
    if (!tier)
      throw usageError(
        'missing --tier',
        'usage: platformctl tenants create <name> --tier basic|pro|enterprise',
      );
    const body = {
      name: input.positionals[0],
      tier,
      ...Object.fromEntries(
        (['display-name', 'isolation', 'region', 'cluster'] as const).flatMap((flag) => {
          const value = stringFlag(input, flag);
          return value === undefined ? [] : [[flag === 'display-name' ? 'displayName' : flag, value]];
        }),
      ),
    };
    const view = await context.api().request<TenantView>({ method: 'POST', path: '/v1/tenants', body });
    return { data: view, human: () => `tenant ${view.id} created\n${describeTenant(view)}` };
  },
};

const get: Command = {
  path: ['tenants', 'get'],
  summary: 'show a tenant as the API knows it (placement and live status on a hub)',
  positionals: [{ name: 'name', required: true, description: 'tenant id' }],
  async run(context, input) {
    const name = input.positionals[0] ?? '';
    const view = await context.api().request<TenantView>({ path: `/v1/tenants/${encodeURIComponent(name)}` });
    return { data: view, human: () => describeTenant(view) };
  },
};

const readyOf = (tenant: Tenant) => tenant.status?.conditions?.find((c) => c.type === 'Ready')?.status;

const list: Command = {
  path: ['tenants', 'list'],
  summary: 'list the Tenants on the cluster of the kubeconfig',
  description: 'Reads Tenant resources with the kubeconfig (the API lists no tenants).',
  async run(context) {
    const tenants = await (await context.kube()).listTenants();
    const rows = tenants.map((t) => [
      t.metadata.name,
      t.spec.tier,
      t.status?.home?.isolation ?? t.spec.isolation,
      t.status?.phase,
      readyOf(t),
      t.status?.home?.namespace ?? t.status?.namespace,
      t.status?.agentInstances,
      age(t.metadata.creationTimestamp ? String(t.metadata.creationTimestamp) : undefined),
    ]);
    return {
      data: { items: tenants },
      human: () =>
        tenants.length === 0
          ? 'No tenants.'
          : table(['NAME', 'TIER', 'ISOLATION', 'PHASE', 'READY', 'NAMESPACE', 'AGENTS', 'AGE'], rows),
    };
  },
};

const remove: Command = {
  path: ['tenants', 'delete'],
  summary: 'delete a Tenant from the cluster; the operator removes its namespace, topics and Vault policy',
  description:
    'Deletes the Tenant resource with the kubeconfig; the operator finalizer removes what it built\n' +
    '(docs/operator.md, Deletion). The control-plane database record is not touched.',
  positionals: [{ name: 'name', required: true, description: 'tenant id' }],
  flags: {
    yes: { type: 'boolean', short: 'y', description: 'confirm: deleting cannot be undone' },
    wait: { type: 'boolean', description: 'wait until it is gone, printing what is left to clean up' },
    timeout: {
      type: 'string',
      value: '<duration>',
      description: 'with --wait: give up after this long (default 5m)',
    },
  },
  examples: ['platformctl tenants delete acme --yes --wait --timeout 2m'],
  async run(context, input) {
    const name = input.positionals[0] ?? '';
    if (!input.flags.yes)
      throw usageError(
        `refusing to delete tenant ${name} without --yes`,
        'its namespace, topics and Vault policy go with it',
      );
    const timeoutMs = parseDuration(stringFlag(input, 'timeout') ?? '5m');
    if (timeoutMs === undefined) throw usageError(`--timeout must be a duration such as 90s or 5m`);
    const kube = await context.kube();
    if (!(await kube.deleteTenant(name)))
      throw new CliError(exitCodes.notFound, `tenant ${name} was not found on ${kube.context}`);
    const started = Date.now();
    if (input.flags.wait) {
      let last = '';
      for (;;) {
        const tenant = await kube.getTenant(name);
        if (!tenant) break;
        const remaining = tenant.status?.deletion?.remaining?.join(', ') ?? 'waiting for the operator';
        if (remaining !== last) context.note(`  deleting ${name}: ${remaining}`);
        last = remaining;
        if (Date.now() - started > timeoutMs)
          throw new CliError(
            exitCodes.timeout,
            `tenant ${name} still exists after ${duration(timeoutMs)}: ${remaining}`,
            {
              hint: `platformctl status ${name} shows why`,
            },
          );
        await sleep(500);
      }
    }
    const data = {
      tenant: name,
      deleted: true,
      waited: Boolean(input.flags.wait),
      elapsedMs: Date.now() - started,
    };
    return {
      data,
      human: () =>
        input.flags.wait
          ? `tenant ${name} deleted (${duration(data.elapsedMs)})`
          : `tenant ${name} deletion started`,
    };
  },
};

export const tenantCommands: Command[] = [create, list, get, remove];
