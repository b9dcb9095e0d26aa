// The hub's reconcile of one tenant (the work-queue key is its id): read the placement and the
// committed rows, make the member(s) hold the tenant as stored, move a migration on by one step,
// and report — the sync state on the placement, an audit event for each drift corrected or
// conflict found. Driven by what it reads, never by which event woke it.
import type { ReconcileContext, ReconcileResult } from '@agentplane/operator/kube';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withTenantScope } from '../db/tenant-scope.ts';
import type { AuditLog } from '../modules/audit/audit.service.ts';
import type { MigrationState, SyncReport, TenantPlacement } from './entities.ts';
import type { Member } from './member.ts';
import { migrationDecision } from './migration.ts';
import { findPlacement, type StoredTenant, storedTenant, withPlatformScope } from './store.ts';
import type { ObjectOutcome } from './sync.ts';
import {
  agentsOf,
  observeSide,
  removeTenantFrom,
  syncTenantTo,
  type TenantSyncResult,
} from './tenant-sync.ts';

export interface PropagationDeps {
  root: EntityManager;
  member(name: string): Member | undefined;
  audit: AuditLog;
  /** How soon to look again at a tenant that waits on a member (its agents, an outage). */
  pollMs: number;
}

/** The actor of audit events the hub writes on its own. */
export const hubActor = 'agentplane-hub';

interface Pass {
  outcomes: Array<ObjectOutcome & { cluster: string }>;
  waiting: string[];
  unreachable: string[];
}

const emptyPass = (): Pass => ({ outcomes: [], waiting: [], unreachable: [] });

/** A member the hub can write to now, or why not: down (its recovery re-syncs) or not listed yet. */
function usable(deps: PropagationDeps, name: string): Member | { down: string } | { wait: string } {
  const member = deps.member(name);
  if (!member) return { down: `the hub is not connected to ${name}` };
  if (member.health().state === 'Unreachable') return { down: `${name} does not answer` };
  if (!member.tenants.hasSynced() || !member.agents.hasSynced())
    return { wait: `the hub is still listing ${name}` };
  return member;
}

async function syncOn(
  deps: PropagationDeps,
  pass: Pass,
  cluster: string,
  stored: StoredTenant,
  overrides: { paused?: boolean; migratedFrom?: string } = {},
): Promise<void> {
  const member = usable(deps, cluster);
  if ('down' in member) return void pass.unreachable.push(member.down);
  if ('wait' in member) return void pass.waiting.push(member.wait);
  const result: TenantSyncResult = await syncTenantTo(member, stored.tenant, stored.instances, overrides);
  pass.outcomes.push(...result.outcomes.map((o) => ({ ...o, cluster })));
  pass.waiting.push(...result.waiting);
}

export async function reconcilePlacedTenant(
  tenantId: string,
  deps: PropagationDeps,
  { log }: Pick<ReconcileContext, 'log'>,
): Promise<ReconcileResult> {
  // FOR SHARE: a request changing the placement (a migration starting) is waited for, not read around.
  const placement = await withPlatformScope(deps.root, (em) => findPlacement(em, tenantId, { lock: true }));
  if (!placement) return undefined;
  const stored = await storedTenant(deps.root, tenantId);
  if (!stored) return undefined;
  const pass = emptyPass();
  const migration = placement.migration?.step === 'Completed' ? null : placement.migration;
  const next = migration ? await migrate(deps, pass, stored, migration) : undefined;
  const arrived = placement.migration?.step === 'Completed' ? { migratedFrom: placement.migration.from } : {};
  if (!migration) await syncOn(deps, pass, placement.cluster, stored, arrived);
  await report(deps, placement, pass, next);
  if (next && 'advance' in next) {
    log.info({ step: next.advance, from: migration?.step }, 'migration advanced');
    return { requeueAfterMs: 0 };
  }
  // A member that does not answer is not polled: its recovery re-syncs every tenant it holds.
  const waits = pass.waiting.length > 0 || (next && 'wait' in next);
  return waits ? { requeueAfterMs: deps.pollMs } : undefined;
}

type Step = ReturnType<typeof migrationDecision>;

