// Where a tenant goes: a pure decision over a snapshot of the member clusters. Every cluster gets a
// verdict with its reasons, so the choice (and a refusal) can be shown as it was made.
import { effectiveTenantSettings, type Isolation, type Tier } from '@agentplane/crds';
import { parseQuantity } from '@agentplane/operator/kube';
import type { ClusterHealthState } from './entities.ts';

/** What a tenant asks of a cluster. */
export interface TenantNeed {
  tier: Tier;
  region: string | null;
  cpuMillis: number;
  memoryBytes: number;
}

export interface ClusterSnapshot {
  name: string;
  region: string;
  labels: Record<string, string>;
  health: ClusterHealthState;
  capacity: { maxTenants: number; cpuMillis: number; memoryBytes: number };
  used: { tenants: number; cpuMillis: number; memoryBytes: number };
}

export interface PlacementRules {
  /** A label enterprise tenants need on their cluster (e.g. dedicated nodes); none when undefined. */
  enterpriseLabel?: { key: string; value: string };
}

export interface CandidateVerdict {
  cluster: string;
  fits: boolean;
  /** Why it does not fit, or why it was (not) chosen among those that do. */
  reasons: string[];
  /** The smallest share of capacity left after placing the tenant (0–1); null when it does not fit. */
  headroom: number | null;
}

export interface PlacementDecision {
  /** The chosen cluster; null when none fits. */
  cluster: string | null;
  pinned: boolean;
  candidates: CandidateVerdict[];
  decidedAt: string;
  by: string;
}

/** The capacity a tenant takes: its quota, from its tier's defaults. Pure. */
export function tenantNeed(tenant: {
  tier: Tier;
  isolation: Isolation | null;
  region: string | null;
}): TenantNeed {
  const { quota } = effectiveTenantSettings({
    tier: tenant.tier,
    ...(tenant.isolation ? { isolation: tenant.isolation } : {}),
  });
  return {
    tier: tenant.tier,
    region: tenant.region,
    cpuMillis: Math.round((parseQuantity(quota.cpu) ?? 0) * 1000),
    memoryBytes: Math.round(parseQuantity(quota.memory) ?? 0),
  };
}

const percent = (share: number) => `${Math.round(share * 100)}%`;
const cores = (millis: number) => `${+(millis / 1000).toFixed(3)} CPU`;
const gib = (bytes: number) => `${+(bytes / 2 ** 30).toFixed(2)} GiB`;

function capacityReasons(need: TenantNeed, cluster: ClusterSnapshot): string[] {
  const { capacity, used } = cluster;
  const reasons: string[] = [];
  if (used.tenants + 1 > capacity.maxTenants)
    reasons.push(`full: ${used.tenants} of ${capacity.maxTenants} tenants placed`);
  if (used.cpuMillis + need.cpuMillis > capacity.cpuMillis)
    reasons.push(
      `not enough CPU: the tenant needs ${cores(need.cpuMillis)}, ${cores(Math.max(0, capacity.cpuMillis - used.cpuMillis))} free`,
    );
  if (used.memoryBytes + need.memoryBytes > capacity.memoryBytes)
    reasons.push(
      `not enough memory: the tenant needs ${gib(need.memoryBytes)}, ${gib(Math.max(0, capacity.memoryBytes - used.memoryBytes))} free`,
    );
  return reasons;
}

function ruleReasons(need: TenantNeed, cluster: ClusterSnapshot, rules: PlacementRules): string[] {
  const reasons: string[] = [];
  if (need.region && cluster.region !== need.region)
    reasons.push(`region ${cluster.region} is not the tenant's region ${need.region}`);
  const label = rules.enterpriseLabel;
  if (need.tier === 'enterprise' && label && cluster.labels[label.key] !== label.value)
    reasons.push(`enterprise tenants need a cluster labelled ${label.key}=${label.value}`);
  return reasons;
}

/** After placing the tenant, the smallest share left of tenants, CPU and memory. */
function headroomAfter(need: TenantNeed, { capacity, used }: ClusterSnapshot): number {
  return Math.min(
    (capacity.maxTenants - used.tenants - 1) / capacity.maxTenants,
    (capacity.cpuMillis - used.cpuMillis - need.cpuMillis) / capacity.cpuMillis,
    (capacity.memoryBytes - used.memoryBytes - need.memoryBytes) / capacity.memoryBytes,
  );
}

/**
 * Chooses a cluster for `need`: healthy (Ready), in the tenant's region when it has one, labelled
 * for enterprise tenants when the rules ask, with room for its quota; among those the one with the
 * most headroom (ties: by name, so the decision is reproducible). `pin` names the only cluster
 * considered and waives the region and label rules (an administrator's choice), never health or
 * capacity. Pure; returns a verdict for every cluster.
 */
export function decidePlacement(
  need: TenantNeed,
  clusters: readonly ClusterSnapshot[],
  rules: PlacementRules,
  pin?: string,
): { cluster: string | null; candidates: CandidateVerdict[] } {
  const verdicts = [...clusters]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((cluster): CandidateVerdict => {
      const reasons: string[] = [];
      if (pin !== undefined && cluster.name !== pin) reasons.push(`the tenant is pinned to ${pin}`);
      if (cluster.health !== 'Ready') reasons.push(`health is ${cluster.health}`);
      if (pin === undefined) reasons.push(...ruleReasons(need, cluster, rules));
      reasons.push(...capacityReasons(need, cluster));
      const fits = reasons.length === 0;
      return { cluster: cluster.name, fits, reasons, headroom: fits ? headroomAfter(need, cluster) : null };
    });
  const best = verdicts
    .filter((v) => v.fits)
    .reduce<CandidateVerdict | undefined>(
      (chosen, v) => (!chosen || (v.headroom ?? 0) > (chosen.headroom ?? 0) ? v : chosen),
      undefined,
    );
  for (const verdict of verdicts) {
    if (!verdict.fits) continue;
    const left = `${percent(verdict.headroom ?? 0)} headroom left after placing`;
    verdict.reasons.push(
      verdict === best
        ? pin
          ? `chosen: pinned by an administrator; ${left}`
          : `chosen: most headroom; ${left}`
        : `fits, but ${best?.cluster} has more headroom; ${left}`,
    );
  }
  return { cluster: best?.cluster ?? null, candidates: verdicts };
}
