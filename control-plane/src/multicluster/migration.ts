// Moving a tenant between members, as a pure decision per step from what both members' caches say.
// The steps and their order: build the tenant on the target with its agents paused and wait until
// it is Ready there; pause the agents on the source; switch the placement (the target's agents are
// unpaused by the ordinary sync from then on); remove everything from the source. Each step is
// idempotent, so a hub that restarts anywhere resumes from the step stored in PostgreSQL.
import type { MigrationStep } from './entities.ts';
import type { SideObservation } from './tenant-sync.ts';

export type MigrationDecision = { advance: MigrationStep; message: string } | { wait: string };

const names = (items: Array<{ name: string }>) => items.map((item) => item.name).join(', ');

/** What the migration at `step` does next. Pure. */
export function migrationDecision(
  step: MigrationStep,
  target: SideObservation & { cluster: string },
  source: SideObservation & { cluster: string },
): MigrationDecision {
  switch (step) {
    case 'BuildingTarget': {
      if (!target.reachable) return { wait: `the target ${target.cluster} does not answer` };
      if (!target.tenantReady) return { wait: `waiting for the Tenant to be Ready on ${target.cluster}` };
      const unready = target.agents.filter((a) => !(a.present && a.current && a.ready));
      if (unready.length > 0)
        return {
          wait: `waiting for AgentInstance(s) ${names(unready)} to be Ready (paused) on ${target.cluster}`,
        };
      return {
        advance: 'PausingSource',
        message: `built on ${target.cluster}; pausing the agents on ${source.cluster}`,
      };
    }
    case 'PausingSource': {
      if (!source.reachable)
        return { wait: `the source ${source.cluster} does not answer, so its agents cannot be paused` };
      const running = source.agents.filter((a) => a.present && !(a.current && a.phase === 'Paused'));
      if (running.length > 0)
        return { wait: `waiting for AgentInstance(s) ${names(running)} to pause on ${source.cluster}` };
      return {
        advance: 'RemovingSource',
        message: `switched to ${target.cluster}; removing the tenant from ${source.cluster}`,
      };
    }
    case 'RemovingSource': {
      if (!source.reachable)
        return { wait: `the source ${source.cluster} does not answer; removal resumes when it does` };
      const left = source.agents.filter((a) => a.present).length + (source.tenantPresent ? 1 : 0);
      if (left > 0) return { wait: `removing the tenant from ${source.cluster}: ${left} object(s) left` };
      return { advance: 'Completed', message: `moved from ${source.cluster} to ${target.cluster}` };
    }
    case 'Completed':
      return { wait: 'completed' };
  }
}
