// clusters: the member clusters registered with a multi-cluster hub (platform admin).
import type { Command } from '../command.ts';
import { age, table } from '../output.ts';

/** The API's ClusterView (modules/clusters/clusters.schemas.ts), as much as is shown. */
interface ClusterView {
  name: string;
  region: string;
  capacity: { maxTenants: number; cpu: string; memory: string };
  usage: { tenants: number; cpu: string; memory: string };
  health: { state: string; message: string; since: string | null };
  createdAt: string;
}

export const clustersCommand: Command = {
  path: ['clusters'],
  summary: 'list the member clusters, their health and usage (platform admin)',
  description: 'GET /v1/clusters. On a control plane without CONTROL_PLANE_MULTICLUSTER the API answers 503.',
  async run(context) {
    const { items } = await context.api().request<{ items: ClusterView[] }>({ path: '/v1/clusters' });
    const rows = items.map((c) => [
      c.name,
      c.region,
      c.health.state,
      `${c.usage.tenants}/${c.capacity.maxTenants}`,
      `${c.usage.cpu}/${c.capacity.cpu}`,
      `${c.usage.memory}/${c.capacity.memory}`,
      age(c.createdAt),
      c.health.state === 'Ready' ? '' : c.health.message,
    ]);
    return {
      data: { items },
      human: () =>
        items.length === 0
          ? 'No member clusters registered.'
          : table(['NAME', 'REGION', 'HEALTH', 'TENANTS', 'CPU', 'MEMORY', 'AGE', 'MESSAGE'], rows),
    };
  },
};