async function migrate(
  deps: PropagationDeps,
  pass: Pass,
  stored: StoredTenant,
  state: MigrationState,
): Promise<Step> {
  const names = stored.instances.map((row) => row.name);
  const side = (cluster: string) => {
    const member = deps.member(cluster);
    const observed = member
      ? observeSide(member, stored.tenant.id, names)
      : { reachable: false, tenantPresent: false, tenantReady: false, agents: [] };
    return { ...observed, cluster };
  };
  if (state.step === 'BuildingTarget' || state.step === 'PausingSource') {
    // The target is built paused; the source keeps serving until the agents are paused there.
    await syncOn(deps, pass, state.to, stored, { paused: true });
    await syncOn(deps, pass, state.from, stored, state.step === 'PausingSource' ? { paused: true } : {});
    return migrationDecision(state.step, side(state.to), side(state.from));
  }
  await syncOn(deps, pass, state.to, stored);
  const source = deps.member(state.from);
  const sourceSide = side(state.from);
  if (source && sourceSide.reachable) await removeTenantFrom(source, stored.tenant.id);
  const remaining = source ? agentsOf(source, stored.tenant.id) : [];
  return migrationDecision(state.step, side(state.to), {
    ...sourceSide,
    agents: remaining.map((a) => ({
      name: a.metadata.name ?? '',
      present: true,
      current: true,
      ready: false,
    })),
  });
}

function syncReportOf(pass: Pass, next: Step | undefined): SyncReport {
  const at = new Date().toISOString();
  const conflicts = pass.outcomes.flatMap((o) =>
    o.result === 'conflict' ? [`${o.cluster}: ${o.message}`] : [],
  );
  if (conflicts.length > 0) return { state: 'Conflict', message: conflicts.join('; '), at };
  if (pass.unreachable.length > 0) return { state: 'Unreachable', message: pass.unreachable.join('; '), at };
  const waiting = [...pass.waiting, ...(next && 'wait' in next ? [next.wait] : [])];
  if (waiting.length > 0) return { state: 'Waiting', message: waiting.join('; '), at };
  return { state: 'Synced', message: 'every object is as the hub states it', at };
}

async function report(deps: PropagationDeps, placement: TenantPlacement, pass: Pass, next: Step | undefined) {
  const sync = syncReportOf(pass, next);
  const changed = placement.sync?.state !== sync.state || placement.sync?.message !== sync.message;
  const notable = pass.outcomes.filter(
    (o) => o.result === 'restored' || (o.result === 'conflict' && changed),
  );
  if (notable.length > 0) {
    await withTenantScope(deps.root, placement.tenantId, async (em) => {
      for (const outcome of notable) await auditOutcome(deps.audit, em, placement.tenantId, outcome);
    });
  }
  const migration = placement.migration && next ? advanceMigration(placement.migration, next) : undefined;
  if (!changed && !migration) return;
  await withPlatformScope(deps.root, async (em) => {
    const row = await findPlacement(em, placement.tenantId);
    if (!row) return;
    if (changed) row.sync = sync;
    if (migration) Object.assign(row, migration);
  });
  if (migration?.migration?.step === 'Completed') {
    await withTenantScope(deps.root, placement.tenantId, (em) =>
      deps.audit.record(em, {
        tenantId: placement.tenantId,
        actor: hubActor,
        action: 'tenant.migrated',
        target: `tenant/${placement.tenantId}`,
        details: { from: placement.migration?.from, to: placement.migration?.to },
      }),
    );
  }
}

/** The placement fields a migration decision changes; undefined when nothing changes. */
export function advanceMigration(
  state: MigrationState,
  next: Step,
): Partial<Pick<TenantPlacement, 'cluster' | 'migrationPeer' | 'migration'>> | undefined {
  const updatedAt = new Date().toISOString();
  if ('wait' in next) {
    return next.wait === state.message || state.step === 'Completed'
      ? undefined
      : { migration: { ...state, message: next.wait, updatedAt } };
  }
  const migration = { ...state, step: next.advance, message: next.message, updatedAt };
  // The switch: from here the target is the tenant's cluster and the source only awaits removal.
  if (next.advance === 'RemovingSource') return { migration, cluster: state.to, migrationPeer: state.from };
  if (next.advance === 'Completed') return { migration, migrationPeer: null };
  return { migration };
}

function auditOutcome(
  audit: AuditLog,
  em: EntityManager,
  tenantId: string,
  outcome: ObjectOutcome & { cluster: string },
) {
  const target = `${outcome.key.replace(':', '/')}@${outcome.cluster}`;
  if (outcome.result === 'restored')
    return audit.record(em, {
      tenantId,
      actor: hubActor,
      action: 'cluster.drift-corrected',
      target,
      details: { cluster: outcome.cluster, drift: outcome.drift, by: outcome.by },
    });
  return audit.record(em, {
    tenantId,
    actor: hubActor,
    action: 'cluster.sync-conflict',
    target,
    details: { cluster: outcome.cluster, managers: 'by' in outcome ? outcome.by : [] },
  });
}
