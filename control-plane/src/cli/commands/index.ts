// The command table: every command platformctl has, in the order help lists them.
import type { Command } from '../command.ts';
import { agentCommands } from './agents.ts';
import { clustersCommand } from './clusters.ts';
import { dataRightsCommands } from './data-rights.ts';
import { deployCommand } from './deploy.ts';
import { statusCommand } from './status.ts';
import { tenantCommands } from './tenants.ts';

export const commands: readonly Command[] = [
  ...tenantCommands,
  ...agentCommands,
  statusCommand,
  deployCommand,
  ...dataRightsCommands,
  clustersCommand,
];

/** Commands that only group subcommands. */
export const commandGroups: Record<string, { summary: string; commands: string[] }> = {
  tenants: {
    summary: 'create, list, show and delete tenants',
    commands: ['create', 'list', 'get', 'delete'],
  },
  agents: {
    summary: "deploy and list a tenant's agent instances, read their logs",
    commands: ['deploy', 'list', 'logs'],
  },
};
