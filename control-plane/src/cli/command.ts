// What a command is (its flags, arguments and action) and what it gets to run with. The commands
// themselves live in commands/*.ts; cli.ts parses the arguments and dispatches.
import type { ApiClient } from './api.ts';
import { usageError } from './exit.ts';
import type { Kube } from './kube.ts';
import type { OutputFormat, Result } from './output.ts';

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder of the value in help, e.g. `<tier>`. */
  value?: string;
  description: string;
}

export interface Positional {
  name: string;
  required: boolean;
  description: string;
}

export type FlagValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface Input {
  flags: FlagValues;
  positionals: string[];
}

export interface Context {
  env: NodeJS.ProcessEnv;
  output: OutputFormat;
  /** Progress and notes for people; never parsed by scripts. */
  note(line: string): void;
  /** Whether stderr is a terminal (progress is redrawn in place there). */
  interactive: boolean;
  stderr: NodeJS.WritableStream;
  api(): ApiClient;
  kube(): Promise<Kube>;
}

export interface Command {
  /** e.g. ['tenants', 'create'] */
  path: readonly string[];
  summary: string;
  /** More about what it does and where the data comes from. */
  description?: string;
  positionals?: readonly Positional[];
  flags?: Record<string, Flag>;
  examples?: readonly string[];
  run(context: Context, input: Input): Promise<Result>;
}

export const globalFlags = {
  'api-url': {
    type: 'string',
    value: '<url>',
    description: 'control-plane API (env AGENTPLANE_API_URL; default http://127.0.0.1:8080)',
  },
  token: {
    type: 'string',
    value: '<token>',
    description: 'an API key ap_live_… or the platform-admin token (env AGENTPLANE_TOKEN)',
  },
  kubeconfig: {
    type: 'string',
    value: '<file>',
    description: 'kubeconfig for commands that read the cluster (env KUBECONFIG; default ~/.kube/config)',
  },
  output: {
    type: 'string',
    short: 'o',
    value: 'table|json|yaml',
    description: 'output format (default table)',
  },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
  version: { type: 'boolean', description: 'print the version and exit' },
} as const satisfies Record<string, Flag>;

/** The string value of flag `name`, or undefined. */
export const stringFlag = (input: Input, name: string): string | undefined => {
  const value = input.flags[name];
  return typeof value === 'string' ? value : undefined;
};

export const tenantFlag: Flag = {
  type: 'string',
  value: '<tenant>',
  description: 'the tenant id (required)',
};

/** The --tenant value; a usage error when it is missing. */
export function requireTenant(input: Input, usage: string): string {
  const tenant = stringFlag(input, 'tenant');
  if (!tenant) throw usageError('missing --tenant', `usage: ${usage}`);
  return tenant;
}
